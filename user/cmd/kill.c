/*
 * kill [-SIGNAL | -s SIGNAL] PID..., kill -l: send a signal (SIGTERM
 * unless named; by name, with or without "SIG", or by number) to
 * processes, or list the signals' names.
 */
#include "cmd.h"
#include <ctype.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

/* Linux's names of signals 1..31. */
static const char *const names[] = {
	NULL,   "HUP",  "INT",  "QUIT", "ILL",    "TRAP",   "ABRT",  "BUS",  "FPE",  "KILL", "USR1",
	"SEGV", "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD",  "CONT", "STOP", "TSTP", "TTIN",
	"TTOU", "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "POLL", "PWR",  "SYS",
};
#define NNAMES ((int)(sizeof(names) / sizeof(names[0])))

/* A signal by name or number: its number, or -1. */
static int signal_number(const char *s)
{
	char *end;
	long v;

	if (isdigit((unsigned char)s[0])) {
		v = strtol(s, &end, 10);
		return *end || v < 0 || v > 64 ? -1 : (int)v;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NNAMES; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

static _Noreturn void usage(void)
{
	cmd_usage("[-SIGNAL | -s SIGNAL] PID... | -l");
}

int main(int argc, char **argv)
{
	int sig = SIGTERM, i = 1, status = 0;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-l") == 0) {
		if (argc > 2)
			usage();
		for (int s = 1; s < NNAMES; s++)
			printf("%2d) SIG%s\n", s, names[s]);
		return 0;
	}
	if (strcmp(argv[1], "-s") == 0) {
		if (argc < 3)
			usage();
		sig = signal_number(argv[2]);
		i = 3;
	} else if (argv[1][0] == '-' && argv[1][1] && strcmp(argv[1], "--") != 0) {
		sig = signal_number(argv[1] + 1);
		i = 2;
	}
	if (sig < 0)
		errx(2, "%s: invalid signal", argv[i - 1]);
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i == argc)
		usage();
	for (; i < argc; i++) {
		char *end;
		long pid = strtol(argv[i], &end, 10);

		if (!*argv[i] || *end) {
			warnx("%s: invalid process id", argv[i]);
			status = 1;
		} else if (kill((pid_t)pid, sig) != 0) {
			warn("(%ld)", pid);
			status = 1;
		}
	}
	return status;
}
