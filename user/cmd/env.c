/*
 * env [-i] [-u NAME] [NAME=VALUE...] [COMMAND [ARG...]]: run a command
 * with a changed environment (-i: empty first; -u: without NAME), or
 * without a command print the environment, one NAME=VALUE a line.
 */
#include "cmd.h"
#include <string.h>

extern char **environ;

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "+iu:")) != -1) {
		if (c == 'i')
			clearenv();
		else if (c == 'u')
			unsetenv(optarg);
		else
			cmd_usage("[-i] [-u NAME] [NAME=VALUE...] [COMMAND [ARG...]]");
	}
	for (; optind < argc && strchr(argv[optind], '='); optind++)
		if (putenv(argv[optind]) != 0)
			err(1, "putenv");
	if (optind == argc) {
		for (char **e = environ; e && *e; e++)
			puts(*e);
		return 0;
	}
	execvp(argv[optind], argv + optind);
	err(errno == ENOENT ? 127 : 126, "%s", argv[optind]);
}
