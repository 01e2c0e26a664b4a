/*
 * threadlib.h: what the thread tests (threadtest, threadproc) and the
 * benchmarks (bench) share: futex numbers, time in ms, starting and
 * joining threads by index, errno names, which tests the arguments name,
 * and kestrel's priority calls with a stand-in on Linux.  Include it from
 * user/NAME.c with #include "threadlib.h"; it builds both against the
 * sysroot and with Debian's musl-gcc.
 */
#ifndef USER_THREADLIB_H
#define USER_THREADLIB_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<os/os.h>)
#include <os/os.h>
#else
/* Built for Linux (musl-gcc): there are no OS calls. */
static inline int os_setpriority(pid_t tid, int prio)
{
	(void)tid, (void)prio;
	errno = ENOSYS;
	return -1;
}

static inline int os_getpriority(pid_t tid)
{
	(void)tid;
	errno = ENOSYS;
	return -1;
}
#endif

/* <linux/futex.h>'s numbers (the sysroot has no Linux headers). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

#define MS      1000000L /* in ns */
#define TICK_MS 10       /* kestrel's timer: TIMER_HZ 100 (arch/x86_64/timer.h) */

/* syscall(SYS_futex, word, op, val) without a timeout: the raw result. */
static inline long futex_call(int *word, int op, int val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static inline long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * MS };

	nanosleep(&ts, NULL);
}

/* The calling thread's id (musl has no gettid() wrapper before 1.2.2's). */
static inline pid_t gettid_raw(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline int on_kestrel(void)
{
	struct utsname u;

	return uname(&u) == 0 && strcmp(u.sysname, "kestrel") == 0;
}

/* Start n threads fn((void *)i), i = 0..n-1; how many started (the rest
 * of t is not set). */
static inline int start_threads(pthread_t *t, int n, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i) != 0)
			return i;
	return n;
}

/* Join n threads, their values into values[] (if not NULL); false if a
 * join failed. */
static inline int join_threads(pthread_t *t, int n, void **values)
{
	int ok = 1;
	void *v;

	for (int i = 0; i < n; i++) {
		ok &= pthread_join(t[i], &v) == 0;
		if (values)
			values[i] = v;
	}
	return ok;
}

/* The name of errno value e (0 for none), or "errno N" in buf. */
static inline const char *errno_name(int e, char *buf, size_t size)
{
	static const struct {
		int num;
		const char *name;
	} names[] = {
		{ 0, "0" },           { ETIMEDOUT, "ETIMEDOUT" }, { EAGAIN, "EAGAIN" },
		{ EFAULT, "EFAULT" }, { EINTR, "EINTR" },         { EINVAL, "EINVAL" },
		{ ENOSYS, "ENOSYS" }, { EPERM, "EPERM" },         { ENOMEM, "ENOMEM" },
		{ ESRCH, "ESRCH" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].num == e)
			return names[i].name;
	snprintf(buf, size, "errno %d", e);
	return buf;
}

/* Is test (or benchmark) name wanted: all without arguments, else the named. */
static inline int test_wanted(const char *name, int argc, char *argv[])
{
	int yes = argc < 2;

	for (int a = 1; a < argc; a++)
		yes |= strcmp(argv[a], name) == 0;
	return yes;
}

#endif
