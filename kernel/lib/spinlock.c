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

#ifdef KDEBUG
/*
 * The debug build's view of this CPU (see spinlock.h): the lock taken last
 * (the others held chain from it through .outer), how many are held, and
 * how many irq_save sections are open in the running thread.  Kept outside
 * the functions' stage code, so a student's spinlocks are checked too.
 */
static spinlock_t *spin_innermost;
static int spin_held;
static int irq_depth;

void spin_assert_held(const spinlock_t *lock)
{
	if (!lock->held)
		panic("spinlock '%s': not held, but this code needs it", lock->name);
}

int spin_held_count(void)
{
	return spin_held;
}

int irq_save_depth(void)
{
	return irq_depth;
}

void irq_save_depth_set(int depth)
{
	irq_depth = depth;
}

/* After the acquire, with interrupts off: nothing can come in between. */
static void spin_debug_acquire(spinlock_t *lock)
{
	lock->outer = spin_innermost;
	spin_innermost = lock;
	spin_held++;
}

/* spinlock.h's rule: locks are released in the reverse order of acquiring
 * them (else each restores the other's interrupt flag). */
static void spin_debug_release(spinlock_t *lock)
{
	if (!lock->held)
		return; /* spin_unlock panics: released but not held */
	if (spin_innermost != lock)
		panic("spinlock '%s': released while '%s', taken after it, is held", lock->name,
		      spin_innermost ? spin_innermost->name : "?");
	spin_innermost = lock->outer;
	spin_held--;
}
#endif

uint64_t irq_save(void)
{
#ifdef KDEBUG
	irq_depth++;
#endif
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
#ifdef KDEBUG
	/* Not below 0: restoring flags read without irq_save is allowed. */
	if (irq_depth > 0)
		irq_depth--;
#endif
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
#ifdef KDEBUG
	spin_debug_acquire(lock);
#endif
}

void spin_unlock(spinlock_t *lock)
{
#ifdef KDEBUG
	spin_debug_release(lock);
#endif
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
