/*
 * Signal system calls: kill, tkill, tgkill, rt_sigaction, rt_sigprocmask,
 * rt_sigpending, rt_sigsuspend, pause, rt_sigreturn, sigaltstack.
 * Posting and delivering are proc/signal.c's, frames and the alternate
 * stack proc/sigframe.c's; here the arguments are checked as Linux checks
 * them.  Everybody is root, so there is no EPERM for signalling
 * another process; the processes the kernel started (the servers and the
 * run= program, this system's pid 1) are left out of kill(-1, ...), as
 * Linux leaves out init.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "arch/x86_64/trap.h"
#include "lib/string.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "proc/signal.h"
#include "sched/thread.h"

#define SIGSET_SIZE 8 /* bytes of a kernel sigset_t: 64 signals */
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* Linux's struct sigaction for x86_64: handler, flags, restorer, mask. */
typedef uint64_t ksigaction_t[4];

/* Post sig to p as kill(2) does (sig 0 only checks p exists). */
static int kill_one(struct proc *p, int sig)
{
	int self = proc_current()->pid;

	return sig ? signal_send_info(p, sig, SI_USER, self, 0) : 0;
}

struct kill_many {
	int pgid; /* the group, or -1 for every process */
	int sig;
	int found;
	struct proc *self;
};

static bool kill_member(struct proc *p, void *arg)
{
	struct kill_many *k = arg;

	if (p->state != PROC_RUNNING)
		return true;
	if (k->pgid == -1 ? p == k->self || p->kernel_started : p->pgid != k->pgid)
		return true;
	k->found++;
	kill_one(p, k->sig);
	return true;
}

int64_t sys_kill(int pid, int sig)
{
	struct proc *self = proc_current(), *p;
	struct kill_many k = { -1, sig, 0, self };

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid > 0) {
		p = proc_find(pid);
		return p ? kill_one(p, sig) : -ESRCH;
	}
	if (pid == (int)0x80000000)
		return -ESRCH; /* -INT_MIN is no group */
	k.pgid = pid == 0 ? self->pgid : pid == -1 ? -1 : -pid;
	proc_for_each(kill_member, &k);
	return k.found ? 0 : -ESRCH;
}

/* A signal to one thread, named by its tid (and its process's pid,
 * unless tgid is -1: tkill). */
int64_t sys_tgkill(int tgid, int tid, int sig)
{
	struct uthread *u = NULL;
	struct thread *t;
	uint64_t flags;
	int err = 0;

	if (tid <= 0 || (tgid <= 0 && tgid != -1) || sig < 0 || sig > NSIG)
		return -EINVAL;
	flags = irq_save();
	t = thread_find(tid);
	if (t && t->state != THREAD_EXITED)
		u = t->owner;
	if (!u || (tgid != -1 && u->proc->pid != tgid))
		err = -ESRCH;
	else if (sig)
		err = signal_send_thread(u, sig, SI_TKILL, proc_current()->pid);
	irq_restore(flags);
	return err;
}

int64_t sys_tkill(int tid, int sig)
{
	return sys_tgkill(-1, tid, sig);
}

int64_t sys_rt_sigprocmask(int how, uptr_t set, uptr_t oldset, size_t sigsetsize)
{
	struct uthread *u = uthread_current();
	uint64_t mask = 0;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (set && copy_from_user(&mask, set, sizeof(mask)))
		return -EFAULT;
	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return -EINVAL;
	if (oldset && copy_to_user(oldset, &u->sigmask, sizeof(u->sigmask)))
		return -EFAULT;
	if (!set)
		return 0;
	if (how == SIG_BLOCK)
		u->sigmask |= mask;
	else if (how == SIG_UNBLOCK)
		u->sigmask &= ~mask;
	else
		u->sigmask = mask;
	u->sigmask &= ~SIG_UNBLOCKABLE;
	/* Unblocked ones are delivered on the way out (syscall_dispatch). */
	return 0;
}

int64_t sys_rt_sigaction(int sig, uptr_t act, uptr_t oldact, size_t sigsetsize)
{
	struct proc *p = proc_current();
	ksigaction_t new;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (sig < 1 || sig > NSIG || (act && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	if (act && copy_from_user(&new, act, sizeof(new)))
		return -EFAULT;
	if (oldact && copy_to_user(oldact, p->sigactions[sig - 1], sizeof(new)))
		return -EFAULT;
	if (!act)
		return 0;
	new[3] &= ~SIG_UNBLOCKABLE;
	memcpy(p->sigactions[sig - 1], new, sizeof(new));
	/* POSIX: setting SIG_IGN discards a pending one (SIG_DFL of an ignored
	 * one too), for every thread. */
	if (signal_ignored(p, sig) || new[0] == SIG_IGN) {
		uint64_t flags = irq_save();

		p->sigpending &= ~SIG_BIT(sig);
		list_for_each(n, &p->threads)
			list_entry(n, struct uthread, node)->sigpending &= ~SIG_BIT(sig);
		irq_restore(flags);
	}
	return 0;
}

/* The blocked signals that are pending, for the caller or its process. */
int64_t sys_rt_sigpending(uptr_t set, size_t sigsetsize)
{
	struct uthread *u = uthread_current();
	uint64_t pending = (u->sigpending | u->proc->sigpending) & u->sigmask;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	return copy_to_user(set, &pending, sizeof(pending)) ? -EFAULT : 0;
}

/* Sleep until a signal is to be acted on: always -EINTR, as Linux. */
static int64_t sleep_for_signal(void)
{
	static struct waitq nobody = WAITQ_INIT("pause");

	wait_event_interruptible(&nobody, false);
	return -EINTR;
}

int64_t sys_pause(void)
{
	return sleep_for_signal();
}

/* Wait with mask in place of the current mask, which comes back after the
 * handler (signal.c puts the saved one in the frame). */
int64_t sys_rt_sigsuspend(uptr_t set, size_t sigsetsize)
{
	struct uthread *u = uthread_current();
	uint64_t mask;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&mask, set, sizeof(mask)))
		return -EFAULT;
	u->sigmask_saved = u->sigmask;
	u->sigmask_restore = true;
	u->sigmask = mask & ~SIG_UNBLOCKABLE;
	return sleep_for_signal();
}

int64_t sys_rt_sigreturn(void)
{
	sigframe_return(proc_user_regs());
}

/* The alternate stack of the calling thread (proc/sigframe.c has the
 * rules); the old setting is written only if the call succeeds. */
int64_t sys_sigaltstack(uptr_t uss, uptr_t uoss)
{
	struct ksigaltstack ss, old;
	int err;

	if (uss && copy_from_user(&ss, uss, sizeof(ss)))
		return -EFAULT;
	err = sigframe_altstack(uthread_current(), uss ? &ss : NULL, &old, proc_user_regs()->rsp);
	if (!err && uoss && copy_to_user(uoss, &old, sizeof(old)))
		return -EFAULT;
	return err;
}
