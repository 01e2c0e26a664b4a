/*
 * fifotest: named pipes, poll and select, and tmpfs, as Linux has them.
 *
 *     fifotest reader [SEED] & fifotest writer [SEED]    (two processes)
 *     fifotest open | mknod | poll | select | masks | console | tmpfs |
 *              mount | fatfifo FATDIR [FUSEDIR] | all
 *
 * Every check prints "fifotest: GROUP: WHAT: ok" or "... FAILED (why)",
 * or, for a value, "fifotest: GROUP: WHAT: expected E, got G ok|FAILED"
 * (E is Linux's answer; the grader holds its own table of them); the last
 * line is "fifotest: N passed, M failed" and the status is 0 only if all
 * passed.  Lines without ok or FAILED are facts for the grader to check
 * against what it computes:
 *
 *   reader: pid P ppid Q           writer: pid P ppid Q
 *   reader: N bytes crc32 X        writer: N bytes sent
 *       reader and writer are started apart (the kernel's run=A&B), meet
 *       at the FIFO FIFO_RW and pass DATA_BYTES of the xorshift32 stream of
 *       SEED (each byte the low 8 bits of the next state), written and
 *       read in pieces of 1 to CHUNK_MAX bytes
 *   open: capacity N               a FIFO filled with O_NONBLOCK
 *   poll: timeout T ms: N ready after E ms   (pipe, FIFO and console idle)
 *   select: timeout T ms: N ready after E ms, left S.UUUUUU
 *   tmpfs: wrote N bytes: Shmem +S kB        tmpfs: read back N bytes crc32 X
 *   tmpfs: freed: Shmem A -> B kB, MemFree+Slab C -> D kB
 *
 * `all` runs open, mknod, poll, select, masks and tmpfs; console waits for
 * a line typed on the terminal, mount needs to be root on Linux, fatfifo
 * wants a directory of the FAT volume (kestrel's /var/tmp) and, if given,
 * one of a FUSE server without MKNOD (hellofs), which it unmounts at the
 * end.  The program runs on Linux too (Debian's musl-gcc -static), where
 * the checks that only hold on kestrel say "skipped on Linux".
 */
#define _GNU_SOURCE
#include "fifotest.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
volatile int sigusr1_count;

void check(const char *group, const char *what, const char *why)
{
	if (why)
		printf("fifotest: %s: %s: FAILED (%s)\n", group, what, why);
	else
		printf("fifotest: %s: %s: ok\n", group, what);
	fflush(stdout);
	if (why)
		failed++;
	else
		passed++;
}

void check_val(const char *group, const char *what, const char *expected, const char *got)
{
	int ok = strcmp(expected, got) == 0;

	printf("fifotest: %s: %s: expected %s, got %s %s\n", group, what, expected, got,
	       ok ? "ok" : "FAILED");
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

void fact(const char *group, const char *fmt, ...)
{
	va_list ap;

	printf("fifotest: %s: ", group);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* One of eight buffers, in turn: the strings of err_of, num and events. */
static char *ring_buf(void)
{
	static char bufs[8][96];
	static unsigned next;

	return bufs[next++ % 8];
}

const char *err_of(long r)
{
	static const struct {
		int num;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },       { EINTR, "EINTR" },
		{ ENXIO, "ENXIO" },   { EBADF, "EBADF" },         { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" },       { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" },     { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" }, { ESPIPE, "ESPIPE" },       { EPIPE, "EPIPE" },
		{ ENOSPC, "ENOSPC" }, { ENOTEMPTY, "ENOTEMPTY" }, { ENOSYS, "ENOSYS" },
		{ EFBIG, "EFBIG" },   { EROFS, "EROFS" },
	};
	char *buf;

	if (r >= 0)
		return "0";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].num == errno)
			return names[i].name;
	buf = ring_buf();
	snprintf(buf, 96, "errno %d", errno);
	return buf;
}

const char *num(long v)
{
	char *buf = ring_buf();

	snprintf(buf, 96, "%ld", v);
	return buf;
}

const char *events(short ev)
{
	static const struct {
		short bit;
		const char *name;
	} names[] = {
		{ POLLIN, "POLLIN" },   { POLLPRI, "POLLPRI" }, { POLLOUT, "POLLOUT" },
		{ POLLERR, "POLLERR" }, { POLLHUP, "POLLHUP" }, { POLLNVAL, "POLLNVAL" },
	};
	char *buf = ring_buf();

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(ev & names[i].bit))
			continue;
		if (buf[0])
			strcat(buf, "|");
		strcat(buf, names[i].name);
		ev &= (short)~names[i].bit;
	}
	if (ev)
		snprintf(buf + strlen(buf), 96 - strlen(buf), "%s0x%x", buf[0] ? "|" : "", ev);
	return buf[0] ? buf : "0";
}

long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

int wait_asleep(pid_t pid)
{
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 10000; i++) {
		FILE *f = fopen(path, "r");
		char *paren = NULL;

		if (f && fgets(line, sizeof(line), f))
			paren = strrchr(line, ')');
		if (f)
			fclose(f);
		if (paren && paren[1] == ' ' && paren[2] == 'S')
			return 0;
		sleep_ms(1);
	}
	return -1;
}

volatile int *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("fifotest: mmap");
		exit(1);
	}
	return p;
}

static void on_sigusr1(int sig)
{
	(void)sig;
	sigusr1_count++;
}

void sigusr1_catch(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }; /* no SA_RESTART */

	sigaction(SIGUSR1, &sa, NULL);
}

uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);

		if (k <= 0)
			return -1;
		c += k, n -= (size_t)k;
	}
	return 0;
}

long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t len = strlen(field);
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

int on_kestrel(void)
{
	struct utsname u;

	return uname(&u) == 0 && strcmp(u.sysname, "kestrel") == 0;
}

/* Run the group called name (with the arguments after it). */
static int run(const char *name, int argc, char *argv[])
{
	uint32_t seed = argc > 0 ? (uint32_t)strtoul(argv[0], NULL, 0) : 1;
	int all = strcmp(name, "all") == 0;

	if (strcmp(name, "reader") == 0)
		test_reader(seed ? seed : 1);
	else if (strcmp(name, "writer") == 0)
		test_writer(seed ? seed : 1);
	else if (strcmp(name, "console") == 0)
		test_console();
	else if (strcmp(name, "mount") == 0)
		test_tmpfs_mount();
	else if (strcmp(name, "fatfifo") == 0 && argc > 0)
		test_fatfifo(argv[0], argc > 1 ? argv[1] : NULL);
	if (all || strcmp(name, "open") == 0)
		test_open();
	if (all || strcmp(name, "mknod") == 0)
		test_mknod();
	if (all || strcmp(name, "poll") == 0)
		test_poll();
	if (all || strcmp(name, "select") == 0)
		test_select();
	if (all || strcmp(name, "masks") == 0)
		test_masks();
	if (all || strcmp(name, "tmpfs") == 0)
		test_tmpfs();
	return passed + failed > 0;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || !run(argv[1], argc - 2, argv + 2)) {
		fprintf(stderr,
			"usage: fifotest reader|writer [SEED] | open | mknod | poll | "
			"select | masks | console | tmpfs | mount | fatfifo FATDIR [FUSEDIR] "
			"| all\n");
		return 2;
	}
	printf("fifotest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
