/*
 * threadtest: threads of one process (stage threads), through musl's
 * pthreads only (musl makes them with clone(CLONE_THREAD...), waits with
 * futexes, ends them with exit and the process with exit_group).
 *
 * `threadtest` runs every test, `threadtest NAME...` the named ones.  Each
 * prints its fact lines, then "threadtest: NAME: ok" or "threadtest: NAME:
 * FAILED (why)"; the last line is "threadtest: N passed, M failed" (exit
 * status 0 only if all passed).  The facts, for the grader:
 *
 *   counter   "threadtest: counter: 4 threads x 20000 = TOTAL"
 *             increments of one counter under a pthread_mutex
 *   condvar   "threadtest: condvar: produced P consumed C sum S distinct D"
 *             items 0..99999 through a 16-slot buffer, 2 producers and 2
 *             consumers on condition variables (S = 4999950000)
 *   join      "threadtest: join: values V0 ... V7"   (Vi = 3i + 1)
 *   tls       "threadtest: tls: pid P tids T0 ... T7"
 *             "threadtest: tls: 8 threads, N distinct tids, values ok"
 *             __thread variables are each thread's own, and so is the SSE
 *             rounding mode (a new thread starts with its creator's)
 *   segv      "threadtest: segv: status SIGNALED 11, memory before B after A"
 *             "threadtest: segv: processes before N after M"
 *             one thread of a five-thread child dereferences NULL: the
 *             whole child dies (one still there 5 s on is killed: SIGNALED
 *             9), its memory comes back (the grader checks A), and on
 *             kestrel the process count is back where it was
 *   many      "threadtest: many: 10 rounds x 64 threads, memory before B after A"
 *   timeout   "threadtest: timeout: futex waited F ms, cond waited C ms"
 *             "threadtest: timeout: futex ETIMEDOUT, cond ETIMEDOUT, mismatch EAGAIN, bad EFAULT"
 *   prio      "threadtest: prio: 10 wakeups, worst latency N ms"
 *             a priority-1 thread sleeping 20 ms at a time wakes within a
 *             tick (10 ms) although two priority-6 threads spin; on Linux
 *             "threadtest: prio: skipped on Linux" (counted neither way)
 *   exitmain  "threadtest: exitmain: thread K still running after main exited"
 *             (K = 0, 1, 2, in that order) main calls pthread_exit; its
 *             three threads go on, and the last one ends the process with
 *             exit().  It runs after all the others, and never returns.
 *
 * Memory is MemFree + Slab + Cached of /proc/meminfo in kB (testlib.h),
 * taken after a warm-up round.  Runs on Linux too (musl-gcc -static
 * -pthread; the figures differ).
 */
#include <fenv.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "testlib.h"
#include "threadlib.h"

#define MAX_THREAD 64

static int passed, failed;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("threadtest: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("threadtest: %s: ok\n", name);
		passed++;
	}
}

/* ---- counter: a mutex --------------------------------------------------- */

#define COUNTER_THREADS 4
#define COUNTER_ROUNDS  20000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

/* Now and then a thread yields holding the lock, so that the others find
 * it taken and sleep on its futex even on one CPU. */
static void *counter_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < COUNTER_ROUNDS; i++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		if (i % 1000 == 0)
			sched_yield();
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static const char *test_counter(void)
{
	pthread_t t[COUNTER_THREADS];
	int n = start_threads(t, COUNTER_THREADS, counter_thread);

	if (!join_threads(t, n, NULL) || n < COUNTER_THREADS)
		return "pthread_create or pthread_join failed";
	printf("threadtest: counter: %d threads x %d = %ld\n", COUNTER_THREADS, COUNTER_ROUNDS,
	       counter);
	return counter == COUNTER_THREADS * COUNTER_ROUNDS ? NULL : "lost increments";
}

/* ---- condvar: a bounded buffer ------------------------------------------ */

#define CV_SLOTS 16
#define CV_ITEMS 100000u

/* All of cv under cv.lock.  Producers put cv.next++ until it reaches
 * CV_ITEMS; consumers take until cv.taken does.  Whoever takes the last
 * item wakes the other consumers, which then find nothing left. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	unsigned slot[CV_SLOTS];
	unsigned head, count, next, taken;
} cv = { .lock = PTHREAD_MUTEX_INITIALIZER,
	 .not_empty = PTHREAD_COND_INITIALIZER,
	 .not_full = PTHREAD_COND_INITIALIZER };

static unsigned char cv_seen[CV_ITEMS / 8]; /* a bit per item, set atomically */
static unsigned long cv_produced[2], cv_consumed[2], cv_sum[2];

static void *cv_producer(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (;;) {
		pthread_mutex_lock(&cv.lock);
		while (cv.count == CV_SLOTS && cv.next < CV_ITEMS)
			pthread_cond_wait(&cv.not_full, &cv.lock);
		if (cv.next == CV_ITEMS) {
			pthread_mutex_unlock(&cv.lock);
			return NULL;
		}
		cv.slot[(cv.head + cv.count++) % CV_SLOTS] = cv.next++;
		cv_produced[me]++;
		pthread_cond_signal(&cv.not_empty);
		pthread_mutex_unlock(&cv.lock);
	}
}

static void *cv_consumer(void *arg)
{
	int me = (int)(intptr_t)arg - 2;
	unsigned item;

	for (;;) {
		pthread_mutex_lock(&cv.lock);
		while (cv.count == 0 && cv.taken < CV_ITEMS)
			pthread_cond_wait(&cv.not_empty, &cv.lock);
		if (cv.count == 0) {
			pthread_mutex_unlock(&cv.lock);
			return NULL;
		}
		item = cv.slot[cv.head];
		cv.head = (cv.head + 1) % CV_SLOTS;
		cv.count--;
		if (++cv.taken == CV_ITEMS)
			pthread_cond_broadcast(&cv.not_empty);
		pthread_cond_signal(&cv.not_full);
		pthread_mutex_unlock(&cv.lock);
		cv_consumed[me]++;
		cv_sum[me] += item;
		if (item < CV_ITEMS)
			__atomic_fetch_or(&cv_seen[item / 8], 1 << item % 8, __ATOMIC_RELAXED);
	}
}

/* Threads 0 and 1 produce, 2 and 3 consume. */
static void *cv_thread(void *arg)
{
	return (intptr_t)arg < 2 ? cv_producer(arg) : cv_consumer(arg);
}

static const char *test_condvar(void)
{
	unsigned long produced, consumed, sum, distinct = 0;
	pthread_t t[4];
	int n = start_threads(t, 4, cv_thread);

	if (n < 4) /* (those started may wait for the others for good) */
		return "pthread_create failed";
	if (!join_threads(t, n, NULL))
		return "pthread_join failed";
	produced = cv_produced[0] + cv_produced[1];
	consumed = cv_consumed[0] + cv_consumed[1];
	sum = cv_sum[0] + cv_sum[1];
	for (unsigned i = 0; i < sizeof(cv_seen); i++)
		distinct += (unsigned)__builtin_popcount(cv_seen[i]);
	printf("threadtest: condvar: produced %lu consumed %lu sum %lu distinct %lu\n", produced,
	       consumed, sum, distinct);
	if (produced != CV_ITEMS || consumed != CV_ITEMS || distinct != CV_ITEMS)
		return "items lost or seen twice";
	return sum == (unsigned long)CV_ITEMS * (CV_ITEMS - 1) / 2 ? NULL : "wrong sum";
}

/* ---- join: a thread's value --------------------------------------------- */

#define JOIN_THREADS 8

/* Odd threads sleep first: the even ones have exited when they are joined,
 * the odd ones are still running (the join waits). */
static void *join_thread(void *arg)
{
	intptr_t i = (intptr_t)arg;

	if (i % 2)
		sleep_ms(20);
	return (void *)(i * 3 + 1);
}

static const char *test_join(void)
{
	pthread_t t[JOIN_THREADS];
	void *v[JOIN_THREADS];
	int n = start_threads(t, JOIN_THREADS, join_thread);
	const char *why = NULL;

	if (!join_threads(t, n, v) || n < JOIN_THREADS)
		return "pthread_create or pthread_join failed";
	printf("threadtest: join: values");
	for (int i = 0; i < JOIN_THREADS; i++) {
		printf(" %ld", (long)(intptr_t)v[i]);
		if ((intptr_t)v[i] != i * 3 + 1)
			why = "a wrong value";
	}
	printf("\n");
	return why;
}

/* ---- tls: __thread ------------------------------------------------------ */

#define TLS_THREADS 8

/* Each thread starts with the initial image (77, "initial"). */
static __thread int tls_index = 77;
static __thread char tls_name[64] = "initial";
static pthread_barrier_t tls_barrier;
static pid_t tls_tid[TLS_THREADS];
static int tls_ok[TLS_THREADS];

/* The rounding modes the threads set, one each: the SSE control register
 * (MXCSR) is a thread's own too, and a new thread starts with its
 * creator's (main's FE_UPWARD). */
static const int tls_rounding[4] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };

static void *tls_thread(void *arg)
{
	int i = (int)(intptr_t)arg, ok = tls_index == 77 && strcmp(tls_name, "initial") == 0;
	char mine[64];

	ok &= fegetround() == FE_UPWARD;
	fesetround(tls_rounding[i % 4]);
	tls_index = i;
	snprintf(tls_name, sizeof(tls_name), "thread %d", i);
	snprintf(mine, sizeof(mine), "thread %d", i);
	tls_tid[i] = gettid_raw();
	pthread_barrier_wait(&tls_barrier); /* all have written theirs */
	sleep_ms(1);
	sched_yield();
	tls_ok[i] = ok && tls_index == i && strcmp(tls_name, mine) == 0 &&
		    fegetround() == tls_rounding[i % 4];
	return NULL;
}

static const char *test_tls(void)
{
	pthread_t t[TLS_THREADS];
	pid_t pid = getpid();
	int n, distinct = 0, ok = 1;

	tls_index = -1;
	strcpy(tls_name, "main");
	fesetround(FE_UPWARD);
	pthread_barrier_init(&tls_barrier, NULL, TLS_THREADS);
	n = start_threads(t, TLS_THREADS, tls_thread);
	if (n < TLS_THREADS) /* (those started wait at the barrier for good) */
		return "pthread_create failed";
	if (!join_threads(t, n, NULL))
		return "pthread_join failed";
	pthread_barrier_destroy(&tls_barrier);
	printf("threadtest: tls: pid %d tids", (int)pid);
	for (int i = 0; i < TLS_THREADS; i++) {
		int seen = tls_tid[i] == pid || tls_tid[i] <= 0;

		for (int j = 0; j < i; j++)
			seen |= tls_tid[j] == tls_tid[i];
		distinct += !seen;
		ok &= tls_ok[i];
		printf(" %d", (int)tls_tid[i]);
	}
	printf("\n");
	ok &= tls_index == -1 && strcmp(tls_name, "main") == 0 && gettid_raw() == pid &&
	      fegetround() == FE_UPWARD;
	fesetround(FE_TONEAREST);
	printf("threadtest: tls: %d threads, %d distinct tids, values %s\n", TLS_THREADS, distinct,
	       ok ? "ok" : "wrong");
	if (distinct != TLS_THREADS)
		return "thread ids not distinct, or one is the pid";
	return ok ? NULL
		  : "a thread saw another's __thread values or rounding mode, or not the initial ones";
}

/* ---- segv: a fault kills every thread ----------------------------------- */

static int *volatile null_pointer; /* the compiler cannot know it is NULL */
static volatile unsigned long segv_spins;

/* Threads 0 and 1 spin, 2 and 3 sleep, 4 faults once they have started. */
static void *segv_thread(void *arg)
{
	intptr_t i = (intptr_t)arg;

	if (i == 4) {
		sleep_ms(20);
		*null_pointer = 1;
	}
	while (i < 2)
		segv_spins++;
	while (i >= 2)
		sleep_ms(1);
	return NULL;
}

/* A child whose thread 4 faults, its pid into *pid; its wait status, or -1.
 * A child still there after 5 s (the fault ended only thread 4) is killed:
 * status SIGNALED 9. */
static int segv_round(pid_t *pid)
{
	pthread_t t[5];
	int status;
	pid_t got = 0;

	fflush(stdout);
	*pid = fork();
	if (*pid == 0) {
		if (start_threads(t, 5, segv_thread) == 5)
			pthread_join(t[4], NULL);
		_exit(1);
	}
	for (int i = 0; *pid > 0 && i < 500 && (got = waitpid(*pid, &status, WNOHANG)) == 0; i++)
		sleep_ms(10);
	if (*pid > 0 && got == 0) {
		kill(*pid, SIGKILL);
		got = waitpid(*pid, &status, 0);
	}
	return *pid > 0 && got == *pid ? status : -1;
}

/* The process count is checked on kestrel only: Linux has others that come
 * and go.  On both, the reaped child must be gone from /proc. */
static const char *test_segv(void)
{
	long before, after;
	int status, procs_before, procs_after;
	char path[32];
	pid_t pid;

	segv_round(&pid); /* warm-up: fork, the page cache, stdio */
	procs_before = testlib_count_procs();
	before = (testlib_memory_kb(), testlib_memory_kb());
	status = segv_round(&pid);
	after = testlib_memory_kb();
	procs_after = testlib_count_procs();
	if (WIFSIGNALED(status))
		printf("threadtest: segv: status SIGNALED %d", WTERMSIG(status));
	else
		printf("threadtest: segv: status EXITED %d", WEXITSTATUS(status));
	printf(", memory before %ld after %ld\n", before, after);
	printf("threadtest: segv: processes before %d after %d\n", procs_before, procs_after);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (status == -1)
		return "fork or waitpid failed";
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		return "the child did not die of SIGSEGV";
	if (access(path, F_OK) == 0)
		return "the reaped child is still in /proc";
	return procs_after <= procs_before || !on_kestrel() ? NULL : "more processes than before";
}

/* ---- many: threads come and go ------------------------------------------ */

#define MANY_ROUNDS 10

static void *many_thread(void *arg)
{
	return arg;
}

/* MAX_THREAD threads at once, then joined; false if something failed. */
static int many_round(void)
{
	pthread_t t[MAX_THREAD];
	void *v[MAX_THREAD];
	int n = start_threads(t, MAX_THREAD, many_thread), ok = join_threads(t, n, v);

	for (int i = 0; i < n; i++)
		ok &= v[i] == (void *)(intptr_t)i;
	return ok && n == MAX_THREAD;
}

static const char *test_many(void)
{
	long before, after;
	int ok = many_round(); /* warm-up */

	before = (testlib_memory_kb(), testlib_memory_kb());
	for (int r = 0; r < MANY_ROUNDS; r++)
		ok &= many_round();
	after = testlib_memory_kb();
	printf("threadtest: many: %d rounds x %d threads, memory before %ld after %ld\n",
	       MANY_ROUNDS, MAX_THREAD, before, after);
	return ok ? NULL : "a create or join failed, or a wrong value";
}

/* ---- timeout: futex and condition variable timeouts --------------------- */

/* FUTEX_WAIT on addr while it holds val, at most 50 ms: 0 or the errno. */
static int futex_wait_50ms(int *addr, int val)
{
	struct timespec ts = { 0, 50 * MS };

	return syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0) == 0 ? 0 : errno;
}

/* pthread_cond_timedwait until CLOCK_REALTIME + 50 ms, nobody signalling. */
static int cond_wait_50ms(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec at;
	int r;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec += 50 * MS;
	if (at.tv_nsec >= 1000 * MS) {
		at.tv_sec++;
		at.tv_nsec -= 1000 * MS;
	}
	pthread_mutex_lock(&m);
	r = pthread_cond_timedwait(&c, &m, &at);
	pthread_mutex_unlock(&m);
	return r;
}

/* A wait must not end early; one tick of slack for a tick-based clock. */
static const char *test_timeout(void)
{
	static int word;
	char b[4][16];
	long t0 = now_ns(), futex_ms, cond_ms;
	int timed = futex_wait_50ms(&word, 0), cond, mismatch, bad;

	futex_ms = (now_ns() - t0) / MS;
	t0 = now_ns();
	cond = cond_wait_50ms();
	cond_ms = (now_ns() - t0) / MS;
	mismatch = futex_wait_50ms(&word, 1);
	bad = futex_wait_50ms(NULL, 0);
	printf("threadtest: timeout: futex waited %ld ms, cond waited %ld ms\n", futex_ms, cond_ms);
	printf("threadtest: timeout: futex %s, cond %s, mismatch %s, bad %s\n",
	       errno_name(timed, b[0], 16), errno_name(cond, b[1], 16),
	       errno_name(mismatch, b[2], 16), errno_name(bad, b[3], 16));
	if (timed != ETIMEDOUT || cond != ETIMEDOUT || mismatch != EAGAIN || bad != EFAULT)
		return "a wrong result";
	if (futex_ms < 50 - TICK_MS || cond_ms < 50 - TICK_MS)
		return "a timed wait ended early";
	return futex_ms > 1000 || cond_ms > 1000 ? "a timed wait took over a second" : NULL;
}

/* ---- prio: a high-priority thread preempts busy ones -------------------- */

#define PRIO_BUSY    6
#define PRIO_HIGH    1
#define PRIO_DEFAULT 4
#define PRIO_WAKEUPS 10

static volatile int prio_stop;
static volatile unsigned long prio_spins;
static volatile pid_t prio_tid[3];
static pthread_barrier_t prio_start;
static long prio_worst_ns;

/* Threads 0 and 1 spin; thread 2 sleeps 20 ms at a time and measures how
 * late it wakes.  They wait on a barrier (not a spin: with a strict
 * scheduler a priority-1 thread that spins would starve main) until main
 * has set their priorities. */
static void *prio_thread(void *arg)
{
	int i = (int)(intptr_t)arg;

	prio_tid[i] = gettid_raw();
	pthread_barrier_wait(&prio_start);
	if (i < 2) {
		while (!prio_stop)
			prio_spins++;
		return NULL;
	}
	for (int w = 0; w < PRIO_WAKEUPS; w++) {
		long t0 = now_ns(), late;

		sleep_ms(20);
		late = now_ns() - t0 - 20 * MS;
		if (late > prio_worst_ns)
			prio_worst_ns = late;
	}
	return NULL;
}

/* Set thread i's priority by its id and read it back; false if wrong. */
static int prio_set(int i, int prio)
{
	while (!prio_tid[i])
		sched_yield();
	return os_setpriority(prio_tid[i], prio) == 0 && os_getpriority(prio_tid[i]) == prio;
}

static const char *test_prio(void)
{
	pthread_t t[3];
	int n, ok;

	if (!on_kestrel()) {
		printf("threadtest: prio: skipped on Linux\n");
		return "";
	}
	pthread_barrier_init(&prio_start, NULL, 4);
	if ((n = start_threads(t, 3, prio_thread)) < 3) {
		prio_stop = 1; /* (the barrier never opens: they stay) */
		return "pthread_create failed";
	}
	ok = prio_set(0, PRIO_BUSY) && prio_set(1, PRIO_BUSY) && prio_set(2, PRIO_HIGH);
	/* The priority is the thread's, not the process's. */
	ok = ok && os_getpriority(0) == PRIO_DEFAULT;
	pthread_barrier_wait(&prio_start);
	pthread_join(t[2], NULL);
	prio_stop = 1;
	join_threads(t, 2, NULL);
	pthread_barrier_destroy(&prio_start);
	if (!ok)
		return "os_setpriority or os_getpriority failed";
	printf("threadtest: prio: %d wakeups, worst latency %ld ms\n", PRIO_WAKEUPS,
	       prio_worst_ns / MS);
	if (prio_spins == 0)
		return "the busy threads never ran";
	return prio_worst_ns / MS <= TICK_MS ? NULL : "woke more than a tick late";
}

/* ---- exitmain: main's pthread_exit ends only main ----------------------- */

static pthread_t exitmain_main;
static volatile int exitmain_turn;
static const char *exitmain_why;

/* Thread 0 joins main (so main is gone), then the threads report in turn,
 * polling exitmain_turn; the last one ends the process. */
static void *exitmain_thread(void *arg)
{
	int k = (int)(intptr_t)arg;
	void *v = NULL;

	if (k == 0 && (pthread_join(exitmain_main, &v) != 0 || v != (void *)42))
		exitmain_why = "pthread_join of main failed or gave the wrong value";
	while (exitmain_turn != k)
		sleep_ms(1);
	printf("threadtest: exitmain: thread %d still running after main exited\n", k);
	if (k < 2) {
		exitmain_turn = k + 1;
		return NULL;
	}
	result("exitmain", exitmain_why);
	printf("threadtest: %d passed, %d failed\n", passed, failed);
	exit(failed ? 1 : 0);
}

static void test_exitmain(void)
{
	pthread_t t[3];

	exitmain_main = pthread_self();
	if (start_threads(t, 3, exitmain_thread) < 3) {
		exitmain_why = "pthread_create failed";
		exitmain_turn = 3; /* the threads that started stay quiet */
		result("exitmain", exitmain_why);
		printf("threadtest: %d passed, %d failed\n", passed, failed);
		exit(1);
	}
	fflush(stdout);
	pthread_exit((void *)42);
}

/* ---- main --------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *(*fn)(void);
} tests[] = {
	{ "counter", test_counter }, { "condvar", test_condvar }, { "join", test_join },
	{ "tls", test_tls },         { "segv", test_segv },       { "many", test_many },
	{ "timeout", test_timeout }, { "prio", test_prio },
};

int main(int argc, char *argv[])
{
	for (int a = 1; a < argc; a++) {
		int known = strcmp(argv[a], "exitmain") == 0;

		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			known |= strcmp(argv[a], tests[i].name) == 0;
		if (!known)
			result(argv[a], "no such test");
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const char *why;

		if (!test_wanted(tests[i].name, argc, argv))
			continue;
		why = tests[i].fn();
		if (!why || why[0]) /* "": skipped */
			result(tests[i].name, why);
		fflush(stdout);
	}
	if (test_wanted("exitmain", argc, argv))
		test_exitmain();
	printf("threadtest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
