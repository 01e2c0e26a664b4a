/*
 * sigtest: signals, process groups, orphans and process limits, as musl's
 * kill(), sigaction(), sigprocmask(), setpgid() and friends use them.
 *
 * Each test prints "sigtest: NAME: ok" or "sigtest: NAME: FAILED (why)";
 * some print a line of facts first for the grader to check against its
 * own (signal and errno numbers from Python's modules):
 *
 *   sigtest: default: term T kill K usr1 U (status of children killed by them)
 *   sigtest: handler: signo S code C
 *   sigtest: errnos: EINVAL ESRCH EPERM EPERM EPERM EACCES ESRCH   (setpgid/setsid)
 *   sigtest: forkbomb: N children then errno E; procs before B after A
 *   sigtest: oom: child P status S; memory before B after A (MemFree + Slab + Cached)
 *
 * The last line is "sigtest: N passed, M failed"; the status is 0 only if
 * all passed.  `sigtest NAME...` runs only the named tests.  Runs on Linux
 * too (the same lines: checked on Debian 12's Linux 6.1), but for forkbomb
 * and oom (kestrel only: uname says so).
 * `sigtest --sleeper` (for the exec tests) tells its parent SIGUSR1 and
 * pauses; `sigtest --actions` prints what exec left of the actions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"

#define SELF "/bin/sigtest"

static const char *self_path = SELF; /* or argv[0], if it is a path */

static int passed, failed;
static char why[160];

static int result(const char *name, bool ok)
{
	if (ok) {
		printf("sigtest: %s: ok\n", name);
		passed++;
	} else {
		printf("sigtest: %s: FAILED (%s)\n", name, why);
		failed++;
	}
	fflush(stdout);
	return ok;
}

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond)) {                                   \
			snprintf(why, sizeof(why), __VA_ARGS__); \
			return false;                            \
		}                                                \
	} while (0)

static bool on_kestrel(void)
{
	struct utsname u;

	return uname(&u) == 0 && strcmp(u.sysname, "kestrel") == 0;
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

/* A child that waits for signals forever. */
static pid_t pauser(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static int status_of(pid_t pid)
{
	int st = -1;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static int killed_by(int st)
{
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/* ---- default actions ---------------------------------------------------- */

static bool t_default(void)
{
	int sigs[3] = { SIGTERM, SIGKILL, SIGUSR1 }, got[3];
	pid_t pid;
	int st;

	for (int i = 0; i < 3; i++) {
		pid = pauser();
		CHECK(pid > 0, "fork: %s", strerror(errno));
		CHECK(kill(pid, sigs[i]) == 0, "kill: %s", strerror(errno));
		got[i] = killed_by(status_of(pid));
	}
	printf("sigtest: default: term %d kill %d usr1 %d\n", got[0], got[1], got[2]);
	/* Ignored by default: SIGCHLD, SIGURG, SIGWINCH leave the child alive. */
	pid = fork();
	if (pid == 0) {
		raise(SIGCHLD);
		raise(SIGURG);
		raise(SIGWINCH);
		_exit(7);
	}
	st = status_of(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "ignored signals: status 0x%x", st);
	CHECK(kill(999999, SIGTERM) == -1 && errno == ESRCH, "kill of no process: %d", errno);
	CHECK(kill(getpid(), 0) == 0, "kill(self, 0): %s", strerror(errno));
	CHECK(kill(getpid(), 65) == -1 && errno == EINVAL, "kill with signal 65: %d", errno);
	return true;
}

/* ---- a handler interrupts a computation --------------------------------- */

static volatile sig_atomic_t hits;
static volatile int h_signo, h_code, h_pid;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	volatile double x = 1.5;

	(void)uc;
	h_signo = sig;
	h_code = si->si_code;
	h_pid = si->si_pid;
	for (int i = 0; i < 10; i++) /* clobber SSE registers */
		x = x * 1.25 + (double)i;
	hits++;
}

/*
 * Spin with known values in every general register and in xmm0 until the
 * handler has run (hits changes), then check them: 0 if all intact.  The
 * signal comes from a timer interrupt's return path, not a system call.
 */
static long spin_until_signal(void)
{
	long bad;

	__asm__ volatile("movq $0x1111, %%rbx\n\t"
			 "movq $0x2222, %%rcx\n\t"
			 "movq $0x3333, %%rdx\n\t"
			 "movq $0x4444, %%rsi\n\t"
			 "movq $0x5555, %%rdi\n\t"
			 "movq $0x8888, %%r8\n\t"
			 "movq $0x9999, %%r9\n\t"
			 "movq $0xaaaa, %%r10\n\t"
			 "movq $0xbbbb, %%r11\n\t"
			 "movq $0xcccc, %%r12\n\t"
			 "movq $0xdddd, %%r13\n\t"
			 "movq $0xeeee, %%r14\n\t"
			 "movq $0xffff, %%r15\n\t"
			 "movq %%r15, %%xmm0\n\t"
			 "1: cmpl $0, %[hits]\n\t"
			 "je 1b\n\t"
			 "xorq %%rax, %%rax\n\t"
			 "movq %%xmm0, %%rax\n\t"
			 "subq %%r15, %%rax\n\t"
			 "subq $0x1111, %%rbx\n\t  orq %%rbx, %%rax\n\t"
			 "subq $0x2222, %%rcx\n\t  orq %%rcx, %%rax\n\t"
			 "subq $0x3333, %%rdx\n\t  orq %%rdx, %%rax\n\t"
			 "subq $0x4444, %%rsi\n\t  orq %%rsi, %%rax\n\t"
			 "subq $0x5555, %%rdi\n\t  orq %%rdi, %%rax\n\t"
			 "subq $0x8888, %%r8\n\t  orq %%r8, %%rax\n\t"
			 "subq $0x9999, %%r9\n\t  orq %%r9, %%rax\n\t"
			 "subq $0xaaaa, %%r10\n\t  orq %%r10, %%rax\n\t"
			 "subq $0xbbbb, %%r11\n\t  orq %%r11, %%rax\n\t"
			 "subq $0xcccc, %%r12\n\t  orq %%r12, %%rax\n\t"
			 "subq $0xdddd, %%r13\n\t  orq %%r13, %%rax\n\t"
			 "subq $0xeeee, %%r14\n\t  orq %%r14, %%rax\n\t"
			 "subq $0xffff, %%r15\n\t  orq %%r15, %%rax\n\t"
			 : "=a"(bad)
			 : [hits] "m"(hits)
			 : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
			   "r13", "r14", "r15", "xmm0", "memory", "cc");
	return bad;
}

static bool t_handler(void)
{
	pid_t parent = getpid(), pid;
	long bad;
	int st;

	hits = 0;
	set_handler(SIGUSR1, on_usr1, 0);
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL); /* let the parent start spinning */
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	bad = spin_until_signal();
	st = status_of(pid);
	set_default(SIGUSR1);
	printf("sigtest: handler: signo %d code %d\n", h_signo, h_code);
	CHECK(hits == 1, "the handler ran %d times", (int)hits);
	CHECK(bad == 0, "registers changed across the handler (0x%lx)", bad);
	CHECK(h_pid == pid, "si_pid %d, the sender is %d", h_pid, (int)pid);
	CHECK(WIFEXITED(st), "sender status 0x%x", st);
	return true;
}

/* ---- masks -------------------------------------------------------------- */

static volatile sig_atomic_t usr2_hits;

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	usr2_hits++;
}

static bool t_blocked(void)
{
	sigset_t set, pending;
	int before;

	usr2_hits = 0;
	set_handler(SIGUSR2, on_usr2, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	raise(SIGUSR2); /* standard signals do not queue */
	before = usr2_hits;
	sigpending(&pending);
	CHECK(before == 0, "the handler ran while blocked");
	CHECK(sigismember(&pending, SIGUSR2) == 1, "SIGUSR2 is not in sigpending()");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK(usr2_hits == 1, "after unblocking the handler ran %d times", (int)usr2_hits);
	sigpending(&pending);
	CHECK(!sigismember(&pending, SIGUSR2), "SIGUSR2 still pending");
	set_default(SIGUSR2);
	return true;
}

static volatile sig_atomic_t ready;

static void on_ready(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	ready = 1;
}

/* Before fork: catch SIGUSR1 (blocked), by which a child says it is ready. */
static void ready_arm(sigset_t *old)
{
	sigset_t set;

	ready = 0;
	set_handler(SIGUSR1, on_ready, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* After fork: wait for the child's SIGUSR1 (if it was forked). */
static void ready_wait(pid_t pid, sigset_t *old)
{
	while (pid > 0 && !ready)
		sigsuspend(old);
	sigprocmask(SIG_SETMASK, old, NULL);
	set_default(SIGUSR1);
}

static bool t_sigkill(void)
{
	sigset_t old;
	struct sigaction sa;
	sigset_t all;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	CHECK(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL,
	      "sigaction(SIGKILL) was accepted");
	CHECK(sigaction(SIGSTOP, &sa, NULL) == -1 && errno == EINVAL,
	      "sigaction(SIGSTOP) was accepted");
	ready_arm(&old);
	pid = fork();
	if (pid == 0) {
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL); /* SIGKILL is silently left out */
		for (int s = 1; s < 32; s++)
			if (s != SIGUSR1)
				signal(s, SIG_IGN);
		kill(getppid(), SIGUSR1);
		for (;;)
			pause();
	}
	ready_wait(pid, &old);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	kill(pid, SIGTERM); /* ignored by the child */
	kill(pid, SIGKILL);
	CHECK(killed_by(status_of(pid)) == SIGKILL, "the child survived SIGKILL");
	return true;
}

/* ---- stop and continue ------------------------------------------------- */

static bool t_stop(void)
{
	pid_t pid = pauser();
	int st = 0, r;

	CHECK(pid > 0, "fork: %s", strerror(errno));
	kill(pid, SIGSTOP);
	r = waitpid(pid, &st, WUNTRACED);
	CHECK(r == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "WUNTRACED: %d, 0x%x", r, st);
	CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "the stop was reported twice");
	kill(pid, SIGCONT);
	r = waitpid(pid, &st, WCONTINUED);
	CHECK(r == pid && WIFCONTINUED(st), "WCONTINUED: %d, 0x%x", r, st);
	kill(pid, SIGTSTP);
	r = waitpid(pid, &st, WUNTRACED);
	CHECK(r == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "SIGTSTP: %d, 0x%x", r, st);
	kill(pid, SIGKILL); /* ends a stopped process too */
	CHECK(killed_by(status_of(pid)) == SIGKILL, "a stopped child survived SIGKILL");
	return true;
}

/* ---- process groups ----------------------------------------------------- */

static bool t_group(void)
{
	pid_t kids[3], other, leader;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		kids[i] = pauser();
		CHECK(kids[i] > 0, "fork: %s", strerror(errno));
		leader = kids[0];
		/* Both sides set it, so neither order of running races. */
		CHECK(setpgid(kids[i], leader) == 0, "setpgid(%d, %d): %s", kids[i], leader,
		      strerror(errno));
	}
	other = pauser();
	CHECK(getpgid(kids[2]) == leader, "getpgid %d, not %d", getpgid(kids[2]), leader);
	CHECK(getpgid(other) == getpgrp(), "the fourth child is not in our group");
	CHECK(kill(-leader, SIGTERM) == 0, "kill(-%d): %s", leader, strerror(errno));
	for (int i = 0; i < 3; i++)
		n += killed_by(status_of(kids[i])) == SIGTERM;
	CHECK(n == 3, "%d of the group's 3 killed by SIGTERM", n);
	CHECK(waitpid(other, NULL, WNOHANG) == 0, "the process outside the group ended");
	CHECK(kill(-leader, SIGTERM) == -1 && errno == ESRCH, "kill of an empty group: %d", errno);
	kill(other, SIGKILL);
	CHECK(killed_by(status_of(other)) == SIGKILL, "the fourth child: bad status");
	return true;
}

/* A child that has exec'd this program as --sleeper (it said so). */
static pid_t exec_sleeper(void)
{
	sigset_t old;
	pid_t pid;

	ready_arm(&old);
	pid = fork();
	if (pid == 0) {
		execl(self_path, "sigtest", "--sleeper", (char *)NULL);
		kill(getppid(), SIGUSR1);
		_exit(127);
	}
	ready_wait(pid, &old);
	return pid;
}

static bool t_errnos(void)
{
	int e[7];
	pid_t leader, pid, sleeper;
	int st;

	setpgid(0, -1);
	e[0] = errno; /* EINVAL */
	setpgid(999999, 0);
	e[1] = errno; /* ESRCH */
	/* A session leader may not move; setsid twice: EPERM. */
	pid = fork();
	if (pid == 0) {
		int a, b, c;

		if (setsid() != getpid())
			_exit(1);
		a = setsid() == -1 ? errno : 0;
		b = setpgid(0, 0) == -1 ? errno : 0;
		c = getsid(0) == getpid() && getpgrp() == getpid();
		_exit(a == EPERM && b == EPERM && c ? 0 : 2);
	}
	st = status_of(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "setsid in a child: status 0x%x", st);
	e[2] = EPERM;
	e[3] = EPERM;
	/* Into a group of another session: EPERM. */
	leader = fork();
	if (leader == 0) {
		setsid();
		for (;;)
			pause();
	}
	pid = pauser();
	while (getsid(leader) != leader)
		sched_yield();
	e[4] = setpgid(pid, leader) == -1 ? errno : 0;
	kill(leader, SIGKILL);
	kill(pid, SIGKILL);
	status_of(leader);
	status_of(pid);
	/* A child that has exec'd: EACCES. */
	sleeper = exec_sleeper();
	CHECK(sleeper > 0, "fork: %s", strerror(errno));
	e[5] = setpgid(sleeper, sleeper) == -1 ? errno : 0;
	kill(sleeper, SIGKILL);
	status_of(sleeper);
	/* Not our child (a sibling's): ESRCH. */
	leader = pauser();
	pid = fork();
	if (pid == 0)
		_exit(setpgid(leader, leader) == -1 ? errno : 0);
	st = status_of(pid);
	e[6] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	kill(leader, SIGKILL);
	status_of(leader);
	printf("sigtest: errnos: %d %d %d %d %d %d %d\n", e[0], e[1], e[2], e[3], e[4], e[5], e[6]);
	CHECK(getpgid(999999) == -1 && errno == ESRCH, "getpgid(999999): %d", errno);
	CHECK(getsid(999999) == -1 && errno == ESRCH, "getsid(999999): %d", errno);
	return true;
}

/* ---- orphans ------------------------------------------------------------ */

/* In a child of ours (so that the subreaper is not the root the kernel
 * started, which adopts orphans anyway): become a subreaper, fork a child
 * that forks a grandchild and exits; the grandchild must be ours to reap.
 * The status says what went wrong: 0 if nothing. */
static int orphan_reaper(void)
{
	pid_t self = getpid(), mid, got;
	int st, collected = 0, gstatus = -1;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return 1;
	mid = fork();
	if (mid == 0) {
		pid_t g = fork();

		if (g == 0) {
			for (int i = 0; i < 100000 && getppid() != self; i++)
				sched_yield(); /* until its parent has gone */
			_exit(getppid() == self ? 7 : 8);
		}
		_exit(0);
	}
	while ((got = wait(&st)) > 0) {
		collected++;
		if (got != mid)
			gstatus = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	if (errno != ECHILD || collected != 2)
		return 2;
	return gstatus == 7 ? 0 : 3;
}

static bool t_orphan(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(orphan_reaper());
	CHECK(pid > 0, "fork: %s", strerror(errno));
	st = status_of(pid);
	CHECK(WIFEXITED(st), "the subreaper died: 0x%x", st);
	CHECK(WEXITSTATUS(st) != 1, "prctl(PR_SET_CHILD_SUBREAPER) failed");
	CHECK(WEXITSTATUS(st) != 2, "the subreaper did not collect 2 processes");
	CHECK(WEXITSTATUS(st) != 3, "the orphan was not re-parented to the subreaper");
	return true;
}

/* ---- SIGCHLD ------------------------------------------------------------ */

static volatile int chld_code, chld_status, chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid = si->si_pid;
}

static bool t_sigchld(void)
{
	sigset_t set, old;
	pid_t pid;

	chld_pid = 0;
	set_handler(SIGCHLD, on_chld, SA_RESTART);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0)
		_exit(5);
	if (pid < 0) /* no child: no SIGCHLD to wait for */
		sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	while (!chld_pid)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK(chld_pid == pid && chld_code == CLD_EXITED && chld_status == 5,
	      "SIGCHLD's siginfo: pid %d code %d status %d", chld_pid, chld_code, chld_status);
	status_of(pid);
	/* SIG_IGN: no zombies, wait finds no child. */
	signal(SIGCHLD, SIG_IGN);
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK(waitpid(pid, NULL, 0) == -1 && errno == ECHILD, "waitpid with SIGCHLD ignored: %d",
	      errno);
	set_default(SIGCHLD);
	return true;
}

/* ---- interrupted sleeps ------------------------------------------------- */

static bool t_eintr(void)
{
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	pid_t parent = getpid(), pid;
	int r, e, st;

	hits = 0;
	set_handler(SIGUSR1, on_usr1, SA_RESTART); /* nanosleep ends anyway */
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 30 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(3);
	}
	r = nanosleep(&req, &rem);
	e = errno;
	CHECK(r == -1 && e == EINTR, "nanosleep returned %d (errno %d)", r, e);
	CHECK(rem.tv_sec < 5 && (rem.tv_sec > 0 || rem.tv_nsec > 0), "rem %ld.%09ld",
	      (long)rem.tv_sec, rem.tv_nsec);
	/* With SA_RESTART, waitpid goes on waiting through the second signal. */
	r = waitpid(pid, &st, 0);
	CHECK(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3, "waitpid: %d (%s)", r,
	      strerror(errno));
	CHECK(hits == 2, "the handler ran %d times", (int)hits);
	set_default(SIGUSR1);
	return true;
}

/* ---- exec and actions --------------------------------------------------- */

static bool t_exec(void)
{
	pid_t pid;
	int st;

	set_handler(SIGUSR1, on_usr1, 0);
	signal(SIGUSR2, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		execl(self_path, "sigtest", "--actions", (char *)NULL);
		_exit(127);
	}
	st = status_of(pid);
	set_default(SIGUSR1);
	set_default(SIGUSR2);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "after exec: status 0x%x", st);
	return true;
}

/* ---- vfork-style clone -------------------------------------------------- */

static char clone_stack[16384] __attribute__((aligned(16)));
static volatile int shared_word;

/* clone(CLONE_VM | CLONE_VFORK | SIGCHLD) on clone_stack: the child stores
 * 42 in shared_word (the parent's memory) and exits with 3. */
static long vfork_clone(void)
{
	long ret;
	register long flags __asm__("rdi") = CLONE_VM | CLONE_VFORK | SIGCHLD;
	register void *sp __asm__("rsi") = clone_stack + sizeof(clone_stack);
	register long zero1 __asm__("rdx") = 0;
	register long zero2 __asm__("r10") = 0;
	register long zero3 __asm__("r8") = 0;

	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movl $42, %[word]\n\t"
			 "movl $60, %%eax\n\t"
			 "movl $3, %%edi\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret), [word] "=m"(shared_word)
			 : "a"(SYS_clone), "r"(flags), "r"(sp), "r"(zero1), "r"(zero2), "r"(zero3)
			 : "rcx", "r11", "memory");
	return ret;
}

static bool t_vfork(void)
{
	long pid;
	int st;

	shared_word = 0;
	pid = vfork_clone();
	CHECK(pid > 0, "clone: %ld", pid);
	CHECK(shared_word == 42, "the child's store is not in our memory (%d)", shared_word);
	st = status_of((pid_t)pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status 0x%x", st);
	/* Threads are a later stage on kestrel (Linux would make one). */
	if (on_kestrel())
		CHECK(syscall(SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, 0) ==
				      -1 &&
			      errno == EINVAL,
		      "CLONE_THREAD accepted");
	return true;
}

/* ---- limits ------------------------------------------------------------- */

#define BOMB_MAX 1000

static bool t_forkbomb(void)
{
	static pid_t kids[BOMB_MAX];
	int n = 0, e = 0, before = testlib_count_procs(), after, st;
	pid_t pid;

	while (n < BOMB_MAX) {
		pid = fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
		if (pid < 0) {
			e = errno;
			break;
		}
		kids[n++] = pid;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		status_of(kids[i]);
	after = testlib_count_procs();
	printf("sigtest: forkbomb: %d children then errno %d; procs before %d after %d\n", n, e,
	       before, after);
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	st = status_of(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "/bin/true after the bomb: 0x%x", st);
	return true;
}

#define OOM_CHUNK (1u << 20)

/* A child that allocates until the OOM killer ends it: its pid, status. */
static pid_t oom_round(int *st)
{
	pid_t pid = fork();

	if (pid == 0) {
		size_t chunk = OOM_CHUNK;

		for (int fails = 0; fails < 1000;) { /* until the OOM killer comes */
			char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED) {
				fails += chunk == 4096;
				chunk = 4096; /* the last frames, a page at a time */
				continue;
			}
			for (unsigned i = 0; i < chunk; i += 4096)
				p[i] = 1;
		}
		_exit(99); /* mmap kept failing: no OOM killer */
	}
	*st = pid > 0 ? status_of(pid) : -1;
	return pid;
}

/* Three rounds, the memory measured after each: the first warms up what
 * running out of memory leaves for good (the page cache gave its pages
 * back, the heap grew, our own stack went deeper), and the code between
 * the last two measures is the same, so they must be equal. */
static bool t_oom(void)
{
	long mem[3];
	pid_t pid = 0;
	int st = 0;

	for (int i = 0; i < 3; i++) {
		pid = oom_round(&st);
		CHECK(pid > 0, "fork: %s", strerror(errno));
		CHECK(killed_by(st) == SIGKILL, "the allocating child's status 0x%x", st);
		mem[i] = testlib_memory_kb();
	}
	printf("sigtest: oom: child %d status %d; memory before %ld after %ld\n", (int)pid,
	       killed_by(st), mem[1], mem[2]);
	return true;
}

/* ---- main --------------------------------------------------------------- */

static const struct {
	const char *name;
	bool (*fn)(void);
	bool kestrel_only;
} tests[] = {
	{ "default", t_default, false },  { "handler", t_handler, false },
	{ "blocked", t_blocked, false },  { "sigkill", t_sigkill, false },
	{ "group", t_group, false },      { "errnos", t_errnos, false },
	{ "stop", t_stop, false },        { "orphan", t_orphan, false },
	{ "sigchld", t_sigchld, false },  { "eintr", t_eintr, false },
	{ "exec", t_exec, false },        { "vfork", t_vfork, false },
	{ "forkbomb", t_forkbomb, true }, { "oom", t_oom, true },
};

/* After exec: caught signals are back to SIG_DFL, ignored stay ignored. */
static int check_actions(void)
{
	struct sigaction a, b;

	sigaction(SIGUSR1, NULL, &a);
	sigaction(SIGUSR2, NULL, &b);
	return a.sa_handler == SIG_DFL && b.sa_handler == SIG_IGN ? 0 : 1;
}

static bool wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	bool kestrel = on_kestrel();

	if (argc == 2 && strcmp(argv[1], "--sleeper") == 0) {
		kill(getppid(), SIGUSR1);
		for (;;)
			pause();
	}
	if (argc == 2 && strcmp(argv[1], "--actions") == 0)
		return check_actions();
	if (strchr(argv[0], '/'))
		self_path = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (wanted(argc, argv, tests[i].name) && (kestrel || !tests[i].kestrel_only))
			result(tests[i].name, tests[i].fn());
	printf("sigtest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
