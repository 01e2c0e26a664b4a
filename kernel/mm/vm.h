/*
 * TEMPORARY stand-in for the memory engineer's page-table interface (stage
 * paging), with the same signatures.  Dropped when the real mm/vm.{c,h}
 * merge.  Only 4 KiB pages.
 */
#ifndef MM_VM_H
#define MM_VM_H

#include <types.h>

typedef uint64_t pte_t;

#define VM_WRITE 0x1
#define VM_EXEC  0x2
#define VM_USER  0x4

/* The kernel's top-level page table (here: the current one, via the direct map). */
pte_t *vm_kernel_root(void);
/* Map va -> pa; tables are created on demand.  0 or -ENOMEM / -EINVAL / -EEXIST. */
int vm_map(pte_t *root, uint64_t va, uint64_t pa, uint64_t page_size, unsigned flags);
/* Unmap va (and flush it from the TLB).  0 or -EINVAL if it was not mapped. */
int vm_unmap(pte_t *root, uint64_t va, uint64_t page_size);

#endif
