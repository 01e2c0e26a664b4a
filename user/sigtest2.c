/*
 * sigtest2: signals from faults, the alternate signal stack, the interval
 * timer and interrupted calls, as programs use them through musl's
 * sigaction(), sigsetjmp()/siglongjmp(), sigaltstack(), alarm() and
 * setitimer().  (user/sigtest.c tests kill, masks, job control, groups.)
 *
 * Each test prints lines of facts, then "sigtest2: NAME: ok" or
 * "sigtest2: NAME: FAILED (why)".  grade/ipc_signals.py checks the facts
 * against its own: signal, si_code and errno numbers from Linux's
 * headers, the page-fault error code bits of the Intel SDM, the
 * program's code bytes at the addresses it reports, the kernel's tick.
 *
 *   segv: KIND at A: signo S code C addr X trapno T err E cr2 Y   (KIND:
 *         unmapped, readonly, none); retried: N runs, value V;
 *         blocked: killed by S, ignored: killed by S
 *   fpe, ill, trap: KIND at A: signo S code C addr X trapno T rip R ...
 *   altstack: errnos, flags of a thread, a fork child and an exec'd one,
 *         the overflow handler's view of its stack
 *   alarm, itimer: times in ms from CLOCK_MONOTONIC, alarm's results
 *   restart: what a pipe read interrupted by SIGALRM gave
 *   sigchld: each child's pid, and the handler's si_pid si_code si_status
 *   sigreturn: the signal that killed each child with a corrupt frame
 *   thread: the tid that faulted and the one whose handler ran
 *   tty: waits for a Ctrl-C typed on the terminal (run only if named)
 *
 * The last line is "sigtest2: N passed, M failed"; the status is 0 only
 * if all passed.  `sigtest2 NAME...` runs only the named tests.  Runs on
 * Linux too (musl-gcc -static -pthread), with the same lines.
 * `sigtest2 --altstack` (exec'd by altstack) prints its flags;
 * `sigtest2 --alarmed` (exec'd by itimer) says what the timer has left and
 * pauses until SIGALRM ends it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "testlib.h"

static const char *self_path = "/bin/sigtest2"; /* or argv[0], if a path */

static int passed, failed;
static char why[160];

static bool result(const char *name, bool ok)
{
	if (ok) {
		printf("sigtest2: %s: ok\n", name);
		passed++;
	} else {
		printf("sigtest2: %s: FAILED (%s)\n", name, why);
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

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Addresses no program maps (below USER_MIN on kestrel, mmap_min_addr on
 * Linux), behind volatile so gcc lets us use them. */
static int *volatile low16 = (int *)16, *volatile low64 = (int *)0x40;

static int status_of(pid_t pid)
{
	int st = -1;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

/* The signal that killed a child (0 if it exited). */
static int killer(pid_t pid)
{
	int st = status_of(pid);

	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/* ---- what a handler saw ------------------------------------------------ */

static struct {
	int signo, code, hits, tid;
	uintptr_t addr, rip, trapno, err, cr2;
	unsigned mxcsr, fcw;
} got;
static sigjmp_buf jump;

static unsigned read_mxcsr(void)
{
	unsigned m;

	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static unsigned read_fcw(void)
{
	unsigned short fcw;

	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	return fcw;
}

static void record(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	got.signo = sig;
	got.code = si->si_code;
	got.addr = (uintptr_t)si->si_addr;
	got.rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	got.trapno = (uintptr_t)uc->uc_mcontext.gregs[REG_TRAPNO];
	got.err = (uintptr_t)uc->uc_mcontext.gregs[REG_ERR];
	got.cr2 = (uintptr_t)uc->uc_mcontext.gregs[REG_CR2];
	got.mxcsr = read_mxcsr();
	got.fcw = read_fcw();
	got.tid = (int)syscall(SYS_gettid);
	got.hits++;
}

static void on_fault_jump(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(jump, 1);
}

/* The fault's line: "sigtest2: TEST: KIND at A: signo S code C addr X
 * trapno T err E cr2 Y rip R". */
static void print_fault(const char *test, const char *kind, uintptr_t at)
{
	printf("sigtest2: %s: %s at 0x%lx: signo %d code %d addr 0x%lx trapno %lu err 0x%lx "
	       "cr2 0x%lx rip 0x%lx\n",
	       test, kind, (unsigned long)at, got.signo, got.code, (unsigned long)got.addr,
	       (unsigned long)got.trapno, (unsigned long)got.err, (unsigned long)got.cr2,
	       (unsigned long)got.rip);
}

/* ---- SIGSEGV ----------------------------------------------------------- */

static char *page_map(int prot)
{
	char *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Touch at (a write if write) under on_fault_jump: did it fault? */
static bool touch_faults(volatile char *at, bool write)
{
	memset(&got, 0, sizeof(got));
	if (sigsetjmp(jump, 1))
		return true;
	if (write)
		*at = 1;
	else
		(void)*at;
	return false;
}

static char *retry_page;

/* Make the page writable and return: the write runs again, and works. */
static void on_segv_retry(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	mprotect(retry_page, 4096, PROT_READ | PROT_WRITE);
}

/* A child that faults with SIGSEGV blocked (block) or ignored: it dies. */
static int fault_child(bool block)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		if (block)
			sigprocmask(SIG_BLOCK, &set, NULL);
		else
			signal(SIGSEGV, SIG_IGN);
		*low16 = 1;
		_exit(0);
	}
	return killer(pid);
}

static bool t_segv(void)
{
	char *gone = page_map(PROT_READ), *ro = page_map(PROT_READ), *none = page_map(PROT_NONE);
	volatile char *p;
	int blocked, ignored;

	CHECK(gone && ro && none, "mmap: %s", strerror(errno));
	munmap(gone, 4096);
	set_action(SIGSEGV, on_fault_jump, 0);
	p = gone + 0x123;
	CHECK(touch_faults(p, false), "reading an unmapped page did not fault");
	print_fault("segv", "unmapped", (uintptr_t)p);
	p = ro + 0x456;
	(void)*p; /* present now: the write is a protection fault */
	CHECK(touch_faults(p, true), "writing a read-only page did not fault");
	print_fault("segv", "readonly", (uintptr_t)p);
	p = none + 0x789;
	CHECK(touch_faults(p, false), "reading a PROT_NONE page did not fault");
	print_fault("segv", "none", (uintptr_t)p);

	retry_page = ro;
	memset(&got, 0, sizeof(got));
	set_action(SIGSEGV, on_segv_retry, 0);
	*(volatile char *)(ro + 8) = 42;
	printf("sigtest2: segv: retried: handler ran %d times, value %d\n", got.hits, ro[8]);
	signal(SIGSEGV, SIG_DFL);
	blocked = fault_child(true);
	ignored = fault_child(false);
	printf("sigtest2: segv: blocked: killed by %d, ignored: killed by %d\n", blocked, ignored);
	munmap(ro, 4096);
	munmap(none, 4096);
	return true;
}

/* ---- SIGFPE, SIGILL, SIGTRAP ------------------------------------------- */

/* Each of these stores the address of the instruction at 1: (or 2:) into
 * *at before running it. */
static void divide_by_zero(uintptr_t *at)
{
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%0)\n\t"
			 "xor %%edx, %%edx\n\t"
			 "mov $1, %%eax\n\t"
			 "xor %%ecx, %%ecx\n"
			 "1:\tdivl %%ecx"
			 :
			 : "r"(at)
			 : "rax", "rcx", "rdx", "memory", "cc");
}

/* An x87 divide by zero with the exception unmasked in the control word
 * (ZM, bit 2): the next waiting x87 instruction, fwait, raises #MF.  (SSE
 * exceptions, #XM, would do as well on hardware, but QEMU's TCG does not
 * raise them.) */
static void x87_divide_by_zero(uintptr_t *at)
{
	unsigned short fcw = 0x37f & ~4;

	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%0)\n\t"
			 "fldcw %1\n\t"
			 "fldz\n\t"
			 "fld1\n\t"
			 "fdiv %%st(1), %%st\n"
			 "1:\tfwait\n\t"
			 "nop\n\t" /* 9b alone: objdump would join it to the fstp */
			 "fstp %%st(0)\n\t"
			 "fstp %%st(0)"
			 :
			 : "r"(at), "m"(fcw)
			 : "rcx", "memory", "st", "st(1)");
}

static void invalid_opcode(uintptr_t *at)
{
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%0)\n"
			 "1:\tud2"
			 :
			 : "r"(at)
			 : "rcx", "memory");
}

static void breakpoint(uintptr_t *at)
{
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%0)\n"
			 "1:\tint3"
			 :
			 : "r"(at)
			 : "rcx", "memory");
}

/* Set TF: the CPU traps after the instruction that follows popfq, with
 * rip at 2: (the red zone is kept clear of pushfq). */
static void single_step(uintptr_t *at)
{
	__asm__ volatile("lea 2f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%0)\n\t"
			 "add $-128, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "nop\n"
			 "2:\tnop\n\t"
			 "sub $-128, %%rsp"
			 :
			 : "r"(at)
			 : "rcx", "memory", "cc");
}

/* Single-step through a getpid system call (from 0:), the handler
 * (on_step) recording each rip until the one at 3: (*stop). */
static void step_syscall(uintptr_t *base, uintptr_t *stop)
{
	__asm__ volatile("lea 3f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%1)\n\t"
			 "lea 0f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%0)\n\t"
			 "add $-128, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n"
			 "0:\tnop\n\t"
			 "mov %2, %%eax\n\t"
			 "syscall\n\t"
			 "nop\n"
			 "3:\tnop\n\t"
			 "sub $-128, %%rsp"
			 :
			 : "r"(base), "r"(stop), "i"(SYS_getpid)
			 : "rax", "rcx", "r11", "memory", "cc");
}

/* Run fn under on_fault_jump: did it fault? */
static bool run_faults(void (*fn)(uintptr_t *), uintptr_t *at)
{
	memset(&got, 0, sizeof(got));
	if (sigsetjmp(jump, 1))
		return true;
	fn(at);
	return false;
}

static bool t_fpe(void)
{
	uintptr_t at = 0;

	set_action(SIGFPE, on_fault_jump, 0);
	CHECK(run_faults(divide_by_zero, &at), "dividing by zero did not fault");
	print_fault("fpe", "div", at);
	CHECK(run_faults(x87_divide_by_zero, &at), "an x87 divide by zero (ZM clear) did not "
						   "fault");
	print_fault("fpe", "x87", at);
	printf("sigtest2: fpe: handler fcw 0x%x mxcsr 0x%x, after fcw 0x%x\n", got.fcw, got.mxcsr,
	       read_fcw());
	signal(SIGFPE, SIG_DFL);
	return true;
}

static bool t_ill(void)
{
	uintptr_t at = 0;

	set_action(SIGILL, on_fault_jump, 0);
	CHECK(run_faults(invalid_opcode, &at), "ud2 did not fault");
	print_fault("ill", "ud2", at);
	signal(SIGILL, SIG_DFL);
	return true;
}

/* Return to the code trapped: after int3, or (TF cleared) past the step. */
static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	record(sig, si, ucv);
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100ll;
}

static uintptr_t step_rip[8], step_stop;

/* One step of step_syscall: TF stays set until rip reaches its end. */
static void on_step(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig, (void)si;
	if (got.hits < 8)
		step_rip[got.hits] = rip;
	if (++got.hits >= 8 || rip == step_stop)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100ll;
}

static bool t_trap(void)
{
	uintptr_t at = 0;

	memset(&got, 0, sizeof(got));
	set_action(SIGTRAP, on_trap, 0);
	breakpoint(&at);
	print_fault("trap", "int3", at);
	memset(&got, 0, sizeof(got));
	single_step(&at);
	print_fault("trap", "step", at);
	printf("sigtest2: trap: steps %d\n", got.hits);
	memset(&got, 0, sizeof(got));
	set_action(SIGTRAP, on_step, 0);
	step_syscall(&at, &step_stop);
	printf("sigtest2: trap: through a system call:");
	for (int i = 0; i < got.hits && i < 8; i++)
		printf(" +%ld", (long)(step_rip[i] - at));
	printf(", its end at +%ld\n", (long)(step_stop - at));
	signal(SIGTRAP, SIG_DFL);
	return true;
}

/* ---- sigaltstack ------------------------------------------------------- */

/* The kernel's answer itself (musl checks sizes and flags first). */
static int altstack_call(const stack_t *ss, stack_t *old)
{
	return syscall(SYS_sigaltstack, ss, old) == 0 ? 0 : errno;
}

static int altstack_flags(void)
{
	stack_t old;

	return altstack_call(NULL, &old) ? -1 : old.ss_flags;
}

static char altstack_mem[65536] __attribute__((aligned(16)));
static volatile int depth, on_alt, uc_flags, handler_flags, change_err;
static volatile int limit = 1 << 30;

static __attribute__((noinline)) int recurse(int d)
{
	volatile char frame[1024];

	frame[0] = (char)d;
	depth = d;
	if (d == limit)
		return 0;
	return recurse(d + 1) + frame[0];
}

static void on_overflow(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char here;
	stack_t ss = { .ss_sp = altstack_mem, .ss_size = sizeof(altstack_mem) };

	record(sig, si, ucv);
	/* As addresses: C does not compare pointers to different objects. */
	on_alt = (uintptr_t)&here - (uintptr_t)altstack_mem < sizeof(altstack_mem);
	uc_flags = uc->uc_stack.ss_flags;
	handler_flags = altstack_flags();
	change_err = altstack_call(&ss, NULL);
	siglongjmp(jump, 1);
}

/* In a child: overflow the stack with the SIGSEGV handler on the
 * alternate stack (if alt), and say what the handler saw. */
static void overflow_child(bool alt)
{
	stack_t ss = { .ss_sp = altstack_mem, .ss_size = sizeof(altstack_mem) };
	struct rlimit rl = { 8 << 20, RLIM_INFINITY };

	setrlimit(RLIMIT_STACK, &rl);
	if (alt)
		sigaltstack(&ss, NULL);
	set_action(SIGSEGV, on_overflow, SA_ONSTACK);
	if (!sigsetjmp(jump, 1))
		recurse(0);
	printf("sigtest2: altstack: overflow at depth %s: signo %d code %d, handler on it %s, "
	       "uc_stack flags %d, flags in handler %d, change errno %d\n",
	       depth > 1000 ? "> 1000" : "<= 1000", got.signo, got.code, on_alt ? "yes" : "no",
	       uc_flags, handler_flags, change_err);
	fflush(stdout);
	_exit(0);
}

static void *thread_flags(void *arg)
{
	*(int *)arg = altstack_flags();
	return NULL;
}

static void on_usr1_autodisarm(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	handler_flags = altstack_flags();
}

/* What a thread, a fork child and an exec'd child have of our stack. */
static bool altstack_inherited(void)
{
	int thread = -2, forked, execd, st;
	pthread_t t;
	pid_t pid;

	CHECK(pthread_create(&t, NULL, thread_flags, &thread) == 0, "pthread_create failed");
	pthread_join(t, NULL);
	pid = fork();
	if (pid == 0) {
		stack_t old;

		_exit(altstack_call(NULL, &old) == 0 && old.ss_sp == altstack_mem ? old.ss_flags
										  : 99);
	}
	st = status_of(pid);
	forked = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	pid = fork();
	if (pid == 0) {
		execl(self_path, "sigtest2", "--altstack", (char *)NULL);
		_exit(98);
	}
	st = status_of(pid);
	execd = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	printf("sigtest2: altstack: thread %d, fork child %d, exec'd child %d\n", thread, forked,
	       execd);
	return true;
}

static bool t_altstack(void)
{
	stack_t ss = { .ss_sp = altstack_mem, .ss_size = 2047 }, old;
	int small, bad, none, set, after;
	pid_t pid;

	none = altstack_flags();
	small = altstack_call(&ss, NULL);
	ss.ss_size = sizeof(altstack_mem);
	ss.ss_flags = 5;
	bad = altstack_call(&ss, NULL);
	ss.ss_flags = 0;
	CHECK(altstack_call(&ss, NULL) == 0, "sigaltstack failed");
	CHECK(altstack_call(NULL, &old) == 0 && old.ss_sp == altstack_mem &&
		      old.ss_size == sizeof(altstack_mem),
	      "sigaltstack does not give back what was set");
	set = old.ss_flags;
	printf("sigtest2: altstack: none %d, small errno %d, bad flags errno %d, set %d\n", none,
	       small, bad, set);
	if (!altstack_inherited())
		return false;
	/* SS_AUTODISARM: let go while a handler runs on it, back after. */
	ss.ss_flags = SS_AUTODISARM;
	CHECK(altstack_call(&ss, NULL) == 0, "SS_AUTODISARM refused");
	set_action(SIGUSR1, on_usr1_autodisarm, SA_ONSTACK);
	raise(SIGUSR1);
	after = altstack_flags();
	printf("sigtest2: altstack: autodisarm: in handler %d, after 0x%x\n", handler_flags,
	       (unsigned)after);
	signal(SIGUSR1, SIG_DFL);
	ss.ss_flags = SS_DISABLE;
	altstack_call(&ss, NULL);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		overflow_child(true);
	CHECK(WIFEXITED(status_of(pid)), "the child died of its overflow");
	pid = fork();
	if (pid == 0)
		overflow_child(false);
	printf("sigtest2: altstack: without it the overflow kills with signal %d\n", killer(pid));
	return true;
}

/* ---- alarm and setitimer ----------------------------------------------- */

#define ALARMS 5

static volatile int alarms;
static volatile long alarm_at[8];

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got.signo = sig;
	got.code = si->si_code;
	if (alarms < 8)
		alarm_at[alarms] = now_ms();
	alarms++;
}

static struct itimerval itv(long value_us, long interval_us)
{
	struct itimerval v = { { interval_us / 1000000, interval_us % 1000000 },
			       { value_us / 1000000, value_us % 1000000 } };

	return v;
}

static bool t_alarm(void)
{
	struct itimerval v = itv(1500000, 0), cur;
	unsigned first, second;
	long start;
	int e1, e2;

	alarms = 0;
	set_action(SIGALRM, on_alarm, 0);
	start = now_ms();
	alarm(1);
	while (!alarms)
		pause();
	printf("sigtest2: alarm: SIGALRM after %ld ms, code %d\n", alarm_at[0] - start, got.code);
	/* alarm(2) itself (musl's alarm() calls setitimer; glibc's does not). */
	syscall(SYS_alarm, 5);
	first = (unsigned)syscall(SYS_alarm, 3);
	second = (unsigned)syscall(SYS_alarm, 0);
	setitimer(ITIMER_REAL, &v, NULL);
	getitimer(ITIMER_REAL, &cur);
	v = itv(0, 0);
	setitimer(ITIMER_REAL, &v, NULL);
	printf("sigtest2: alarm: alarm(5) then alarm(3) gave %u, alarm(0) %u; getitimer of 1.5 s "
	       "%ld.%06ld\n",
	       first, second, (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
	v.it_value.tv_usec = 1000000;
	e1 = setitimer(ITIMER_REAL, &v, NULL) ? errno : 0;
	v.it_value.tv_usec = 0;
	e2 = setitimer(3, &v, NULL) ? errno : 0;
	printf("sigtest2: alarm: errnos usec %d which %d\n", e1, e2);
	signal(SIGALRM, SIG_DFL);
	CHECK(alarms == 1, "%d SIGALRMs", alarms);
	return true;
}

/* After exec: what the timer has left, then wait for it to end us. */
static __attribute__((noreturn)) void alarmed(void)
{
	struct itimerval cur;

	getitimer(ITIMER_REAL, &cur);
	printf("sigtest2: itimer: exec'd with %ld ms left\n",
	       (long)(cur.it_value.tv_sec * 1000 + cur.it_value.tv_usec / 1000));
	fflush(stdout);
	for (;;)
		pause();
}

static bool itimer_children(void)
{
	struct itimerval v = itv(10000000, 0), cur;
	pid_t pid;

	setitimer(ITIMER_REAL, &v, NULL);
	pid = fork();
	if (pid == 0) {
		getitimer(ITIMER_REAL, &cur);
		printf("sigtest2: itimer: fork child has %ld.%06ld left, interval %ld.%06ld\n",
		       (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec,
		       (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec);
		_exit(0);
	}
	status_of(pid);
	v = itv(0, 0);
	setitimer(ITIMER_REAL, &v, NULL);
	signal(SIGALRM, SIG_DFL);
	pid = fork();
	if (pid == 0) {
		v = itv(200000, 0);
		setitimer(ITIMER_REAL, &v, NULL);
		execl(self_path, "sigtest2", "--alarmed", (char *)NULL);
		_exit(98);
	}
	printf("sigtest2: itimer: exec'd child killed by %d\n", killer(pid));
	return true;
}

static bool t_itimer(void)
{
	struct itimerval v = itv(50000, 20000), cur;
	struct timespec wait = { 0, 100 * 1000000 };
	long start;
	int more;

	alarms = 0;
	set_action(SIGALRM, on_alarm, 0);
	start = now_ms();
	setitimer(ITIMER_REAL, &v, NULL);
	while (alarms < ALARMS)
		pause();
	v = itv(0, 0);
	setitimer(ITIMER_REAL, &v, &cur);
	more = alarms;
	nanosleep(&wait, NULL);
	more = alarms - more;
	printf("sigtest2: itimer: %d signals, the first after %ld ms, then %ld %ld %ld %ld ms "
	       "apart; interval %ld.%06ld\n",
	       ALARMS, alarm_at[0] - start, alarm_at[1] - alarm_at[0], alarm_at[2] - alarm_at[1],
	       alarm_at[3] - alarm_at[2], alarm_at[4] - alarm_at[3], (long)cur.it_interval.tv_sec,
	       (long)cur.it_interval.tv_usec);
	getitimer(ITIMER_REAL, &cur);
	printf("sigtest2: itimer: disarmed: %ld.%06ld left, %d more in 100 ms\n",
	       (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec, more);
	fflush(stdout);
	return itimer_children();
}

/* ---- interrupted and restarted reads ----------------------------------- */

static int restart_fd = -1;

static void on_alarm_write(int sig, siginfo_t *si, void *uc)
{
	on_alarm(sig, si, uc);
	if (alarms == 3)
		write(restart_fd, "x", 1);
}

static bool t_restart(void)
{
	struct itimerval v = itv(30000, 0);
	int fds[2], e, hits;
	char c;
	long n1, n2;

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	alarms = 0;
	set_action(SIGALRM, on_alarm, 0);
	setitimer(ITIMER_REAL, &v, NULL);
	n1 = read(fds[0], &c, 1);
	e = errno;
	hits = alarms;
	alarms = 0;
	restart_fd = fds[1];
	set_action(SIGALRM, on_alarm_write, SA_RESTART);
	v = itv(20000, 20000);
	setitimer(ITIMER_REAL, &v, NULL);
	n2 = read(fds[0], &c, 1);
	v = itv(0, 0);
	setitimer(ITIMER_REAL, &v, NULL);
	signal(SIGALRM, SIG_DFL);
	printf("sigtest2: restart: without SA_RESTART read gave %ld errno %d after %d signal(s); "
	       "with SA_RESTART read gave %ld after %d signals\n",
	       n1, e, hits, n2, alarms);
	close(fds[0]);
	close(fds[1]);
	return true;
}

/* ---- SIGCHLD ----------------------------------------------------------- */

static volatile int chld_pid, chld_code, chld_status;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	chld_pid = si->si_pid;
	chld_code = si->si_code;
	chld_status = si->si_status;
}

/* Wait (SIGCHLD blocked, old the mask to wait with) for its handler. */
static void chld_wait(const sigset_t *old)
{
	while (!chld_pid)
		sigsuspend(old);
}

static bool t_sigchld(void)
{
	sigset_t set, old;
	pid_t a, b;
	int pa, ca, sa;

	set_action(SIGCHLD, on_chld, SA_RESTART);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	chld_pid = 0;
	a = fork();
	if (a == 0)
		_exit(7);
	chld_wait(&old);
	pa = chld_pid, ca = chld_code, sa = chld_status;
	chld_pid = 0;
	b = fork();
	if (b == 0)
		for (;;)
			pause();
	kill(b, SIGKILL);
	chld_wait(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("sigtest2: sigchld: exited child %d: pid %d code %d status %d; killed child %d: "
	       "pid %d code %d status %d\n",
	       (int)a, pa, ca, sa, (int)b, chld_pid, chld_code, chld_status);
	status_of(a);
	status_of(b);
	signal(SIGCHLD, SIG_DFL);
	return true;
}

/* ---- corrupt frames ---------------------------------------------------- */

static volatile int corrupt;

/* Spoil the frame the handler returns through (corrupt says how). */
static void on_usr1_corrupt(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	if (corrupt == 1)
		uc->uc_mcontext.fpregs = (void *)8;
	else if (corrupt == 2)
		uc->uc_mcontext.fpregs->mxcsr = 0xffffffff;
	else if (corrupt == 3)
		uc->uc_mcontext.gregs[REG_RIP] = (long long)0xffffffff80000000ull;
	else if (corrupt == 4)
		uc->uc_mcontext.gregs[REG_CSGSFS] = 0x1234;
}

/* In a child: rt_sigreturn with nothing readable where its frame should be. */
static void sigreturn_unmapped(void)
{
	__asm__ volatile("mov $0x10, %%rsp\n\t"
			 "mov %0, %%eax\n\t"
			 "syscall"
			 :
			 : "i"(SYS_rt_sigreturn)
			 : "memory");
}

static bool t_sigreturn(void)
{
	int killed[5];

	for (int i = 0; i < 5; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			corrupt = i;
			if (i == 0)
				sigreturn_unmapped();
			set_action(SIGUSR1, on_usr1_corrupt, 0);
			raise(SIGUSR1);
			_exit(0);
		}
		killed[i] = killer(pid);
	}
	printf("sigtest2: sigreturn: unmapped frame %d, bad fpstate %d, bad mxcsr %d, "
	       "kernel rip %d, bad cs %d\n",
	       killed[0], killed[1], killed[2], killed[3], killed[4]);
	return true;
}

/* ---- a fault in a thread ----------------------------------------------- */

static sigjmp_buf thread_jump;
static volatile int fault_tid;

static void on_thread_fault(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(thread_jump, 1);
}

static void *faulting_thread(void *arg)
{
	(void)arg;
	fault_tid = (int)syscall(SYS_gettid);
	if (!sigsetjmp(thread_jump, 1))
		*low64 = 1;
	return (void *)1;
}

static bool t_thread(void)
{
	pthread_t t;
	void *ret = NULL;

	memset(&got, 0, sizeof(got));
	set_action(SIGSEGV, on_thread_fault, 0);
	CHECK(pthread_create(&t, NULL, faulting_thread, NULL) == 0, "pthread_create failed");
	pthread_join(t, &ret);
	signal(SIGSEGV, SIG_DFL);
	printf("sigtest2: thread: fault at 0x%lx code %d in tid %d, handled in tid %d, main %d\n",
	       (unsigned long)got.addr, got.code, fault_tid, got.tid, (int)getpid());
	CHECK(ret == (void *)1, "the thread did not return after its fault");
	return true;
}

/* ---- SIGINT from the terminal ------------------------------------------ */

static void on_int(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
}

static bool t_tty(void)
{
	pid_t parent = getpid(), watcher;
	char buf[64];
	long n;
	int e;

	signal(SIGTTOU, SIG_IGN); /* Linux: tcsetpgrp from the background */
	tcsetpgrp(0, getpgrp());  /* Ctrl-C goes to our group */
	signal(SIGTTOU, SIG_DFL);
	memset(&got, 0, sizeof(got));
	set_action(SIGINT, on_int, 0);
	watcher = fork();
	if (watcher == 0) {
		/* Say ready once the read sleeps: a Ctrl-C then interrupts it. */
		for (int i = 0; i < 10000 && testlib_proc_state(parent) != 'S'; i++)
			usleep(1000);
		printf("sigtest2: tty: ready for ctrl-c\n");
		_exit(0);
	}
	n = read(0, buf, sizeof(buf));
	e = errno;
	signal(SIGINT, SIG_DFL);
	status_of(watcher);
	printf("\nsigtest2: tty: read gave %ld errno %d; signo %d code %d\n", n, e, got.signo,
	       got.code);
	return true;
}

/* ---- main -------------------------------------------------------------- */

static const struct {
	const char *name;
	bool (*fn)(void);
	bool only_named;
} tests[] = {
	{ "segv", t_segv, false },         { "fpe", t_fpe, false },
	{ "ill", t_ill, false },           { "trap", t_trap, false },
	{ "altstack", t_altstack, false }, { "alarm", t_alarm, false },
	{ "itimer", t_itimer, false },     { "restart", t_restart, false },
	{ "sigchld", t_sigchld, false },   { "sigreturn", t_sigreturn, false },
	{ "thread", t_thread, false },     { "tty", t_tty, true },
};

static bool wanted(int argc, char **argv, const char *name, bool only_named)
{
	if (argc < 2)
		return !only_named;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--altstack") == 0)
		return altstack_flags();
	if (argc == 2 && strcmp(argv[1], "--alarmed") == 0)
		alarmed();
	if (strchr(argv[0], '/'))
		self_path = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (wanted(argc, argv, tests[i].name, tests[i].only_named))
			result(tests[i].name, tests[i].fn());
	printf("sigtest2: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
