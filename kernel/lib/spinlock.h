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

typedef struct {
	const char *name; /* for the panic message */
	bool held;
	uint64_t flags; /* RFLAGS before spin_lock, restored by spin_unlock */
} spinlock_t;

/* clang-format off */
#define SPINLOCK_INIT(lockname) { .name = (lockname), .held = false, .flags = 0 }
/* clang-format on */

/* Disable interrupts and take the lock; panics if it is already held. */
void spin_lock(spinlock_t *lock);
/* Release the lock and restore the interrupt flag spin_lock() saw. */
void spin_unlock(spinlock_t *lock);

#endif
