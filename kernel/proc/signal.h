/*
 * Signals: what kill(2), the terminal (Ctrl-C), the OOM killer, faults
 * and timers use to end or interrupt a process.  (Interface fixed for
 * stage forkexec; the implementation is in signal.c, the handler's frame
 * and the alternate stack in sigframe.c.)
 *
 * signal_send() marks sig pending on p and wakes p if it sleeps in an
 * interruptible wait; p acts on it (default action, or its handler) the
 * next time it returns to user mode.  Sleeps that a signal may break
 * (pipe and terminal reads, wait4, nanosleep) check signal_pending() and
 * return -EINTR (or finish early) when it is true.
 */
#ifndef PROC_SIGNAL_H
#define PROC_SIGNAL_H

#include <types.h>

struct proc;
struct sigsource;
struct uthread;

/* Post sig (1..64) to p.  0, or -EINVAL for a bad number. */
int signal_send(struct proc *p, int sig);
/* Post sig to every process of process group pgid: 0, or -ESRCH if the
 * group is empty. */
int signal_send_group(int pgid, int sig);
/* Has thread u a pending signal (its own or its process's) that it does
 * not block (or SIGKILL)? */
bool signal_pending(struct uthread *u);

/* ---- Beyond the fixed three: for the system calls and the return path. */

struct trapframe;

#define NSIG 64

/* Signal numbers (Linux x86_64) other than those proc.h names. */
#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGABRT  6
#define SIGUSR1  10
#define SIGUSR2  12
#define SIGPIPE  13
#define SIGALRM  14
#define SIGTERM  15
#define SIGCHLD  17
#define SIGCONT  18
#define SIGSTOP  19
#define SIGTSTP  20
#define SIGTTIN  21
#define SIGTTOU  22
#define SIGURG   23
#define SIGWINCH 28

/* si_code values (Linux <asm-generic/siginfo.h>). */
#define SI_USER     0
#define SI_KERNEL   0x80
#define SI_TKILL    (-6)
#define CLD_EXITED  1
#define CLD_KILLED  2
#define SEGV_MAPERR 1 /* no mapping at si_addr */
#define SEGV_ACCERR 2 /* a mapping that forbids the access */
#define BUS_ADRALN  1
#define ILL_ILLOPN  2
#define FPE_INTDIV  1
#define FPE_FLTDIV  3
#define FPE_FLTOVF  4
#define FPE_FLTUND  5
#define FPE_FLTRES  6
#define FPE_FLTINV  7
#define TRAP_BRKPT  1
#define TRAP_TRACE  2

/* The signals a fault raises: taken before any other pending one of the
 * thread, as Linux does, so the handler sees the fault's context. */
#define SIG_SYNCHRONOUS \
	(SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIG_BIT(SIGILL) | SIG_BIT(SIGTRAP) | SIG_BIT(SIGFPE))

/* rt_sigaction's flags. */
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_RESTORER  0x04000000
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000u

#define SIG_DFL 0

/* The bit of sig in a mask. */
#define SIG_BIT(sig) (1ull << ((sig)-1))
/* What no mask can hold. */
#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* signal_send with the siginfo a handler sees (code, pid, status). */
int signal_send_info(struct proc *p, int sig, int code, int pid, int status);

/* Post sig to thread u alone (tgkill), si_code code from pid. */
int signal_send_thread(struct uthread *u, int sig, int code, int pid);

/* Would sig be thrown away if posted to p now (ignored, and not blocked
 * by its first thread)? */
bool signal_ignored(struct proc *p, int sig);

/* Has thread u a SIGKILL coming (its own, or its process's)? */
bool signal_kill_pending(struct uthread *u);

/* Wake the threads stopped by a stop signal, to re-check (a zap). */
void signal_wake_stopped(void);

/*
 * A fault of thread u (the current one) raises sig, with si_code code and
 * si_addr addr (u->fault says trapno, err and cr2 for its sigcontext).  If
 * u has a handler for sig that it does not block, sig is posted to u alone
 * and true returned: the way back to user mode enters the handler.  If
 * not (SIG_DFL, SIG_IGN or blocked), false: the caller kills the process,
 * as Linux's force_sig_fault ends it then.
 */
bool signal_fault(struct uthread *u, int sig, int code, uint64_t addr);

/*
 * On the way back to user mode with the registers tf (the end of a system
 * call, of an interrupt or of a fault from user mode): act on the pending
 * signals the current process does not block.  A default action that
 * terminates ends the process here (never returns); a handler gets an
 * rt_sigframe on the user stack and tf is changed to enter it.  Cheap when
 * nothing is pending.  Any interrupt state; returns with the same.
 */
void signal_deliver(struct trapframe *tf);

/* ---- The frame (proc/sigframe.c) --------------------------------------- */

/* sigaltstack(2)'s flags and smallest size (Linux <asm/signal.h>). */
#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1u << 31) /* the stack is let go while a handler runs on it */
#define MINSIGSTKSZ   2048

/* Linux's stack_t (struct sigaltstack). */
struct ksigaltstack {
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
};

/*
 * Enter the handler act (Linux's struct sigaction: handler, flags,
 * restorer, mask) of sig: push Linux's rt_sigframe below the user stack
 * of tf, or on u's alternate stack if act has SA_ONSTACK and u is not on
 * it already, saving tf's registers, the SSE state, the signal mask mask,
 * u's alternate stack and the siginfo from; then point tf at the handler.
 * -EFAULT if the frame cannot be written or would overflow the alternate
 * stack (the caller kills with SIGSEGV, as Linux does).  Interrupts on.
 */
int sigframe_push(struct uthread *u, struct trapframe *tf, int sig, const struct sigsource *from,
		  const uint64_t act[4], uint64_t mask);

/* rt_sigreturn(2): the registers, mask, SSE state and alternate stack the
 * handler's frame saved, back into tf (the system call's); a bad frame
 * kills with SIGSEGV.  Never returns: leaves for user mode through IRETQ. */
NORETURN void sigframe_return(struct trapframe *tf);

/*
 * sigaltstack(2) for thread u, whose user stack pointer is sp: the
 * current setting into *old (if not NULL), then the new one ss (if not
 * NULL).  0, -EPERM (u runs on its alternate stack now), -EINVAL (bad
 * flags), -ENOMEM (smaller than MINSIGSTKSZ).
 */
int sigframe_altstack(struct uthread *u, const struct ksigaltstack *ss, struct ksigaltstack *old,
		      uint64_t sp);

#endif
