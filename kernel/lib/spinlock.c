/*
 * Interrupt flag save/restore and spinlocks for one CPU (see spinlock.h).
 *
 * The interrupt flag is RFLAGS.IF (bit 9): `cli` clears it, `sti` sets it
 * (Intel SDM Vol. 3A, 7.8.1 "Masking Maskable Hardware Interrupts").  `sti`
 * takes effect after the next instruction, which wait.c relies on.
 */
#include "lib/spinlock.h"
#include "arch/x86_64/x86.h"
#include "debug/panic.h"

uint64_t irq_save(void)
{
	/* BEGIN STAGE interrupts: read RFLAGS, then disable interrupts */
	uint64_t flags = read_rflags();

	cli();
	return flags;
	/* STUB
	return 0;
	END STAGE interrupts */
}

void irq_restore(uint64_t flags)
{
	/* BEGIN STAGE interrupts: re-enable interrupts only if IF was set in flags */
	if (flags & RFLAGS_IF)
		sti();
	/* STUB
	(void)flags;
	END STAGE interrupts */
}

bool irq_enabled(void)
{
	return read_rflags() & RFLAGS_IF;
}

void spin_lock(spinlock_t *lock)
{
	/* BEGIN STAGE interrupts: disable interrupts, catch recursion, mark held */
	uint64_t flags = irq_save();

	if (lock->held)
		panic("spinlock '%s': acquired while already held (deadlock)", lock->name);
	lock->held = true;
	lock->flags = flags;
	/* STUB
	(void)lock;
	END STAGE interrupts */
}

void spin_unlock(spinlock_t *lock)
{
	/* BEGIN STAGE interrupts: check held, clear it, restore the saved flags */
	uint64_t flags = lock->flags;

	if (!lock->held)
		panic("spinlock '%s': released but not held", lock->name);
	lock->held = false;
	irq_restore(flags);
	/* STUB
	(void)lock;
	END STAGE interrupts */
}
