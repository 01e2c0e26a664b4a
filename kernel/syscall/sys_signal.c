/*
 * Signals, as far as musl needs them before there are any: fork(),
 * posix_spawn() and system() block all signals around the call
 * (rt_sigprocmask) and set SIGCHLD's and SIGINT's actions (rt_sigaction).
 * The kernel delivers no signals yet (a fault kills at once, proc.c), so
 * each process has one mask and one table of actions that nobody reads:
 * the calls check their arguments as Linux does, keep what they are given
 * and give back what was kept, so a program that saves and restores them
 * sees what it set.  What they are for comes with signal delivery.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "lib/string.h"
#include "mm/usercopy.h"
#include "proc/proc.h"

#define NSIG        64
#define SIGSET_SIZE 8 /* bytes of a kernel sigset_t: 64 signals */
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* Linux's struct sigaction for x86_64: handler, flags, restorer, mask. */
typedef uint64_t ksigaction_t[4];

int64_t sys_rt_sigprocmask(int how, uptr_t set, uptr_t oldset, size_t sigsetsize)
{
	struct proc *p = proc_current();
	uint64_t mask = 0;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (set && copy_from_user(&mask, set, sizeof(mask)))
		return -EFAULT;
	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return -EINVAL;
	if (oldset && copy_to_user(oldset, &p->sigmask, sizeof(p->sigmask)))
		return -EFAULT;
	if (!set)
		return 0;
	if (how == SIG_BLOCK)
		p->sigmask |= mask;
	else if (how == SIG_UNBLOCK)
		p->sigmask &= ~mask;
	else
		p->sigmask = mask;
	/* SIGKILL (9) and SIGSTOP (19) cannot be blocked. */
	p->sigmask &= ~((1ull << (SIGKILL - 1)) | (1ull << (19 - 1)));
	return 0;
}

int64_t sys_rt_sigaction(int sig, uptr_t act, uptr_t oldact, size_t sigsetsize)
{
	struct proc *p = proc_current();
	ksigaction_t new;

	if (sigsetsize != SIGSET_SIZE)
		return -EINVAL;
	if (sig < 1 || sig > NSIG || (act && (sig == SIGKILL || sig == 19)))
		return -EINVAL;
	if (act && copy_from_user(&new, act, sizeof(new)))
		return -EFAULT;
	if (oldact && copy_to_user(oldact, p->sigactions[sig - 1], sizeof(new)))
		return -EFAULT;
	if (act)
		memcpy(p->sigactions[sig - 1], new, sizeof(new));
	return 0;
}
