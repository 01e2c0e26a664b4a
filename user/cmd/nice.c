/*
 * nice [-n N] [COMMAND [ARG...]]: run a command with its nice value raised
 * by N (10 without -n; negative: a higher priority), or without a command
 * print the current nice value.
 *
 * kestrel's nice values are its scheduler's levels (sched.h: 8 levels, 0
 * the highest, 4 the default) minus the default: -4..3, so any nice value
 * of 3 and above is the lowest level (kernel/syscall/sys_prio.c).  They
 * are set through Linux's calls (musl's nice and getpriority), and execve
 * keeps them.
 */
#include "cmd.h"
#include <sys/resource.h>

int main(int argc, char **argv)
{
	long n = 10;
	int c;

	while ((c = getopt(argc, argv, "+n:")) != -1) {
		if (c != 'n')
			cmd_usage("[-n N] [COMMAND [ARG...]]");
		n = cmd_number(optarg, -40, 40, "adjustment");
	}
	if (optind == argc) {
		errno = 0;
		c = getpriority(PRIO_PROCESS, 0);
		if (c == -1 && errno)
			err(1, "getpriority");
		printf("%d\n", c);
		return 0;
	}
	errno = 0;
	if (nice((int)n) == -1 && errno)
		warn("cannot set the nice value");
	execvp(argv[optind], argv + optind);
	err(errno == ENOENT ? 127 : 126, "%s", argv[optind]);
}
