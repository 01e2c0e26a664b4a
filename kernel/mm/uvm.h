/*
 * User address spaces: the page tables of one process.
 *
 * Every process has its own PML4.  Entries 0-255 (the lower, user half) are
 * its own; entries 256-511 (the kernel half) are copies of the kernel's, made
 * when the address space is created, so every process sees the same kernel
 * at the same addresses (the entries point at the same PDPTs; vm_init makes
 * sure all 256 exist, so that a kernel mapping added later is seen by
 * everyone).  The user half is laid out like this:
 *
 *   0 .. USER_MIN                    never mapped: catches null pointers
 *   the program's PT_LOAD segments   from its ELF file, usually 0x400000 up
 *   heap: heap_start .. brk          grows up with brk(2)
 *   ...free...
 *   anonymous mmaps                  placed top-down from USER_MMAP_TOP
 *   (gap, then a 1 MiB guard gap)    never mapped: a stack overflow faults
 *   stack: USER_STACK_TOP - USER_STACK_MAX .. USER_STACK_TOP
 *                                    pages appear on first touch
 *   USER_STACK_TOP .. USER_END       the last page, never mapped (see below;
 *                                    USER_END is in memlayout.h)
 *
 * User pages are 4 KiB, zeroed when mapped; their frames are reference
 * counted, shared copy-on-write after fork (uvm_clone), and freed with the
 * last reference; pages of device memory (uvm_map_device) are never freed
 * here.  The
 * page tables are the only record of what is mapped: there is no separate
 * region list.
 *
 * Locking: an address space is changed only by its own process's system
 * calls and faults, and by its creator before the process runs (one thread
 * per process for now: the forkexec stage, with threads, adds a lock).  The
 * page-table API (vm.h) makes each single change atomic.
 */
#ifndef MM_UVM_H
#define MM_UVM_H

#include <types.h>
#include "arch/x86_64/memlayout.h"

#define USER_MIN 0x10000ull /* lowest mappable address */
/* The stack ends a page below USER_END: a `syscall` instruction in the very
 * last user page would make SYSRET return to a non-canonical address. */
#define USER_STACK_TOP   0x00007ffffffff000ull
#define USER_STACK_MAX   (8ull << 20) /* 8 MiB, like Linux's default */
#define USER_STACK_LIMIT (USER_STACK_TOP - USER_STACK_MAX)
/* Below the stack's limit, a guard gap that is never mapped.  Not one page:
 * a function with a big frame moves %rsp by more than a page at once and
 * would jump over a single guard page (Linux keeps 256 pages). */
#define USER_STACK_GUARD_SIZE (1ull << 20)
#define USER_STACK_GUARD      (USER_STACK_LIMIT - USER_STACK_GUARD_SIZE)
#define USER_MMAP_TOP         0x00007f0000000000ull /* mmaps and segments stay below */

/* Page protections: the same values as mmap's PROT_READ, _WRITE, _EXEC. */
#define UVM_READ  0x1
#define UVM_WRITE 0x2
#define UVM_EXEC  0x4

struct uvm {
	uint64_t pml4;         /* physical address of the top-level table */
	uint64_t heap_start;   /* brk can not go below this */
	uint64_t brk;          /* the break, as brk(2) last set it */
	uint64_t mmap_next;    /* where the last mmap went: the next goes below */
	uint64_t pages;        /* user pages mapped (page tables not counted) */
	uint64_t device_pages; /* pages of device memory mapped (not in pages) */
};

/* The kernel's PML4 (physical), for threads without an address space. */
uint64_t uvm_kernel_pml4(void);

/* A new, empty address space (kernel half shared), or NULL without memory. */
struct uvm *uvm_create(void);
/* Free every page and page table of the user half, then uvm itself.  The
 * caller must not be running on it (uvm_activate(NULL) first). */
void uvm_destroy(struct uvm *uvm);
/* fork(2): a copy of parent, sharing its frames copy-on-write (device
 * pages shared as they are), or NULL without memory. */
struct uvm *uvm_clone(struct uvm *parent);
/* Load uvm's tables into CR3 (NULL: the kernel's own) if not already there. */
void uvm_activate(struct uvm *uvm);

/*
 * Map zeroed pages over [va, va + len) (page aligned) with protection prot.
 * -EEXIST if a page of the range is already mapped, -ENOMEM if memory ran
 * out (nothing of the range is left mapped then), -EINVAL for a range
 * outside [USER_MIN, USER_END).
 */
int uvm_map(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot);
/* Unmap and free the pages mapped in [va, va + len) (page aligned); holes
 * are fine. */
void uvm_unmap(struct uvm *uvm, uint64_t va, uint64_t len);
/* Zero the mapped pages of [va, va + len) (page aligned), keeping them
 * mapped: madvise(MADV_DONTNEED).  -EINVAL (and nothing zeroed) if the
 * range holds device memory, as Linux refuses for its VM_PFNMAP areas. */
int uvm_discard(struct uvm *uvm, uint64_t va, uint64_t len);
/* Add prot to the protection of the mapped page at va (loader: two
 * segments sharing a page).  -EFAULT if it is not mapped. */
int uvm_protect_add(struct uvm *uvm, uint64_t va, unsigned prot);
/* Is every page of [va, va + len) mapped?  (Costs the mapped pages before
 * the first hole.) */
bool uvm_range_mapped(struct uvm *uvm, uint64_t va, uint64_t len);
/* Is no page of [va, va + len) mapped? */
bool uvm_range_free(struct uvm *uvm, uint64_t va, uint64_t len);

/*
 * Copy len bytes from the kernel buffer src to user address va of uvm
 * (which need not be the current address space), through the direct map,
 * whatever the pages' protection: for the loader and the initial stack.
 * Pages must be mapped (stack pages appear on demand); -EFAULT if not.
 */
int uvm_write(struct uvm *uvm, uint64_t va, const void *src, size_t len);

/*
 * The physical address of the page holding va if a user-mode access
 * (a write, if write) to it is allowed; 0 if not.  A page of the stack
 * region that was never touched is mapped now, as a fault would.  Call with
 * interrupts off and keep them off while using the page.
 */
uint64_t uvm_user_page(struct uvm *uvm, uint64_t va, bool write);

/* A user-mode page fault at addr: 0 if it was resolved (a new stack page,
 * or a write to a copy-on-write page), -EFAULT if the access was wrong,
 * -ENOMEM if no frame was left for it. */
int uvm_handle_fault(struct uvm *uvm, uint64_t addr);

/* brk(2): move the break to newbrk if possible; returns the break. */
uint64_t uvm_brk(struct uvm *uvm, uint64_t newbrk);
/* Anonymous mmap(2): the address of len (> 0) bytes of zeroed pages, at
 * addr if fixed (replacing what was there), else where there is room
 * (addr is a hint).  -EINVAL, -ENOMEM. */
int64_t uvm_mmap(struct uvm *uvm, uint64_t addr, uint64_t len, unsigned prot, bool fixed);
/*
 * Map the physical pages [pa, pa + len) (pa page aligned, len rounded up
 * to pages) where there is room, as anonymous mmaps are placed, with
 * protection prot, uncached if nocache: os_physmap(2).  The pages are
 * VM_DEVICE: unmapping them frees nothing.  The caller checked that the
 * range may be mapped (devmem.h).  Returns the address, or -EINVAL,
 * -ENOMEM (no room, or no frame for a page table).
 */
int64_t uvm_map_device(struct uvm *uvm, uint64_t pa, uint64_t len, unsigned prot, bool nocache);
/* munmap(2).  0 or -EINVAL. */
int uvm_munmap(struct uvm *uvm, uint64_t addr, uint64_t len);

#endif
