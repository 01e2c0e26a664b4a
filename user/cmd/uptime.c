/*
 * uptime: the time, how long the system has been up (from /proc/uptime)
 * and how many processes there are (the numbered entries of /proc):
 * " HH:MM:SS up TIME, N processes", TIME as procps prints it ("5 min",
 * "1:05", "2 days, 1:05"), then the seconds exactly in parentheses.
 */
#include "cmd.h"
#include <dirent.h>
#include <time.h>

static int count_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		err(1, "/proc");
	while ((e = readdir(d)))
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	double up;
	long mins, days;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (getopt(argc, argv, "") != -1 || optind != argc)
		cmd_usage("");
	if (!(f = fopen("/proc/uptime", "r")) || fscanf(f, "%lf", &up) != 1)
		err(1, "/proc/uptime");
	fclose(f);
	gmtime_r(&now, &tm);
	printf(" %02d:%02d:%02d up ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	mins = (long)up / 60;
	days = mins / (24 * 60);
	mins %= 24 * 60;
	if (days)
		printf("%ld day%s, ", days, days == 1 ? "" : "s");
	if (mins >= 60)
		printf("%2ld:%02ld", mins / 60, mins % 60);
	else
		printf("%ld min", mins);
	printf(", %d processes (%.2f s)\n", count_processes(), up);
	return 0;
}
