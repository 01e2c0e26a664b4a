/*
 * testlib.h: figures the test programs (forktest, memtest, sigtest,
 * sigtest2, proctest, threadtest) read from /proc, the same way on kestrel
 * and on Linux.
 * Include it from user/NAME.c with #include "testlib.h".
 */
#ifndef USER_TESTLIB_H
#define USER_TESTLIB_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

/* MemFree + Slab + Cached of /proc/meminfo in kB (what a program that
 * must give back every frame compares: the heap and the page cache hold
 * frames too), or -1. */
static inline long testlib_memory_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long total = 0, v;
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %ld kB", &v) == 1 ||
		    sscanf(line, "Slab: %ld kB", &v) == 1 ||
		    sscanf(line, "Cached: %ld kB", &v) == 1) {
			total += v;
			found++;
		}
	}
	fclose(f);
	return found == 3 ? total : -1;
}

/* The calling process's resident memory, VmRSS of /proc/self/status in
 * kB (its own pages only: no noise from the kernel's tables and heap), or
 * -1. */
static inline long testlib_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* How many processes /proc lists, or -1. */
static inline int testlib_count_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

/* The state letter of /proc/PID/stat (R, S, T, Z...), or 0. */
static inline char testlib_proc_state(int pid)
{
	char path[64], buf[512], *p = NULL;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name, field 2, may hold blanks: the state follows its last ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

#endif
