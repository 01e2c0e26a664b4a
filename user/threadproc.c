/*
 * threadproc: threads meet processes (stage threads): what exit, exit_group,
 * execve, fork, signals and /proc do to a process with several threads.
 * threadtest tests musl's pthreads themselves; this one the process calls.
 *
 * `threadproc` runs every test, `threadproc NAME...` the named ones.  Each
 * prints its fact lines, then "threadproc: NAME: ok" or "threadproc: NAME:
 * FAILED (why)"; the last line is "threadproc: N passed, M failed" (exit
 * status 0 only if all passed).  The facts, for the grader:
 *
 *   exitgroup  "threadproc: exitgroup: status EXITED 3, memory before B after A"
 *              a child's fourth thread calls exit(3) (musl: exit_group)
 *              while three others block in pause(): the whole child ends,
 *              its memory comes back and /proc/PID is gone once reaped
 *   threadexit "threadproc: threadexit: threads 3, after main's exit M, after thread 0's N"
 *              "threadproc: threadexit: status EXITED 7"
 *              a child's main and thread 0 end with exit(2) (SYS_exit: one
 *              thread), in that order, its last thread with SYS_exit 7:
 *              the last thread's status is the process's (also on Linux
 *              6).  The counts are kestrel's 3, 2, 1 (Linux: 3, 3, 2, as
 *              it counts an exited leader until the end)
 *   exec       "threadproc: execd: pid P (was Q), threads N"   (P = Q, N = 1)
 *              "threadproc: exec: status EXITED 0"
 *              a non-main thread of a four-thread child execs this program
 *              as "threadproc execd Q"; the new image (hidden test execd)
 *              prints the line above and exits 0 if it is right
 *   fork       "threadproc: fork: child threads 1"
 *              "threadproc: fork: status EXITED 0, parent threads 4"
 *              a non-main thread of this process (four threads) forks
 *   ps         "threadproc: ps: pid P tids T1 T2 T3 prios 2 5 6" (no prios on Linux)
 *              "threadproc: ps: ps -T from thread TH", ps -T's own lines
 *              (`ps -T -p P` on Linux), "threadproc: ps: ps -T status EXITED 0"
 *              "threadproc: ps: task dir P T1 T2 T3"  (sorted)
 *              "threadproc: ps: TID STATE PRIO"  for each, from its
 *              /proc/self/task/TID/stat: main R, the three S (TH is gone)
 *   tgkill     "threadproc: tgkill: sent to T, handled by H"   (H = T)
 *   sigmask    "threadproc: sigmask: unblocked U, handled by H" (H = U)
 *              kill() to the process runs the handler in the one thread
 *              that does not block the signal
 *   kill       "threadproc: kill: SIGKILL SIGNALED 9, SIGTERM SIGNALED 15"
 *              a child whose five threads all wait (futex, condition
 *              variable, pthread_join) dies whole; SIGTERM is not handled
 *
 * Children still there 5 s on are killed (SIGNALED 9).  Memory is MemFree
 * + Slab + Cached of /proc/meminfo in kB (testlib.h), taken after a
 * warm-up round.  Runs on Linux too (musl-gcc -static -pthread -Iuser).
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "testlib.h"
#include "threadlib.h"

extern char **environ;

static int passed, failed;
static const char *self_path; /* this program, for execve */

static void result(const char *name, const char *why)
{
	if (why) {
		printf("threadproc: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("threadproc: %s: ok\n", name);
		passed++;
	}
}

/* "EXITED N", "SIGNALED N" or (-1: no status) "none", into buf[32]. */
static const char *status_text(int status, char *buf)
{
	if (status == -1)
		return strcpy(buf, "none");
	snprintf(buf, 32, WIFSIGNALED(status) ? "SIGNALED %d" : "EXITED %d",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return buf;
}

/* fork with nothing left in stdout's buffer (else both would print it). */
static pid_t fork_flushed(void)
{
	fflush(stdout);
	return fork();
}

/* Reap child pid: its wait status, or -1.  One still there after 5 s is
 * killed (SIGNALED 9), so that no test hangs. */
static int wait_child(pid_t pid)
{
	int status;
	pid_t got = 0;

	for (int i = 0; pid > 0 && i < 500 && (got = waitpid(pid, &status, WNOHANG)) == 0; i++)
		sleep_ms(10);
	if (pid > 0 && got == 0) {
		kill(pid, SIGKILL);
		got = waitpid(pid, &status, 0);
	}
	return pid > 0 && got == pid ? status : -1;
}

/* A child process whose main starts n threads fn((void *)i) and waits for
 * thread 0 (it exits 1 if one cannot start, or if thread 0 returns). */
static pid_t fork_threads(int n, void *(*fn)(void *))
{
	pid_t pid = fork_flushed();
	pthread_t t[8];

	if (pid == 0) {
		if (start_threads(t, n, fn) == n)
			pthread_join(t[0], NULL);
		_exit(1);
	}
	return pid;
}

/* The Threads: line of /proc/PID/status (pid 0: self), or -1. */
static int proc_threads(pid_t pid)
{
	char path[48], line[128];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), pid ? "/proc/%d/status" : "/proc/self/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (n < 0 && fgets(line, sizeof(line), f))
		sscanf(line, "Threads: %d", &n);
	fclose(f);
	return n;
}

/* Poll until process pid (0: self) has `want` threads, at most ms: its
 * last count. */
static int await_threads(pid_t pid, int want, int ms)
{
	int n = proc_threads(pid);

	for (int i = 0; n != want && i < ms / 10; i++) {
		sleep_ms(10);
		n = proc_threads(pid);
	}
	return n;
}

/* Threads that wait until `go` (under go_lock) is set and broadcast. */
static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go;

static void *wait_for_go(void *arg)
{
	pthread_mutex_lock(&go_lock);
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	pthread_mutex_unlock(&go_lock);
	return arg;
}

static void set_go(int value)
{
	pthread_mutex_lock(&go_lock);
	go = value;
	pthread_cond_broadcast(&go_cond);
	pthread_mutex_unlock(&go_lock);
}

/* ---- exitgroup: exit() in one thread ends them all ---------------------- */

static void *exitgroup_thread(void *arg)
{
	while ((intptr_t)arg < 3)
		pause();
	await_threads(0, 5, 2000); /* main and all four are there */
	exit(3);
}

static const char *test_exitgroup(void)
{
	char path[32], b[32];
	long before, after;
	pid_t pid;

	wait_child(fork_threads(4, exitgroup_thread)); /* warm-up: fork, stdio... */
	before = (testlib_memory_kb(), testlib_memory_kb());
	pid = fork_threads(4, exitgroup_thread);
	status_text(wait_child(pid), b);
	after = testlib_memory_kb();
	printf("threadproc: exitgroup: status %s, memory before %ld after %ld\n", b, before, after);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (strcmp(b, "EXITED 3") != 0)
		return "not EXITED 3";
	return access(path, F_OK) == 0 ? "the reaped child is still in /proc" : NULL;
}

/* ---- threadexit: the last thread's exit(2) ends the process ------------- */

static int threadexit_counts[3];
static volatile int threadexit_stage; /* 1: thread 0 is about to exit */

/* Thread 0 waits for main to be gone and exits; thread 1 for thread 0,
 * then reports and exits 7.  (Linux counts an exited leader in Threads:
 * until the whole group is gone: there each waits only 50 ms.) */
static void *threadexit_thread(void *arg)
{
	int i = (int)(intptr_t)arg, ms = on_kestrel() ? 2000 : 50;

	while (i == 1 && !threadexit_stage)
		sleep_ms(1);
	threadexit_counts[i + 1] = await_threads(0, 2 - i, ms);
	if (i == 0) {
		threadexit_stage = 1;
		syscall(SYS_exit, 0);
	}
	printf("threadproc: threadexit: threads %d, after main's exit %d, after thread 0's %d\n",
	       threadexit_counts[0], threadexit_counts[1], threadexit_counts[2]);
	fflush(stdout);
	syscall(SYS_exit, 7);
	return NULL;
}

static const char *test_threadexit(void)
{
	pthread_t t[2];
	char b[32];
	pid_t pid;

	if ((pid = fork_flushed()) == 0) {
		if (start_threads(t, 2, threadexit_thread) < 2)
			_exit(1);
		threadexit_counts[0] = proc_threads(0);
		syscall(SYS_exit, 0);
	}
	printf("threadproc: threadexit: status %s\n", status_text(wait_child(pid), b));
	return strcmp(b, "EXITED 7") == 0 ? NULL : "not EXITED 7";
}

/* ---- exec: a non-main thread execs; execd is the new image -------------- */

/* Threads 0..2 sleep, thread 3 execs "threadproc execd PID". */
static void *exec_thread(void *arg)
{
	char pid[16], *argv[] = { "threadproc", "execd", pid, NULL };

	while ((intptr_t)arg < 3)
		sleep_ms(1000);
	await_threads(0, 5, 2000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	execve(self_path, argv, environ);
	printf("threadproc: exec: execve %s: %s\n", self_path, strerror(errno));
	fflush(stdout);
	_exit(2);
}

static const char *test_exec(void)
{
	char b[32];

	printf("threadproc: exec: status %s\n",
	       status_text(wait_child(fork_threads(4, exec_thread)), b));
	return strcmp(b, "EXITED 0") == 0 ? NULL : "the exec'd image said no, or no exec";
}

/* The new image: its exit status says (no result line: exec's counts). */
static int execd(const char *was)
{
	int pid = getpid(), threads = proc_threads(0);

	printf("threadproc: execd: pid %d (was %s), threads %d\n", pid, was ? was : "?", threads);
	return was && atoi(was) == pid && threads == 1 ? 0 : 1;
}

/* ---- fork: a non-main thread forks -------------------------------------- */

/* Threads 0 and 1 wait; thread 2 forks, and checks the child and itself:
 * NULL or why not. */
static void *fork_thread(void *arg)
{
	char b[32];
	pid_t pid;
	int mine;

	if ((intptr_t)arg < 2)
		return wait_for_go(NULL);
	await_threads(0, 4, 2000);
	if ((pid = fork_flushed()) == 0) {
		int n = proc_threads(0);

		printf("threadproc: fork: child threads %d\n", n);
		fflush(stdout);
		_exit(n == 1 ? 0 : 1);
	}
	status_text(wait_child(pid), b);
	mine = proc_threads(0);
	printf("threadproc: fork: status %s, parent threads %d\n", b, mine);
	if (strcmp(b, "EXITED 0") != 0)
		return (void *)"the child has more than one thread, or no child";
	return mine == 4 ? NULL : (void *)"the parent does not have 4 threads";
}

static const char *test_fork(void)
{
	void *why = "pthread_create failed";
	pthread_t t[3];
	int n;

	set_go(0);
	n = start_threads(t, 3, fork_thread);
	if (n == 3)
		pthread_join(t[2], &why);
	set_go(1);
	join_threads(t, n < 3 ? n : 2, NULL);
	return why;
}

/* ---- ps: threads in /proc and ps -T ------------------------------------- */

static const int ps_prio[3] = { 2, 5, 6 };
static pid_t ps_tid[3];

static void *ps_thread(void *arg)
{
	ps_tid[(intptr_t)arg] = gettid_raw();
	return wait_for_go(arg);
}

/* ps -T (on Linux, of this process only): its wait status into *arg. */
static void *ps_run(void *arg)
{
	char pid[16];
	pid_t child;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	printf("threadproc: ps: ps -T from thread %d\n", (int)gettid_raw());
	if ((child = fork_flushed()) == 0) {
		if (on_kestrel())
			execl("/bin/ps", "ps", "-T", (char *)NULL);
		else
			execlp("ps", "ps", "-T", "-p", pid, (char *)NULL);
		_exit(127);
	}
	*(int *)arg = wait_child(child);
	return NULL;
}

/* Print thread tid's state and priority (fields 3 and 18 of
 * /proc/self/task/TID/stat, as ps reads them): true if they are `state`
 * and (on kestrel) prio. */
static int ps_task(pid_t tid, char state, int prio)
{
	char path[64], buf[512] = "", got, *f;
	FILE *file;
	int i = 3;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if ((file = fopen(path, "r"))) {
		if (!fgets(buf, sizeof(buf), file))
			buf[0] = '\0';
		fclose(file);
	}
	f = strrchr(buf, ')') ? strtok(strrchr(buf, ')') + 1, " \n") : NULL;
	got = f ? f[0] : '?';
	while (f && i++ < 18)
		f = strtok(NULL, " \n");
	printf("threadproc: ps: %d %c %d\n", (int)tid, got, f ? atoi(f) : -1);
	return got == state && (!on_kestrel() || (f && atoi(f) == prio));
}

static int by_tid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

/* /proc/self/task must list main and the three; main is R (reading), the
 * three S at their priorities. */
static const char *ps_check(void)
{
	pid_t tids[16], want[4] = { getpid(), ps_tid[0], ps_tid[1], ps_tid[2] };
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0, ok = 1;

	while (d && (e = readdir(d)) && n < 16)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			tids[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	qsort(tids, (size_t)n, sizeof(*tids), by_tid);
	qsort(want, 4, sizeof(*want), by_tid);
	printf("threadproc: ps: task dir");
	for (int i = 0; i < n; i++) {
		printf(" %d", (int)tids[i]);
		ok &= i < 4 && tids[i] == want[i];
	}
	printf("\n");
	if (!ok || n != 4)
		return "/proc/self/task is not main and the three";
	for (int i = 0, k = 0; i < 4; i++, k = 0) {
		while (k < 3 && ps_tid[k] != tids[i])
			k++;
		ok &= k == 3 ? ps_task(tids[i], 'R', 4) : ps_task(tids[i], 'S', ps_prio[k]);
	}
	return ok ? NULL : "a wrong state or priority";
}

static const char *test_ps(void)
{
	int n, ok = 1, status = -1;
	pthread_t t[3], runner;
	const char *why;
	char b[32];

	set_go(0);
	n = start_threads(t, 3, ps_thread);
	for (int i = 0; i < n; i++) {
		while (!ps_tid[i])
			sched_yield();
		ok &= !on_kestrel() || os_setpriority(ps_tid[i], ps_prio[i]) == 0;
	}
	if (n < 3 || !ok || await_threads(0, 4, 2000) != 4) {
		why = "pthread_create or os_setpriority failed";
	} else {
		sleep_ms(20); /* into their futex waits */
		printf("threadproc: ps: pid %d tids %d %d %d", (int)getpid(), (int)ps_tid[0],
		       (int)ps_tid[1], (int)ps_tid[2]);
		printf(on_kestrel() ? " prios %d %d %d\n" : "\n", ps_prio[0], ps_prio[1],
		       ps_prio[2]);
		if (pthread_create(&runner, NULL, ps_run, &status) == 0)
			pthread_join(runner, NULL);
		printf("threadproc: ps: ps -T status %s\n", status_text(status, b));
		if (!(why = ps_check()) && status != 0)
			why = "ps -T failed";
	}
	set_go(1);
	join_threads(t, n, NULL);
	return why;
}

/* ---- tgkill, sigmask: which thread takes a signal ----------------------- */

static volatile pid_t handled_by;
static volatile int sig_stop, sig_ready;
static pid_t sig_tid[3];

static void record_tid(int sig)
{
	(void)sig;
	handled_by = gettid_raw();
}

/* Threads report their tid and sleep until sig_stop.  Under sigmask,
 * thread 1 unblocks SIGUSR2 (all inherited main's mask, which blocks it). */
static void *sig_thread(void *arg)
{
	int i = (int)(intptr_t)arg;
	sigset_t set;

	sig_tid[i] = gettid_raw();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (i == 1)
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	__atomic_fetch_add(&sig_ready, 1, __ATOMIC_SEQ_CST);
	while (!sig_stop)
		sleep_ms(1);
	return NULL;
}

/* Start n sig_threads, raise sig at target (a thread, or 0: the process):
 * the tid that handled it, 0 for none in 2 s, -1 if a call failed. */
static pid_t sig_round(int n, int sig, int target)
{
	struct sigaction sa = { .sa_handler = record_tid };
	pthread_t t[3];
	int started, sent = -1;

	sigaction(sig, &sa, NULL);
	handled_by = 0;
	sig_stop = sig_ready = 0;
	started = start_threads(t, n, sig_thread);
	while (started == n && sig_ready < n)
		sleep_ms(1);
	if (started == n)
		sent = target ? pthread_kill(t[target], sig) : kill(getpid(), sig);
	for (int i = 0; sent == 0 && !handled_by && i < 2000; i++)
		sleep_ms(1);
	sig_stop = 1;
	join_threads(t, started, NULL);
	signal(sig, SIG_DFL);
	return sent == 0 ? handled_by : -1;
}

static const char *test_tgkill(void)
{
	pid_t h = sig_round(2, SIGUSR1, 1);

	printf("threadproc: tgkill: sent to %d, handled by %d\n", (int)sig_tid[1], (int)h);
	return h == sig_tid[1] ? NULL
	       : h == -1       ? "pthread_kill failed"
			       : "handled by another thread";
}

static const char *test_sigmask(void)
{
	sigset_t set, old;
	pid_t h;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	h = sig_round(3, SIGUSR2, 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	printf("threadproc: sigmask: unblocked %d, handled by %d\n", (int)sig_tid[1], (int)h);
	return h == sig_tid[1] ? NULL
	       : h == -1       ? "kill failed"
			       : "not handled by the unblocked one";
}

/* ---- kill: a fatal signal ends every thread ----------------------------- */

/* Threads 0 and 1 wait on a futex, 2 and 3 on a condition variable. */
static void *kill_thread(void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
	static int word;

	while ((intptr_t)arg < 2)
		futex_call(&word, FUTEX_WAIT_PRIVATE, 0);
	pthread_mutex_lock(&lock);
	while (arg)
		pthread_cond_wait(&never, &lock);
	return arg;
}

/* A child with main and four kill_threads, sent sig once they are all
 * there: its status as text, into buf[32]. */
static const char *kill_round(int sig, char *buf)
{
	pid_t pid = fork_threads(4, kill_thread);

	if (pid > 0 && await_threads(pid, 5, 2000) == 5) {
		sleep_ms(20); /* into their waits */
		kill(pid, sig);
	}
	return status_text(wait_child(pid), buf);
}

static const char *test_kill(void)
{
	char b[2][32];

	kill_round(SIGKILL, b[0]);
	kill_round(SIGTERM, b[1]);
	printf("threadproc: kill: SIGKILL %s, SIGTERM %s\n", b[0], b[1]);
	if (strcmp(b[0], "SIGNALED 9") != 0 || strcmp(b[1], "SIGNALED 15") != 0)
		return "not SIGNALED 9 and SIGNALED 15";
	return NULL;
}

/* ---- main --------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *(*fn)(void);
} tests[] = {
	{ "exitgroup", test_exitgroup },
	{ "threadexit", test_threadexit },
	{ "exec", test_exec },
	{ "fork", test_fork },
	{ "ps", test_ps },
	{ "tgkill", test_tgkill },
	{ "sigmask", test_sigmask },
	{ "kill", test_kill },
};

int main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "execd") == 0)
		return execd(argc > 2 ? argv[2] : NULL);
	/* kestrel has no /proc/self/exe; run=threadproc gives argv[0] "threadproc" */
	if (access("/proc/self/exe", X_OK) == 0)
		self_path = "/proc/self/exe";
	else
		self_path = argv[0] && strchr(argv[0], '/') ? argv[0] : "/bin/threadproc";
	for (int a = 1; a < argc; a++) {
		int known = 0;

		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			known |= strcmp(argv[a], tests[i].name) == 0;
		if (!known)
			result(argv[a], "no such test");
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!test_wanted(tests[i].name, argc, argv))
			continue;
		result(tests[i].name, tests[i].fn());
		fflush(stdout);
	}
	printf("threadproc: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
