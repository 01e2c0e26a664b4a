/*
 * Kernel stacks with guard pages.  Every kernel stack (one per thread, and
 * the IST stacks) lives in its own slot of the kernel-stack region,
 * PML4 slot 510:
 *
 *     KSTACK_REGION_BASE + i * KSTACK_SLOT_SIZE
 *         +0                 guard page: never mapped
 *         +PAGE_SIZE         the stack, KSTACK_SIZE bytes, mapped read/write, no exec
 *         +KSTACK_SLOT_SIZE  top (the value kstack_alloc returns)
 *
 * A stack that overflows runs into its guard page and faults instead of
 * silently overwriting whatever lies below; the fault handlers ask
 * kstack_owner_of_guard() whose stack it was.  (A single frame larger than
 * a page could jump over the guard: keep big buffers off the stack.)
 *
 * The last 4 GiB of PML4 slot 510, from KSTACK_REGION_END, are never used
 * for stacks: self-tests may map and unmap scratch pages there.
 */
#ifndef MM_KSTACK_H
#define MM_KSTACK_H

#include <types.h>
#include "arch/x86_64/memlayout.h"

#define KSTACK_REGION_BASE 0xffffff0000000000ull /* PML4 index 510 */
#define KSTACK_REGION_END  0xffffff7f00000000ull
#define KSTACK_SCRATCH_VA  KSTACK_REGION_END /* for self-tests */

#ifndef KSTACK_PAGES
#define KSTACK_PAGES 4
#endif
#define KSTACK_SIZE      (KSTACK_PAGES * PAGE_SIZE) /* 16 KiB */
#define KSTACK_SLOT_SIZE (KSTACK_SIZE + PAGE_SIZE)  /* with the guard page */
#define KSTACK_MAX       512                        /* slots in use at once */

/*
 * A new kernel stack for owner (a thread name; copied, at most 31
 * characters): returns the top address (16-byte aligned; the stack grows
 * down from it), or 0 if memory or slots ran out.  Any context but an
 * interrupt handler.
 */
uint64_t kstack_alloc(const char *owner);
/* Free the stack whose top kstack_alloc returned.  Not the stack in use! */
void kstack_free(uint64_t top);
/*
 * If addr is in the guard page of a kernel stack (one of ours, or the boot
 * stack's boot_stack_guard), the name of its owner; else NULL.  Takes no
 * lock: fault handlers call it.
 */
const char *kstack_owner_of_guard(uint64_t addr);

#endif
