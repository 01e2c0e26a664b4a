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
 * the irq_save sections open in the running thread.  Kept outside
 * the functions' stage code, so a student's spinlocks are checked too.
 */
static spinlock_t *spin_innermost;
static int spin_held;
static struct irq_sections sections;

void spin_assert_held(const spinlock_t *lock)
{
	if (!lock->held)
		panic("spinlock '%s': not held, but this code needs it", lock->name);
}

int spin_held_count(void)
{
	return spin_held;
}

bool irq_sections_may_sleep(void)
{
	/* The section that turned interrupts off is the innermost one that
	 * found them on; those inside it found them off. */
	for (int i = MIN(sections.depth, 64) - 1; i >= 0; i--)
		if (sections.found_on >> i & 1)
			return i == sections.depth - 1 || (sections.may_sleep >> i & 1);
	return true; /* off since before any section: not ours to judge */
}

void irq_section_may_sleep(void)
{
	int i = sections.depth - 1;

	if (i >= 0 && i < 64)
		sections.may_sleep |= 1ull << i;
}

void irq_sections_get(struct irq_sections *s)
{
	*s = sections;
}

void irq_sections_set(const struct irq_sections *s)
{
	sections = *s;
}

/* Before irq_save's own code: an interrupt in between nests its sections
 * above this one and closes them again. */
static void irq_debug_open(bool on)
{
	if (sections.depth < 64) {
		sections.found_on &= ~(1ull << sections.depth);
		sections.found_on |= (uint64_t)on << sections.depth;
		sections.may_sleep &= ~(1ull << sections.depth);
	}
	sections.depth++;
}

static void irq_debug_close(void)
{
	/* Not below 0: restoring flags read without irq_save is allowed. */
	if (sections.depth > 0)
		sections.depth--;
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
	irq_debug_open(read_rflags() & RFLAGS_IF);
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
	irq_debug_close();
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
