/*
 * sleep SECONDS: wait that long (a decimal number, fractions allowed).
 */
#include "cmd.h"
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	char *end;
	double secs;

	if (getopt(argc, argv, "") != -1 || argc - optind != 1)
		cmd_usage("SECONDS");
	secs = strtod(argv[optind], &end);
	if (end == argv[optind] || *end || !(secs >= 0) || secs > 1e9)
		errx(2, "%s: invalid time interval", argv[optind]);
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		if (errno != EINTR)
			err(1, "nanosleep");
	return 0;
}
