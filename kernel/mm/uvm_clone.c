/*
 * fork(2)'s copy of an address space (see uvm.h, uvm_clone).
 *
 * The child gets a copy of the parent's areas and of its page tables, in
 * which every page maps the same frame as in the parent, with one more
 * reference (frame.h); writable private pages become read-only in both,
 * marked VM_COW, so that the first write on either side copies the page
 * (uvm.c's cow_break).  Shared pages (VM_SHARED: MAP_SHARED|MAP_ANONYMOUS)
 * stay writable in both, device pages are shared as they are, and
 * read-only pages (the program's text) are simply shared.
 *
 * The walk visits only the table entries covering the parent's areas
 * (uvm_internal.h), not the 512 entries of every table: a small program's
 * fork copies a handful of tables and entries.
 */
#include "mm/uvm.h"
#include <errno.h>
#include "arch/x86_64/x86.h"
#include "mm/frame.h"
#include "mm/uvm_internal.h"
#include "mm/vm.h"
#include "mm/vma.h"

/* A leaf of the parent for the child: the same device page, or the same
 * frame with one more reference, copy-on-write in both if writable and
 * private. */
static pte_t clone_leaf(struct uvm *child, pte_t *from)
{
	/* BEGIN STAGE forkexec: a device page as it is; any other: one more reference, COW in both if writable and private */
	if (*from & PTE_DEV) {
		child->device_pages++;
		return *from;
	}
	if ((*from & PTE_W) && !(*from & PTE_SHR))
		*from = (*from & ~PTE_W) | PTE_COW;
	frame_ref(*from & PTE_ADDR);
	child->pages++;
	return *from;
	/* STUB
	(void)child, (void)from;
	return 0;
	END STAGE forkexec */
}

/* Copy the entries covering [start, end) of the parent's table `from` at
 * level into the child's `to`, with new tables below (or those an area
 * before made).  0 or -ENOMEM (the child then holds what was made). */
static int clone_range(struct uvm *child, pte_t *from, pte_t *to, int level, uint64_t start,
		       uint64_t end)
{
	for (uint64_t va = start; va < end; va = entry_end(va, level, end)) {
		unsigned i = entry_index(va, level);
		int err;

		if (!(from[i] & PTE_P))
			continue;
		if (level == 1) {
			to[i] = clone_leaf(child, &from[i]);
			continue;
		}
		if (!(to[i] & PTE_P)) {
			uint64_t pa = frame_alloc();

			if (!pa)
				return -ENOMEM;
			frame_set_owner(pa, 1, FRAME_PAGETABLE);
			to[i] = pa | (from[i] & ~PTE_ADDR);
		}
		err = clone_range(child, phys_to_virt(from[i] & PTE_ADDR),
				  phys_to_virt(to[i] & PTE_ADDR), level - 1, va,
				  entry_end(va, level, end));
		if (err)
			return err;
	}
	return 0;
}

/* The child's tables for every area of the parent. */
static int clone_tables(struct uvm *child, struct uvm *parent)
{
	list_for_each(n, &parent->vmas) {
		struct vma *v = list_entry(n, struct vma, node);
		int err =
			clone_range(child, uvm_root(parent), uvm_root(child), 4, v->start, v->end);

		if (err)
			return err;
	}
	return 0;
}

struct uvm *uvm_clone(struct uvm *parent)
{
	struct uvm *child = uvm_alloc();
	int err;

	if (!child)
		return NULL;
	child->heap_start = parent->heap_start;
	child->brk = parent->brk;
	child->mmap_next = parent->mmap_next;
	err = vma_clone(child, parent);
	/* The parent's own thread is the only one changing its tables. */
	if (!err)
		err = clone_tables(child, parent);
	/* The parent's writable entries became read-only: flush its TLB. */
	if ((read_cr3() & PTE_ADDR) == parent->pml4)
		write_cr3(parent->pml4);
	if (err) {
		uvm_destroy(child);
		return NULL;
	}
	return child;
}
