/*
 * Threads of a process (see uthread.h): making one with clone, ending
 * one, ending all.
 *
 * A new thread is a struct uthread in its process's list and a kernel
 * thread started at proc_start (proc.c), which enters user mode with a
 * copy of the trapframe the caller's system call entry saved, rax = 0
 * and rsp = the new stack: it leaves the kernel as if it had made the
 * clone call itself, as musl's __clone expects (it then calls the start
 * function it left in a register).
 *
 * Ending one thread.  uthread_end clears clear_child_tid and wakes its
 * futex (musl's pthread_join and its thread-list lock wait on that word),
 * then, with interrupts off, leaves the process's list.  If others remain
 * the kernel thread stops being the process's and exits detached (the
 * scheduler frees it once it is off its stack); the last one finishes the
 * process (proc_finish) and is the thread proc_wait joins.
 */
#include "proc/uthread.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "proc/futex.h"
#include "proc/proc.h"
#include "proc/proc_internal.h"
#include "proc/signal.h"
#include "sched/thread.h"

static int uthreads; /* how many exist */

struct uthread *uthread_alloc(struct proc *p)
{
	struct uthread *u = kcalloc(1, sizeof(*u));
	uint64_t flags;

	if (!u)
		return NULL;
	u->proc = p;
	fpu_area_init(&u->fpu);
	flags = irq_save();
	list_push_back(&p->threads, &u->node);
	p->nthreads++;
	uthreads++;
	irq_restore(flags);
	return u;
}

void uthread_free(struct uthread *u)
{
	uint64_t flags = irq_save();

	list_remove(&u->node);
	u->proc->nthreads--;
	uthreads--;
	irq_restore(flags);
	kfree(u);
}

int uthread_count(void)
{
	return uthreads;
}

int uthread_clone(uint64_t flags, uint64_t newsp, uptr_t ptid, uptr_t ctid, uint64_t tls)
{
	/* BEGIN STAGE threads: check the flags, make the uthread from the caller's state, start it */
	struct uthread *self = uthread_current(), *u;
	struct proc *p = self->proc;
	uint64_t irq;
	int tid;

	if ((flags & ~(uint64_t)CSIGNAL & ~(uint64_t)(CLONE_THREAD_SHARES | CLONE_THREAD_EXTRAS)) ||
	    (flags & CLONE_THREAD_SHARES) != CLONE_THREAD_SHARES)
		return -EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= USER_END)
		return -EPERM; /* as arch_prctl: the kernel would load it */
	if (uthread_count() >= UTHREAD_MAX || p->exiting)
		return -EAGAIN;
	u = uthread_alloc(p);
	if (!u)
		return -ENOMEM;
	u->fs_base = flags & CLONE_SETTLS ? tls : self->fs_base;
	u->gs_base = self->gs_base;
	u->sigmask = self->sigmask;
	u->clear_child_tid = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
	u->set_child_tid = flags & CLONE_CHILD_SETTID ? ctid : 0;
	u->set_parent_tid = flags & CLONE_PARENT_SETTID ? ptid : 0;
	irq = irq_save();
	fpu_save(&u->fpu); /* the caller's live registers */
	irq_restore(irq);
	u->start_tf = *proc_user_regs();
	u->start_tf.rax = 0; /* clone() returns 0 in the new thread */
	if (newsp)
		u->start_tf.rsp = newsp;
	tid = proc_run_thread(u, thread_current()->prio);
	if (tid > 0 && u->set_parent_tid) /* the new thread writes it too, first */
		copy_to_user(ptid, &tid, sizeof(tid));
	return tid;
	/* STUB
	(void)flags, (void)newsp, (void)ptid, (void)ctid, (void)tls;
	return -EINVAL;
	END STAGE threads */
}

/* Zap u: it must end (SIGKILL on it alone, and a wake-up from any sleep).
 * Interrupts off. */
static void uthread_zap(struct uthread *u)
{
	u->zapped = true;
	u->sigpending |= SIG_BIT(SIGKILL);
	if (u->thread)
		thread_wake(u->thread);
	signal_wake_stopped();
}

/* Zap every thread of p but self.  Interrupts off. */
static void uthread_zap_others(struct proc *p, struct uthread *self)
{
	list_for_each(n, &p->threads) {
		struct uthread *u = list_entry(n, struct uthread, node);

		if (u != self)
			uthread_zap(u);
	}
}

bool uthread_end_all(int status, int sig)
{
	struct uthread *self = uthread_current();
	struct proc *p = self->proc;
	uint64_t flags = irq_save();
	bool first = !p->exiting;

	if (first) {
		p->exiting = true;
		p->exit_status = status;
		p->killed_by = sig;
		uthread_zap_others(p, self);
	}
	irq_restore(flags);
	return first;
}

void uthread_end(void)
{
	/* BEGIN STAGE threads: clear and wake clear_child_tid, leave the list; the last finishes the process */
	struct uthread *u = uthread_current();
	struct thread *t = thread_current();
	struct proc *p = u->proc;
	uint64_t flags;

	/* set_tid_address's promise; a bad address is simply not written. */
	if (u->clear_child_tid) {
		uint32_t zero = 0;

		if (copy_to_user(u->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake(u->clear_child_tid, 1);
	}
	flags = irq_save();
	if (p->nthreads == 1) {
		irq_restore(flags);
		proc_finish(u); /* the last thread: the process ends */
	}
	t->owner = NULL; /* a kernel thread from now on */
	uthread_free(u);
	if (p->thread == t) /* the one to join must be a live thread of p */
		p->thread = list_entry(list_first(&p->threads), struct uthread, node)->thread;
	wait_wake_all(&p->thread_wait);
	thread_detach(t);
	cli(); /* thread_exit switches away for good */
	thread_exit(0);
	/* STUB
	proc_finish(uthread_current());
	END STAGE threads */
}

void uthread_exit(int status)
{
	struct proc *p = proc_current();
	uint64_t flags = irq_save();
	bool last = p->nthreads == 1 && !p->exiting;

	/* The last thread's exit(2) is the process's. */
	if (last) {
		p->exiting = true;
		p->exit_status = status;
	}
	irq_restore(flags);
	if (last)
		proc_exit_message(p);
	uthread_end();
}

void uthread_end_others(void)
{
	struct uthread *self = uthread_current();
	struct proc *p = self->proc;
	uint64_t flags = irq_save();

	uthread_zap_others(p, self);
	while (p->nthreads > 1)
		wait_sleep(&p->thread_wait);
	irq_restore(flags);
}
