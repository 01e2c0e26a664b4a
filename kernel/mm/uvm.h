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
 * What may be mapped is a list of areas (mm/vma.h: mmaps, the heap, the
 * loader's segments, the stack); what is mapped now, the page tables.  User
 * pages are 4 KiB and get a zeroed frame on first touch (demand paging);
 * their frames are reference counted, shared copy-on-write after fork
 * (uvm_clone), and freed with the last reference; pages of device memory
 * (uvm_map_device) are mapped at once and never freed here.
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
#include "lib/list.h"
#include "mm/vma.h"

#define USER_MIN 0x10000ull /* lowest mappable address */
/* The stack ends a page below USER_END: a `syscall` instruction in the very
 * last user page would make SYSRET return to a non-canonical address. */
#define USER_STACK_TOP   0x00007ffffffff000ull
#define USER_STACK_MAX   (8ull << 20) /* 8 MiB: RLIMIT_STACK's default, as Linux's */
#define USER_STACK_LIMIT (USER_STACK_TOP - USER_STACK_MAX)
/* Below the stack's limit, a guard gap that is never mapped.  Not one page:
 * a function with a big frame moves %rsp by more than a page at once and
 * would jump over a single guard page (Linux keeps 256 pages). */
#define USER_STACK_GUARD_SIZE (1ull << 20)
#define USER_STACK_GUARD      (USER_STACK_LIMIT - USER_STACK_GUARD_SIZE)
#define USER_MMAP_TOP         0x00007f0000000000ull /* mmaps and segments stay below */
/* RLIMIT_STACK may move the stack's limit down to here, no further. */
#define USER_STACK_FLOOR (USER_MMAP_TOP + (USER_STACK_TOP - USER_MMAP_TOP) / 2)

/* Page protections: the same values as mmap's PROT_READ, _WRITE, _EXEC. */
#define UVM_READ  0x1
#define UVM_WRITE 0x2
#define UVM_EXEC  0x4

#define UVM_VMA_SLOTS 8 /* areas kept in the uvm itself (vma.c) */

struct uvm {
	uint64_t pml4;         /* physical address of the top-level table */
	uint64_t heap_start;   /* brk can not go below this */
	uint64_t brk;          /* the break, as brk(2) last set it */
	uint64_t mmap_next;    /* where the last mmap went: the next goes below */
	uint64_t pages;        /* user pages mapped (page tables not counted) */
	uint64_t device_pages; /* pages of device memory mapped (not in pages) */
	struct list vmas;      /* the areas (mm/vma.h), sorted */
	struct vma *vma_hint;  /* the area last found */
	struct vma vma_slots[UVM_VMA_SLOTS];
	unsigned vma_slots_used; /* bit i: vma_slots[i] is in the list */
	uint64_t total_pages;    /* pages of all areas: RLIMIT_AS */
	uint64_t data_pages;     /* pages of private writable areas but the stack: RLIMIT_DATA */
};

/* One area of an address space as /proc/<pid>/maps shows it. */
struct uvm_area {
	uint64_t start, end; /* page aligned */
	unsigned prot;       /* UVM_READ | UVM_WRITE | UVM_EXEC */
	bool shared;         /* MAP_SHARED */
	const char *label;   /* "[heap]", "[stack]", "[device]" or "" */
};

/* The first max areas of uvm in address order, into out: how many. */
int uvm_areas(struct uvm *uvm, struct uvm_area *out, int max);

/* A zeroed frame for a user page: frame_alloc, and while it finds none and
 * the OOM killer (proc/oom.h) freed memory, again.  0 if none is left. */
uint64_t uvm_frame_alloc(void);

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
 * Add an area of zero pages over [va, va + len) (page aligned) with
 * protection prot; its pages get frames when first touched.  -EEXIST if an
 * area is in the way, -ENOMEM if memory or a resource limit (RLIMIT_AS,
 * RLIMIT_DATA) ran out, or if the area alone is larger than all memory
 * (Linux's heuristic overcommit), -EINVAL for a range outside
 * [USER_MIN, USER_END).
 */
int uvm_map(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot);
/* Remove the areas of [va, va + len) (page aligned; holes are fine, parts
 * of areas too), unmapping and freeing their pages.  0 or -ENOMEM (no
 * memory to split an area). */
int uvm_unmap(struct uvm *uvm, uint64_t va, uint64_t len);
/* Throw away the pages of [va, va + len) (page aligned), keeping the
 * areas: madvise(MADV_DONTNEED).  A private page reads as zero again, a
 * shared one as its object holds it.  -EINVAL (and nothing done) if the
 * range holds device memory, as Linux refuses for its VM_PFNMAP areas. */
int uvm_discard(struct uvm *uvm, uint64_t va, uint64_t len);
/* Add prot to the protection of the page at va (loader: two segments
 * sharing a page).  -EFAULT if no area holds it. */
int uvm_protect_add(struct uvm *uvm, uint64_t va, unsigned prot);
/* mprotect(2): [va, va + len) (page aligned) gets protection prot.
 * -ENOMEM if part of it is in no area (nothing changed then). */
int uvm_mprotect(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot);
/* Is every page of [va, va + len) in an area? */
bool uvm_range_mapped(struct uvm *uvm, uint64_t va, uint64_t len);
/* Is no page of [va, va + len) in an area? */
bool uvm_range_free(struct uvm *uvm, uint64_t va, uint64_t len);

/*
 * Copy len bytes from the kernel buffer src to user address va of uvm
 * (which need not be the current address space), through the direct map,
 * whatever the pages' protection: for the loader and the initial stack.
 * Pages must be in an area (or the stack's reach); -EFAULT if not, -ENOMEM
 * without a frame.
 */
int uvm_write(struct uvm *uvm, uint64_t va, const void *src, size_t len);

/*
 * The physical address of the page holding va if a user-mode access
 * (a write, if write) to it is allowed; 0 if not.  A page never touched
 * is mapped now, as a fault would.  Call with interrupts off and keep them
 * off while using the page.
 */
uint64_t uvm_user_page(struct uvm *uvm, uint64_t va, bool write);

/*
 * Put frame pa (with a reference for the mapping) at page va of uvm in
 * place of what is there, as a private writable page: for a message's
 * moved pages (ipc/msg.c).  va must lie in a private area uvm may write.
 * 0, -EFAULT (no such area), -ENOMEM (no page table; pa stays the
 * caller's).
 */
int uvm_give_page(struct uvm *uvm, uint64_t va, uint64_t pa);

/* A page fault at addr by an access (UVM_READ, UVM_WRITE or UVM_EXEC) of
 * user mode or of a user copy: 0 if it was resolved (a page touched for
 * the first time, the stack growing, a write to a copy-on-write page),
 * -EFAULT if the access is not allowed, -ENOMEM if no frame was left. */
int uvm_handle_fault(struct uvm *uvm, uint64_t addr, unsigned access);
/* The access (UVM_READ, UVM_WRITE, UVM_EXEC) a page fault's error code
 * says was made. */
unsigned uvm_fault_access(uint64_t error);
/* Is addr in the guard gap below the stack's reach (RLIMIT_STACK)? */
bool uvm_stack_overflow(struct uvm *uvm, uint64_t addr);

/* brk(2): move the break to newbrk if possible; returns the break. */
uint64_t uvm_brk(struct uvm *uvm, uint64_t newbrk);
/* uvm_mmap's flags */
#define UVM_MAP_FIXED  0x1 /* at addr, replacing what was there */
#define UVM_MAP_SHARED 0x2 /* MAP_SHARED: the pages stay shared with fork children */
/* Anonymous mmap(2): the address of len (> 0) bytes of zero pages, at addr
 * if UVM_MAP_FIXED, else where there is room (addr is a hint).  -EINVAL,
 * -ENOMEM. */
int64_t uvm_mmap(struct uvm *uvm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags);
/*
 * Map the physical pages [pa, pa + len) (pa page aligned, len rounded up
 * to pages) where there is room, as anonymous mmaps are placed, with
 * protection prot, uncached if nocache: os_physmap(2).  The pages are
 * VM_DEVICE: unmapping them frees nothing.  The caller checked that the
 * range may be mapped (devmem.h).  Returns the address, or -EINVAL,
 * -ENOMEM (no room, or no frame for a page table).
 */
int64_t uvm_map_device(struct uvm *uvm, uint64_t pa, uint64_t len, unsigned prot, bool nocache);
/* The contiguous frames [pa, pa + len) (len whole pages, from
 * frame_alloc_contig, whose references it takes, freeing them on failure)
 * as a read-write shared area, mapped at once and uncached: os_dma_alloc.
 * The address, or -ENOMEM. */
int64_t uvm_map_dma(struct uvm *uvm, uint64_t pa, uint64_t len);
/* munmap(2).  0 or -EINVAL. */
int uvm_munmap(struct uvm *uvm, uint64_t addr, uint64_t len);

#endif
