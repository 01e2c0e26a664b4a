/*
 * ps: one line per process, from /proc: pid, parent, state (R running or
 * ready, S asleep, T stopped, Z exited and not yet collected), priority (the
 * scheduler's level, 0 highest) and nice value, resident and virtual size
 * in KiB, and the command line (/proc/PID/cmdline, its NULs as spaces;
 * "[NAME]" if it is empty).  The numbers come from /proc/PID/stat, whose
 * layout is Linux's.
 *
 * `ps -T` shows threads: a line per thread of each process, with its tid
 * (SPID) and its own state and priority from /proc/PID/task/TID/stat.
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

/* Print one process, or with tid > 0 one thread of it; false if it is
 * gone (or its stat is not understood). */
static bool show(long pid, long tid)
{
	char stat[1024], cmd[1024], file[48], *f[24], *open_paren, *close_paren;
	ssize_t len;
	size_t nf = 0;

	snprintf(file, sizeof(file), tid > 0 ? "task/%ld/stat" : "stat", tid);
	if (read_proc(pid, file, stat, sizeof(stat)) < 0)
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
	printf("%5ld ", pid);
	if (tid > 0)
		printf("%5ld ", tid);
	printf("%5s %c %3s %3s %7lld %7lld ", f[1], f[0][0], f[15], f[16],
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

/* The numbers among the names of directory path, sorted, into ids[]
 * (at most max): how many; -1 if it cannot be read. */
static long list_ids(const char *path, long *ids, size_t max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long id = strtol(e->d_name, &end, 10);

		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && !*end)
			ids[n++] = id;
	}
	closedir(d);
	qsort(ids, n, sizeof(*ids), by_number);
	return (long)n;
}

/* Each thread of process pid. */
static void show_threads(long pid)
{
	char path[48];
	long tids[512], n;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	n = list_ids(path, tids, sizeof(tids) / sizeof(tids[0]));
	for (long i = 0; i < n; i++)
		show(pid, tids[i]);
}

int main(int argc, char **argv)
{
	static long pids[1024];
	bool threads = false;
	long n;
	int c;

	while ((c = getopt(argc, argv, "T")) != -1) {
		if (c != 'T')
			cmd_usage("[-T]");
		threads = true;
	}
	if (optind != argc)
		cmd_usage("[-T]");
	n = list_ids("/proc", pids, sizeof(pids) / sizeof(pids[0]));
	if (n < 0)
		err(1, "/proc");
	printf("%5s ", "PID");
	if (threads)
		printf("%5s ", "SPID");
	printf("%5s %c %3s %3s %7s %7s %s\n", "PPID", 'S', "PRI", "NI", "RSS", "VSZ", "COMMAND");
	for (long i = 0; i < n; i++) {
		if (threads)
			show_threads(pids[i]);
		else
			show(pids[i], 0);
	}
	return 0;
}
