/*
 * Interrupt-safe primitives for a single CPU.
 *
 * irq_save() disables interrupts and returns the previous RFLAGS, so that
 * irq_restore(flags) puts the interrupt flag back exactly as it was: nested
 * sections restore in turn, and only the outermost one turns interrupts back
 * on.
 *
 * A spinlock protects data shared with interrupt handlers.  With one CPU,
 * disabling interrupts *is* the lock: nothing else can run until it is
 * released.  The lock still records that it is held, so that acquiring it
 * twice (a deadlock on a multiprocessor) panics at once instead of going
 * unnoticed; and it keeps the flags to restore, so spin_unlock() needs no
 * argument.  Locks must be released in the reverse order of acquiring them.
 *
 * Rules: hold a spinlock briefly; never sleep (wait_event, console_getc)
 * while holding one; interrupt handlers may take spinlocks.
 */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include <types.h>

/* Disable interrupts; return the RFLAGS to hand to irq_restore(). */
uint64_t irq_save(void);
/* Re-enable interrupts if they were enabled in flags (from irq_save). */
void irq_restore(uint64_t flags);
/* Are interrupts enabled on this CPU right now? */
bool irq_enabled(void);

typedef struct spinlock {
	const char *name; /* for the panic message */
	bool held;
	uint64_t flags; /* RFLAGS before spin_lock, restored by spin_unlock */
#ifdef KDEBUG
	struct spinlock *outer; /* the lock taken before this one, still held */
#endif
} spinlock_t;

/* clang-format off */
#define SPINLOCK_INIT(lockname) { .name = (lockname), .held = false, .flags = 0 }
/* clang-format on */

/* Disable interrupts and take the lock; panics if it is already held. */
void spin_lock(spinlock_t *lock);
/* Release the lock and restore the interrupt flag spin_lock() saw. */
void spin_unlock(spinlock_t *lock);

/*
 * The debug build's bookkeeping (make KDEBUG=1, lib/assert.h); without
 * KDEBUG these do nothing and cost nothing.
 *
 * spin_assert_held: a function that needs the caller to hold lock says so.
 * spin_held_count: spinlocks held on this CPU (the scheduler checks that a
 * thread giving up the CPU holds none).  irq_sections_may_sleep: may the
 * running thread sleep, as far as its open irq_save() sections (spinlocks
 * included) go?  wait_event and thread_sleep turn interrupts off to sleep,
 * and that is fine when their own section is the one that turned them off;
 * when an outer section did, the sleep breaks that section's atomicity:
 * the caller slept with interrupts off.  (A section that turned them back
 * on with sti() ends that: what counts is what each section found.)  A
 * section meant to span a sleep, as a condition variable's lock is (its
 * state checked and the wait begun with no interrupt in between, the
 * section given up while asleep), says so with irq_section_may_sleep().
 * The open sections are the running thread's: the scheduler keeps each
 * thread's (struct irq_sections) across a switch.
 */
struct irq_sections {
	int depth;          /* irq_save sections open */
	uint64_t found_on;  /* bit i: section i (0 outermost) found interrupts on */
	uint64_t may_sleep; /* bit i: section i said irq_section_may_sleep() */
};

#ifdef KDEBUG
void spin_assert_held(const spinlock_t *lock);
int spin_held_count(void);
bool irq_sections_may_sleep(void);
void irq_section_may_sleep(void);
void irq_sections_get(struct irq_sections *s);
void irq_sections_set(const struct irq_sections *s);
#else
static inline void spin_assert_held(const spinlock_t *lock)
{
	(void)lock;
}
static inline int spin_held_count(void)
{
	return 0;
}
static inline bool irq_sections_may_sleep(void)
{
	return true;
}
static inline void irq_section_may_sleep(void)
{
}
static inline void irq_sections_get(struct irq_sections *s)
{
	(void)s;
}
static inline void irq_sections_set(const struct irq_sections *s)
{
	(void)s;
}
#endif

#endif
