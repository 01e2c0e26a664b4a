/*
 * Waiting for something an interrupt handler will do.
 *
 *     static struct waitq input_wait = WAITQ_INIT("console input");
 *     wait_event(&input_wait, input_available());     // the waiter
 *     ... in the interrupt handler: store the input, then
 *     wait_wake_all(&input_wait);
 *
 * wait_event() checks the condition with interrupts off, so a wake-up cannot
 * slip in between the check and the sleep (the "lost wake-up" problem).
 *
 * Today there is one thread: wait_sleep() halts the CPU with interrupts on
 * until the next interrupt (any interrupt), and wait_wake_all() has nothing
 * to do.  Before interrupts are running (or when the PIC is not set up)
 * nothing would wake a halted CPU, so wait_sleep() only pauses and the
 * condition is polled.  Stage `scheduler` replaces the bodies of
 * wait_sleep() and wait_wake_all() so that waiting blocks the current thread
 * on the queue and other threads run; callers do not change.
 *
 * Rules: may sleep, so never call wait_event() with a spinlock held or from
 * an interrupt handler.  wait_wake_all() may be called from anywhere.
 */
#ifndef LIB_WAIT_H
#define LIB_WAIT_H

#include <types.h>
#include "lib/spinlock.h"

struct waitq {
	const char *name;
	/* stage scheduler: the list of threads sleeping here */
};

#define WAITQ_INIT(qname) { .name = (qname) }

/* Sleep once on wq: called and returns with interrupts off. */
void wait_sleep(struct waitq *wq);
/* Wake every waiter of wq (they re-check their conditions). */
void wait_wake_all(struct waitq *wq);

/* Sleep on wq until cond (an expression, re-evaluated each time) holds. */
#define wait_event(wq, cond)                                            \
	do {                                                            \
		uint64_t wait_flags_ = irq_save();                      \
		while (!(cond))                                         \
			wait_sleep(wq);                                 \
		irq_restore(wait_flags_);                               \
	} while (0)

#endif
