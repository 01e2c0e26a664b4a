/*
 * poll.c: poll(2), select(2), ppoll and pselect.  What each kind of
 * descriptor reports (pipes and FIFOs at each stage of their life,
 * /dev/null, a regular file, a closed descriptor), timeouts with nothing
 * ready over a pipe, a FIFO and the console, waking when another process
 * writes or closes, errors as Linux's, select's sets and its time left,
 * and the signal masks of ppoll and pselect (masks).  console waits for a
 * line typed on the terminal.  The time select leaves in its timeval is
 * the system call's (musl's select passes a copy): SYS_select is called
 * itself there.
 */
#define _GNU_SOURCE
#include "fifotest.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IDLE_MS  120 /* the timeout of the idle waits */
#define NOT_OPEN 250 /* a descriptor that is not open */
#define MANY     100 /* entries of the long poll: beyond its first chunks */

/* Poll fd alone for ev, without waiting: its revents ("-1" on error). */
static const char *poll_one(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };

	return poll(&p, 1, 0) < 0 ? err_of(-1) : events(p.revents);
}

/* Fork a child that waits until this process sleeps, then does what; the
 * child's pid.  what: 'w' write a byte to fd, 'c' exit (closing fd),
 * 'k' send SIGUSR1. */
static pid_t helper(char what, int fd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	if (wait_asleep(parent) != 0)
		_exit(2);
	if (what == 'w')
		_exit(write(fd, "w", 1) == 1 ? 0 : 1);
	if (what == 'k')
		kill(parent, SIGUSR1);
	_exit(0);
}

static void reap(pid_t pid)
{
	waitpid(pid, NULL, 0);
}

/* Nothing ready over a pipe, a FIFO and the console: 0 after IDLE_MS. */
static void poll_idle(void)
{
	int a[2], fr, fw, n;
	struct pollfd p[3];
	long t0, ms;

	pipe(a);
	unlink("/tmp/fifotest-idle");
	mkfifo("/tmp/fifotest-idle", 0600);
	fr = open("/tmp/fifotest-idle", O_RDONLY | O_NONBLOCK);
	fw = open("/tmp/fifotest-idle", O_WRONLY | O_NONBLOCK); /* no POLLHUP */
	p[0] = (struct pollfd){ a[0], POLLIN, 0 };
	p[1] = (struct pollfd){ fr, POLLIN, 0 };
	p[2] = (struct pollfd){ 0, POLLIN, 0 };
	t0 = now_ms();
	n = poll(p, 3, IDLE_MS);
	ms = now_ms() - t0;
	fact("poll", "timeout %d ms: %d ready after %ld ms", IDLE_MS, n, ms);
	check("poll", "pipe, FIFO and console idle: 0 once the time is up",
	      n == 0 && ms >= IDLE_MS ? NULL : "too early, or something was ready");
	close(a[0]), close(a[1]), close(fr), close(fw);
	unlink("/tmp/fifotest-idle");
}

/* What each kind of descriptor says. */
static void poll_states(void)
{
	int b[2], c[2], fd = open("/tmp/fifotest-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char byte;
	int nul = open("/dev/null", O_RDWR);
	struct pollfd p[3] = { { nul, POLLIN, 0 }, { -1, POLLIN, 0 }, { NOT_OPEN, POLLIN, 0 } };

	pipe(b);
	check_val("poll", "an empty pipe's read end", "0", poll_one(b[0], POLLIN | POLLOUT));
	check_val("poll", "an empty pipe's write end", "POLLOUT", poll_one(b[1], POLLIN | POLLOUT));
	write(b[1], "x", 1);
	check_val("poll", "a pipe with a byte in it", "POLLIN", poll_one(b[0], POLLIN));
	close(b[1]);
	check_val("poll", "the byte, and no writer left", "POLLIN|POLLHUP", poll_one(b[0], POLLIN));
	read(b[0], &byte, 1);
	check_val("poll", "no byte, no writer", "POLLHUP", poll_one(b[0], POLLIN));
	check_val("poll", "POLLHUP asked or not", "POLLHUP", poll_one(b[0], 0));
	close(b[0]);
	pipe(c);
	close(c[0]);
	check_val("poll", "a pipe with no reader left", "POLLOUT|POLLERR", poll_one(c[1], POLLOUT));
	check_val("poll", "POLLERR asked or not", "POLLERR", poll_one(c[1], 0));
	close(c[1]);
	check_val("poll", "/dev/null", "POLLIN|POLLOUT", poll_one(nul, POLLIN | POLLOUT));
	check_val("poll", "a regular file in /tmp", "POLLIN|POLLOUT",
		  poll_one(fd, POLLIN | POLLOUT));
	check_val("poll", "only what was asked", "POLLOUT", poll_one(fd, POLLOUT));
	check_val("poll", "a descriptor that is not open", "POLLNVAL", poll_one(NOT_OPEN, POLLIN));
	check_val("poll", "/dev/null, fd -1, fd not open: how many", "2", num(poll(p, 3, 0)));
	check_val("poll", "... and their revents", "POLLIN 0 POLLNVAL",
		  strcmp(events(p[1].revents), "0") == 0 && p[0].revents == POLLIN &&
				  p[2].revents == POLLNVAL
			  ? "POLLIN 0 POLLNVAL"
			  : "other");
	close(fd);
	close(nul);
	unlink("/tmp/fifotest-file");
}

static void poll_errors(void)
{
	struct pollfd p[17];
	struct rlimit old, low;
	struct timespec bad = { 0, 1000000000 };
	sigset_t none;

	for (int i = 0; i < 17; i++)
		p[i] = (struct pollfd){ -1, POLLIN, 0 };
	check_val("poll", "a bad pointer", "EFAULT", err_of(poll((struct pollfd *)8, 1, 0)));
	getrlimit(RLIMIT_NOFILE, &old);
	low = (struct rlimit){ 16, old.rlim_max };
	setrlimit(RLIMIT_NOFILE, &low);
	check_val("poll", "16 entries under RLIMIT_NOFILE 16", "0", err_of(poll(p, 16, 0)));
	check_val("poll", "17 entries under RLIMIT_NOFILE 16", "EINVAL", err_of(poll(p, 17, 0)));
	setrlimit(RLIMIT_NOFILE, &old);
	sigemptyset(&none);
	check_val("poll", "ppoll with tv_nsec 1e9", "EINVAL",
		  err_of(syscall(SYS_ppoll, p, 1, &bad, NULL, 8)));
	check_val("poll", "ppoll with a 4-byte sigset", "EINVAL",
		  err_of(syscall(SYS_ppoll, p, 1, NULL, &none, 4)));
}

/* Sleeping polls that another process ends. */
static void poll_wakes(void)
{
	struct pollfd p[MANY];
	int d[2], e[2], fr, fw, n;
	char byte;
	pid_t pid;

	pipe(d);
	pid = helper('w', d[1]);
	p[0] = (struct pollfd){ d[0], POLLIN, 0 };
	n = poll(p, 1, -1);
	check_val("poll", "woken by another process's write", "POLLIN",
		  n == 1 ? events(p[0].revents) : err_of(n));
	reap(pid);
	read(d[0], &byte, 1);
	for (int i = 0; i < MANY; i++)
		p[i] = (struct pollfd){ d[0], POLLIN, 0 };
	pid = helper('w', d[1]);
	check_val("poll", "100 entries of one pipe, woken", "100", num(poll(p, MANY, 10000)));
	reap(pid);
	close(d[0]), close(d[1]);
	pipe(e);
	pid = helper('c', e[1]);
	close(e[1]); /* the child's copy is the last */
	p[0] = (struct pollfd){ e[0], POLLIN, 0 };
	n = poll(p, 1, 10000);
	check_val("poll", "woken by the last writer's exit", "POLLHUP",
		  n == 1 ? events(p[0].revents) : err_of(n));
	reap(pid);
	close(e[0]);
	unlink("/tmp/fifotest-wake");
	mkfifo("/tmp/fifotest-wake", 0600);
	fr = open("/tmp/fifotest-wake", O_RDONLY | O_NONBLOCK);
	fw = open("/tmp/fifotest-wake", O_WRONLY); /* no POLLHUP when the child goes */
	pid = fork();
	if (pid == 0) {
		int w = open("/tmp/fifotest-wake", O_WRONLY);

		_exit(wait_asleep(getppid()) == 0 && write(w, "f", 1) == 1 ? 0 : 1);
	}
	p[0] = (struct pollfd){ fr, POLLIN, 0 };
	n = poll(p, 1, 10000);
	check_val("poll", "a FIFO woken by another process's byte", "POLLIN",
		  n == 1 ? events(p[0].revents) : err_of(n));
	reap(pid);
	close(fr), close(fw);
	unlink("/tmp/fifotest-wake");
}

static void poll_eintr(void)
{
	struct pollfd p;
	int d[2], n;
	pid_t pid;

	pipe(d);
	sigusr1_catch();
	sigusr1_count = 0;
	pid = helper('k', -1);
	p = (struct pollfd){ d[0], POLLIN, 0 };
	n = poll(&p, 1, -1);
	check_val("poll", "a signal ends the wait", "EINTR", err_of(n));
	check_val("poll", "its handler ran", "1", num(sigusr1_count));
	reap(pid);
	signal(SIGUSR1, SIG_DFL);
	close(d[0]), close(d[1]);
}

void test_poll(void)
{
	poll_idle();
	poll_states();
	poll_errors();
	poll_wakes();
	poll_eintr();
}

/* ---- select ------------------------------------------------------------------ */

/* The letters of the fds of names[] (fds[]) in set: "p q", or "none". */
static const char *set_names(const fd_set *set, const int *fds, const char *names, int n)
{
	static char buf[4][32];
	static int which;
	char *out = buf[which++ % 4];

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!FD_ISSET(fds[i], set))
			continue;
		if (out[0])
			strcat(out, " ");
		strncat(out, names + i, 1);
	}
	return out[0] ? out : "none";
}

static void select_idle(void)
{
	int a[2], n;
	struct timeval tv = { 0, IDLE_MS * 1000 };
	fd_set r;
	long t0, ms;

	pipe(a);
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(0, &r);
	t0 = now_ms();
	n = (int)syscall(SYS_select, a[0] + 1, &r, NULL, NULL, &tv); /* musl's copies tv */
	ms = now_ms() - t0;
	fact("select", "timeout %d ms: %d ready after %ld ms, left %ld.%06ld", IDLE_MS, n, ms,
	     (long)tv.tv_sec, (long)tv.tv_usec);
	check("select", "pipe and console idle: 0 once the time is up, none left",
	      n == 0 && ms >= IDLE_MS && !tv.tv_sec && !tv.tv_usec ? NULL : "no");
	check_val("select", "the set after the timeout", "none", set_names(&r, a, "p", 1));
	close(a[0]), close(a[1]);
}

/* Sets rewritten with what is ready; the time left. */
static void select_sets(void)
{
	int p[2], q[2], fds[2], wfds[2], n;
	struct timeval tv = { 5, 0 };
	fd_set r, w, e;
	long left;

	pipe(p);
	pipe(q);
	write(p[1], "x", 1);
	fds[0] = p[0], fds[1] = q[0], wfds[0] = p[1], wfds[1] = q[1];
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[0], &r);
	FD_SET(q[0], &r);
	FD_SET(p[1], &w);
	FD_SET(q[1], &w);
	FD_SET(p[0], &e);
	n = (int)syscall(SYS_select, q[1] + 1, &r, &w, &e, &tv);
	left = tv.tv_sec * 1000000L + tv.tv_usec;
	check_val("select", "bits ready", "3", num(n));
	check_val("select", "readable", "p", set_names(&r, fds, "pq", 2));
	check_val("select", "writable", "p q", set_names(&w, wfds, "pq", 2));
	check_val("select", "exceptional", "none", set_names(&e, fds, "pq", 2));
	fact("select", "5 s timeout, ready at once: left %ld us", left);
	check("select", "the time left is written back",
	      left > 4000000 && left <= 5000000 ? NULL : "not about 5 s");
	close(q[1]);
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	tv = (struct timeval){ 0, 0 };
	check_val("select", "end of file is readable", "1",
		  num(select(q[0] + 1, &r, NULL, NULL, &tv)));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	check_val("select", "nfds FD_SETSIZE", "1", num(select(FD_SETSIZE, &r, NULL, NULL, &tv)));
	tv = (struct timeval){ 0, 1500000 };
	check_val("select", "tv_usec of 1.5 s", "1", num(select(p[0] + 1, &r, NULL, NULL, &tv)));
	close(p[0]), close(p[1]), close(q[0]);
}

static void select_errors(void)
{
	struct timeval tv = { 0, 0 }, neg = { 0, -1 };
	fd_set r;

	FD_ZERO(&r);
	FD_SET(NOT_OPEN, &r);
	check_val("select", "a descriptor that is not open", "EBADF",
		  err_of(select(NOT_OPEN + 1, &r, NULL, NULL, &tv)));
	FD_ZERO(&r);
	check_val("select", "nfds -1", "EINVAL", err_of(select(-1, &r, NULL, NULL, &tv)));
	check_val("select", "tv_usec -1", "EINVAL", err_of(select(1, &r, NULL, NULL, &neg)));
}

static void select_wakes(void)
{
	struct timespec ts = { 0, 50000000 };
	int d[2], n;
	pid_t pid;
	fd_set r;

	pipe(d);
	pid = helper('w', d[1]);
	FD_ZERO(&r);
	FD_SET(d[0], &r);
	n = select(d[0] + 1, &r, NULL, NULL, NULL);
	check_val("select", "woken by another process's write", "p",
		  n == 1 ? set_names(&r, d, "p", 1) : err_of(n));
	reap(pid);
	read(d[0], &n, 1);
	FD_ZERO(&r);
	FD_SET(d[0], &r);
	n = pselect(d[0] + 1, &r, NULL, NULL, &ts, NULL);
	check_val("select", "pselect with nothing ready", "0", err_of(n));
	check_val("select", "pselect leaves its timespec", "0.050000000",
		  ts.tv_sec == 0 && ts.tv_nsec == 50000000 ? "0.050000000" : "changed");
	close(d[0]), close(d[1]);
}

void test_select(void)
{
	select_idle();
	select_sets();
	select_errors();
	select_wakes();
}

/* ---- ppoll's and pselect's masks ------------------------------------------------ */

static const char *usr1_state(void)
{
	sigset_t mask, pending;

	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigpending(&pending);
	if (!sigismember(&mask, SIGUSR1))
		return "unblocked";
	return sigismember(&pending, SIGUSR1) ? "blocked, pending" : "blocked";
}

void test_masks(void)
{
	struct timespec two = { 2, 0 }, zero = { 0, 0 };
	sigset_t usr1, none;
	struct pollfd p;
	int d[2], n;
	fd_set r;
	pid_t pid;
	long t0;

	pipe(d);
	sigusr1_catch();
	sigusr1_count = 0;
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pid = helper('k', -1);
	p = (struct pollfd){ d[0], POLLIN, 0 };
	n = ppoll(&p, 1, NULL, &none);
	check_val("masks", "ppoll's mask lets a signal end it", "EINTR", err_of(n));
	check_val("masks", "... after the handler", "1 blocked",
		  sigusr1_count == 1
			  ? (strcmp(usr1_state(), "blocked") == 0 ? "1 blocked" : usr1_state())
			  : "no handler");
	reap(pid);
	raise(SIGUSR1); /* blocked: pending */
	t0 = now_ms();
	n = ppoll(&p, 1, &two, &none);
	check_val("masks", "ppoll with a blocked signal pending", "EINTR", err_of(n));
	check("masks", "... at once, the handler run",
	      now_ms() - t0 < 1000 && sigusr1_count == 2 ? NULL : "it waited, or no handler");
	write(d[1], "x", 1);
	raise(SIGUSR1);
	n = ppoll(&p, 1, &zero, &none);
	check_val("masks", "ppoll with something ready", "1", n >= 0 ? num(n) : err_of(n));
	check_val("masks", "... the old mask back at once", "blocked, pending", usr1_state());
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	check_val("masks", "unblocked, it is handled", "3", num(sigusr1_count));
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	read(d[0], &n, 1);
	pid = helper('k', -1);
	FD_ZERO(&r);
	FD_SET(d[0], &r);
	n = pselect(d[0] + 1, &r, NULL, NULL, NULL, &none);
	check_val("masks", "pselect's mask lets a signal end it", "EINTR", err_of(n));
	check_val("masks", "... blocked again after the handler", "4 blocked",
		  sigusr1_count == 4 && strcmp(usr1_state(), "blocked") == 0 ? "4 blocked" : "no");
	reap(pid);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	signal(SIGUSR1, SIG_DFL);
	close(d[0]), close(d[1]);
}

/* ---- the console -------------------------------------------------------------- */

void test_console(void)
{
	struct pollfd p = { 0, POLLIN, 0 };
	char line[128];
	ssize_t n;

	check_val("console", "poll with nothing typed", "0", num(poll(&p, 1, 0)));
	fact("console", "type a line");
	n = poll(&p, 1, 30000);
	check_val("console", "poll once a line is typed", "POLLIN",
		  n == 1 ? events(p.revents) : err_of(n));
	n = read(0, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	fact("console", "read '%s'", line);
	check_val("console", "poll once it is read", "0", num(poll(&p, 1, 0)));
}
