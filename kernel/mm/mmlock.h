/*
 * The memory manager's critical sections.  The kernel runs on one CPU, so
 * keeping an interrupt handler out is enough to make a frame, page-table or
 * heap operation atomic: mm_lock() saves RFLAGS and disables interrupts,
 * mm_unlock() puts RFLAGS.IF back as it was.  Sections nest (vm_map holds the
 * lock while it calls frame_alloc, which takes it again), because each
 * unlock restores the flags its own lock saw.  With several CPUs this becomes
 * a spinlock taken the same way.
 */
#ifndef MM_MMLOCK_H
#define MM_MMLOCK_H

#include <types.h>
#include "arch/x86_64/x86.h"

static inline uint64_t mm_lock(void)
{
	uint64_t flags = read_rflags();

	cli();
	return flags;
}

static inline void mm_unlock(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		sti();
}

#endif
