/*
 * Virtual memory areas (see vma.h): the list of what an address space may
 * have mapped.
 *
 * Pages appear on demand (uvm.c): mmap, brk and the loader only add an area
 * here, and the first touch of a page of it, by the program (a page fault)
 * or by the kernel (a user copy, the loader's uvm_write), gets the page a
 * frame.  So the page tables say what is mapped now, the areas what may be:
 * a fault in no area is the program's bug (SIGSEGV); a fault in an area is
 * resolved if its protection allows the access.
 *
 * The list is sorted by address, the areas never overlap, and neighbours
 * that are equal (same protection and kind, private, or the same shared
 * object at consecutive offsets) are merged, so that a heap grown by brk or
 * many mmaps next to each other stay one area.  A program has a handful of
 * areas, so a walk of the list is cheap; the last one found is remembered
 * (uvm->vma_hint), which makes the fault path's lookup one comparison in
 * the common case of faults in the same area.  The first UVM_VMA_SLOTS
 * areas live in struct uvm itself (vma_new), so that fork and exit need no
 * kmalloc and kfree for them.
 *
 * Accounting, for RLIMIT_AS and RLIMIT_DATA (uvm.h): uvm->total_pages
 * counts the pages of every area, uvm->data_pages those of private writable
 * areas other than the stack, which is what Linux 6.1 counts as data
 * (brk's heap and private writable mmaps).
 */
#include "mm/vma.h"
#include <errno.h>
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/uvm.h"

static struct vma *vma_of(struct list_node *n)
{
	return list_entry(n, struct vma, node);
}

static struct vma *next_of(struct uvm *uvm, struct vma *v)
{
	return v->node.next == &uvm->vmas.head ? NULL : vma_of(v->node.next);
}

struct vma *vma_prev(struct uvm *uvm, struct vma *v)
{
	return v->node.prev == &uvm->vmas.head ? NULL : vma_of(v->node.prev);
}

static bool is_data(const struct vma *v)
{
	return (v->prot & UVM_WRITE) && !(v->flags & (VMA_SHARED | VMA_STACK | VMA_DEVICE));
}

static void account(struct uvm *uvm, const struct vma *v, int64_t sign)
{
	uint64_t pages = (v->end - v->start) / PAGE_SIZE;

	uvm->total_pages += (uint64_t)sign * pages;
	if (is_data(v))
		uvm->data_pages += (uint64_t)sign * pages;
}

struct vma *vma_first_above(struct uvm *uvm, uint64_t va)
{
	struct vma *h = uvm->vma_hint;

	if (h && va >= h->start && va < h->end)
		return h;
	list_for_each(n, &uvm->vmas) {
		if (vma_of(n)->end > va)
			return vma_of(n);
	}
	return NULL;
}

struct vma *vma_find(struct uvm *uvm, uint64_t va)
{
	struct vma *v = vma_first_above(uvm, va);

	if (!v || v->start > va)
		return NULL;
	uvm->vma_hint = v;
	return v;
}

bool vma_overlaps(struct uvm *uvm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_first_above(uvm, start);

	return v && v->start < end;
}

bool vma_covers(struct uvm *uvm, uint64_t start, uint64_t end)
{
	for (struct vma *v = vma_first_above(uvm, start); start < end; v = next_of(uvm, v)) {
		if (!v || v->start > start)
			return false;
		start = v->end;
	}
	return true;
}

/* Can b (right above a) join a? */
static bool mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    (a->flags & VMA_STACK) || a->shm != b->shm)
		return false;
	return !a->shm || a->pgoff + (a->end - a->start) / PAGE_SIZE == b->pgoff;
}

/* A new area: one of the uvm's own slots while there is one free (most
 * programs have a handful of areas: no kmalloc for them), else from the
 * heap.  NULL without memory. */
static struct vma *vma_new(struct uvm *uvm)
{
	for (int i = 0; i < UVM_VMA_SLOTS; i++) {
		if (!(uvm->vma_slots_used & (1u << i))) {
			uvm->vma_slots_used |= 1u << i;
			return &uvm->vma_slots[i];
		}
	}
	return kmalloc(sizeof(struct vma));
}

static void vma_delete(struct uvm *uvm, struct vma *v)
{
	if (v >= uvm->vma_slots && v < uvm->vma_slots + UVM_VMA_SLOTS)
		uvm->vma_slots_used &= ~(1u << (v - uvm->vma_slots));
	else
		kfree(v);
}

static void shm_unref(struct shm *shm)
{
	if (!shm || --shm->refs > 0)
		return;
	for (uint64_t i = 0; i < shm->npages; i++)
		if (shm->frames[i])
			frame_unref(shm->frames[i]);
	kfree(shm);
}

static void vma_free(struct uvm *uvm, struct vma *v)
{
	if (uvm->vma_hint == v)
		uvm->vma_hint = NULL;
	list_remove(&v->node);
	shm_unref(v->shm);
	vma_delete(uvm, v);
}

/* Merge v's successor into v if they are equal; then v's into its
 * predecessor.  (Accounting does not change.) */
static void merge_around(struct uvm *uvm, struct vma *v)
{
	struct vma *next = next_of(uvm, v), *prev = vma_prev(uvm, v);

	if (next && mergeable(v, next)) {
		v->end = next->end;
		vma_free(uvm, next);
	}
	if (prev && mergeable(prev, v)) {
		prev->end = v->end;
		vma_free(uvm, v);
	}
}

int vma_add(struct uvm *uvm, uint64_t start, uint64_t end, unsigned prot, unsigned flags,
	    struct shm *shm, uint64_t pgoff)
{
	struct vma *v = vma_new(uvm), *above = vma_first_above(uvm, start);

	if (!v)
		return -ENOMEM;
	*v = (struct vma){
		.start = start, .end = end, .prot = prot, .flags = flags, .shm = shm, .pgoff = pgoff
	};
	if (above)
		list_insert_before(&above->node, &v->node);
	else
		list_push_back(&uvm->vmas, &v->node);
	account(uvm, v, 1);
	merge_around(uvm, v);
	return 0;
}

/* Split the area holding va (if any, and va inside it) in two at va. */
static int split(struct uvm *uvm, uint64_t va)
{
	struct vma *v = vma_find(uvm, va), *hi;

	if (!v || v->start == va)
		return 0;
	hi = vma_new(uvm);
	if (!hi)
		return -ENOMEM;
	*hi = *v;
	hi->start = va;
	if (v->shm) {
		hi->pgoff += (va - v->start) / PAGE_SIZE;
		v->shm->refs++;
	}
	v->end = va;
	list_insert_between(&hi->node, &v->node, v->node.next);
	return 0;
}

int vma_split_at(struct uvm *uvm, uint64_t start, uint64_t end)
{
	int err = split(uvm, start);

	return err ? err : split(uvm, end);
}

void vma_remove(struct uvm *uvm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_first_above(uvm, start);

	while (v && v->start < end) {
		struct vma *next = next_of(uvm, v);

		account(uvm, v, -1);
		vma_free(uvm, v);
		v = next;
	}
}

/* Merge the equal neighbours among the areas around [start, end). */
static void merge_range(struct uvm *uvm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_first_above(uvm, start), *prev;

	if (!v)
		return;
	prev = vma_prev(uvm, v);
	if (prev)
		v = prev;
	for (struct vma *next = next_of(uvm, v); next && v->start <= end; next = next_of(uvm, v)) {
		if (mergeable(v, next)) {
			v->end = next->end;
			vma_free(uvm, next);
		} else {
			v = next;
		}
	}
}

void vma_protect(struct uvm *uvm, uint64_t start, uint64_t end, unsigned prot)
{
	for (struct vma *v = vma_first_above(uvm, start); v && v->start < end;
	     v = next_of(uvm, v)) {
		account(uvm, v, -1);
		v->prot = prot;
		account(uvm, v, 1);
	}
	merge_range(uvm, start, end);
}

void vma_grow_down(struct uvm *uvm, struct vma *v, uint64_t start)
{
	account(uvm, v, -1);
	v->start = start;
	account(uvm, v, 1);
}

int vma_clone(struct uvm *child, struct uvm *parent)
{
	list_for_each(n, &parent->vmas) {
		struct vma *v = vma_of(n), *c = vma_new(child);

		if (!c)
			return -ENOMEM;
		*c = *v;
		if (c->shm)
			c->shm->refs++;
		list_push_back(&child->vmas, &c->node);
		account(child, c, 1);
	}
	return 0;
}

void vma_destroy(struct uvm *uvm)
{
	while (!list_empty(&uvm->vmas))
		vma_free(uvm, vma_of(list_first(&uvm->vmas)));
	uvm->total_pages = uvm->data_pages = 0;
}

struct shm *shm_create(uint64_t npages)
{
	struct shm *shm = kcalloc(1, sizeof(*shm) + npages * sizeof(uint64_t));

	if (!shm)
		return NULL;
	shm->refs = 1;
	shm->npages = npages;
	return shm;
}

uint64_t shm_frame(struct shm *shm, uint64_t i)
{
	if (!shm->frames[i])
		shm->frames[i] = uvm_frame_alloc();
	return shm->frames[i];
}

static const char *area_label(const struct uvm *uvm, const struct vma *v)
{
	if (v->flags & VMA_STACK)
		return "[stack]";
	if (v->flags & VMA_DEVICE)
		return "[device]";
	if (v->start < uvm->brk && v->end > uvm->heap_start)
		return "[heap]";
	return "";
}

int uvm_areas(struct uvm *uvm, struct uvm_area *out, int max)
{
	int n = 0;

	list_for_each(node, &uvm->vmas) {
		const struct vma *v = vma_of(node);

		if (n == max)
			break;
		out[n++] = (struct uvm_area){ v->start, v->end, v->prot,
					      (v->flags & VMA_SHARED) != 0, area_label(uvm, v) };
	}
	return n;
}
