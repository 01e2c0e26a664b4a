/*
 * KASSERT: the invariant checks of the debug build.
 *
 * `make KDEBUG=1` compiles the kernel with -DKDEBUG, and then
 *
 *     KASSERT(cond);
 *
 * panics with "KASSERT failed at FILE:LINE: cond" when cond is false.
 * Without KDEBUG it compiles to nothing: cond is not evaluated (it is still
 * type-checked, so a check cannot rot unseen), and code that exists only
 * for the checks sits under #ifdef KDEBUG.
 *
 * What the debug build checks (each file says more where it checks it):
 *   lib/list.h       inserting a node that is on a list; a node or list
 *                    whose neighbours do not point back (freed, moved or
 *                    corrupted while linked)
 *   lib/spinlock.c   locks released in the reverse order of acquiring;
 *                    the count of spinlocks held, for the scheduler
 *   sched/sched.c    no sleep or yield with a spinlock held, or inside a
 *                    section its caller turned interrupts off in (unless
 *                    that section says irq_section_may_sleep); run queues
 *                    touched only with interrupts off; at every schedule(),
 *                    each ready thread on exactly one run queue, that of
 *                    its effective priority
 *
 * panic() (debug/panic.h) stays for the checks of every build; its
 * assert() is for invariants cheap enough to check always.
 */
#ifndef LIB_ASSERT_H
#define LIB_ASSERT_H

#include "debug/panic.h"

#ifdef KDEBUG
#define KASSERT(cond)                                                                    \
	do {                                                                             \
		if (!(cond))                                                             \
			panic("KASSERT failed at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)
#else
#define KASSERT(cond)                  \
	do {                           \
		(void)sizeof(!(cond)); \
	} while (0)
#endif

#endif
