/*
 * User address spaces (see uvm.h for the layout and the rules).
 *
 * An address space is a PML4 frame plus a little bookkeeping (the break,
 * page counts).  The page tables are changed through the page-table API of
 * vm.c (vm_map, vm_unmap, vm_translate), which creates intermediate tables
 * on demand and frees them when they empty; this file decides *what* is
 * mapped where: the loader's segments, the heap that brk(2) moves, anonymous
 * mmap(2) regions, and the stack, whose pages appear when first touched.
 * The two places that walk the tables themselves are uvm_destroy, which
 * frees the whole user half at once instead of page by page, and
 * uvm_clone, which copies it so for fork.
 *
 * Nothing here costs time in proportion to the length a program asks for:
 * a range is searched with vm_find_mapped, which skips missing tables at
 * every level, and a request to map more pages than there are free frames
 * fails at once.  munmap or madvise over the whole user half take as long
 * as what is mapped there.
 *
 * Every user page is a frame, zeroed by frame_alloc, mapped with
 * VM_USER and the protection asked for; PROT_NONE pages are mapped without
 * VM_USER, so that user mode cannot touch them (x86 has no "present but
 * inaccessible" bit for user pages; a supervisor-only page is the nearest).
 * The one exception is device memory (uvm_map_device, for os_physmap(2)):
 * those pages map frames that are not the address space's, marked
 * VM_DEVICE in their entries, and unmapping them (munmap, exit) frees
 * nothing; they are counted in device_pages, not pages.
 *
 * fork(2) shares frames (uvm_clone): every page of the parent is mapped in
 * the child to the same frame, whose reference count (frame.h) goes up;
 * writable pages become read-only in both, marked VM_COW.  A write fault on
 * a VM_COW page (uvm_handle_fault, or the kernel writing to user memory
 * through uvm_user_page) copies the frame, unless this address space holds
 * its last reference: then the page just becomes writable again.  Unmapping
 * drops a reference (frame_unref), and the last one frees the frame.
 *
 * Who calls it: the ELF loader and exec (proc/), the memory system calls
 * (syscall/sys_mem.c), usercopy.c to check user pointers, and the user
 * page-fault path (proc_user_fault) to grow the stack.
 */
#include "mm/uvm.h"
#include "proc/oom.h"
#include <errno.h>
#include "arch/x86_64/x86.h"
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/vm.h"

uint64_t uvm_kernel_pml4(void)
{
	return virt_to_phys(vm_kernel_root());
}

static pte_t *uvm_root(struct uvm *uvm)
{
	return phys_to_virt(uvm->pml4);
}

struct uvm *uvm_create(void)
{
	struct uvm *uvm = kcalloc(1, sizeof(*uvm));
	pte_t *root;

	if (!uvm)
		return NULL;
	uvm->pml4 = frame_alloc();
	if (!uvm->pml4) {
		kfree(uvm);
		return NULL;
	}
	frame_set_owner(uvm->pml4, 1, FRAME_PAGETABLE);
	/* The user half stays empty (frame_alloc zeroed it); the kernel half
	 * points at the kernel's PDPTs, which vm_init made once for all. */
	root = uvm_root(uvm);
	memcpy(root + 256, vm_kernel_root() + 256, 256 * sizeof(pte_t));
	uvm->mmap_next = USER_MMAP_TOP;
	return uvm;
}

/* Free the table at level (4 = PML4 ... 1 = PT) and everything below it,
 * entries [0, n) only.  Leaves are 4 KiB user pages: free their frames. */
static void free_table(struct uvm *uvm, pte_t *table, int level, int n)
{
	for (int i = 0; i < n; i++) {
		pte_t e = table[i];

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
			free_table(uvm, phys_to_virt(e & PTE_ADDR), level - 1, 512);
			frame_free(e & PTE_ADDR);
		}
	}
}

void uvm_destroy(struct uvm *uvm)
{
	if (!uvm)
		return;
	if ((read_cr3() & PTE_ADDR) == uvm->pml4)
		panic("uvm_destroy: the address space is still in CR3");
	free_table(uvm, uvm_root(uvm), 4, 256); /* the user half only */
	frame_free(uvm->pml4);
	kfree(uvm);
}

void uvm_activate(struct uvm *uvm)
{
	uint64_t pml4 = uvm ? uvm->pml4 : uvm_kernel_pml4();

	if ((read_cr3() & PTE_ADDR) != pml4)
		write_cr3(pml4);
}

/* VM_* flags for a user page of protection prot. */
static unsigned vm_flags(unsigned prot)
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

static bool page_mapped(struct uvm *uvm, uint64_t va)
{
	return vm_translate(uvm_root(uvm), va, NULL, NULL, NULL) == 0;
}

/* The first (last) mapped page of [va, va + len) in *found; false if none. */
static bool find_mapped(struct uvm *uvm, uint64_t va, uint64_t len, bool last, uint64_t *found)
{
	return len && vm_find_mapped(uvm_root(uvm), va, va + len, last, found) == 0;
}

/* Map one zeroed page; 0 or -ENOMEM / -EEXIST. */
static int map_page(struct uvm *uvm, uint64_t va, unsigned prot)
{
	uint64_t pa;
	int err;

	while (!(pa = frame_alloc())) /* TEMPORARY (proc): mm's version calls it */
		if (!oom_reclaim())
			return -ENOMEM;
	err = vm_map(uvm_root(uvm), va, pa, PAGE_SIZE, vm_flags(prot));
	if (err) {
		frame_free(pa);
		return err;
	}
	uvm->pages++;
	return 0;
}

static void unmap_page(struct uvm *uvm, uint64_t va)
{
	uint64_t pa;
	unsigned flags;

	if (vm_translate(uvm_root(uvm), va, &pa, NULL, &flags) != 0)
		return;
	vm_unmap(uvm_root(uvm), va, PAGE_SIZE);
	if (flags & VM_DEVICE) {
		uvm->device_pages--;
		return;
	}
	frame_unref(pa);
	uvm->pages--;
}

int uvm_map(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot)
{
	if (!user_range_ok(va, len))
		return -EINVAL;
	if (!uvm_range_free(uvm, va, len))
		return -EEXIST;
	/* Every page takes a frame: fail now rather than after taking them all
	 * (Linux's heuristic overcommit refuses such a request the same way). */
	if (len / PAGE_SIZE > frame_count(FRAME_FREE) && len > PAGE_SIZE) /* TEMPORARY (proc) */
		return -ENOMEM;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		int err = map_page(uvm, va + off, prot);

		if (err) {
			uvm_unmap(uvm, va, off);
			return err;
		}
	}
	return 0;
}

void uvm_unmap(struct uvm *uvm, uint64_t va, uint64_t len)
{
	uint64_t end = va + len, page;

	while (find_mapped(uvm, va, end - va, false, &page)) {
		unmap_page(uvm, page);
		va = page + PAGE_SIZE;
	}
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

/* The page at va maps the frame old, shared with another address space:
 * give it a frame of its own with flags (a copy of old's contents if copy,
 * else zeroes).  0 or -ENOMEM. */
static int unshare_page(struct uvm *uvm, uint64_t va, uint64_t old, unsigned flags, bool copy)
{
	uint64_t pa = frame_alloc();

	if (!pa)
		return -ENOMEM;
	if (copy)
		memcpy(phys_to_virt(pa), phys_to_virt(old), PAGE_SIZE);
	vm_remap(uvm_root(uvm), va, pa, flags);
	frame_unref(old);
	return 0;
}

/* A write to the copy-on-write page at va: the last sharer gets its page
 * back writable, any other a copy.  -EFAULT if va is not copy-on-write. */
static int cow_break(struct uvm *uvm, uint64_t va)
{
	uint64_t pa;
	unsigned flags;

	va = ALIGN_DOWN(va, PAGE_SIZE);
	if (vm_translate(uvm_root(uvm), va, &pa, NULL, &flags) != 0 || !(flags & VM_COW))
		return -EFAULT;
	flags = (flags | VM_WRITE) & ~VM_COW;
	if (frame_refs(pa) == 1)
		return vm_protect(uvm_root(uvm), va, PAGE_SIZE, flags);
	return unshare_page(uvm, va, pa, flags, true);
}

/* Zero the page at va in place, or, if its frame is shared, give it a
 * zeroed frame of its own (writable again if it was copy-on-write). */
static int discard_page(struct uvm *uvm, uint64_t va)
{
	uint64_t pa;
	unsigned flags;

	if (vm_translate(uvm_root(uvm), va, &pa, NULL, &flags) != 0)
		return 0;
	if (frame_refs(pa) == 1) {
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		return 0;
	}
	if (flags & VM_COW)
		flags = (flags | VM_WRITE) & ~VM_COW;
	return unshare_page(uvm, va, pa, flags, false);
}

int uvm_discard(struct uvm *uvm, uint64_t va, uint64_t len)
{
	uint64_t end = va + len, page;

	if (has_device_page(uvm, va, len))
		return -EINVAL;
	while (find_mapped(uvm, va, end - va, false, &page)) {
		int err = discard_page(uvm, page);

		if (err)
			return err;
		va = page + PAGE_SIZE;
	}
	return 0;
}

int uvm_protect_add(struct uvm *uvm, uint64_t va, unsigned prot)
{
	unsigned flags;

	if (vm_translate(uvm_root(uvm), va, NULL, NULL, &flags) != 0)
		return -EFAULT;
	return vm_protect(uvm_root(uvm), va, PAGE_SIZE, flags | vm_flags(prot));
}

bool uvm_range_free(struct uvm *uvm, uint64_t va, uint64_t len)
{
	uint64_t page;

	return !find_mapped(uvm, va, len, false, &page);
}

bool uvm_range_mapped(struct uvm *uvm, uint64_t va, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE)
		if (!page_mapped(uvm, va + off))
			return false;
	return true;
}

static bool in_stack_region(uint64_t va)
{
	return va >= USER_STACK_LIMIT && va < USER_STACK_TOP;
}

/* The stack grows on demand: a missing page of its region is mapped. */
static int grow_stack(struct uvm *uvm, uint64_t va)
{
	if (!in_stack_region(va))
		return -EFAULT;
	return map_page(uvm, ALIGN_DOWN(va, PAGE_SIZE), UVM_READ | UVM_WRITE);
}

int uvm_write(struct uvm *uvm, uint64_t va, const void *src, size_t len)
{
	const uint8_t *from = src;

	while (len > 0) {
		size_t n = MIN(len, PAGE_SIZE - va % PAGE_SIZE);
		uint64_t pa;

		if (vm_translate(uvm_root(uvm), va, &pa, NULL, NULL) != 0) {
			if (grow_stack(uvm, va) != 0 ||
			    vm_translate(uvm_root(uvm), va, &pa, NULL, NULL) != 0)
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
		if (grow_stack(uvm, va) != 0 ||
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
	(void)uvm, (void)va, (void)write, (void)grow_stack;
	return 0;
	END STAGE syscalls */
}

int uvm_handle_fault(struct uvm *uvm, uint64_t addr)
{
	/* A present page faults on a protection violation: only a write to a
	 * copy-on-write page is resolved. */
	if (page_mapped(uvm, addr))
		return cow_break(uvm, addr);
	return grow_stack(uvm, addr);
}

/* A leaf of the parent for the child: the same device page, or the same
 * frame with one more reference, copy-on-write in both if writable. */
static pte_t clone_leaf(struct uvm *child, pte_t *from)
{
	if (*from & PTE_DEV) {
		child->device_pages++;
		return *from;
	}
	if (*from & PTE_W)
		*from = (*from & ~PTE_W) | PTE_COW;
	frame_ref(*from & PTE_ADDR);
	child->pages++;
	return *from;
}

/* Copy entries [0, n) of the parent's table `from` at level (4 = PML4 ...
 * 1 = PT) into the child's `to`, with new tables below.  Like free_table,
 * it walks the tables itself, one visit per entry rather than a walk from
 * the root per page.  0 or -ENOMEM (the child then holds what was made). */
static int clone_table(struct uvm *child, pte_t *from, pte_t *to, int level, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t pa;
		int err;

		if (!(from[i] & PTE_P))
			continue;
		if (level == 1) {
			to[i] = clone_leaf(child, &from[i]);
			continue;
		}
		pa = frame_alloc();
		if (!pa)
			return -ENOMEM;
		frame_set_owner(pa, 1, FRAME_PAGETABLE);
		to[i] = pa | (from[i] & ~PTE_ADDR);
		err = clone_table(child, phys_to_virt(from[i] & PTE_ADDR), phys_to_virt(pa),
				  level - 1, 512);
		if (err)
			return err;
	}
	return 0;
}

struct uvm *uvm_clone(struct uvm *parent)
{
	struct uvm *child = uvm_create();
	int err;

	if (!child)
		return NULL;
	child->heap_start = parent->heap_start;
	child->brk = parent->brk;
	child->mmap_next = parent->mmap_next;
	/* The parent's own thread is the only one changing its tables. */
	err = clone_table(child, uvm_root(parent), uvm_root(child), 4, 256);
	/* The parent's writable entries became read-only: flush its TLB. */
	if ((read_cr3() & PTE_ADDR) == parent->pml4)
		write_cr3(parent->pml4);
	if (err) {
		uvm_destroy(child);
		return NULL;
	}
	return child;
}

/* ---- brk, mmap, munmap ---------------------------------------------------- */

uint64_t uvm_brk(struct uvm *uvm, uint64_t newbrk)
{
	/* BEGIN STAGE syscalls: brk: map or unmap whole pages between the old and new break */
	uint64_t old_end = ALIGN_UP(uvm->brk, PAGE_SIZE);
	uint64_t new_end;

	if (newbrk < uvm->heap_start || newbrk > USER_MMAP_TOP)
		return uvm->brk;
	new_end = ALIGN_UP(newbrk, PAGE_SIZE);
	if (new_end > old_end) {
		if (uvm_map(uvm, old_end, new_end - old_end, UVM_READ | UVM_WRITE) != 0)
			return uvm->brk; /* no memory, or a mapping is in the way */
	} else if (new_end < old_end) {
		uvm_unmap(uvm, new_end, old_end - new_end);
	}
	uvm->brk = newbrk;
	return newbrk;
	/* STUB
	(void)newbrk;
	return uvm->brk;
	END STAGE syscalls */
}

/* The highest free, page-aligned range of len bytes below USER_MMAP_TOP and
 * above the heap, or 0.  Looks first just below `below` (where the previous
 * mmap went), then from the top. */
static uint64_t find_free(struct uvm *uvm, uint64_t len, uint64_t below)
{
	uint64_t floor = ALIGN_UP(MAX(uvm->brk, uvm->heap_start), PAGE_SIZE) + PAGE_SIZE;
	uint64_t end = below;

	for (int pass = 0; pass < 2; pass++, end = USER_MMAP_TOP) {
		while (end >= floor + len) {
			uint64_t start = end - len, in_the_way;

			if (!find_mapped(uvm, start, len, true, &in_the_way))
				return start;
			end = in_the_way; /* go below the highest page in the way */
		}
	}
	return 0;
}

int64_t uvm_mmap(struct uvm *uvm, uint64_t addr, uint64_t len, unsigned prot, bool fixed)
{
	int err;

	if (len == 0)
		return -EINVAL;
	if (len > USER_MMAP_TOP)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (fixed) {
		if (addr % PAGE_SIZE)
			return -EINVAL;
		if (addr < USER_MIN || addr > USER_MMAP_TOP || len > USER_MMAP_TOP - addr)
			return -ENOMEM;
		uvm_unmap(uvm, addr, len);
	} else if (addr % PAGE_SIZE || addr < USER_MIN || addr > USER_MMAP_TOP ||
		   len > USER_MMAP_TOP - addr || !uvm_range_free(uvm, addr, len)) {
		addr = find_free(uvm, len, uvm->mmap_next);
		if (!addr)
			return -ENOMEM;
	}
	err = uvm_map(uvm, addr, len, prot);
	if (err)
		return err == -EEXIST ? -ENOMEM : err;
	if (!fixed)
		uvm->mmap_next = addr;
	return (int64_t)addr;
}

int64_t uvm_map_device(struct uvm *uvm, uint64_t pa, uint64_t len, unsigned prot, bool nocache)
{
	unsigned flags = vm_flags(prot) | VM_DEVICE | (nocache ? VM_NOCACHE : 0);
	uint64_t va;

	/* BEGIN STAGE ramdisk: map the physical pages at a free place, marked VM_DEVICE */
	if (len == 0 || len > USER_MMAP_TOP || pa % PAGE_SIZE)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	va = find_free(uvm, len, uvm->mmap_next);
	if (!va)
		return -ENOMEM;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		int err = vm_map(uvm_root(uvm), va + off, pa + off, PAGE_SIZE, flags);

		if (err) {
			uvm_unmap(uvm, va, off);
			return err == -EEXIST ? -ENOMEM : err;
		}
		uvm->device_pages++;
	}
	uvm->mmap_next = va;
	return (int64_t)va;
	/* STUB
	(void)uvm, (void)pa, (void)len, (void)flags, (void)va;
	return -ENOSYS;
	END STAGE ramdisk */
}

int uvm_munmap(struct uvm *uvm, uint64_t addr, uint64_t len)
{
	if (addr % PAGE_SIZE || len == 0 || addr >= USER_END || len > USER_END - addr)
		return -EINVAL;
	uvm_unmap(uvm, addr, ALIGN_UP(len, PAGE_SIZE));
	return 0;
}
