/*
 * Signals: what kill(2), the terminal (Ctrl-C) and the OOM killer use to
 * end or interrupt a process.  (Interface fixed for stage forkexec; the
 * implementation is in signal.c.)
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
#define SI_USER    0
#define SI_KERNEL  0x80
#define SI_TKILL   (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2

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
 * On the way back to user mode with the registers tf (the end of a system
 * call, of an interrupt or of a fault from user mode): act on the pending
 * signals the current process does not block.  A default action that
 * terminates ends the process here (never returns); a handler gets an
 * rt_sigframe on the user stack and tf is changed to enter it.  Cheap when
 * nothing is pending.  Any interrupt state; returns with the same.
 */
void signal_deliver(struct trapframe *tf);

/* rt_sigreturn(2): the registers, mask and SSE state the handler's frame
 * saved, back into tf (the system call's); a bad frame kills with
 * SIGSEGV.  Never returns: leaves for user mode through IRETQ. */
NORETURN void signal_return(struct trapframe *tf);

#endif
