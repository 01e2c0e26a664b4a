/*
 * Kernel stacks (see kstack.h).  A table of KSTACK_MAX slots records which
 * slots are in use, their owners' names and the frames behind each stack
 * (vm_unmap does not hand frames back, so kstack_free needs them).  The
 * table is protected by kstack_lock; kstack_owner_of_guard() reads it
 * without the lock, since it runs in fault handlers, possibly while the
 * lock is held by the code that faulted.
 *
 * Guard pages are never mapped: nothing needs doing to create one, and a
 * freed slot's pages are all unmapped again.
 */
#include "mm/kstack.h"
#include "debug/panic.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/vm.h"

#define OWNER_LEN 32

struct kstack_slot {
	bool used;
	char owner[OWNER_LEN];
	uint64_t frames[KSTACK_PAGES];
};

_Static_assert(KSTACK_REGION_BASE + (uint64_t)KSTACK_MAX * KSTACK_SLOT_SIZE <= KSTACK_REGION_END,
	       "the slots must fit the region");

static struct kstack_slot slots[KSTACK_MAX];
static spinlock_t kstack_lock = SPINLOCK_INIT("kstack");

extern char boot_stack_guard[];

static uint64_t slot_base(int i)
{
	return KSTACK_REGION_BASE + (uint64_t)i * KSTACK_SLOT_SIZE;
}

/* Unmap the first n stack pages of slot i and free their frames. */
static void unmap_pages(int i, int n)
{
	for (int p = 0; p < n; p++) {
		vm_unmap(vm_kernel_root(), slot_base(i) + PAGE_SIZE + (uint64_t)p * PAGE_SIZE,
			 PAGE_SIZE);
		frame_free(slots[i].frames[p]);
		slots[i].frames[p] = 0;
	}
}

/* Reserve a free slot (marked used, owner set); -1 if none. */
static int slot_reserve(const char *owner)
{
	int found = -1;

	spin_lock(&kstack_lock);
	for (int i = 0; i < KSTACK_MAX; i++) {
		if (!slots[i].used) {
			slots[i].used = true;
			strlcpy(slots[i].owner, owner, OWNER_LEN);
			found = i;
			break;
		}
	}
	spin_unlock(&kstack_lock);
	return found;
}

static void slot_release(int i)
{
	spin_lock(&kstack_lock);
	slots[i].used = false;
	spin_unlock(&kstack_lock);
}

uint64_t kstack_alloc(const char *owner)
{
	/* BEGIN STAGE tss: reserve a slot, map its stack pages above an unmapped guard page */
	int i = slot_reserve(owner);

	if (i < 0)
		return 0;
	/* Page 0 of the slot is the guard: left unmapped. */
	for (int p = 0; p < KSTACK_PAGES; p++) {
		uint64_t va = slot_base(i) + PAGE_SIZE + (uint64_t)p * PAGE_SIZE;
		uint64_t pa = frame_alloc();

		if (!pa || vm_map(vm_kernel_root(), va, pa, PAGE_SIZE, VM_WRITE) < 0) {
			if (pa)
				frame_free(pa);
			unmap_pages(i, p);
			slot_release(i);
			return 0;
		}
		slots[i].frames[p] = pa;
	}
	return slot_base(i) + KSTACK_SLOT_SIZE;
	/* STUB
	(void)owner;
	(void)slot_reserve;
	return 0;
	END STAGE tss */
}

void kstack_free(uint64_t top)
{
	uint64_t off = top - KSTACK_REGION_BASE;
	int i = (int)(off / KSTACK_SLOT_SIZE) - 1; /* top is the end of slot i */

	if (top <= KSTACK_REGION_BASE || off % KSTACK_SLOT_SIZE || i >= KSTACK_MAX ||
	    !slots[i].used)
		panic("kstack_free: 0x%lx is not the top of a kernel stack", top);
	unmap_pages(i, KSTACK_PAGES);
	slot_release(i);
}

const char *kstack_owner_of_guard(uint64_t addr)
{
	/* BEGIN STAGE tss: is addr in the guard page of the boot stack or of a slot in use? */
	uint64_t off;
	int i;

	if (addr >= (uint64_t)boot_stack_guard && addr < (uint64_t)boot_stack_guard + PAGE_SIZE)
		return "boot";
	if (addr < KSTACK_REGION_BASE || addr >= slot_base(KSTACK_MAX))
		return NULL;
	off = addr - KSTACK_REGION_BASE;
	i = off / KSTACK_SLOT_SIZE;
	if (off % KSTACK_SLOT_SIZE >= PAGE_SIZE || !slots[i].used)
		return NULL;
	return slots[i].owner;
	/* STUB
	(void)addr;
	(void)boot_stack_guard;
	return NULL;
	END STAGE tss */
}
