/*
 * rmdir DIR...: remove empty directories.
 */
#include "cmd.h"
#include <unistd.h>

int main(int argc, char **argv)
{
	int status = 0;

	if (getopt(argc, argv, "") != -1 || optind == argc)
		cmd_usage("DIR...");
	for (int i = optind; i < argc; i++) {
		if (rmdir(argv[i]) != 0) {
			warn("failed to remove '%s'", argv[i]);
			status = 1;
		}
	}
	return status;
}
