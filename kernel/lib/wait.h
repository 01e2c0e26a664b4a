/*
 * Wait queues: waiting for something another thread or an interrupt
 * handler will do.
 *
 *     static struct waitq input_wait = WAITQ_INIT("console input");
 *     wait_event(&input_wait, input_available());     // the waiter
 *     ... in the interrupt handler: store the input, then
 *     wait_wake_all(&input_wait);
 *
 * wait_event() checks the condition with interrupts off, so a wake-up cannot
 * slip in between the check and the sleep (the "lost wake-up" problem).
 *
 * A waitq is a FIFO of waiters.  A waiter is a blocked thread (each thread
 * has one, see thread.h) or an executor task that returned "pending" after
 * registering with wait_add_task() (TASK_AWAIT_EVENT in executor.h does
 * that); waking a task puts it back on its executor's queue.  Wake-ups may
 * be spurious: always re-check the condition (the macros do).  A waitq is
 * all zeros when empty, so WAITQ_INIT only names it.
 *
 * Without a scheduler (before sched_init, or in a handout whose scheduler
 * is not written yet) there is one thread: wait_sleep() then halts the CPU
 * with interrupts on until the next interrupt (any interrupt) and returns,
 * and the waker has nothing to do.  Before interrupts are running nothing
 * would wake a halted CPU, so wait_sleep() only pauses and the condition is
 * polled.
 *
 * Rules: may sleep, so never call wait_event() with a spinlock held or from
 * an interrupt handler.  wait_wake_*() may be called from anywhere; from a
 * thread with interrupts on, a woken thread of higher priority runs before
 * they return.
 */
#ifndef LIB_WAIT_H
#define LIB_WAIT_H

#include <errno.h>
#include <types.h>
#include "lib/spinlock.h"

struct thread;
struct task;
struct waitq;

struct waiter {
	struct waiter *next;
	struct waitq *queue;   /* the queue it is on, NULL if none */
	struct thread *thread; /* what to wake: a thread, */
	struct task *task;     /* or an executor task */
};

struct waitq {
	const char *name;
	struct waiter *first, *last; /* FIFO; both NULL when empty */
};

/* clang-format off */
#define WAITQ_INIT(qname) { .name = (qname) }
/* clang-format on */

void waitq_init(struct waitq *wq, const char *name);

/* Sleep once on wq: called and returns with interrupts off. */
void wait_sleep(struct waitq *wq);
/*
 * Sleep once on wq, but no later than tick deadline: returns false if the
 * deadline had come (at the call, or it ended the sleep), true otherwise.
 * Interrupts off, like wait_sleep.
 */
bool wait_sleep_until(struct waitq *wq, uint64_t deadline);

/* Wake every waiter of wq (they re-check their conditions). */
void wait_wake_all(struct waitq *wq);
/* Wake the waiter that has waited longest; returns false if none. */
bool wait_wake_one(struct waitq *wq);

/* Executor tasks: have task woken by the next wake-up of wq.  Interrupts
 * off, or use TASK_AWAIT_EVENT.  A task waits on one queue at a time. */
void wait_add_task(struct waitq *wq, struct task *task);
/* Take w off its queue if it is on one.  Interrupts off. */
void waiter_unlink(struct waiter *w);

/* The tick `ticks` timer ticks from now (for wait_event_timeout). */
uint64_t wait_deadline(uint64_t ticks);

/* Sleep on wq until cond (an expression, re-evaluated each time) holds. */
#define wait_event(wq, cond)                       \
	do {                                       \
		uint64_t wait_flags_ = irq_save(); \
		while (!(cond))                    \
			wait_sleep(wq);            \
		irq_restore(wait_flags_);          \
	} while (0)

/* Like wait_event, but for at most ticks timer ticks; the value is whether
 * cond held in the end (false: timed out). */
#define wait_event_timeout(wq, cond, ticks)                                          \
	({                                                                           \
		uint64_t wait_flags_ = irq_save();                                   \
		uint64_t wait_deadline_ = wait_deadline(ticks);                      \
		bool wait_ok_;                                                       \
		while (!(wait_ok_ = (cond)) && wait_sleep_until(wq, wait_deadline_)) \
			;                                                            \
		irq_restore(wait_flags_);                                            \
		wait_ok_;                                                            \
	})

/*
 * Must the current thread stop waiting?  True when it is a process's and
 * that process has a signal to act on (proc/signal.h: signal_pending, so
 * SIGKILL always); false for kernel threads.  signal_send wakes a blocked
 * thread, so a sleep rechecks this when a signal arrives.
 */
bool wait_interrupted(void);

/* Like wait_event, but a signal ends the wait: 0 once cond holds, -EINTR
 * if a signal came first (cond is checked first).  For the sleeps a signal
 * must break: wait4, pipe and terminal reads, pause. */
#define wait_event_interruptible(wq, cond)          \
	({                                          \
		uint64_t wait_flags_ = irq_save();  \
		int wait_err_ = 0;                  \
		while (!(cond)) {                   \
			if (wait_interrupted()) {   \
				wait_err_ = -EINTR; \
				break;              \
			}                           \
			wait_sleep(wq);             \
		}                                   \
		irq_restore(wait_flags_);           \
		wait_err_;                          \
	})

/*
 * Waiting on several queues at once (poll and select, fs/poll.c).  The
 * caller puts waiters of its own on each queue with wait_add_waiter
 * (w->thread: the current thread), then, with interrupts off, checks its
 * conditions once more and sleeps with wait_block_until: a wake-up on any
 * of the queues, a signal (signal_send wakes a blocked thread) or the
 * deadline ends the sleep.  A wake-up takes the waiter it wakes off its
 * queue (w->queue is NULL after it), so a waiter found off its queue
 * before the sleep means a wake-up came already and the caller must not
 * sleep.  The caller takes its waiters off their queues (waiter_unlink)
 * before they go out of scope.
 */
#define WAIT_FOREVER UINT64_MAX

/* Append w to wq.  Any interrupt state. */
void wait_add_waiter(struct waitq *wq, struct waiter *w);
/* Block the current thread until a wake-up or tick deadline (WAIT_FOREVER:
 * none): false if the deadline had come, at the call or during the sleep.
 * Interrupts off, like wait_sleep. */
bool wait_block_until(uint64_t deadline);

/*
 * A lock that may be held across a sleep (a copy from user memory that
 * faults, a wait for memory): who finds it held sleeps on its queue until
 * the holder lets go.  Not for interrupt handlers, and not reentrant.
 * All zeros is an unlocked lock.
 */
struct sleeplock {
	bool held;
	struct waitq wait;
};

void sleeplock_acquire(struct sleeplock *l);
void sleeplock_release(struct sleeplock *l);

#endif
