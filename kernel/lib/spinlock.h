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
 * thread going to sleep holds none).  irq_save_depth: irq_save() sections
 * (spinlocks included) open in the running thread, outermost first: a thread
 * that sleeps inside one of its own would break that section's atomicity.
 * The scheduler saves and restores it per thread (irq_save_depth_set).
 */
#ifdef KDEBUG
void spin_assert_held(const spinlock_t *lock);
int spin_held_count(void);
int irq_save_depth(void);
void irq_save_depth_set(int depth);
#else
static inline void spin_assert_held(const spinlock_t *lock)
{
	(void)lock;
}
static inline int spin_held_count(void)
{
	return 0;
}
static inline int irq_save_depth(void)
{
	return 0;
}
static inline void irq_save_depth_set(int depth)
{
	(void)depth;
}
#endif

#endif
