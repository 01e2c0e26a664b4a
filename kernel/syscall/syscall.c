/*
 * The system call table and the dispatcher (see syscall.h).
 *
 * Two tables: linux_calls[] indexed by Linux's number, os_calls[] by the
 * number minus OS_SYSCALL_FIRST.  Each entry names the handler and says how
 * to print the call for the tracer.  The handlers have their own C
 * prototypes (sys_write(int fd, uptr_t buf, size_t count)); the table
 * stores them as syscall_fn, a function of six 64-bit arguments, and the
 * dispatcher always passes all six registers.  That is well defined on
 * x86_64 in practice, and it is what Linux itself did there for years: the
 * System V calling convention passes the first six integer arguments in
 * registers, so a callee that takes fewer simply ignores the rest, and one
 * that takes an `int` reads only the low 32 bits of its register.  (ISO C
 * calls it undefined; the cast through `void (*)(void)` tells gcc we know.)
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "arch/x86_64/trap.h"
#include "arch/x86_64/usermode.h"
#include "debug/stackprot.h"
#include "lib/kprintf.h"
#include "proc/proc.h"
#include "proc/signal.h"

#define FN(f) ((syscall_fn)(void (*)(void))(f))

/* Entry for handler sys_NAME with n arguments of the given kinds. */
/* clang-format off */
#define CALL(nm, n, r, ...) { #nm, FN(sys_##nm), n, { __VA_ARGS__ }, r }
/* clang-format on */

static const struct syscall_desc linux_calls[] = {
	[SYS_read] = CALL(read, 3, RET_INT, ARG_INT, ARG_BUF_OUT, ARG_LONG),
	[SYS_write] = CALL(write, 3, RET_INT, ARG_INT, ARG_BUF_IN, ARG_LONG),
	[SYS_close] = CALL(close, 1, RET_INT, ARG_INT),
	[SYS_mmap] =
		CALL(mmap, 6, RET_PTR, ARG_PTR, ARG_LONG, ARG_PROT, ARG_MAP, ARG_INT, ARG_LONG),
	[SYS_munmap] = CALL(munmap, 2, RET_INT, ARG_PTR, ARG_LONG),
	[SYS_mprotect] = CALL(mprotect, 3, RET_INT, ARG_PTR, ARG_LONG, ARG_PROT),
	[SYS_getrlimit] = CALL(getrlimit, 2, RET_INT, ARG_INT, ARG_PTR),
	[SYS_setrlimit] = CALL(setrlimit, 2, RET_INT, ARG_INT, ARG_PTR),
	[SYS_prlimit64] = CALL(prlimit64, 4, RET_INT, ARG_INT, ARG_INT, ARG_PTR, ARG_PTR),
	[SYS_brk] = CALL(brk, 1, RET_PTR, ARG_PTR),
	[SYS_rt_sigaction] = CALL(rt_sigaction, 4, RET_INT, ARG_INT, ARG_PTR, ARG_PTR, ARG_LONG),
	[SYS_rt_sigprocmask] =
		CALL(rt_sigprocmask, 4, RET_INT, ARG_INT, ARG_PTR, ARG_PTR, ARG_LONG),
	[SYS_rt_sigreturn] = CALL(rt_sigreturn, 0, RET_NONE),
	[SYS_rt_sigpending] = CALL(rt_sigpending, 2, RET_INT, ARG_PTR, ARG_LONG),
	[SYS_rt_sigsuspend] = CALL(rt_sigsuspend, 2, RET_INT, ARG_PTR, ARG_LONG),
	[SYS_pause] = CALL(pause, 0, RET_INT),
	[SYS_sigaltstack] = CALL(sigaltstack, 2, RET_INT, ARG_PTR, ARG_PTR),
	[SYS_alarm] = CALL(alarm, 1, RET_INT, ARG_INT),
	[SYS_setitimer] = CALL(setitimer, 3, RET_INT, ARG_INT, ARG_PTR, ARG_PTR),
	[SYS_getitimer] = CALL(getitimer, 2, RET_INT, ARG_INT, ARG_PTR),
	[SYS_kill] = CALL(kill, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_tkill] = CALL(tkill, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_tgkill] = CALL(tgkill, 3, RET_INT, ARG_INT, ARG_INT, ARG_INT),
	[SYS_clone] = CALL(clone, 5, RET_INT, ARG_HEX, ARG_PTR, ARG_PTR, ARG_PTR, ARG_PTR),
	[SYS_setpgid] = CALL(setpgid, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_getpgid] = CALL(getpgid, 1, RET_INT, ARG_INT),
	[SYS_getpgrp] = CALL(getpgrp, 0, RET_INT),
	[SYS_setsid] = CALL(setsid, 0, RET_INT),
	[SYS_getsid] = CALL(getsid, 1, RET_INT, ARG_INT),
	[SYS_prctl] = CALL(prctl, 5, RET_INT, ARG_INT, ARG_HEX, ARG_HEX, ARG_HEX, ARG_HEX),
	[SYS_ioctl] = CALL(ioctl, 3, RET_INT, ARG_INT, ARG_IOCTL, ARG_PTR),
	[SYS_readv] = CALL(readv, 3, RET_INT, ARG_INT, ARG_PTR, ARG_INT),
	[SYS_writev] = CALL(writev, 3, RET_INT, ARG_INT, ARG_IOV, ARG_INT),
	[SYS_sched_yield] = CALL(sched_yield, 0, RET_INT),
	[SYS_madvise] = CALL(madvise, 3, RET_INT, ARG_PTR, ARG_LONG, ARG_INT),
	[SYS_nanosleep] = CALL(nanosleep, 2, RET_INT, ARG_TIMESPEC, ARG_PTR),
	[SYS_getpid] = CALL(getpid, 0, RET_INT),
	[SYS_fork] = CALL(fork, 0, RET_INT),
	[SYS_vfork] = { "vfork", FN(sys_fork), 0, { 0 }, RET_INT },
	[SYS_execve] = CALL(execve, 3, RET_INT, ARG_STR, ARG_PTR, ARG_PTR),
	[SYS_exit] = CALL(exit, 1, RET_NONE, ARG_INT),
	[SYS_wait4] = CALL(wait4, 4, RET_INT, ARG_INT, ARG_PTR, ARG_HEX, ARG_PTR),
	[SYS_uname] = CALL(uname, 1, RET_INT, ARG_PTR),
	[SYS_gettimeofday] = CALL(gettimeofday, 2, RET_INT, ARG_PTR, ARG_PTR),
	[SYS_getuid] = { "getuid", FN(sys_getuid), 0, { 0 }, RET_INT },
	[SYS_getgid] = { "getgid", FN(sys_getuid), 0, { 0 }, RET_INT },
	[SYS_geteuid] = { "geteuid", FN(sys_getuid), 0, { 0 }, RET_INT },
	[SYS_getegid] = { "getegid", FN(sys_getuid), 0, { 0 }, RET_INT },
	[SYS_getppid] = CALL(getppid, 0, RET_INT),
	[SYS_arch_prctl] = CALL(arch_prctl, 2, RET_INT, ARG_ARCH, ARG_PTR),
	[SYS_gettid] = CALL(gettid, 0, RET_INT),
	[SYS_set_tid_address] = CALL(set_tid_address, 1, RET_INT, ARG_PTR),
	[SYS_futex] = CALL(futex, 6, RET_INT, ARG_PTR, ARG_INT, ARG_INT, ARG_PTR, ARG_PTR, ARG_HEX),
	[SYS_clock_gettime] = CALL(clock_gettime, 2, RET_INT, ARG_CLOCK, ARG_PTR),
	[SYS_clock_getres] = CALL(clock_getres, 2, RET_INT, ARG_CLOCK, ARG_PTR),
	[SYS_clock_nanosleep] =
		CALL(clock_nanosleep, 4, RET_INT, ARG_CLOCK, ARG_HEX, ARG_TIMESPEC, ARG_PTR),
	[SYS_exit_group] = CALL(exit_group, 1, RET_NONE, ARG_INT),
	[SYS_open] = CALL(open, 3, RET_INT, ARG_STR, ARG_HEX, ARG_HEX),
	[SYS_stat] = CALL(stat, 2, RET_INT, ARG_STR, ARG_PTR),
	[SYS_fstat] = CALL(fstat, 2, RET_INT, ARG_INT, ARG_PTR),
	[SYS_lstat] = CALL(lstat, 2, RET_INT, ARG_STR, ARG_PTR),
	[SYS_poll] = CALL(poll, 3, RET_INT, ARG_PTR, ARG_INT, ARG_INT),
	[SYS_ppoll] = CALL(ppoll, 5, RET_INT, ARG_PTR, ARG_INT, ARG_PTR, ARG_PTR, ARG_LONG),
	[SYS_select] = CALL(select, 5, RET_INT, ARG_INT, ARG_PTR, ARG_PTR, ARG_PTR, ARG_PTR),
	[SYS_pselect6] =
		CALL(pselect6, 6, RET_INT, ARG_INT, ARG_PTR, ARG_PTR, ARG_PTR, ARG_PTR, ARG_PTR),
	[SYS_lseek] = CALL(lseek, 3, RET_INT, ARG_INT, ARG_LONG, ARG_INT),
	[SYS_pread64] = CALL(pread64, 4, RET_INT, ARG_INT, ARG_BUF_OUT, ARG_LONG, ARG_LONG),
	[SYS_pwrite64] = CALL(pwrite64, 4, RET_INT, ARG_INT, ARG_BUF_IN, ARG_LONG, ARG_LONG),
	[SYS_access] = CALL(access, 2, RET_INT, ARG_STR, ARG_INT),
	[SYS_pipe] = CALL(pipe, 1, RET_INT, ARG_PTR),
	[SYS_dup] = CALL(dup, 1, RET_INT, ARG_INT),
	[SYS_dup2] = CALL(dup2, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_fcntl] = CALL(fcntl, 3, RET_INT, ARG_INT, ARG_INT, ARG_HEX),
	[SYS_fsync] = CALL(fsync, 1, RET_INT, ARG_INT),
	[SYS_fdatasync] = CALL(fdatasync, 1, RET_INT, ARG_INT),
	[SYS_truncate] = CALL(truncate, 2, RET_INT, ARG_STR, ARG_LONG),
	[SYS_ftruncate] = CALL(ftruncate, 2, RET_INT, ARG_INT, ARG_LONG),
	[SYS_getcwd] = CALL(getcwd, 2, RET_INT, ARG_PTR, ARG_LONG),
	[SYS_chdir] = CALL(chdir, 1, RET_INT, ARG_STR),
	[SYS_fchdir] = CALL(fchdir, 1, RET_INT, ARG_INT),
	[SYS_rename] = CALL(rename, 2, RET_INT, ARG_STR, ARG_STR),
	[SYS_mkdir] = CALL(mkdir, 2, RET_INT, ARG_STR, ARG_HEX),
	[SYS_rmdir] = CALL(rmdir, 1, RET_INT, ARG_STR),
	[SYS_creat] = CALL(creat, 2, RET_INT, ARG_STR, ARG_HEX),
	[SYS_unlink] = CALL(unlink, 1, RET_INT, ARG_STR),
	[SYS_statfs] = CALL(statfs, 2, RET_INT, ARG_STR, ARG_PTR),
	[SYS_fstatfs] = CALL(fstatfs, 2, RET_INT, ARG_INT, ARG_PTR),
	[SYS_mount] = CALL(mount, 5, RET_INT, ARG_STR, ARG_STR, ARG_STR, ARG_HEX, ARG_STR),
	[SYS_umount2] = CALL(umount2, 2, RET_INT, ARG_STR, ARG_HEX),
	[SYS_getdents64] = CALL(getdents64, 3, RET_INT, ARG_INT, ARG_PTR, ARG_LONG),
	[SYS_openat] = CALL(openat, 4, RET_INT, ARG_INT, ARG_STR, ARG_HEX, ARG_HEX),
	[SYS_mkdirat] = CALL(mkdirat, 3, RET_INT, ARG_INT, ARG_STR, ARG_HEX),
	[SYS_mknod] = CALL(mknod, 3, RET_INT, ARG_STR, ARG_HEX, ARG_HEX),
	[SYS_mknodat] = CALL(mknodat, 4, RET_INT, ARG_INT, ARG_STR, ARG_HEX, ARG_HEX),
	[SYS_newfstatat] = CALL(newfstatat, 4, RET_INT, ARG_INT, ARG_STR, ARG_PTR, ARG_HEX),
	[SYS_unlinkat] = CALL(unlinkat, 3, RET_INT, ARG_INT, ARG_STR, ARG_HEX),
	[SYS_renameat] = CALL(renameat, 4, RET_INT, ARG_INT, ARG_STR, ARG_INT, ARG_STR),
	[SYS_faccessat] = CALL(faccessat, 3, RET_INT, ARG_INT, ARG_STR, ARG_INT),
	[SYS_getpriority] = CALL(getpriority, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_setpriority] = CALL(setpriority, 3, RET_INT, ARG_INT, ARG_INT, ARG_INT),
	[SYS_utimensat] = CALL(utimensat, 4, RET_INT, ARG_INT, ARG_STR, ARG_PTR, ARG_HEX),
	[SYS_dup3] = CALL(dup3, 3, RET_INT, ARG_INT, ARG_INT, ARG_HEX),
	[SYS_pipe2] = CALL(pipe2, 2, RET_INT, ARG_PTR, ARG_HEX),
	[SYS_iopl] = CALL(iopl, 1, RET_INT, ARG_INT),
	[SYS_ioperm] = CALL(ioperm, 3, RET_INT, ARG_HEX, ARG_LONG, ARG_INT),
	[SYS_renameat2] = CALL(renameat2, 5, RET_INT, ARG_INT, ARG_STR, ARG_INT, ARG_STR, ARG_HEX),
};

static const struct syscall_desc os_calls[] = {
	[SYS_os_setpriority - OS_SYSCALL_FIRST] =
		CALL(os_setpriority, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_os_getpriority - OS_SYSCALL_FIRST] = CALL(os_getpriority, 1, RET_INT, ARG_INT),
	[SYS_os_trace - OS_SYSCALL_FIRST] = CALL(os_trace, 2, RET_INT, ARG_INT, ARG_INT),
	[SYS_os_send - OS_SYSCALL_FIRST] =
		CALL(os_send, 5, RET_INT, ARG_INT, ARG_BUF_IN, ARG_LONG, ARG_HEX, ARG_TIMESPEC),
	[SYS_os_recv - OS_SYSCALL_FIRST] = CALL(os_recv, 6, RET_INT, ARG_INT, ARG_PTR, ARG_LONG,
						ARG_PTR, ARG_HEX, ARG_TIMESPEC),
	[SYS_os_console_xy - OS_SYSCALL_FIRST] =
		CALL(os_console_xy, 4, RET_INT, ARG_INT, ARG_HEX, ARG_HEX, ARG_HEX),
	[SYS_os_msgfd - OS_SYSCALL_FIRST] = CALL(os_msgfd, 1, RET_INT, ARG_HEX),
	[SYS_os_physmap - OS_SYSCALL_FIRST] =
		CALL(os_physmap, 3, RET_PTR, ARG_HEX, ARG_LONG, ARG_PROT),
	[SYS_os_irq_attach - OS_SYSCALL_FIRST] = CALL(os_irq_attach, 2, RET_INT, ARG_INT, ARG_HEX),
	[SYS_os_irq_ack - OS_SYSCALL_FIRST] = CALL(os_irq_ack, 1, RET_INT, ARG_INT),
	[SYS_os_console_input - OS_SYSCALL_FIRST] =
		CALL(os_console_input, 2, RET_INT, ARG_BUF_IN, ARG_LONG),
	[SYS_os_serial_read - OS_SYSCALL_FIRST] =
		CALL(os_serial_read, 3, RET_INT, ARG_BUF_OUT, ARG_LONG, ARG_INT),
	[SYS_os_dma_alloc - OS_SYSCALL_FIRST] = CALL(os_dma_alloc, 2, RET_PTR, ARG_LONG, ARG_PTR),
};

void syscall_init(void)
{
	usermode_init();
}

const struct syscall_desc *syscall_lookup(uint64_t nr)
{
	const struct syscall_desc *d = NULL;

	if (nr < ARRAY_SIZE(linux_calls))
		d = &linux_calls[nr];
	else if (nr >= OS_SYSCALL_FIRST && nr - OS_SYSCALL_FIRST < ARRAY_SIZE(os_calls))
		d = &os_calls[nr - OS_SYSCALL_FIRST];
	return d && d->fn ? d : NULL;
}

/*
 * Say once per number that a program asked for a call kestrel lacks, so a
 * student porting a program sees what it wanted.  Only in debug builds
 * (the kernel is one unless built with -DNDEBUG).
 */
static void report_unimplemented(struct proc *p, uint64_t nr)
{
#ifndef NDEBUG
	static uint64_t seen[2048 / 64]; /* numbers below 2048 */
	static uint64_t seen_other[8];   /* a few others */
	static size_t nother;
	const char *name = syscall_linux_name(nr);

	if (nr < 2048) {
		if (seen[nr / 64] & (1ull << (nr % 64)))
			return;
		seen[nr / 64] |= 1ull << (nr % 64);
	} else {
		for (size_t i = 0; i < nother; i++)
			if (seen_other[i] == nr)
				return;
		if (nother < ARRAY_SIZE(seen_other))
			seen_other[nother++] = nr;
	}
	kprintf("syscall: %s (pid %d) called unimplemented syscall %ld", p->name, p->pid,
		(int64_t)nr);
	if (name)
		kprintf(" (%s)", name);
	kprintf("\n");
#else
	(void)p, (void)nr;
#endif
}

/* No canary: every system call comes through here, and its one array,
 * args, is filled and read at constant indices. */
STACKPROT_OFF void syscall_dispatch(struct trapframe *tf)
{
	/* BEGIN STAGE syscalls: look the number up, call the handler with the six argument registers */
	struct uthread *u = uthread_current();
	struct proc *p = u->proc;
	uint64_t nr = tf->rax;
	uint64_t args[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
	const struct syscall_desc *d = syscall_lookup(nr);
	int64_t ret;

	p->syscalls++;
	if (!d) {
		report_unimplemented(p, nr);
		ret = -ENOSYS;
	} else {
		if (p->trace && d->ret == RET_NONE)
			trace_call(p, nr, d, args, 0, false);
		ret = d->fn(args[0], args[1], args[2], args[3], args[4], args[5]);
	}
	if (p->trace)
		trace_call(p, nr, d, args, ret, true);
	tf->rax = (uint64_t)ret;
	if (u->sigpending | p->sigpending) /* the way back to user mode: act on signals */
		signal_deliver(tf);
	/* STUB
	report_unimplemented(proc_current(), tf->rax);
	tf->rax = (uint64_t)-ENOSYS;
	END STAGE syscalls */
}
