/*
 * Virtual memory areas: what an address space may have mapped, as a list of
 * ranges, each with its protection and kind (see vma.c).  Used by uvm.c
 * only; everything else goes through uvm.h.
 */
#ifndef MM_VMA_H
#define MM_VMA_H

#include <types.h>
#include "lib/list.h"

struct uvm;

/* Kinds of area (vma.flags). */
#define VMA_SHARED 0x1 /* MAP_SHARED|MAP_ANONYMOUS: pages come from vma->shm */
#define VMA_STACK  0x2 /* the stack: grows down on demand */
#define VMA_DEVICE 0x4 /* device memory (os_physmap): mapped at once, never freed */

/*
 * A shared anonymous object: the frames of a MAP_SHARED|MAP_ANONYMOUS
 * mapping by page offset, 0 for a page nobody touched yet.  Every area
 * mapping it (in the process and in its fork children) holds a reference;
 * the object holds one reference on each of its frames, each page table
 * entry mapping one another.
 */
struct shm {
	unsigned refs;
	uint64_t npages;
	uint64_t frames[];
};

struct vma {
	uint64_t start, end; /* page aligned, start < end */
	unsigned prot;       /* UVM_READ | UVM_WRITE | UVM_EXEC */
	unsigned flags;      /* VMA_* */
	struct shm *shm;     /* VMA_SHARED: the object, start is page pgoff */
	uint64_t pgoff;
	struct list_node node; /* in uvm->vmas, sorted by address */
};

/* The area holding va, or NULL. */
struct vma *vma_find(struct uvm *uvm, uint64_t va);
/* The first area ending above va (holding va or above it), or NULL. */
struct vma *vma_first_above(struct uvm *uvm, uint64_t va);
/* The area before v (below it), or NULL. */
struct vma *vma_prev(struct uvm *uvm, struct vma *v);
/* Does an area overlap [start, end)? */
bool vma_overlaps(struct uvm *uvm, uint64_t start, uint64_t end);
/* Is [start, end) covered by areas without a hole? */
bool vma_covers(struct uvm *uvm, uint64_t start, uint64_t end);

/* Add the area [start, end), which overlaps none, merging it with equal
 * neighbours; shm (with a reference for the area) or NULL.  0 or -ENOMEM. */
int vma_add(struct uvm *uvm, uint64_t start, uint64_t end, unsigned prot, unsigned flags,
	    struct shm *shm, uint64_t pgoff);
/* Make start and end area boundaries (splitting the areas holding them).
 * 0 or -ENOMEM. */
int vma_split_at(struct uvm *uvm, uint64_t start, uint64_t end);
/* Forget the areas inside [start, end) (call vma_split_at first); the
 * page tables are the caller's. */
void vma_remove(struct uvm *uvm, uint64_t start, uint64_t end);
/* Give the areas inside [start, end) (split first) protection prot, then
 * merge what became equal. */
void vma_protect(struct uvm *uvm, uint64_t start, uint64_t end, unsigned prot);
/* Move the stack area v's start down to start (stack growth). */
void vma_grow_down(struct uvm *uvm, struct vma *v, uint64_t start);

/* Copy parent's areas into child (empty), sharing shared objects.  0 or
 * -ENOMEM. */
int vma_clone(struct uvm *child, struct uvm *parent);
/* Forget every area. */
void vma_destroy(struct uvm *uvm);

/* A shared object of npages untouched pages, one reference, or NULL. */
struct shm *shm_create(uint64_t npages);
/* The frame of page index i of shm, allocated (zeroed) if untouched; 0
 * without memory. */
uint64_t shm_frame(struct shm *shm, uint64_t i);

#endif
