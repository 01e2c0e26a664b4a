/*
 * Page tables: the kernel's own 4-level tables (built by vm_init) and the
 * API every other subsystem uses to change a set of tables.  See vm.c.
 *
 * A "root" is the direct-map pointer to a PML4.  All functions may be called
 * with interrupts on or off; they run under mm_lock.  They change the tables
 * and invalidate the TLB of this CPU for the address (INVLPG), so a change to
 * the tables in CR3 takes effect at once.
 *
 * The kernel half (PML4 entries 256..511) is the same in every address space:
 * vm_init creates all 256 of its PDPTs up front and never frees them, so a
 * new address space copies those 256 entries once and sees every later
 * kernel mapping.
 *
 *   PML4 256  0xffff800000000000  direct map of all RAM (and the first 4 GiB)
 *   PML4 510  0xffffff0000000000  kernel stacks (mapped by the TSS stage)
 *   PML4 511  0xffffffff80000000  the kernel image
 */
#ifndef MM_VM_H
#define MM_VM_H

#include <types.h>

typedef uint64_t pte_t;

/* Page-table entry bits (Intel SDM Vol. 3A, 4.5 "4-Level Paging", tables
 * 4-14 to 4-20). */
#define PTE_P    (1ull << 0)           /* present */
#define PTE_W    (1ull << 1)           /* writable */
#define PTE_U    (1ull << 2)           /* user mode may access */
#define PTE_PWT  (1ull << 3)           /* write-through */
#define PTE_PCD  (1ull << 4)           /* cache disabled */
#define PTE_A    (1ull << 5)           /* accessed (set by the CPU) */
#define PTE_D    (1ull << 6)           /* dirty (set by the CPU, leaves only) */
#define PTE_PS   (1ull << 7)           /* page size: a 2 MiB or 1 GiB leaf */
#define PTE_G    (1ull << 8)           /* global: survives CR3 loads (CR4.PGE) */
#define PTE_DEV  (1ull << 9)           /* software: a device page (VM_DEVICE); CPU ignores 11:9 */
#define PTE_COW  (1ull << 10)          /* software: copy on write (VM_COW) */
#define PTE_SHR  (1ull << 11)          /* software: a MAP_SHARED page (VM_SHARED) */
#define PTE_NX   (1ull << 63)          /* no execute (EFER.NXE) */
#define PTE_ADDR 0x000ffffffffff000ull /* physical address bits */

/* Flags for vm_map and vm_protect.  Without VM_WRITE a page is read-only,
 * without VM_EXEC it cannot be executed (where the CPU has NX). */
#define VM_WRITE   (1u << 0)
#define VM_EXEC    (1u << 1)
#define VM_USER    (1u << 2)
#define VM_NOCACHE (1u << 3)
/* The page maps device memory (mm/devmem.h), not a frame of the address
 * space: nobody frees it when the page is unmapped.  Kept in PTE_DEV. */
#define VM_DEVICE (1u << 4)
/* The page is shared read-only after fork(2) and was writable: a write
 * fault copies it (mm/uvm.c).  Kept in PTE_COW. */
#define VM_COW (1u << 5)
/* The page belongs to a MAP_SHARED mapping: fork shares it writable, never
 * copy-on-write (mm/uvm.c).  Kept in PTE_SHR. */
#define VM_SHARED (1u << 6)

/* Build the kernel page tables (kernel image with per-section permissions,
 * direct map with 1 GiB or 2 MiB pages), enable NX and global pages, and
 * load CR3.  If the tables cannot be built, say why and keep the boot
 * page tables. */
void vm_init(void);
/* The kernel's PML4 (the tables in CR3 until vm_init has built them). */
pte_t *vm_kernel_root(void);

/*
 * Map the page of page_size bytes (PAGE_SIZE, HUGE_PAGE_SIZE or
 * GIANT_PAGE_SIZE) at virtual va to physical pa, creating the missing page
 * tables.  Returns 0, -EEXIST if something already maps (part of) the page,
 * -ENOMEM if no frame is left for a table, -EINVAL for a bad size,
 * alignment, non-canonical address, VM_USER in the kernel half, or 1 GiB
 * pages on a CPU without them.
 */
int vm_map(pte_t *root, uint64_t va, uint64_t pa, uint64_t page_size, unsigned flags);
/* Remove the mapping of the page at va, which must be mapped with a page of
 * page_size (-EFAULT if nothing maps va, -EINVAL for another size).  Frees
 * the page tables that become empty (except the kernel half's PDPTs); the
 * mapped frame is the caller's to free. */
int vm_unmap(pte_t *root, uint64_t va, uint64_t page_size);
/* Point the 4 KiB page mapped at va at frame pa, with new VM_* flags (the
 * tables stay: no allocation, cannot fail for lack of memory).  -EFAULT if
 * nothing maps va, -EINVAL for another page size. */
int vm_remap(pte_t *root, uint64_t va, uint64_t pa, unsigned flags);
/* Where va is mapped: its physical address, the size of the page mapping it
 * and its VM_* flags (any pointer may be NULL).  -EFAULT if not mapped. */
int vm_translate(pte_t *root, uint64_t va, uint64_t *pa, uint64_t *page_size, unsigned *flags);
/* The entry of the 4 KiB page mapping va, or NULL: for the page-fault
 * path (mm/uvm.c), which changes it itself under mm_lock, INVLPG after. */
pte_t *vm_leaf(pte_t *root, uint64_t va);
/* Give the page at va (mapped with page_size) new VM_* flags. */
int vm_protect(pte_t *root, uint64_t va, uint64_t page_size, unsigned flags);

/*
 * The lowest (last = false) or highest (last = true) address of a 4 KiB
 * piece of [start, end) that something maps, in *found: 0, or -ENOENT if
 * nothing in the range is mapped, -EINVAL unless start < end, both page
 * aligned and canonical, in the same half.  Skips missing tables at every
 * level, so the cost follows what is mapped, not the length of the range.
 */
int vm_find_mapped(pte_t *root, uint64_t start, uint64_t end, bool last, uint64_t *found);

/* The pages mapping [start, end): how many of each size. */
struct vm_page_counts {
	uint64_t pages_4k, pages_2m, pages_1g;
};
void vm_count_pages(pte_t *root, uint64_t start, uint64_t end, struct vm_page_counts *c);

/* The direct map covers physical [0, vm_direct_map_end()); 0 before vm_init. */
uint64_t vm_direct_map_end(void);
/* What CPUID said: 1 GiB pages, NX. */
bool vm_has_giant_pages(void);
bool vm_has_nx(void);

#endif
