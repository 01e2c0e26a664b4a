/*
 * Signals (see signal.h): posting them, and acting on them on the way back
 * to user mode.
 *
 * Posting.  A process has one 64-bit set of pending signals (sigpending,
 * bit sig - 1; standard signals do not queue: a second SIGUSR1 before the
 * first is handled is the same one) and beside each the sender (sigfrom,
 * for the handler's siginfo); each thread has another, for the signals
 * sent to it alone (tgkill, its faults, and the SIGKILL that zaps it).
 * signal_send_info() sets the process's bit, unless the signal would be
 * ignored (Linux drops those at once, so an ignored SIGCHLD does not even
 * wake a sleeper), and wakes each thread that does not block it if it is
 * blocked or sleeping; whichever of them returns to user mode first takes
 * it.  Every sleep may wake spuriously (wait.h), so
 * an uninterruptible one just sleeps again; an interruptible one
 * (wait_event_interruptible, nanosleep) sees signal_pending() and returns
 * -EINTR, the system call ends and the return path acts on the signal.
 * Job control: the default action of SIGSTOP, SIGTSTP, SIGTTIN and SIGTTOU
 * stops the process (signal_stop: the thread that takes the signal posts
 * SIGSTOP to the other threads, and each sleeps on its way back to user
 * mode until SIGCONT or SIGKILL); posting SIGCONT continues it; the parent hears
 * of both through SIGCHLD and wait4's WUNTRACED and WCONTINUED.
 * Posting runs with interrupts off, so it may come from an interrupt
 * handler (the terminal's Ctrl-C, the interval timer's SIGALRM).
 * A fault (proc/fault.c) posts its signal to the faulting thread alone
 * with signal_fault(), and only if a handler will take it: a fault whose
 * signal is blocked, ignored or left to its default action ends the
 * process there, with the fault's console line.
 *
 * Acting.  signal_deliver() runs at the end of every system call and of
 * every trap from user mode (syscall.c, trap.c), while the registers the
 * process will resume with are the trapframe at the top of its kernel
 * stack.  For the lowest-numbered pending signal that the thread does not
 * block (the thread's own first, a fault's before any other, then the
 * process's) it takes the action rt_sigaction set (p->sigactions[sig - 1]:
 * handler, flags, restorer, mask, Linux's struct sigaction layout):
 *   - SIG_IGN, or SIG_DFL for a signal ignored by default: nothing;
 *   - SIG_DFL otherwise: the process ends, killed by sig (wait4 reports it),
 *     all its threads with it;
 *   - a handler: push Linux's rt_sigframe (sigframe.c: below the user
 *     stack, or on the alternate stack) and point tf at the handler, then
 *     block sa_mask plus sig itself (unless SA_NODEFER).  An interrupted
 *     system call that returned -EINTR is restarted instead (rip back over
 *     the 2-byte `syscall`, rax = its number, which syscall.S keeps in
 *     tf->error) if the handler has SA_RESTART and the call is not a sleep.
 * rt_sigreturn (sigframe_return) reads the frame back.
 */
#include "proc/signal.h"
#include <errno.h>
#include "arch/x86_64/trap.h"
#include "arch/x86_64/usermode.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "proc/proc.h"
#include "proc/uthread.h"
#include "sched/thread.h"
#include "syscall/syscall.h"

/* The default action of each signal (Linux's, signal(7)).  SIGCONT's
 * continuing happens when it is posted, whatever the action. */
enum sig_default { SIG_TERM, SIG_IGNORE, SIG_STOPS };

#define SIG_STOP_SET (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

#define CLD_STOPPED   5
#define CLD_CONTINUED 6

static struct waitq stopped_wait = WAITQ_INIT("stopped");

static enum sig_default sig_default_action(int sig)
{
	if (SIG_BIT(sig) & SIG_STOP_SET)
		return SIG_STOPS;
	switch (sig) {
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
	case SIGCONT:
		return SIG_IGNORE;
	}
	return SIG_TERM;
}

/* p stopped or continued: SIGCHLD to its parent (unless SA_NOCLDSTOP),
 * whose wait4 may report it.  Interrupts off. */
static void signal_notify_parent(struct proc *p, int code, int sig)
{
	struct proc *parent = p->parent;

	if (!parent)
		return;
	if (!(parent->sigactions[SIGCHLD - 1][1] & SA_NOCLDSTOP))
		signal_send_info(parent, SIGCHLD, code, p->pid, sig);
	wait_wake_all(&parent->child_wait);
}

/* Posting SIGCONT continues p at once (even if SIGCONT is blocked or
 * ignored) and throws away pending stops; posting a stop throws away a
 * pending SIGCONT.  Interrupts off. */
static void signal_job_control(struct proc *p, int sig)
{
	if (sig == SIGCONT) {
		p->sigpending &= ~SIG_STOP_SET;
		list_for_each(n, &p->threads)
			list_entry(n, struct uthread, node)->sigpending &= ~SIG_STOP_SET;
		if (p->stopped) {
			p->stopped = 0;
			p->stop_report = 0xffff;
			wait_wake_all(&stopped_wait);
			signal_notify_parent(p, CLD_CONTINUED, SIGCONT);
		}
	} else if (SIG_BIT(sig) & SIG_STOP_SET) {
		p->sigpending &= ~SIG_BIT(SIGCONT);
	}
}

bool signal_kill_pending(struct uthread *u)
{
	return ((u->sigpending | u->proc->sigpending) & SIG_BIT(SIGKILL)) != 0;
}

/*
 * The default action of a stop signal: stay off the CPU until SIGCONT or
 * SIGKILL.  The first thread to stop stops the process and tells the
 * others to stop too (SIGSTOP on each); they come here as they take it.
 */
static void signal_stop(struct uthread *u, int sig)
{
	struct proc *p = u->proc;
	uint64_t flags = irq_save();

	if (!p->stopped) {
		p->stopped = sig;
		p->stop_report = (sig << 8) | 0x7f;
		signal_notify_parent(p, CLD_STOPPED, sig);
		list_for_each(n, &p->threads) {
			struct uthread *other = list_entry(n, struct uthread, node);

			if (other != u && other->thread) {
				other->sigpending |= SIG_BIT(SIGSTOP);
				thread_wake(other->thread);
			}
		}
	}
	while (p->stopped && !signal_kill_pending(u))
		wait_sleep(&stopped_wait);
	irq_restore(flags);
}

void signal_wake_stopped(void)
{
	wait_wake_all(&stopped_wait);
}

/* Would thread u throw sig away (ignored, and not blocked)? */
static bool signal_ignored_by(struct uthread *u, int sig)
{
	uint64_t handler = u->proc->sigactions[sig - 1][0];

	if (sig == SIGKILL || (u->sigmask & SIG_BIT(sig)))
		return false;
	return handler == SIG_IGN || (handler == SIG_DFL && sig_default_action(sig) == SIG_IGNORE);
}

bool signal_ignored(struct proc *p, int sig)
{
	struct uthread *u = proc_first_thread(p);

	return u && signal_ignored_by(u, sig);
}

/* Wake the threads of p that have a signal to act on, if they sleep. */
static void signal_wake_threads(struct proc *p)
{
	list_for_each(n, &p->threads) {
		struct uthread *u = list_entry(n, struct uthread, node);

		/* A sleeper checks signal_pending() when it wakes. */
		if (u->thread && u->thread->owner == u && signal_pending(u))
			thread_wake(u->thread);
	}
}

int signal_send_info(struct proc *p, int sig, int code, int pid, int status)
{
	uint64_t flags;

	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	flags = irq_save();
	if (p->state == PROC_RUNNING)
		signal_job_control(p, sig);
	if (p->state == PROC_RUNNING && !signal_ignored(p, sig)) {
		if (!(p->sigpending & SIG_BIT(sig))) {
			p->sigfrom[sig - 1] = (struct sigsource){ code, pid, status, 0 };
			p->sigpending |= SIG_BIT(sig);
		}
		signal_wake_threads(p);
	}
	irq_restore(flags);
	return 0;
}

int signal_send_thread(struct uthread *u, int sig, int code, int pid)
{
	struct proc *p = u->proc;
	uint64_t flags;

	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	flags = irq_save();
	if (p->state == PROC_RUNNING)
		signal_job_control(p, sig);
	if (p->state == PROC_RUNNING && !signal_ignored_by(u, sig)) {
		if (!(u->sigpending & SIG_BIT(sig))) {
			u->sigfrom[sig - 1] = (struct sigsource){ code, pid, 0, 0 };
			u->sigpending |= SIG_BIT(sig);
		}
		if (u->thread && signal_pending(u))
			thread_wake(u->thread);
	}
	irq_restore(flags);
	return 0;
}

int signal_send(struct proc *p, int sig)
{
	return signal_send_info(p, sig, SI_KERNEL, 0, 0);
}

struct group_send {
	int pgid, sig, sent;
};

static bool send_to_member(struct proc *p, void *arg)
{
	struct group_send *g = arg;

	if (p->pgid == g->pgid && p->state == PROC_RUNNING) {
		signal_send(p, g->sig);
		g->sent++;
	}
	return true;
}

int signal_send_group(int pgid, int sig)
{
	struct group_send g = { pgid, sig, 0 };

	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	proc_for_each(send_to_member, &g);
	return g.sent ? 0 : -ESRCH;
}

bool signal_fault(struct uthread *u, int sig, int code, uint64_t addr)
{
	uint64_t handler = u->proc->sigactions[sig - 1][0];
	uint64_t flags;

	if (handler == SIG_DFL || handler == SIG_IGN || (u->sigmask & SIG_BIT(sig)))
		return false;
	flags = irq_save();
	u->sigfrom[sig - 1] = (struct sigsource){ code, 0, 0, addr };
	u->sigpending |= SIG_BIT(sig);
	irq_restore(flags);
	return true;
}

bool signal_pending(struct uthread *u)
{
	uint64_t ready = ~u->sigmask | SIG_BIT(SIGKILL);

	return ((u->sigpending | u->proc->sigpending) & ready) != 0;
}

bool wait_interrupted(void)
{
	struct uthread *u = uthread_current();

	return u && signal_pending(u);
}

/* The lowest signal of the set pending that u does not block (SIGKILL
 * first, before anything a handler would do; then a fault's signal), or
 * 0. */
static int signal_lowest(uint64_t pending, uint64_t mask)
{
	uint64_t ready = pending & (~mask | SIG_BIT(SIGKILL));

	if (ready & SIG_BIT(SIGKILL))
		return SIGKILL;
	if (ready & SIG_SYNCHRONOUS)
		ready &= SIG_SYNCHRONOUS;
	return ready ? __builtin_ctzll(ready) + 1 : 0;
}

/* Take the next signal u is to act on off its set, or off its process's:
 * its number (and sender in *from), or 0. */
static int signal_dequeue(struct uthread *u, struct sigsource *from)
{
	struct proc *p = u->proc;
	uint64_t flags = irq_save();
	int sig = signal_lowest(u->sigpending, u->sigmask);

	if (sig) {
		u->sigpending &= ~SIG_BIT(sig);
		*from = u->sigfrom[sig - 1];
	} else if ((sig = signal_lowest(p->sigpending, u->sigmask)) != 0) {
		p->sigpending &= ~SIG_BIT(sig);
		*from = p->sigfrom[sig - 1];
	}
	irq_restore(flags);
	return sig;
}

/* Is this system call restarted after a SA_RESTART handler?  Not the
 * sleeps nor the waits for files (poll, select): Linux ends those with
 * EINTR whatever the flags say. */
static bool syscall_restartable(uint64_t nr)
{
	return nr != SYS_nanosleep && nr != SYS_clock_nanosleep && nr != SYS_pause &&
	       nr != SYS_rt_sigsuspend && nr != SYS_poll && nr != SYS_ppoll && nr != SYS_select &&
	       nr != SYS_pselect6;
}

/* Make the interrupted system call of tf run again on return. */
static void signal_restart(struct trapframe *tf)
{
	tf->rax = tf->error;
	tf->rip -= 2; /* the `syscall` instruction again */
	tf->vector = 0;
}

/* Enter the handler of sig (or -EFAULT): the frame, then the mask it runs
 * with, sa_mask plus sig itself unless SA_NODEFER. */
static int signal_handle(struct uthread *u, struct trapframe *tf, int sig,
			 const struct sigsource *from)
{
	uint64_t *act = u->proc->sigactions[sig - 1];
	uint64_t mask = u->sigmask_restore ? u->sigmask_saved : u->sigmask;
	int err = sigframe_push(u, tf, sig, from, act, mask);

	if (err)
		return err;
	u->sigmask_restore = false;
	u->sigmask |= act[3] | (act[1] & SA_NODEFER ? 0 : SIG_BIT(sig));
	u->sigmask &= ~SIG_UNBLOCKABLE;
	if (act[1] & SA_RESETHAND)
		memset(act, 0, sizeof(u->proc->sigactions[sig - 1]));
	return 0;
}

/* Act on sig: ignore it, end the process, or enter its handler (then
 * true: the other pending signals wait until it returns). */
static bool signal_act(struct uthread *u, struct trapframe *tf, int sig,
		       const struct sigsource *from)
{
	struct proc *p = u->proc;
	uint64_t handler = p->sigactions[sig - 1][0];
	uint64_t sa_flags = p->sigactions[sig - 1][1];

	if (sig == SIGKILL && u->zapped)
		uthread_end(); /* its process is ending: the status is set */
	if (sig == SIGKILL)
		proc_exit_signal(SIGKILL);
	if (handler == SIG_IGN)
		return false;
	if (handler == SIG_DFL) {
		if (sig_default_action(sig) == SIG_TERM)
			proc_exit_signal(sig);
		if (sig_default_action(sig) == SIG_STOPS) {
			signal_stop(u, sig);
			/* No handler ran: an interrupted call goes on. */
			if (tf->vector == T_SYSCALL && (int64_t)tf->rax == -EINTR &&
			    syscall_restartable(tf->error))
				signal_restart(tf);
		}
		return false;
	}
	if (tf->vector == T_SYSCALL && (int64_t)tf->rax == -EINTR) {
		if ((sa_flags & SA_RESTART) && syscall_restartable(tf->error))
			signal_restart(tf);
		tf->vector = 0; /* one restart decision per call */
	}
	if (signal_handle(u, tf, sig, from) != 0)
		proc_exit_signal(SIGSEGV);
	return true;
}

void signal_deliver(struct trapframe *tf)
{
	struct uthread *u = uthread_current();
	struct sigsource from;
	uint64_t flags;
	int sig;

	if (!u || !(u->sigpending | u->proc->sigpending))
		return;
	flags = irq_save();
	sti(); /* writing the frame may fault pages in; ending may sleep */
	while ((sig = signal_dequeue(u, &from)) != 0)
		if (signal_act(u, tf, sig, &from))
			break;
	if (u->sigmask_restore) { /* rt_sigsuspend with no handler run */
		u->sigmask = u->sigmask_saved;
		u->sigmask_restore = false;
	}
	cli();
	irq_restore(flags);
}
