/*
 * What uvm.c, uvm_clone.c and mmap.c share (see uvm.h): the address
 * space's tables, the table walks over a range, and the checks and
 * helpers the system-call side (mmap.c) needs from the core (uvm.c).
 */
#ifndef MM_UVM_INTERNAL_H
#define MM_UVM_INTERNAL_H

#include <types.h>
#include "arch/x86_64/memlayout.h"
#include "mm/uvm.h"
#include "mm/vm.h"

static inline pte_t *uvm_root(struct uvm *uvm)
{
	return phys_to_virt(uvm->pml4);
}

/* Walking the tables over a range.  A table at level (4 = PML4 ... 1 = PT)
 * has 512 entries, each covering entry_span(level) bytes; the walks visit
 * only the entries that cover [start, end), so that their cost follows the
 * areas (few, and mostly small), not the 512 entries of every table. */
static inline uint64_t entry_span(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

static inline unsigned entry_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

/* The end of the entry at level holding va, or end if that comes first. */
static inline uint64_t entry_end(uint64_t va, int level, uint64_t end)
{
	return MIN(end, ALIGN_DOWN(va, entry_span(level)) + entry_span(level));
}

/* An address space without areas, or NULL without memory. */
struct uvm *uvm_alloc(void);
/* VM_* flags for a user page of protection prot. */
unsigned uvm_vm_flags(unsigned prot);
/* Would pages more pages (of data, if data) break RLIMIT_AS or
 * RLIMIT_DATA? */
bool uvm_over_limits(struct uvm *uvm, uint64_t pages, bool data);
/* Can an area of len bytes be added?  0 or -ENOMEM. */
int uvm_may_add(struct uvm *uvm, uint64_t len, bool data);
/* Unmap and free the pages mapped in [va, va + len); holes are fine. */
void uvm_unmap_pages(struct uvm *uvm, uint64_t va, uint64_t len);

#endif
