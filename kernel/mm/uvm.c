/*
 * User address spaces (see uvm.h for the layout and the rules).
 *
 * An address space is a PML4 frame, its list of areas (vma.c: what may be
 * mapped, with which protection) and a little bookkeeping (the break, page
 * counts).  The page tables are changed through the page-table API of vm.c
 * (vm_map, vm_unmap, vm_translate), which creates intermediate tables on
 * demand and frees them when they empty; this file decides *what* is
 * mapped where: the loader's segments, the heap that brk(2) moves,
 * anonymous mmap(2) regions, and the stack.  The two places that walk the
 * tables themselves are uvm_destroy, which frees everything at once instead
 * of page by page, and uvm_clone (uvm_clone.c), which copies it so for
 * fork; both visit only the entries covering the areas.  brk, mmap and
 * munmap are in mmap.c.
 *
 * Demand paging.  mmap, brk and the loader only add an area; a page gets
 * its frame when first touched: a page fault in user mode
 * (uvm_handle_fault), in a user copy (the same, from the kernel's fault
 * fixup, usercopy.c), or the kernel's uvm_write and uvm_user_page
 * (demand_page).  A private page gets a zeroed frame of its own, a shared
 * one (MAP_SHARED|MAP_ANONYMOUS) the frame its object holds for that offset
 * (vma.h's struct shm), so a page first touched after a fork is shared too.
 * The stack is an area that grows down when a fault lands below it, down
 * to RLIMIT_STACK below USER_STACK_TOP; below that is a guard gap where a
 * fault is reported as a stack overflow.
 *
 * Nothing here costs time in proportion to the length a program asks for:
 * a range of pages is searched with vm_find_mapped, which skips missing
 * tables at every level.  munmap or madvise over the whole user half take
 * as long as what is mapped there.
 *
 * Every user page is a frame mapped with VM_USER and the protection of its
 * area; pages that mprotect makes PROT_NONE are kept without VM_USER, so
 * that user mode cannot touch them (x86 has no "present but inaccessible"
 * bit for user pages; a supervisor-only page is the nearest).
 * The one exception is device memory (uvm_map_device, for os_physmap(2)):
 * those pages map frames that are not the address space's, marked
 * VM_DEVICE in their entries, and unmapping them (munmap, exit) frees
 * nothing; they are counted in device_pages, not pages.
 *
 * fork(2) shares frames (uvm_clone): every page of the parent is mapped in
 * the child to the same frame, whose reference count (frame.h) goes up;
 * writable private pages become read-only in both, marked VM_COW (shared
 * ones, VM_SHARED, stay writable in both).  A write fault on a VM_COW page
 * (uvm_handle_fault, or the kernel writing to user memory through
 * uvm_user_page) copies the frame, unless this address space holds its last
 * reference: then the page just becomes writable again.  Unmapping drops a
 * reference (frame_unref), and the last one frees the frame.
 *
 * Out of memory: a frame for a user page comes from uvm_frame_alloc, which
 * asks the OOM killer (proc/oom.h) to free memory and tries again; if that
 * fails too, the fault fails with -ENOMEM (the faulting process is
 * killed).  Limits (RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK: the current
 * process's, syscall/rlimit.h) are checked when an area is added or grows.
 *
 * Who calls it: the ELF loader and exec (proc/), the memory system calls
 * (syscall/sys_mem.c), usercopy.c, and the page-fault path
 * (proc_user_fault, and trap.c's for user copies).
 */
#include "mm/uvm.h"
#include <errno.h>
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/mmlock.h"
#include "mm/uvm_internal.h"
#include "mm/vm.h"
#include "mm/vma.h"
#include "proc/oom.h"
#include "syscall/rlimit.h"

uint64_t uvm_kernel_pml4(void)
{
	return virt_to_phys(vm_kernel_root());
}

struct uvm *uvm_alloc(void)
{
	struct uvm *uvm = kcalloc(1, sizeof(*uvm));
	pte_t *root;

	if (!uvm)
		return NULL;
	uvm->pml4 = frame_alloc_uninit();
	if (!uvm->pml4) {
		kfree(uvm);
		return NULL;
	}
	frame_set_owner(uvm->pml4, 1, FRAME_PAGETABLE);
	/* The user half starts empty; the kernel half points at the kernel's
	 * PDPTs, which vm_init made once for all. */
	root = uvm_root(uvm);
	memset(root, 0, 256 * sizeof(pte_t));
	memcpy(root + 256, vm_kernel_root() + 256, 256 * sizeof(pte_t));
	uvm->mmap_next = USER_MMAP_TOP;
	list_init(&uvm->vmas);
	return uvm;
}

struct uvm *uvm_create(void)
{
	struct uvm *uvm = uvm_alloc();

	/* The stack: one page, which grows down on demand. */
	if (uvm && vma_add(uvm, USER_STACK_TOP - PAGE_SIZE, USER_STACK_TOP, UVM_READ | UVM_WRITE,
			   VMA_STACK, NULL, 0) != 0) {
		uvm_destroy(uvm);
		return NULL;
	}
	return uvm;
}

/* A frame for a user page, zeroed if zero (else the caller fills it),
 * with the OOM killer's help. */
static uint64_t user_frame(bool zero)
{
	uint64_t pa;

	while (!(pa = zero ? frame_alloc() : frame_alloc_uninit()))
		if (!oom_reclaim())
			return 0;
	return pa;
}

uint64_t uvm_frame_alloc(void)
{
	return user_frame(true);
}

/*
 * Free the pages of [start, end) under table (at level), and the tables
 * below it that no later area reaches (none starts below later, the start
 * of the next area): the areas are freed in address order, so the last one
 * using a table frees it.  Leaves are 4 KiB user pages: free their frames.
 */
static void free_range(struct uvm *uvm, pte_t *table, int level, uint64_t start, uint64_t end,
		       uint64_t later)
{
	for (uint64_t va = start; va < end; va = entry_end(va, level, end)) {
		pte_t e = table[entry_index(va, level)];

		if (!(e & PTE_P))
			continue;
		if (level == 1 && (e & PTE_DEV)) {
			uvm->device_pages--;
		} else if (level == 1) {
			frame_unref(e & PTE_ADDR);
			uvm->pages--;
		} else {
			if (e & PTE_PS)
				panic("uvm_destroy: huge page in a user address space");
			free_range(uvm, phys_to_virt(e & PTE_ADDR), level - 1, va,
				   entry_end(va, level, end), later);
			if (later >= ALIGN_DOWN(va, entry_span(level)) + entry_span(level)) {
				frame_free(e & PTE_ADDR);
				table[entry_index(va, level)] = 0;
			}
		}
	}
}

void uvm_destroy(struct uvm *uvm)
{
	if (!uvm)
		return;
	if ((read_cr3() & PTE_ADDR) == uvm->pml4)
		panic("uvm_destroy: the address space is still in CR3");
	/* Every page mapped lies in an area, and every table holds one. */
	list_for_each(n, &uvm->vmas) {
		struct vma *v = list_entry(n, struct vma, node);
		uint64_t later = n->next == &uvm->vmas.head
					 ? USER_END
					 : list_entry(n->next, struct vma, node)->start;

		free_range(uvm, uvm_root(uvm), 4, v->start, v->end, later);
	}
	vma_destroy(uvm);
	frame_free(uvm->pml4);
	kfree(uvm);
}

void uvm_activate(struct uvm *uvm)
{
	uint64_t pml4 = uvm ? uvm->pml4 : uvm_kernel_pml4();

	if ((read_cr3() & PTE_ADDR) != pml4)
		write_cr3(pml4);
}

unsigned uvm_vm_flags(unsigned prot)
{
	unsigned flags = 0;

	if (prot & (UVM_READ | UVM_WRITE | UVM_EXEC))
		flags |= VM_USER;
	if (prot & UVM_WRITE)
		flags |= VM_WRITE;
	if (prot & UVM_EXEC)
		flags |= VM_EXEC;
	return flags;
}

/* Is [va, va + len) a page-aligned range inside the mappable user half? */
static bool user_range_ok(uint64_t va, uint64_t len)
{
	return va % PAGE_SIZE == 0 && len % PAGE_SIZE == 0 && va >= USER_MIN && va <= USER_END &&
	       len <= USER_END - va;
}

/* The first (last) mapped page of [va, va + len) in *found; false if none. */
static bool find_mapped(struct uvm *uvm, uint64_t va, uint64_t len, bool last, uint64_t *found)
{
	return len && vm_find_mapped(uvm_root(uvm), va, va + len, last, found) == 0;
}

/* Give the page va (not mapped) of area v its frame: a zeroed one, or
 * the shared object's.  0 or -ENOMEM. */
static int fill_page(struct uvm *uvm, struct vma *v, uint64_t va)
{
	unsigned flags = uvm_vm_flags(v->prot);
	uint64_t pa;
	int err;

	if (v->flags & VMA_DEVICE)
		return -EFAULT; /* mapped at once: a missing page is not there */
	if (v->shm) {
		pa = shm_frame(v->shm, v->pgoff + (va - v->start) / PAGE_SIZE);
		if (pa)
			frame_ref(pa); /* the object keeps its own reference */
		flags |= VM_SHARED;
	} else {
		pa = uvm_frame_alloc();
	}
	if (!pa)
		return -ENOMEM;
	err = vm_map(uvm_root(uvm), va, pa, PAGE_SIZE, flags);
	if (err) {
		frame_unref(pa);
		return err;
	}
	uvm->pages++;
	return 0;
}

/* Clear the entry of the page at va and let go of its frame.  The tables
 * stay: they go when no area covers their span (prune_tables). */
static void unmap_page(struct uvm *uvm, uint64_t va)
{
	uint64_t lock = mm_lock();
	pte_t *pte = vm_leaf(uvm_root(uvm), va), e = pte ? *pte : 0;

	if (pte) {
		*pte = 0;
		invlpg(va);
	}
	mm_unlock(lock);
	if (!(e & PTE_P))
		return;
	if (e & PTE_DEV) {
		uvm->device_pages--;
		return;
	}
	frame_unref(e & PTE_ADDR);
	uvm->pages--;
}

bool uvm_over_limits(struct uvm *uvm, uint64_t pages, bool data)
{
	uint64_t as = rlimit_cur(RLIMIT_AS), data_max = rlimit_cur(RLIMIT_DATA);

	if (as != RLIM_INFINITY && (uvm->total_pages + pages) * PAGE_SIZE > as)
		return true;
	return data && data_max != RLIM_INFINITY &&
	       (uvm->data_pages + pages) * PAGE_SIZE > data_max;
}

/* One larger than all memory is refused, as Linux's heuristic overcommit
 * does. */
int uvm_may_add(struct uvm *uvm, uint64_t len, bool data)
{
	struct frame_stats st;

	frame_get_stats(&st);
	if (len / PAGE_SIZE > st.total || uvm_over_limits(uvm, len / PAGE_SIZE, data))
		return -ENOMEM;
	return 0;
}

int uvm_map(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot)
{
	int err;

	if (!user_range_ok(va, len))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vma_overlaps(uvm, va, va + len))
		return -EEXIST;
	err = uvm_may_add(uvm, len, prot & UVM_WRITE);
	return err ? err : vma_add(uvm, va, va + len, prot, 0, NULL, 0);
}

void uvm_unmap_pages(struct uvm *uvm, uint64_t va, uint64_t len)
{
	uint64_t end = va + len, page;

	while (find_mapped(uvm, va, end - va, false, &page)) {
		unmap_page(uvm, page);
		va = page + PAGE_SIZE;
	}
}

/*
 * Free the page tables below table (at level) in [start, end) whose span
 * no area overlaps any more (a page table spans 2 MiB, a directory 1 GiB,
 * a PDPT 512 GiB), lowest level first.  That keeps uvm_destroy's rule,
 * every table's span holds an area, for the cost of an area lookup per
 * table present in the range, where checking for an empty table after
 * each page unmapped scanned its 512 entries; a table emptied inside a
 * span still in use stays for the next page there, as on Linux.  A table
 * whose span holds no area maps nothing: the pages are gone (and the
 * tables below it, first).
 */
static void prune_tables(struct uvm *uvm, pte_t *table, int level, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va = entry_end(va, level, end)) {
		pte_t *e = &table[entry_index(va, level)];
		uint64_t base = ALIGN_DOWN(va, entry_span(level)), lock, pa;

		if (!(*e & PTE_P))
			continue;
		pa = *e & PTE_ADDR;
		if (level > 2)
			prune_tables(uvm, phys_to_virt(pa), level - 1, va,
				     entry_end(va, level, end));
		if (vma_overlaps(uvm, base, base + entry_span(level)))
			continue;
		lock = mm_lock();
		*e = 0;
		invlpg(va); /* the paging-structure caches too */
		mm_unlock(lock);
		frame_free(pa);
	}
}

int uvm_unmap(struct uvm *uvm, uint64_t va, uint64_t len)
{
	int err;

	if (len == 0)
		return 0;
	err = vma_split_at(uvm, va, va + len);
	if (err)
		return err;
	vma_remove(uvm, va, va + len);
	uvm_unmap_pages(uvm, va, len);
	prune_tables(uvm, uvm_root(uvm), 4, va, va + len);
	return 0;
}

/* Does [va, va + len) hold a page of device memory? */
static bool has_device_page(struct uvm *uvm, uint64_t va, uint64_t len)
{
	uint64_t end = va + len, page;
	unsigned flags;

	while (find_mapped(uvm, va, end - va, false, &page)) {
		if (vm_translate(uvm_root(uvm), page, NULL, NULL, &flags) == 0 &&
		    (flags & VM_DEVICE))
			return true;
		va = page + PAGE_SIZE;
	}
	return false;
}

/*
 * A write to the copy-on-write page at va: the last sharer gets its page
 * back writable, any other a copy.  -EFAULT if va is not copy-on-write,
 * -ENOMEM.  The entry is changed in place (vm_leaf), not through a walk
 * per change: this is the fault path that follows every fork.
 */
static int cow_break(struct uvm *uvm, uint64_t va)
{
	/* BEGIN STAGE forkexec: the last sharer makes its entry writable again; any other gets a copy */
	uint64_t lock = mm_lock(), old, pa;
	pte_t *pte = vm_leaf(uvm_root(uvm), va);

	if (!pte || !(*pte & PTE_COW)) {
		mm_unlock(lock);
		return -EFAULT;
	}
	old = *pte & PTE_ADDR;
	if (frame_refs(old) == 1) {
		*pte = (*pte | PTE_W) & ~PTE_COW;
		invlpg(va);
		mm_unlock(lock);
		return 0;
	}
	mm_unlock(lock);
	pa = user_frame(false); /* may sleep (the OOM killer) */
	if (!pa)
		return -ENOMEM;
	/* Our entry holds a reference on old: it is still there to copy. */
	memcpy(phys_to_virt(pa), phys_to_virt(old), PAGE_SIZE);
	lock = mm_lock();
	pte = vm_leaf(uvm_root(uvm), va);
	if (!pte || (*pte & PTE_ADDR) != old || !(*pte & PTE_COW)) {
		mm_unlock(lock); /* it changed while we slept: retry the access */
		frame_free(pa);
		return 0;
	}
	*pte = pa | ((*pte & ~PTE_ADDR & ~PTE_COW) | PTE_W);
	invlpg(va);
	mm_unlock(lock);
	frame_unref(old);
	return 0;
	/* STUB
	(void)uvm, (void)va;
	return -EFAULT;
	END STAGE forkexec */
}

int uvm_give_page(struct uvm *uvm, uint64_t va, uint64_t pa)
{
	struct vma *v = vma_find(uvm, va);
	int err;

	if (!v || !(v->prot & UVM_WRITE) || (v->flags & (VMA_SHARED | VMA_DEVICE)))
		return -EFAULT;
	unmap_page(uvm, va); /* the page there, if any */
	err = vm_map(uvm_root(uvm), va, pa, PAGE_SIZE, uvm_vm_flags(v->prot));
	if (err)
		return err;
	uvm->pages++;
	return 0;
}

int uvm_discard(struct uvm *uvm, uint64_t va, uint64_t len)
{
	if (has_device_page(uvm, va, len))
		return -EINVAL;
	uvm_unmap_pages(uvm, va, len); /* the next touch gets a page again */
	return 0;
}

/* The VM_* flags of the mapped page at va (frame pa, flags now) under
 * protection prot: a private page whose frame others share stays
 * read-only, copy-on-write, even if prot allows writing. */
static unsigned page_flags(uint64_t pa, unsigned now, unsigned prot)
{
	unsigned flags = uvm_vm_flags(prot) | (now & (VM_DEVICE | VM_NOCACHE | VM_SHARED));

	if ((flags & VM_WRITE) && !(now & (VM_DEVICE | VM_SHARED)) && frame_refs(pa) > 1)
		flags = (flags & ~VM_WRITE) | VM_COW;
	return flags;
}

/* Give the pages mapped in [va, va + len) protection prot. */
static void protect_pages(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot)
{
	uint64_t end = va + len, page, pa;
	unsigned flags;

	while (find_mapped(uvm, va, end - va, false, &page)) {
		if (vm_translate(uvm_root(uvm), page, &pa, NULL, &flags) == 0)
			vm_protect(uvm_root(uvm), page, PAGE_SIZE, page_flags(pa, flags, prot));
		va = page + PAGE_SIZE;
	}
}

int uvm_mprotect(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot)
{
	int err;

	if (len == 0)
		return 0;
	if (!vma_covers(uvm, va, va + len))
		return -ENOMEM;
	err = vma_split_at(uvm, va, va + len);
	if (err)
		return err;
	vma_protect(uvm, va, va + len, prot);
	protect_pages(uvm, va, len, prot);
	return 0;
}

int uvm_protect_add(struct uvm *uvm, uint64_t va, unsigned prot)
{
	struct vma *v = vma_find(uvm, va);

	if (!v)
		return -EFAULT;
	if ((v->prot | prot) == v->prot)
		return 0;
	return uvm_mprotect(uvm, va, PAGE_SIZE, v->prot | prot);
}

bool uvm_range_free(struct uvm *uvm, uint64_t va, uint64_t len)
{
	return len == 0 || !vma_overlaps(uvm, va, va + len);
}

bool uvm_range_mapped(struct uvm *uvm, uint64_t va, uint64_t len)
{
	return vma_covers(uvm, va, va + len);
}

/* The lowest address the stack may grow down to: RLIMIT_STACK below its
 * top, no lower than USER_STACK_FLOOR. */
static uint64_t stack_limit(void)
{
	uint64_t max = MIN(rlimit_cur(RLIMIT_STACK), USER_STACK_TOP - USER_STACK_FLOOR);

	return ALIGN_UP(USER_STACK_TOP - max, PAGE_SIZE);
}

bool uvm_stack_overflow(struct uvm *uvm, uint64_t addr)
{
	uint64_t limit = stack_limit();
	struct vma *v = vma_first_above(uvm, addr);

	return v && (v->flags & VMA_STACK) && addr < limit && addr >= limit - USER_STACK_GUARD_SIZE;
}

/* The stack area, grown down to hold va, if va is below it and within its
 * reach: above the limit, a guard gap away from the area below, within
 * RLIMIT_AS.  NULL if not. */
static struct vma *grow_stack(struct uvm *uvm, uint64_t va)
{
	struct vma *v = vma_first_above(uvm, va), *below;
	uint64_t start = ALIGN_DOWN(va, PAGE_SIZE);

	if (!v || !(v->flags & VMA_STACK) || va >= v->start || va < stack_limit())
		return NULL;
	below = vma_prev(uvm, v);
	if ((below && start < below->end + USER_STACK_GUARD_SIZE) ||
	    uvm_over_limits(uvm, (v->start - start) / PAGE_SIZE, false))
		return NULL;
	vma_grow_down(uvm, v, start);
	return v;
}

/* The area holding va, the stack grown to it if need be; NULL if none. */
static struct vma *area_of(struct uvm *uvm, uint64_t va)
{
	struct vma *v = vma_find(uvm, va);

	return v ? v : grow_stack(uvm, va);
}

/* The page va is not mapped: map it now, as a fault by an access its
 * area allows would (for the kernel's accesses).  0, -EFAULT (no area, or
 * a PROT_NONE one), -ENOMEM. */
static int demand_page(struct uvm *uvm, uint64_t va)
{
	struct vma *v = area_of(uvm, va);

	if (!v || !v->prot)
		return -EFAULT;
	return fill_page(uvm, v, ALIGN_DOWN(va, PAGE_SIZE));
}

int uvm_write(struct uvm *uvm, uint64_t va, const void *src, size_t len)
{
	const uint8_t *from = src;

	while (len > 0) {
		size_t n = MIN(len, PAGE_SIZE - va % PAGE_SIZE);
		uint64_t pa;

		if (vm_translate(uvm_root(uvm), va, &pa, NULL, NULL) != 0) {
			int err = demand_page(uvm, va);

			if (err)
				return err;
			if (vm_translate(uvm_root(uvm), va, &pa, NULL, NULL) != 0)
				return -EFAULT;
		}
		memcpy(phys_to_virt(pa), from, n);
		va += n;
		from += n;
		len -= n;
	}
	return 0;
}

uint64_t uvm_user_page(struct uvm *uvm, uint64_t va, bool write)
{
	/* BEGIN STAGE syscalls: is va a page user mode may read (write)?  Walk, don't trust */
	uint64_t pa;
	unsigned flags;

	if (va >= USER_END)
		return 0;
	if (vm_translate(uvm_root(uvm), va, &pa, NULL, &flags) != 0) {
		if (demand_page(uvm, va) != 0 ||
		    vm_translate(uvm_root(uvm), va, &pa, NULL, &flags) != 0)
			return 0;
	}
	if (write && (flags & VM_COW)) {
		if (cow_break(uvm, va) != 0 ||
		    vm_translate(uvm_root(uvm), va, &pa, NULL, &flags) != 0)
			return 0;
	}
	if (!(flags & VM_USER) || (write && !(flags & VM_WRITE)))
		return 0;
	return ALIGN_DOWN(pa, PAGE_SIZE);
	/* STUB
	(void)uvm, (void)va, (void)write, (void)demand_page;
	return 0;
	END STAGE syscalls */
}

/* May an area of protection prot be accessed so?  (On x86 every
 * accessible page is readable.) */
static bool access_ok(unsigned prot, unsigned access)
{
	if (!prot)
		return false;
	if ((access & UVM_WRITE) && !(prot & UVM_WRITE))
		return false;
	return !(access & UVM_EXEC) || (prot & UVM_EXEC);
}

unsigned uvm_fault_access(uint64_t error)
{
	if (error & PF_FETCH)
		return UVM_EXEC;
	return error & PF_WRITE ? UVM_WRITE : UVM_READ;
}

int uvm_handle_fault(struct uvm *uvm, uint64_t addr, unsigned access)
{
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
	struct vma *v;

	/* BEGIN STAGE forkexec: check the access against the area; a missing page gets its frame, a write to a COW page cow_break */
	if (addr >= USER_END)
		return -EFAULT;
	v = area_of(uvm, va);
	if (!v || !access_ok(v->prot, access))
		return -EFAULT;
	if (vm_translate(uvm_root(uvm), va, NULL, NULL, NULL) != 0)
		return fill_page(uvm, v, va);
	/* A present page faults on a protection violation: only a write to a
	 * copy-on-write page is resolved. */
	return access & UVM_WRITE ? cow_break(uvm, va) : -EFAULT;
	/* STUB
	(void)access, (void)access_ok, (void)cow_break;
	if (addr >= USER_END)
		return -EFAULT;
	v = area_of(uvm, va);
	if (!v || !v->prot || vm_translate(uvm_root(uvm), va, NULL, NULL, NULL) == 0)
		return -EFAULT;
	return fill_page(uvm, v, va);
	END STAGE forkexec */
}
