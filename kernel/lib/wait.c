/*
 * Wait queues (see wait.h).  Everything here runs with interrupts off,
 * which on our one CPU makes each operation atomic with respect to the
 * interrupt handlers that wake waiters.
 *
 * A waiting thread is in state BLOCKED, on the queue through its
 * `waiter`, and off the run queues.  Whoever wakes it (wait_wake_*, or the
 * alarm of a timed wait) takes the waiter off the queue and hands the
 * thread to thread_wake(), which makes it ready; it then returns from
 * wait_sleep() and its wait_event() loop re-checks the condition.
 *
 * A poll (fs/poll.c) puts waiters of its own on several queues and blocks
 * with wait_block_until: the first wake-up takes its waiter off that queue
 * and wakes the thread, whose other waiters stay queued until it takes them
 * off; thread_wake does nothing to a thread that is not blocked, so the
 * wake-ups that follow are harmless.  wait_sleep_until is the same for the
 * thread's own waiter.  A sleeplock is a flag and a queue: the holder may
 * sleep, who finds it held sleeps on the queue, and a release wakes one.
 *
 * Without a scheduler, sleeping means halting the CPU until an interrupt
 * arrives.  `sti; hlt` is atomic with respect to interrupts: STI enables
 * them only after the next instruction (Intel SDM Vol. 2B, STI: "interrupt
 * shadow"), so an interrupt that became pending while wait_event() checked
 * its condition with interrupts off is taken *during* the HLT and wakes it,
 * instead of being handled before the HLT and leaving the CPU asleep.
 */
#include "lib/wait.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "sched/executor.h"
#include "sched/sched.h"
#include "sched/thread.h"

void waitq_init(struct waitq *wq, const char *name)
{
	wq->name = name;
	wq->first = wq->last = NULL;
}

static void waiter_append(struct waitq *wq, struct waiter *w)
{
	if (w->queue)
		waiter_unlink(w);
	w->next = NULL;
	w->queue = wq;
	if (wq->last)
		wq->last->next = w;
	else
		wq->first = w;
	wq->last = w;
}

void waiter_unlink(struct waiter *w)
{
	struct waitq *wq = w->queue;
	struct waiter **link, *prev = NULL;

	if (!wq)
		return;
	for (link = &wq->first; *link; prev = *link, link = &(*link)->next) {
		if (*link == w) {
			*link = w->next;
			if (wq->last == w)
				wq->last = prev;
			break;
		}
	}
	w->next = NULL;
	w->queue = NULL;
}

static struct waiter *waiter_pop(struct waitq *wq)
{
	struct waiter *w = wq->first;

	if (w)
		waiter_unlink(w);
	return w;
}

static void waiter_wake(struct waiter *w)
{
	if (w->thread)
		thread_wake(w->thread);
	else if (w->task)
		executor_wake(w->task);
}

/* Halt until an interrupt: the wait of a kernel that has one thread. */
static void wait_for_interrupt(void)
{
	if (!irq_started()) {
		pause(); /* no interrupt would end a HLT: poll */
		return;
	}
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

void wait_sleep(struct waitq *wq)
{
	struct thread *t = sched_current();

	if (!sched_active()) {
		wait_for_interrupt();
		return;
	}
	waiter_append(wq, &t->waiter);
	thread_block();
	waiter_unlink(&t->waiter); /* after a spurious thread_wake */
}

static void wait_timeout(struct alarm *a)
{
	struct thread *t = container_of(a, struct thread, alarm);

	t->timed_out = true;
	thread_wake(t);
}

bool wait_block_until(uint64_t deadline)
{
	struct thread *t = sched_current();
	bool timed = deadline != WAIT_FOREVER;

	if (timed && timer_ticks() >= deadline)
		return false;
	if (!sched_active()) {
		wait_for_interrupt();
		return !timed || timer_ticks() < deadline;
	}
	t->timed_out = false;
	if (timed)
		alarm_set(&t->alarm, deadline, wait_timeout);
	thread_block();
	if (timed)
		alarm_cancel(&t->alarm);
	return !t->timed_out;
}

bool wait_sleep_until(struct waitq *wq, uint64_t deadline)
{
	struct thread *t = sched_current();
	bool in_time;

	if (!sched_active())
		return wait_block_until(deadline); /* halts until an interrupt */
	waiter_append(wq, &t->waiter);
	in_time = wait_block_until(deadline);
	waiter_unlink(&t->waiter);
	return in_time;
}

void wait_add_waiter(struct waitq *wq, struct waiter *w)
{
	uint64_t flags = irq_save();

	waiter_append(wq, w);
	irq_restore(flags);
}

uint64_t wait_deadline(uint64_t ticks)
{
	return timer_ticks() + ticks;
}

void wait_wake_all(struct waitq *wq)
{
	uint64_t flags = irq_save();
	struct waiter *w;

	while ((w = waiter_pop(wq)) != NULL)
		waiter_wake(w);
	if (flags & RFLAGS_IF)
		sched_preempt(); /* a thread, not an interrupt handler: switch now */
	irq_restore(flags);
}

bool wait_wake_one(struct waitq *wq)
{
	uint64_t flags = irq_save();
	struct waiter *w = waiter_pop(wq);

	if (w)
		waiter_wake(w);
	if (flags & RFLAGS_IF)
		sched_preempt();
	irq_restore(flags);
	return w != NULL;
}

void wait_add_task(struct waitq *wq, struct task *task)
{
	uint64_t flags = irq_save();

	task->waiter.task = task;
	waiter_append(wq, &task->waiter);
	irq_restore(flags);
}

void sleeplock_acquire(struct sleeplock *l)
{
	uint64_t flags = irq_save();

	while (l->held)
		wait_sleep(&l->wait);
	l->held = true;
	irq_restore(flags);
}

void sleeplock_release(struct sleeplock *l)
{
	uint64_t flags = irq_save();

	l->held = false;
	if (l->wait.first)
		wait_wake_one(&l->wait);
	irq_restore(flags);
}
