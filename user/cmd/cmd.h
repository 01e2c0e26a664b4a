/*
 * cmd.h: what the utilities of user/cmd/ share.
 *
 * Each utility is one file, user/cmd/NAME.c, built into /bin/NAME (the
 * pattern rule in libc/libc.mk).  They use musl's facilities (stdio,
 * getopt, opendir/readdir, regex) and follow one convention for mistakes:
 *
 *   - a bad option or operand: "usage: NAME SYNOPSIS" on stderr, status 2
 *     (cmd_usage), or "NAME: WHAT: invalid NUMBER" for a bad number
 *     (cmd_number);
 *   - a failing call: "NAME: OPERAND: strerror(errno)" on stderr (musl's
 *     warn/err from <err.h>, which name the program by argv[0]) and status
 *     1 at the end, after the other operands were tried, as coreutils do.
 *
 * Include this first: it asks for musl's GNU extensions
 * (program_invocation_short_name).
 */
#ifndef CMD_H
#define CMD_H

#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* "usage: NAME synopsis" on stderr, then exit with status 2. */
static inline _Noreturn void cmd_usage(const char *synopsis)
{
	fprintf(stderr, "usage: %s %s\n", program_invocation_short_name, synopsis);
	exit(2);
}

/* The decimal number s, which must lie in [min, max]; otherwise
 * "NAME: s: invalid what" and exit with status 2. */
static inline long cmd_number(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		errx(2, "%s: invalid %s", s, what);
	return v;
}

#endif
