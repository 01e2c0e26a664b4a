/*
 * Which calls the fuzzer makes, and how their arguments are steered so
 * that the run can go on.
 *
 * Every number the kernel implements, and the OS's own range, most of the
 * time; any number up to 1100 now and then.  Without -f the fuzzer is one
 * process that must live to its end, so the calls that would end or stop
 * it (exit, kill, fork, pause, signals with random handlers, alarms...)
 * are left out.  With -f each piece runs in a child of its own, and those
 * calls are made too: a child a signal kills is counted, not a failure.
 *
 * What is steered, in both modes: memory calls that take an address
 * (mmap, munmap, mprotect, madvise) work in the sandbox, never on the
 * program's own pages; the console descriptors are only written from bad
 * pointers (so the output stays readable), never read, copied (a read of
 * the copy would wait for typing, as on Linux) or replaced, and never
 * closed; descriptors keep O_NONBLOCK; sleeps are short and poll and
 * select never wait; mount and umount2 get no real path (an unmounted /
 * would end the run); signals, messages and priorities go only to the
 * fuzzer's own processes or to nobody (a message to the filesystem
 * server, which never reads any, stays queued: memory the counters would
 * miss); a forked child (fork, vfork, clone) exits at once, in main.c's
 * assembly, before it touches the stack.  With -f, half the sigactions
 * install a handler that returns (and a restorer that makes the
 * rt_sigreturn), and half the sigaltstacks put the stack on the pools'
 * pages, good or bad: signals are delivered and come back.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fuzz.h"

#define ONLY_FORKING 0x1000 /* made only with -f */
#define RARE         0x2000 /* ends or stops the child: 1 time in 64 it is picked */
#define NR_MASK      0x0fff

/* A thread as pthread_create makes it (it exits at once: main.c), and
 * the flags it may add: SETTLS, PARENT_SETTID, CHILD_CLEARTID, CHILD_SETTID. */
#define CLONE_THREAD_FLAGS  0x50f00ul
#define CLONE_THREAD_EXTRAS 0x1380000ul

/* The numbers, with how they are made in the bits above NR_MASK. */
/* clang-format off */
static const int implemented[] = {
	SYS_read, SYS_write, SYS_close, SYS_mmap, SYS_munmap,
	SYS_mprotect, SYS_getrlimit, SYS_setrlimit | ONLY_FORKING,
	SYS_prlimit64, SYS_brk, SYS_rt_sigaction | ONLY_FORKING,
	SYS_rt_sigprocmask, SYS_rt_sigreturn | ONLY_FORKING | RARE,
	SYS_rt_sigpending, SYS_rt_sigsuspend | ONLY_FORKING | RARE,
	SYS_pause | ONLY_FORKING | RARE, SYS_sigaltstack,
	SYS_alarm | ONLY_FORKING | RARE, SYS_setitimer | ONLY_FORKING | RARE, SYS_getitimer,
	SYS_kill | ONLY_FORKING, SYS_tkill | ONLY_FORKING, SYS_tgkill | ONLY_FORKING,
	SYS_clone | ONLY_FORKING, SYS_setpgid | ONLY_FORKING, SYS_getpgid,
	SYS_getpgrp, SYS_setsid | ONLY_FORKING, SYS_getsid,
	SYS_prctl | ONLY_FORKING, SYS_ioctl, SYS_readv, SYS_writev,
	SYS_sched_yield, SYS_madvise, SYS_nanosleep, SYS_getpid,
	SYS_fork | ONLY_FORKING, SYS_vfork | ONLY_FORKING,
	SYS_execve | ONLY_FORKING | RARE, SYS_exit | ONLY_FORKING | RARE,
	SYS_wait4, SYS_uname, SYS_gettimeofday, SYS_getuid, SYS_getgid,
	SYS_geteuid, SYS_getegid, SYS_getppid, SYS_arch_prctl,
	SYS_gettid, SYS_set_tid_address, SYS_futex, SYS_clock_gettime,
	SYS_clock_getres, SYS_clock_nanosleep, SYS_exit_group | ONLY_FORKING | RARE,
	SYS_open, SYS_stat, SYS_fstat, SYS_lstat, SYS_poll, SYS_ppoll,
	SYS_select, SYS_pselect6, SYS_lseek, SYS_pread64, SYS_pwrite64,
	SYS_access, SYS_pipe, SYS_dup, SYS_dup2, SYS_fcntl, SYS_fsync,
	SYS_fdatasync, SYS_truncate, SYS_ftruncate, SYS_getcwd, SYS_chdir,
	SYS_fchdir, SYS_rename, SYS_mkdir, SYS_rmdir, SYS_creat,
	SYS_unlink, SYS_statfs, SYS_fstatfs, SYS_mount, SYS_umount2,
	SYS_getdents64, SYS_openat, SYS_mkdirat, SYS_mknod, SYS_mknodat,
	SYS_newfstatat, SYS_unlinkat, SYS_renameat, SYS_faccessat,
	SYS_getpriority, SYS_setpriority, SYS_utimensat, SYS_dup3,
	SYS_pipe2, SYS_iopl, SYS_ioperm, SYS_renameat2,
	1000, 1001, 1003, 1004, 1005, 1006, 1007, 1008,
	1009, 1010, 1011,
};
/* clang-format on */

#define NIMPLEMENTED (sizeof(implemented) / sizeof(implemented[0]))

/* The next call's number. */
long calls_pick(void)
{
	for (;;) {
		uint64_t i = gen_next() % NIMPLEMENTED;

		if (gen_next() % 16 == 0)
			return (long)(gen_next() % 1100);
		if ((implemented[i] & ONLY_FORKING) && !fuzz_forking)
			continue;
		if ((implemented[i] & RARE) && gen_next() % 64 != 0)
			continue;
		return implemented[i] & NR_MASK;
	}
}

/* Calls that may wait for ever with the arguments they got: the parent
 * ends a child that waits in one without it being a failure. */
bool calls_may_block(long n)
{
	switch (n) {
	case SYS_pause:
	case SYS_rt_sigsuspend:
	case SYS_wait4:
	case SYS_futex:
	case SYS_vfork:
	case SYS_clone:
	case 1004: /* os_recv */
	case 1006: /* os_serial_read */
		return true;
	}
	return false;
}

static bool console(uint64_t fd)
{
	return (uint32_t)fd <= 2; /* a descriptor is an int: the low 32 bits count */
}

static const struct {
	long sec, nsec;
} short_sleep = { 0, 1000 }, no_wait = { 0, 0 };

/* A pid for kill, messages and priorities: ourselves, a child, or nobody;
 * never 0 or -1, which reach the parent, the filesystem server and
 * everyone else, nor the server's or the kernel's. */
static uint64_t safe_pid(void)
{
	static const uint64_t nobody[] = { 99999, (uint64_t)-99999, 0x7fffffff, 0x80000000 };

	switch (gen_next() % 3) {
	case 0:
		return nobody[gen_next() % 4];
	case 1:
		return (uint64_t)syscall(SYS_getpid);
	default:
		return (uint64_t)syscall(SYS_getpid) + 1 + gen_next() % 4;
	}
}

/* A handler that returns, and a restorer that makes the rt_sigreturn: so
 * signals are delivered, on alternate stacks good and bad, and come back. */
static void fuzz_handler(int sig)
{
	(void)sig;
}

void fuzz_restorer(void);
__asm__(".text\n"
	"fuzz_restorer:\n\t"
	"movl $15, %eax\n\t" /* SYS_rt_sigreturn */
	"syscall\n");

#define SCRATCH_SIGACTION (SCRATCH + 2048)
#define SCRATCH_STACK_T   (SCRATCH + 3072)

/* rt_sigaction with a handler that works half the time (with -f). */
static void steer_sigaction(uint64_t a[6])
{
	static const uint64_t flags[] = { 0x08000000, 0x10000000, 4, 0x40000000, 0x80000000 };
	uint64_t *act = (uint64_t *)SCRATCH_SIGACTION;
	const uint64_t handlers[] = { (uint64_t)fuzz_handler, 0, 1, gen_pointer() };

	if (gen_next() % 2)
		return;
	act[0] = handlers[gen_next() % 4];
	act[1] = 0x04000000; /* SA_RESTORER */
	for (int i = 0; i < 5; i++)
		act[1] |= gen_next() % 2 ? flags[i] : 0;
	act[2] = (uint64_t)fuzz_restorer;
	act[3] = gen_next() & gen_next();
	a[1] = SCRATCH_SIGACTION;
	a[3] = 8; /* the size of a sigset */
}

/* sigaltstack on the pools' memory: scratch, straddling its end, read-only,
 * PROT_NONE, the sandbox. */
static void steer_sigaltstack(uint64_t a[6])
{
	static const uint64_t sps[] = { SCRATCH, SCRATCH + SCRATCH_SIZE - 4096,
					RDONLY,  NOACCESS,
					SANDBOX, SCRATCH + 1 };
	static const uint64_t sizes[] = { 2048, 4096, 8192, 65536, 1 };
	uint64_t *ss = (uint64_t *)SCRATCH_STACK_T;

	if (gen_next() % 2)
		return;
	ss[0] = sps[gen_next() % 6];
	ss[1] = gen_next() % 4 ? 0 : 2; /* SS_DISABLE */
	ss[2] = sizes[gen_next() % 5];
	a[0] = SCRATCH_STACK_T;
}

/* A signal that mostly leaves the child alive, so pieces run to their end. */
static uint64_t mild_signal(uint64_t sig)
{
	static const uint64_t mild[] = { 0, SIGCHLD, SIGURG, SIGWINCH, SIGCONT };

	return gen_next() % 8 ? mild[gen_next() % 5] : sig;
}

static int steer_sleep(uint64_t *ts)
{
	if (gen_next() % 2)
		*ts = (uint64_t)&short_sleep;
	return *ts == (uint64_t)&short_sleep || *ts >= 0x0000800000000000 ? 0 : -1;
}

static int steer_fd(long n, uint64_t a[6])
{
	switch (n) {
	case SYS_close:
	case SYS_dup:
	case SYS_fcntl: /* F_DUPFD as dup; F_SETFL not on the console */
	case SYS_ioctl:
		if (console(a[0]))
			return -1;
		if (n == SYS_fcntl && (uint32_t)a[1] == F_SETFL)
			a[2] |= O_NONBLOCK; /* a pipe left blocking would wait for ever */
		return 0;
	case SYS_dup2: /* ... and one over it would close it */
	case SYS_dup3:
		return console(a[0]) || console(a[1]) ? -1 : 0;
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
		if (console(a[0]))
			a[0] = 3 + gen_next() % 4;
		return 0;
	case SYS_write:
	case SYS_writev:
	case SYS_pwrite64:
		if (console(a[0]))
			a[1] = gen_bad_pointer();
		return 0;
	case SYS_ftruncate: /* a file of terabytes in tmpfs is an OOM test */
	case SYS_truncate:
		a[1] &= 0xfffff;
		return 0;
	}
	return 1;
}

static int steer_wait(long n, uint64_t a[6])
{
	switch (n) {
	case SYS_nanosleep:
		return steer_sleep(&a[0]);
	case SYS_clock_nanosleep:
		a[1] = 0;
		return steer_sleep(&a[2]);
	case SYS_poll: /* the console's descriptors would wait for typing */
		a[2] = 0;
		return 0;
	case SYS_ppoll: /* a zero timespec (NULL is for ever) */
	case SYS_pselect6:
		a[n == SYS_ppoll ? 2 : 4] = (uint64_t)&no_wait;
		return 0;
	case SYS_select:
		a[4] = (uint64_t)&no_wait; /* a zero timeval: the same bytes */
		return 0;
	case SYS_futex: /* a wait with a short timeout or none */
		a[3] = (uint64_t)&short_sleep;
		return 0;
	case SYS_wait4:
		if (!fuzz_forking)
			a[2] |= 1; /* WNOHANG: no children, but be sure */
		return 0;
	case 1003:             /* os_send, os_recv: a short timeout; */
	case 1004:             /* messages to ourselves (a server that never reads */
		if (n == 1003) /* holds them until its queue is full) */
			a[0] = safe_pid();
		a[n == 1003 ? 4 : 5] = (uint64_t)&short_sleep;
		return 0;
	case 1006: /* os_serial_read: never wait for typing */
		return -1;
	case SYS_pipe: /* a read of its own empty pipe would wait for ever, */
		return -1;
	case SYS_pipe2: /* so pipe2 only with O_NONBLOCK */
		a[1] = O_NONBLOCK;
		return 0;
	case 1008: /* os_msgfd: a read would wait for a message */
		a[0] |= O_NONBLOCK;
		return 0;
	case SYS_open: /* a FIFO (mknod) would wait for the other end */
	case SYS_creat:
	case SYS_openat:
		a[n == SYS_openat ? 2 : 1] |= fuzz_forking ? 0 : O_NONBLOCK;
		return 0;
	}
	return 1;
}

static int steer_proc(long n, uint64_t a[6])
{
	switch (n) {
	case SYS_kill:
	case SYS_tkill:
		a[0] = safe_pid();
		a[1] = mild_signal(a[1]);
		return 0;
	case SYS_rt_sigaction:
		a[0] = mild_signal(a[0]);
		steer_sigaction(a);
		return 0;
	case SYS_sigaltstack:
		steer_sigaltstack(a);
		return 0;
	case SYS_setpriority: /* ours, not the server's or the kernel's */
		a[1] = safe_pid();
		return 0;
	case 1000: /* os_setpriority(tid, prio) */
		a[0] = safe_pid();
		return 0;
	case SYS_tgkill:
		a[0] = a[1] = safe_pid();
		a[2] = mild_signal(a[2]);
		return 0;
	case SYS_clone: /* the exit signal goes to us; a thread 1 time in 4 */
		a[0] = (a[0] & ~0xfful) | mild_signal(a[0] & 0xff);
		if (gen_next() % 4 == 0)
			a[0] = CLONE_THREAD_FLAGS | (a[0] & CLONE_THREAD_EXTRAS);
		return 0;
	case SYS_execve:
		if (gen_next() % 2)
			a[0] = (uint64_t) "/bin/true";
		return 0;
	case SYS_arch_prctl: /* a new FS base would break libc's TLS */
		return a[0] == 0x1002 ? -1 : 0;
	case SYS_brk:
		return a[0] != 0 && !fuzz_forking ? -1 : 0; /* only ask for the break */
	case SYS_mount:
	case SYS_umount2:
		a[0] = gen_bad_pointer();
		a[1] = n == SYS_mount ? (uint64_t) "/nonexistent" : a[1];
		return 0;
	case SYS_mmap:
	case SYS_munmap:
	case SYS_mprotect: /* our own pages made read-only would end us */
	case SYS_madvise:
		a[0] = gen_sandbox_address();
		return 0;
	case 1002: /* os_trace: its output would drown ours */
	case 1005: /* os_console_xy: would take the screen */
	case 1011: /* os_console_input: typing for others */
		return -1;
	}
	return 1;
}

/* Names the calls make stay in /tmp, where the cleanup finds them: the
 * working directory is /tmp (main.c) and stays in it, and a directory
 * descriptor of a *at call is mostly AT_FDCWD (a random name under / would
 * be a file on the FAT volume for good). */
static int steer_path(long n, uint64_t a[6])
{
	switch (n) {
	case SYS_fchdir:
		return -1;
	case SYS_chdir:
		a[0] = gen_next() % 4 ? (uint64_t) "/tmp/fuzz-d" : gen_bad_pointer();
		return 0;
	case SYS_openat:
	case SYS_mkdirat:
	case SYS_mknodat:
	case SYS_newfstatat:
	case SYS_unlinkat:
	case SYS_faccessat:
	case SYS_utimensat:
		a[0] = gen_next() % 4 ? (uint64_t)AT_FDCWD : a[0];
		return 0;
	case SYS_renameat:
	case SYS_renameat2:
		a[0] = gen_next() % 4 ? (uint64_t)AT_FDCWD : a[0];
		a[2] = gen_next() % 4 ? (uint64_t)AT_FDCWD : a[2];
		return 0;
	}
	return 0;
}

/* Keep the call from ending or stalling the fuzzer (see the top): -1 skips
 * it, 0 makes it with the arguments as they now are. */
int calls_steer(long n, uint64_t a[6])
{
	int r;

	if (!fuzz_forking) {
		for (unsigned i = 0; i < NIMPLEMENTED; i++)
			if ((implemented[i] & NR_MASK) == n && (implemented[i] & ONLY_FORKING))
				return -1; /* picked as a random number */
	}
	if ((r = steer_fd(n, a)) <= 0 || (r = steer_wait(n, a)) <= 0 || (r = steer_proc(n, a)) <= 0)
		return r;
	return steer_path(n, a);
}
