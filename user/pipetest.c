/*
 * pipetest: pipe(2) and pipe2(2) as Linux has them (pipe(7)).
 *
 * Each test prints "pipetest: NAME: ok" or "pipetest: NAME: FAILED (why)";
 * the last line is "pipetest: N passed, M failed" and the exit status is 0
 * only if all passed.  Some lines carry facts for the grader to check
 * against its own computation:
 *
 *   pipetest: data: N bytes crc32 XXXXXXXX   what came through the pipe
 *   pipetest: capacity: N bytes               a full non-blocking pipe
 *   pipetest: partial: N bytes                a big write into a page of room
 *   pipetest: atomic: W writers R records M mixed
 *   pipetest: sigpipe: status S               a child writing to no reader
 *
 * The data: `pipetest SEED` (default 1) sends DATA_BYTES bytes of the
 * xorshift32 stream seeded with SEED (each byte the low 8 bits of the next
 * state) from a child to its parent in chunks of varying sizes, read back
 * in other sizes.  Runs on Linux too, with the same lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATA_BYTES (300 * 1000)
#define PIPE_CAP   65536
#define NWRITERS   4
#define NRECORDS   64 /* per writer */
#define RECORD     4096

static int passed, failed;
static char buf[PIPE_CAP + RECORD];
static void *volatile bad_ptr = (void *)8; /* an address nothing is mapped at */

static void result(const char *name, const char *why)
{
	if (why) {
		printf("pipetest: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("pipetest: %s: ok\n", name);
		passed++;
	}
	fflush(stdout);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Write all n bytes (a pipe may take fewer at a time). */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return -1;
		p += k, n -= (size_t)k;
	}
	return 0;
}

/* The child's half of "data": DATA_BYTES of the stream, in chunks of 1 to
 * 9000 bytes (some above PIPE_BUF, some above what is free). */
static void data_writer(int fd, uint32_t seed)
{
	uint32_t s = seed, sizes = 7;
	size_t left = DATA_BYTES;

	while (left > 0) {
		size_t n = 1 + xorshift32(&sizes) % 9000;

		if (n > left)
			n = left;
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)xorshift32(&s);
		if (write_all(fd, buf, n) != 0)
			_exit(1);
		left -= n;
	}
	_exit(0);
}

static void test_data(uint32_t seed)
{
	int fds[2], status;
	uint32_t crc = 0, sizes = 11;
	size_t total = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return result("data", "pipe failed");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		data_writer(fds[1], seed);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, 1 + xorshift32(&sizes) % 20000)) > 0) {
		crc = crc32_update(crc, (unsigned char *)buf, (size_t)n);
		total += (size_t)n;
	}
	printf("pipetest: data: %zu bytes crc32 %08x\n", total, crc);
	result("eof", n == 0 ? NULL : "the last read was not 0 (end of file)");
	close(fds[0]);
	waitpid(pid, &status, 0);
	result("data", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL : "the writer failed");
}

/* SIGPIPE: a writer with no reader.  Ignored, the write is EPIPE; by
 * default it kills the writer. */
static void test_epipe(void)
{
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0)
		return result("epipe", "pipe failed");
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	if (write(fds[1], "x", 1) != -1 || errno != EPIPE)
		result("epipe", "a write with no reader was not EPIPE");
	else
		result("epipe", NULL);
	signal(SIGPIPE, SIG_DFL);
	pid = fork();
	if (pid == 0) {
		write(fds[1], "x", 1);
		_exit(errno == EPIPE ? 100 : 101); /* only if SIGPIPE did not kill it */
	}
	close(fds[1]);
	waitpid(pid, &status, 0);
	printf("pipetest: sigpipe: status %d\n", status);
	fflush(stdout);
}

static void test_nonblock(void)
{
	int fds[2];
	const char *why = NULL;
	size_t total = 0;
	ssize_t n;

	if (pipe2(fds, O_NONBLOCK) != 0)
		return result("eagain", "pipe2(O_NONBLOCK) failed");
	errno = 0;
	if (read(fds[0], buf, 10) != -1 || errno != EAGAIN)
		why = "reading an empty pipe was not EAGAIN";
	while ((n = write(fds[1], buf, RECORD)) > 0)
		total += (size_t)n;
	printf("pipetest: capacity: %zu bytes\n", total);
	if (!why && (n != -1 || errno != EAGAIN))
		why = "writing a full pipe was not EAGAIN";
	/* With 100 bytes of room an atomic write of PIPE_BUF must not go in;
	 * with a page of room, a larger one goes in partly. */
	read(fds[0], buf, 100);
	errno = 0;
	if (write(fds[1], buf, RECORD) != -1 || errno != EAGAIN)
		why = why ? why : "a PIPE_BUF write into 100 bytes of room was not EAGAIN";
	read(fds[0], buf, RECORD - 100);
	printf("pipetest: partial: %zd bytes\n", write(fds[1], buf, 2 * RECORD));
	close(fds[0]);
	close(fds[1]);
	result("eagain", why);
}

/* Several writers, each writing PIPE_BUF-sized records of its own letter
 * into a full pipe that the reader drains slowly in small pieces: no record
 * may be mixed with another's bytes. */
static void test_atomic(void)
{
	int fds[2], mixed = 0, records = 0, bad = 0;
	pid_t pids[NWRITERS];
	static char all[NWRITERS * NRECORDS * RECORD];
	size_t got = 0;
	ssize_t n;

	if (pipe(fds) != 0)
		return result("atomic", "pipe failed");
	for (int w = 0; w < NWRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(fds[0]);
			memset(buf, 'A' + w, RECORD);
			for (int r = 0; r < NRECORDS; r++)
				if (write(fds[1], buf, RECORD) != RECORD)
					_exit(1);
			_exit(0);
		}
	}
	close(fds[1]);
	pause_ms(50); /* let the writers fill the pipe and wait */
	while (got < sizeof(all) && (n = read(fds[0], all + got, 1000)) > 0)
		got += (size_t)n;
	for (size_t r = 0; r + RECORD <= got; r += RECORD, records++)
		for (size_t i = 1; i < RECORD; i++)
			if (all[r + i] != all[r]) {
				mixed++;
				break;
			}
	/* Closed before the wait: a writer still blocked (the reader stopped
	 * at an error) gets EPIPE instead of waiting for it for ever. */
	close(fds[0]);
	for (int w = 0; w < NWRITERS; w++) {
		int status;

		waitpid(pids[w], &status, 0);
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	printf("pipetest: atomic: %d writers %d records %d mixed\n", NWRITERS, records, mixed);
	result("atomic", bad ? "a writer failed" : got != sizeof(all) ? "bytes missing" : NULL);
}

/* Errors, and what the ends are. */
static void test_errors(void)
{
	int fds[2], avail = -1;
	const char *why = NULL;
	struct stat st;

	if (pipe(fds) != 0)
		return result("errors", "pipe failed");
	errno = 0;
	if (write(fds[0], "x", 1) != -1 || errno != EBADF)
		why = "write to the read end was not EBADF";
	else if (read(fds[1], buf, 1) != -1 || errno != EBADF)
		why = "read from the write end was not EBADF";
	else if (syscall(22, bad_ptr) != -1 || errno != EFAULT)
		why = "pipe(bad pointer) was not EFAULT";
	else if (pipe2(fds, 0x40000000) != -1 || errno != EINVAL)
		why = "pipe2 with an unknown flag was not EINVAL";
	else if (write(fds[1], bad_ptr, 5) != -1 || errno != EFAULT)
		why = "write from a bad pointer was not EFAULT";
	else if (write(fds[1], "hello", 5) != 5 || ioctl(fds[0], FIONREAD, &avail) != 0 ||
		 avail != 5)
		why = "FIONREAD did not say 5";
	else if (read(fds[0], bad_ptr, 5) != -1 || errno != EFAULT)
		why = "read into a bad pointer was not EFAULT";
	else if (read(fds[0], buf, 100) != 5)
		why = "the bytes did not stay after the EFAULT";
	else if (lseek(fds[0], 0, SEEK_SET) != -1 || errno != ESPIPE)
		why = "lseek was not ESPIPE";
	else if (fstat(fds[0], &st) != 0 || !S_ISFIFO(st.st_mode))
		why = "fstat does not say S_IFIFO";
	else if (isatty(fds[0]) || errno != ENOTTY)
		why = "isatty is not false with ENOTTY";
	else if (fcntl(fds[0], F_GETPIPE_SZ) != PIPE_CAP)
		why = "F_GETPIPE_SZ is not 65536";
	else if (close(fds[0]) != 0 || close(fds[1]) != 0 || close(fds[0]) != -1 || errno != EBADF)
		why = "closing twice was not EBADF";
	result("errors", why);
}

/* O_CLOEXEC marks both descriptors; the ends survive dup and fork, and the
 * reader sees end of file only when every copy of the write end is gone. */
static void test_dup_fork(void)
{
	int fds[2], extra, status;
	const char *why = NULL;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return result("dup+fork", "pipe2(O_CLOEXEC) failed");
	if (fcntl(fds[0], F_GETFD) != FD_CLOEXEC || fcntl(fds[1], F_GETFD) != FD_CLOEXEC)
		why = "O_CLOEXEC did not mark both descriptors";
	extra = dup(fds[1]);
	close(fds[1]);
	pid = fork();
	if (pid == 0) {
		pause_ms(30);
		_exit(write(extra, "child", 5) == 5 ? 0 : 1);
	}
	close(extra); /* the child's copy remains */
	if (!why && (read(fds[0], buf, 100) != 5 || memcmp(buf, "child", 5) != 0))
		why = "the child's write through a dup'ed end did not arrive";
	if (!why && read(fds[0], buf, 100) != 0)
		why = "no end of file after the child exited";
	waitpid(pid, &status, 0);
	close(fds[0]);
	result("dup+fork", why);
}

/* A writer blocked on a full pipe gets EPIPE when the reader goes; a
 * reader blocked on an empty one gets 0 when the writer goes. */
static void test_close_wakes(void)
{
	int fds[2], status;
	const char *why = NULL;
	pid_t pid;

	if (pipe(fds) != 0)
		return result("close wakes", "pipe failed");
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		pause_ms(30);
		_exit(0); /* closes the read end */
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 20 && !why; i++) /* more than fits: blocks */
		if (write(fds[1], buf, RECORD) != RECORD)
			why = errno == EPIPE ? "" : "a write failed, not with EPIPE";
	if (!why)
		why = "20 pages went into a pipe without a reader";
	else if (!*why)
		why = NULL;
	signal(SIGPIPE, SIG_DFL);
	close(fds[1]);
	waitpid(pid, &status, 0);
	if (!why && pipe(fds) == 0) {
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			pause_ms(30);
			_exit(0);
		}
		close(fds[1]);
		if (read(fds[0], buf, 10) != 0)
			why = "a blocked read did not end with 0 when the writer exited";
		close(fds[0]);
		waitpid(pid, &status, 0);
	}
	result("close wakes", why);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A read blocked on an empty pipe ends with EINTR when a signal with a
 * handler (no SA_RESTART) arrives. */
static void test_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int fds[2];
	pid_t pid, parent = getpid();
	ssize_t n;

	if (pipe(fds) != 0)
		return result("eintr", "pipe failed");
	sigaction(SIGUSR1, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		pause_ms(30);
		kill(parent, SIGUSR1);
		pause_ms(30);
		_exit(0); /* the write end closes: a kernel without signals ends here */
	}
	close(fds[1]);
	n = read(fds[0], buf, 10);
	result("eintr", n == -1 && errno == EINTR ? NULL : "the read did not end with EINTR");
	close(fds[0]);
	waitpid(pid, NULL, 0);
	signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char *argv[])
{
	uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1;

	if (seed == 0)
		seed = 1;
	test_data(seed);
	test_errors();
	test_nonblock();
	test_epipe();
	test_atomic();
	test_dup_fork();
	test_close_wakes();
	test_eintr();
	printf("pipetest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
