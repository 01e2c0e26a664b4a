/*
 * The system-call side of an address space (see uvm.h): brk(2), mmap(2)
 * of anonymous memory, private or shared, of device memory
 * (os_physmap) and of DMA memory (os_dma_alloc, mm/dma.c), munmap(2).  Each only adds or removes areas (vma.h); the
 * pages come on first touch (uvm.c).  New mappings go top-down from
 * USER_MMAP_TOP, each just below the previous one if there is room
 * (find_free), as Linux places them.
 */
#include "mm/uvm.h"
#include <errno.h>
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/uvm_internal.h"
#include "mm/vm.h"
#include "mm/vma.h"

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

/* The highest free, page-aligned range of len bytes below `below` and
 * above the heap (and a page of gap), or 0. */
static uint64_t find_free_below(struct uvm *uvm, uint64_t len, uint64_t below)
{
	uint64_t floor = ALIGN_UP(MAX(uvm->brk, uvm->heap_start), PAGE_SIZE) + PAGE_SIZE;
	uint64_t hi = below;
	struct list_node *n = uvm->vmas.head.prev;

	/* The areas from the highest down; the gap above each is a candidate. */
	for (struct vma *v;; n = n->prev) {
		uint64_t lo;

		v = n == &uvm->vmas.head ? NULL : list_entry(n, struct vma, node);
		if (v && v->end > hi) { /* reaches above hi: what is free ends below it */
			hi = MIN(hi, v->start);
			continue;
		}
		lo = v ? MAX(v->end, floor) : floor;
		if (hi >= lo && hi - lo >= len)
			return hi - len;
		if (!v || v->end <= floor)
			return 0;
		hi = v->start;
	}
}

/* Where the previous mmap went, else from the top. */
static uint64_t find_free(struct uvm *uvm, uint64_t len, uint64_t below)
{
	uint64_t va = find_free_below(uvm, len, below);

	return va ? va : find_free_below(uvm, len, USER_MMAP_TOP);
}

/* A MAP_SHARED|MAP_ANONYMOUS area over [va, va + len). */
static int map_shared(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot)
{
	struct shm *shm;
	int err = uvm_may_add(uvm, len, false);

	if (err)
		return err;
	shm = shm_create(len / PAGE_SIZE);
	if (!shm)
		return -ENOMEM;
	err = vma_add(uvm, va, va + len, prot, VMA_SHARED, shm, 0);
	if (err)
		kfree(shm);
	return err;
}

int64_t uvm_mmap(struct uvm *uvm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags)
{
	bool fixed = flags & UVM_MAP_FIXED;
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
		err = uvm_unmap(uvm, addr, len);
		if (err)
			return err;
	} else if (addr % PAGE_SIZE || addr < USER_MIN || addr > USER_MMAP_TOP ||
		   len > USER_MMAP_TOP - addr || !uvm_range_free(uvm, addr, len)) {
		addr = find_free(uvm, len, uvm->mmap_next);
		if (!addr)
			return -ENOMEM;
	}
	err = flags & UVM_MAP_SHARED ? map_shared(uvm, addr, len, prot)
				     : uvm_map(uvm, addr, len, prot);
	if (err)
		return err == -EEXIST ? -ENOMEM : err;
	if (!fixed)
		uvm->mmap_next = addr;
	return (int64_t)addr;
}

/* uvm_map_device's page tables (the area is added by the caller). */
static int64_t map_device(struct uvm *uvm, uint64_t pa, uint64_t len, unsigned prot, bool nocache)
{
	unsigned flags = uvm_vm_flags(prot) | VM_DEVICE | (nocache ? VM_NOCACHE : 0);
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

int64_t uvm_map_device(struct uvm *uvm, uint64_t pa, uint64_t len, unsigned prot, bool nocache)
{
	int64_t va;

	if (len && len <= USER_MMAP_TOP &&
	    uvm_over_limits(uvm, ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE, false))
		return -ENOMEM;
	va = map_device(uvm, pa, len, prot, nocache);
	if (va < 0)
		return va;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (vma_add(uvm, (uint64_t)va, (uint64_t)va + len, prot, VMA_DEVICE, NULL, 0) != 0) {
		uvm_unmap_pages(uvm, (uint64_t)va, len);
		return -ENOMEM;
	}
	return va;
}

/* The object's frames, all mapped now, uncached: the area's pages hold a
 * reference each, the object one more, so munmap, exit and fork treat them
 * as any shared page's (uvm.c), and the last reference frees them. */
static int map_dma_pages(struct uvm *uvm, uint64_t va, uint64_t pa, uint64_t len)
{
	unsigned flags = uvm_vm_flags(UVM_READ | UVM_WRITE) | VM_SHARED | VM_NOCACHE;

	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		int err = vm_map(uvm_root(uvm), va + off, pa + off, PAGE_SIZE, flags);

		if (err)
			return err == -EEXIST ? -ENOMEM : err;
		frame_ref(pa + off);
		uvm->pages++;
	}
	return 0;
}

int64_t uvm_map_dma(struct uvm *uvm, uint64_t pa, uint64_t len)
{
	struct shm *shm = NULL;
	uint64_t va = 0;
	int err = uvm_may_add(uvm, len, false);

	if (!err && !(va = find_free(uvm, len, uvm->mmap_next)))
		err = -ENOMEM;
	if (!err && !(shm = shm_create(len / PAGE_SIZE)))
		err = -ENOMEM;
	if (!err && (err = vma_add(uvm, va, va + len, UVM_READ | UVM_WRITE, VMA_SHARED, shm, 0)))
		kfree(shm);
	if (err) {
		frame_free_contig(pa, len / PAGE_SIZE);
		return err;
	}
	/* The object takes the allocation's references. */
	for (uint64_t i = 0; i < shm->npages; i++)
		shm->frames[i] = pa + i * PAGE_SIZE;
	err = map_dma_pages(uvm, va, pa, len);
	if (err) {
		uvm_unmap(uvm, va, len); /* the pages, the area, then the object */
		return err;
	}
	uvm->mmap_next = va;
	return (int64_t)va;
}

int uvm_munmap(struct uvm *uvm, uint64_t addr, uint64_t len)
{
	if (addr % PAGE_SIZE || len == 0 || addr >= USER_END || len > USER_END - addr)
		return -EINVAL;
	return uvm_unmap(uvm, addr, ALIGN_UP(len, PAGE_SIZE));
}
