/*
 * The OOM killer (see oom.h).
 *
 * The victim is the process with the most resident user pages
 * (uvm->pages: what exiting gives back), among those that can still give
 * them back: running, not yet exiting, not a vfork child (whose pages are
 * its parent's).  The processes the kernel started (the run= program,
 * this system's pid 1, and the servers) are spared while any other
 * process has pages.  The victim gets SIGKILL, which wakes it from any
 * interruptible sleep; the killer then sleeps until the victim has freed
 * its address space (proc_finish calls oom_exited), so the caller's retry
 * finds the frames.  If the caller is itself the biggest, it cannot wait
 * for itself: it gets SIGKILL and false, fails its allocation (-ENOMEM),
 * and the pending SIGKILL ends it on its way out of the kernel.  A killer
 * that gets SIGKILL while it waits (another OOM killer chose it) gives up
 * the same way.  A caller that already has SIGKILL pending kills nobody:
 * it is on its way out and its own exit gives the memory back (the fault
 * path asks twice, trap.c's user_fault_resolved then proc_user_fault, and
 * a second victim would die for nothing).
 *
 * A frame allocation that fault injection refused (failframe=, see
 * debug/failinject.c) kills nobody either: the caller fails with -ENOMEM.
 *
 * Before any killing, the page cache gives back clean pages (all of its
 * pages are: writes go through), up to OOM_CACHE_PAGES at a time: a file
 * read again costs a READ, which is better than a killed process.
 */
#include "proc/oom.h"
#include "debug/failinject.h"
#include "fs/pcache.h"
#include "lib/kprintf.h"
#include "lib/wait.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "proc/signal.h"

#define OOM_CACHE_PAGES 64

static struct waitq oom_wait = WAITQ_INIT("oom victim");

struct oom_choice {
	struct proc *best[2]; /* [0] forked, [1] started by the kernel */
	uint64_t pages[2];
};

static bool oom_consider(struct proc *p, void *arg)
{
	struct oom_choice *c = arg;
	int k = p->kernel_started;

	/* fds is NULL once proc_finish has begun: it is giving back already. */
	if (p->state != PROC_RUNNING || !p->uvm || p->uvm_borrowed || !p->fds || !p->thread)
		return true;
	if (p->uvm->pages > c->pages[k]) {
		c->best[k] = p;
		c->pages[k] = p->uvm->pages;
	}
	return true;
}

/* Has the process pid freed its address space? */
static bool oom_victim_gone(int pid)
{
	struct proc *p = proc_find(pid);

	return !p || p->state == PROC_ZOMBIE || !p->uvm;
}

bool oom_reclaim(void)
{
	struct oom_choice c = { { NULL, NULL }, { 0, 0 } };
	struct proc *self = proc_current(), *victim;
	struct uthread *me = uthread_current();
	uint64_t flags = irq_save();
	bool gone;
	int pid;

	/* A failure injected on purpose is no shortage: nobody dies for it. */
	if ((me && signal_kill_pending(me)) || failinject_frame_hit()) {
		irq_restore(flags);
		return false;
	}
	if (pcache_reclaim(OOM_CACHE_PAGES) > 0) {
		irq_restore(flags);
		return true; /* the caller's retry finds the cache's frames */
	}
	proc_for_each(oom_consider, &c);
	victim = c.best[0] ? c.best[0] : c.best[1];
	if (!victim) {
		irq_restore(flags);
		return false;
	}
	pid = victim->pid;
	kprintf("oom: killed pid %d (%s), %lu KiB\n", pid, victim->name,
		(unsigned long)(victim->uvm->pages * 4));
	signal_send(victim, SIGKILL);
	if (victim == self) {
		irq_restore(flags);
		return false;
	}
	/* Only SIGKILL ends the wait: other signals wait for the retry. */
	while (!(gone = oom_victim_gone(pid)) && !(me && signal_kill_pending(me)))
		wait_sleep(&oom_wait);
	irq_restore(flags);
	return gone;
}

void oom_exited(void)
{
	if (oom_wait.first)
		wait_wake_all(&oom_wait);
}
