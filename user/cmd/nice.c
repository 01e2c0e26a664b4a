/*
 * nice [-n N] [COMMAND [ARG...]]: run a command at a lower (N > 0) or
 * higher (N < 0) priority: N levels of kestrel's scheduler (sched.h: 8
 * levels, 0 the highest, 4 the default), 10 without -n, kept within
 * 0..7.  Without a command, print the current nice value: the level
 * minus the default (-4..3), as /proc/PID/stat shows it.
 *
 * The level is the calling thread's (os_setpriority(0, level)), which
 * execve keeps.
 */
#include "cmd.h"
#include <os/os.h>

#define PRIO_DEFAULT 4
#define PRIO_LOWEST  7

int main(int argc, char **argv)
{
	long n = 10;
	int c, level;

	while ((c = getopt(argc, argv, "+n:")) != -1) {
		if (c != 'n')
			cmd_usage("[-n N] [COMMAND [ARG...]]");
		n = cmd_number(optarg, -100, 100, "adjustment");
	}
	if ((level = os_getpriority(0)) < 0)
		err(1, "os_getpriority");
	if (optind == argc) {
		printf("%d\n", level - PRIO_DEFAULT);
		return 0;
	}
	level += (int)n;
	level = level < 0 ? 0 : level > PRIO_LOWEST ? PRIO_LOWEST : level;
	if (os_setpriority(0, level) != 0)
		warn("cannot set the priority to %d", level);
	execvp(argv[optind], argv + optind);
	err(errno == ENOENT ? 127 : 126, "%s", argv[optind]);
}
