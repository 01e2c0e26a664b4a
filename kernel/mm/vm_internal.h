/*
 * What vm.c (the page-table API) and vm_init.c (the kernel's own tables)
 * share.  No other file includes it: everyone else goes through vm.h.
 */
#ifndef MM_VM_INTERNAL_H
#define MM_VM_INTERNAL_H

#include "mm/vm.h"

/* Read CPUID's NX, 1 GiB page and global-page bits (before any vm_map). */
void vm_detect_cpu(void);
bool vm_has_global_pages(void);
/* A zeroed frame for a new PML4 (physical address), or 0. */
uint64_t vm_root_alloc(void);
/* Give each kernel-half PML4 entry (256..511) of root its PDPT. */
int vm_make_kernel_half(pte_t *root);
/* Map physical [0, end) at PHYS_MAP_BASE (the paging stage's exercise). */
int map_direct(pte_t *root, uint64_t end);
/* Free the tables of the tree below table (at level), and table itself;
 * not the pages they map. */
void vm_free_tables(pte_t *table, int level);
/* From now on root is the kernel's PML4 and [0, end) is direct-mapped. */
void vm_set_kernel_tables(pte_t *root, uint64_t end);

#endif
