/*
 * ps: one line per process, from /proc: pid, parent, state (R running or
 * ready, S asleep, T stopped, Z exited and not yet collected), priority (the
 * scheduler's level, 0 highest) and nice value, resident and virtual size
 * in KiB, and the command line (/proc/PID/cmdline, its NULs as spaces;
 * "[NAME]" if it is empty).  The numbers come from /proc/PID/stat, whose
 * layout is Linux's.
 */
#include "cmd.h"
#include <dirent.h>
#include <fcntl.h>
#include <string.h>

/* The contents of /proc/pid/file (at most size - 1 bytes), NUL-ended: its
 * length, or -1 if the process is gone. */
static ssize_t read_proc(long pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Print one process; false if it is gone (or its stat is not understood). */
static bool show(long pid)
{
	char stat[1024], cmd[1024], *f[24], *open_paren, *close_paren;
	ssize_t len;
	size_t nf = 0;

	if (read_proc(pid, "stat", stat, sizeof(stat)) < 0)
		return false;
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
	open_paren = strchr(stat, '(');
	close_paren = strrchr(stat, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return false;
	*close_paren = '\0';
	for (char *s = strtok(close_paren + 1, " \n"); s && nf < 24; s = strtok(NULL, " \n"))
		f[nf++] = s;
	if (nf < 22)
		return false;
	/* f[0] is field 3 (state): ppid is 4, priority 18, nice 19, vsize 23
	 * (bytes), rss 24 (pages). */
	printf("%5ld %5s %c %3s %3s %7lld %7lld ", pid, f[1], f[0][0], f[15], f[16],
	       atoll(f[21]) * sysconf(_SC_PAGESIZE) / 1024, atoll(f[20]) / 1024);
	len = read_proc(pid, "cmdline", cmd, sizeof(cmd));
	if (len <= 0) {
		printf("[%s]\n", open_paren + 1);
		return true;
	}
	for (ssize_t i = 0; i < len - 1; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	puts(cmd);
	return true;
}

static int by_number(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	long pids[1024];
	size_t n = 0;

	if (getopt(argc, argv, "") != -1 || optind != argc)
		cmd_usage("");
	if (!(d = opendir("/proc")))
		err(1, "/proc");
	while ((e = readdir(d)) && n < sizeof(pids) / sizeof(pids[0])) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && !*end)
			pids[n++] = pid;
	}
	closedir(d);
	qsort(pids, n, sizeof(*pids), by_number);
	printf("%5s %5s %c %3s %3s %7s %7s %s\n", "PID", "PPID", 'S', "PRI", "NI", "RSS", "VSZ",
	       "COMMAND");
	for (size_t i = 0; i < n; i++)
		show(pids[i]);
	return 0;
}
