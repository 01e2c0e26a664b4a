/*
 * The kernel heap: kmalloc, kfree, kcalloc, krealloc.
 *
 * Where the memory comes from.  The heap asks the frame allocator for whole
 * frames and uses them through the direct map (a heap page's address is
 * phys_to_virt of its frame); it has no virtual region of its own.  Frames
 * it holds are tagged FRAME_HEAP, so the memory map shows them.
 *
 * Small blocks: size classes.  A request of up to HEAP_SMALL_MAX bytes is
 * served from one of HEAP_NCLASSES size classes (32, 48, ... 2016-byte
 * slots).  Each page of a class starts with a struct heap_page and is cut
 * into equal slots; free slots form a singly linked list in the page.  A
 * class keeps its pages on two lists: `partial` (at least one free slot;
 * partly used pages at the front, empty ones at the back, so allocation
 * fills pages before starting new ones) and `full`.  Freeing the last block
 * of a page gives the page back to the frame allocator, except that each
 * class keeps one empty page so that a kmalloc/kfree pair at a page boundary
 * does not cost two trips to the frame allocator (heap_trim drops it).
 *
 * Large blocks: a request bigger than that gets whole, physically contiguous
 * pages (frame_alloc_contig), a struct heap_page at the start, and goes back
 * to the frame allocator on kfree.  Large blocks are kept on one list.
 *
 * Every block, small or large, looks like this:
 *
 *     | struct heap_obj (16 bytes) | size bytes for the caller | redzone ... |
 *                                  ^ kmalloc returns this (16-byte aligned)
 *
 * The header says whether the block is allocated or free, its size, and who
 * called kmalloc (a return address).  The rest of the slot, at least
 * REDZONE_MIN bytes, is filled with REDZONE_BYTE: kfree and heap_check
 * panic if a byte there changed (a write past the end).  A freed small block
 * keeps its header (now HEAP_OBJ_FREE), stores the free-list link and the
 * caller of kfree in its first 16 bytes and fills the rest with POISON_BYTE,
 * checked again when the slot is handed out: that catches writes to freed
 * memory.  kfree of a block that is already free is a double free.
 *
 * kfree finds a block's page by rounding the pointer down to the page: the
 * heap_page header there says which class (or that it is large).
 *
 * Everything runs under mm_lock (interrupts off).  Statistics: bytes in use
 * (as asked for), their peak, free bytes in the classes' pages, pages held,
 * per class slots in use and free.
 *
 * The structures and the state (`heap`) are declared in heap_layout.h,
 * which the heap checker (heap_check.c) shares.
 */
#include "mm/heap.h"
#include "arch/x86_64/memlayout.h"
#include "debug/failinject.h"
#include "debug/ksym.h"
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap_layout.h"
#include "mm/mmlock.h"

#define SIZE_LIMIT 0xffffffffull /* kmalloc refuses 4 GiB or more */

/* Slot sizes chosen so that a page's 4032 bytes hold a whole number of
 * slots with little left over, all multiples of 16. */
static const uint32_t slot_sizes[HEAP_NCLASSES] = {
	32, 48, 64, 96, 128, 192, 256, 384, 512, 672, 1008, 1344, 2016,
};

_Static_assert(2016 - sizeof(struct heap_obj) - REDZONE_MIN == HEAP_SMALL_MAX,
	       "HEAP_SMALL_MAX must match the largest class");

struct heap_state heap;

/* ---- lists ------------------------------------------------------------------- */

static void page_list_add(struct page_list *l, struct heap_page *p, bool front)
{
	if (!l->head) {
		p->next = p->prev = p;
		l->head = p;
		return;
	}
	p->next = l->head;
	p->prev = l->head->prev;
	p->prev->next = p;
	l->head->prev = p;
	if (front)
		l->head = p;
}

static void page_list_remove(struct page_list *l, struct heap_page *p)
{
	if (p->next == p) {
		l->head = NULL;
	} else {
		p->prev->next = p->next;
		p->next->prev = p->prev;
		if (l->head == p)
			l->head = p->next;
	}
	p->next = p->prev = NULL;
}

/* ---- reporting ------------------------------------------------------------- */

/* "function+0xoff" for a return address (of the call instruction's last
 * byte, as backtraces show it), in one of a few rotating buffers so that a
 * message can name several call sites. */
const char *heap_site_name(uint64_t site)
{
	static char bufs[4][80];
	static int next;
	char *buf = bufs[next++ % 4];
	uint64_t off;
	const char *name = site ? ksym_lookup(site - 1, &off) : NULL;

	if (name)
		ksnprintf(buf, sizeof(bufs[0]), "%s+0x%lx", name, off);
	else
		ksnprintf(buf, sizeof(bufs[0]), "0x%lx", site);
	return buf;
}

#define caller() ((uint64_t)__builtin_return_address(0))

/* ---- blocks ---------------------------------------------------------------- */

/* Set up an allocated block of size bytes for site, redzone included. */
static void obj_init(struct heap_obj *o, size_t size, uint64_t site)
{
	o->magic = HEAP_OBJ_USED;
	o->size = size;
	o->site = site;
	memset((char *)obj_data(o) + size, REDZONE_BYTE, obj_capacity(o) - size);
}

static void check_redzone(struct heap_obj *o, const char *who, uint64_t site)
{
	int64_t bad = obj_find_changed(o, o->size, obj_capacity(o), REDZONE_BYTE);

	if (bad >= 0)
		panic("%s: write past the end of block %p (%u bytes, allocated by %s): byte %ld is "
		      "0x%x, not 0x%x; found by %s called from %s",
		      who, obj_data(o), o->size, heap_site_name(o->site), bad,
		      ((uint8_t *)obj_data(o))[bad], REDZONE_BYTE, who, heap_site_name(site));
}

static void check_poison(struct heap_obj *o, const char *who, uint64_t site)
{
	struct heap_free *f = obj_data(o);
	int64_t bad = obj_find_changed(o, sizeof(*f), obj_capacity(o), POISON_BYTE);

	if (bad >= 0)
		panic("%s: block %p was written after it was freed (allocated by %s, freed by %s): "
		      "byte %ld is 0x%x, not 0x%x; found by %s called from %s",
		      who, obj_data(o), heap_site_name(o->site), heap_site_name(f->freed_by), bad,
		      ((uint8_t *)obj_data(o))[bad], POISON_BYTE, who, heap_site_name(site));
}

/* Mark o free (freed by site) and poison it. */
static void obj_release(struct heap_obj *o, uint64_t site)
{
	struct heap_free *f = obj_data(o);

	o->magic = HEAP_OBJ_FREE;
	f->freed_by = site;
	memset(f + 1, POISON_BYTE, obj_capacity(o) - sizeof(*f));
}

/*
 * The header of the block kmalloc returned as p; panics, naming the caller
 * of `who` (site), if p is not such a pointer.
 */
static struct heap_obj *obj_of(const void *p, const char *who, uint64_t site)
{
	uint64_t addr = (uint64_t)p;
	struct heap_page *pg = page_of(p);
	struct heap_obj *o = (struct heap_obj *)p - 1;
	uint64_t offset = addr - (uint64_t)pg - PAGE_HEADER - sizeof(*o);

	if (addr < PHYS_MAP_BASE || addr >= PHYS_MAP_BASE + frame_span() * PAGE_SIZE || addr % 16 ||
	    frame_owner(virt_to_phys(pg)) != FRAME_HEAP || pg->magic != HEAP_PAGE_MAGIC)
		panic("%s: %p is not a block from kmalloc, or not any more (called from %s)", who,
		      p, heap_site_name(site));
	if (addr < (uint64_t)pg + PAGE_HEADER + sizeof(*o) || (pg->class == LARGE && offset != 0) ||
	    (pg->class != LARGE &&
	     (pg->class >= HEAP_NCLASSES || offset % heap.classes[pg->class].slot_size != 0 ||
	      offset / heap.classes[pg->class].slot_size >=
		      heap.classes[pg->class].slots_per_page)))
		panic("%s: %p points into a heap page, not at a block (called from %s)", who, p,
		      heap_site_name(site));
	return o;
}

/* ---- small blocks ------------------------------------------------------------- */

/* A new page for class c, cut into free slots; NULL if no frame is left. */
static struct heap_page *page_new(int c)
{
	struct heap_class *hc = &heap.classes[c];
	uint64_t pa = frame_alloc();
	struct heap_page *pg;
	struct heap_obj **link;

	if (!pa)
		return NULL;
	frame_set_owner(pa, 1, FRAME_HEAP);
	pg = phys_to_virt(pa);
	pg->magic = HEAP_PAGE_MAGIC;
	pg->class = c;
	pg->npages = 1;
	pg->nfree = hc->slots_per_page;
	link = &pg->free;
	for (uint32_t i = 0; i < hc->slots_per_page; i++) {
		struct heap_obj *o = (void *)((char *)pg + PAGE_HEADER + i * hc->slot_size);

		obj_release(o, 0);
		o->size = 0;
		o->site = 0;
		*link = o;
		link = &((struct heap_free *)obj_data(o))->next;
	}
	*link = NULL;
	hc->pages++;
	hc->empty_pages++;
	heap.stats.pages++;
	return pg;
}

static void page_delete(struct heap_page *pg)
{
	struct heap_class *hc = &heap.classes[pg->class];

	hc->pages--;
	hc->empty_pages--;
	heap.stats.pages--;
	pg->magic = 0;
	frame_free(virt_to_phys(pg));
}

/* The smallest class whose slots hold a block of size bytes and a redzone
 * (size is at most HEAP_SMALL_MAX). */
static int class_for(size_t size)
{
	for (int c = 0; c < HEAP_NCLASSES; c++)
		if (sizeof(struct heap_obj) + size + REDZONE_MIN <= heap.classes[c].slot_size)
			return c;
	return -1;
}

/*
 * Take a free slot of class c: from the first page on the partial list, or
 * from a new page if there is none.  A page that becomes full moves to the
 * full list.  Returns the slot's header (still marked free), or NULL.
 */
static struct heap_obj *slot_alloc(int c)
{
	/* BEGIN STAGE heap: pop a free slot from the first partial page (or a new one) */
	struct heap_class *hc = &heap.classes[c];
	struct heap_page *pg = hc->partial.head;
	struct heap_obj *o;

	if (!pg) {
		pg = page_new(c);
		if (!pg)
			return NULL;
		page_list_add(&hc->partial, pg, true);
	}
	if (pg->nfree == hc->slots_per_page)
		hc->empty_pages--;
	o = pg->free;
	pg->free = ((struct heap_free *)obj_data(o))->next;
	pg->nfree--;
	if (pg->nfree == 0) {
		page_list_remove(&hc->partial, pg);
		page_list_add(&hc->full, pg, true);
	}
	hc->in_use++;
	return o;
	/* STUB
	(void)c, (void)page_new;
	return NULL;
	END STAGE heap */
}

/*
 * Put slot o (already released) back on its page's free list.  A full page
 * moves to the front of the partial list; a page left empty goes to the back
 * of it, or back to the frame allocator if the class already keeps an empty
 * page.
 */
static void slot_free(struct heap_obj *o)
{
	/* BEGIN STAGE heap: push the slot on its page's free list; move or free the page */
	struct heap_page *pg = page_of(o);
	struct heap_class *hc = &heap.classes[pg->class];

	((struct heap_free *)obj_data(o))->next = pg->free;
	pg->free = o;
	if (pg->nfree++ == 0) {
		page_list_remove(&hc->full, pg);
		page_list_add(&hc->partial, pg, true);
	}
	hc->in_use--;
	if (pg->nfree < hc->slots_per_page)
		return;
	hc->empty_pages++;
	page_list_remove(&hc->partial, pg);
	if (hc->empty_pages > 1)
		page_delete(pg);
	else
		page_list_add(&hc->partial, pg, false);
	/* STUB
	(void)o, (void)page_delete;
	END STAGE heap */
}

/* ---- large blocks ------------------------------------------------------------- */

static struct heap_obj *large_alloc(size_t size)
{
	uint64_t bytes = PAGE_HEADER + sizeof(struct heap_obj) + size + REDZONE_MIN;
	uint64_t npages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	uint64_t pa = frame_alloc_contig(npages, PAGE_SIZE);
	struct heap_page *pg;

	if (!pa)
		return NULL;
	frame_set_owner(pa, npages, FRAME_HEAP);
	pg = phys_to_virt(pa);
	pg->magic = HEAP_PAGE_MAGIC;
	pg->class = LARGE;
	pg->npages = npages;
	page_list_add(&heap.large, pg, true);
	heap.stats.pages += npages;
	heap.stats.large_blocks++;
	heap.stats.large_pages += npages;
	return (void *)((char *)pg + PAGE_HEADER);
}

static void large_free(struct heap_obj *o)
{
	struct heap_page *pg = page_of(o);
	uint64_t npages = pg->npages;

	page_list_remove(&heap.large, pg);
	heap.stats.pages -= npages;
	heap.stats.large_blocks--;
	heap.stats.large_pages -= npages;
	pg->magic = 0;
	o->magic = HEAP_OBJ_FREE;
	frame_free_contig(virt_to_phys(pg), npages);
}

/* ---- the API ------------------------------------------------------------------ */

void heap_init(void)
{
	for (int c = 0; c < HEAP_NCLASSES; c++) {
		heap.classes[c].slot_size = slot_sizes[c];
		heap.classes[c].slots_per_page = (PAGE_SIZE - PAGE_HEADER) / slot_sizes[c];
	}
	kprintf("heap: %d size classes, %u to %u bytes; larger blocks get whole pages\n",
		HEAP_NCLASSES, slot_sizes[0], slot_sizes[HEAP_NCLASSES - 1]);
}

/* kmalloc for the call site `site`. */
static void *heap_alloc(size_t size, uint64_t site)
{
	uint64_t lock;
	struct heap_obj *o = NULL;

	if (failinject_kmalloc())
		return NULL; /* refused on purpose: debug/failinject.h */
	lock = mm_lock();
	if (size <= HEAP_SMALL_MAX) {
		o = slot_alloc(class_for(size));
		if (o)
			check_poison(o, "kmalloc", site);
	} else if (size < SIZE_LIMIT) {
		o = large_alloc(size);
	}
	if (o) {
		obj_init(o, size, site);
		heap.stats.allocs++;
		heap.stats.blocks_in_use++;
		heap.stats.bytes_in_use += size;
		heap.stats.peak_in_use = MAX(heap.stats.peak_in_use, heap.stats.bytes_in_use);
	} else {
		heap.stats.failures++;
	}
	mm_unlock(lock);
	return o ? obj_data(o) : NULL;
}

/* kfree for the call site `site`. */
static void heap_free(void *p, uint64_t site)
{
	uint64_t lock;
	struct heap_obj *o;

	if (!p)
		return;
	lock = mm_lock();
	o = obj_of(p, "kfree", site);
	if (o->magic == HEAP_OBJ_FREE)
		panic("kfree: double free of %p (%u bytes) by %s; allocated by %s, first freed by %s",
		      p, o->size, heap_site_name(site), heap_site_name(o->site),
		      heap_site_name(((struct heap_free *)p)->freed_by));
	if (o->magic != HEAP_OBJ_USED)
		panic("kfree: the header of block %p is overwritten (magic 0x%x; a write before the "
		      "block, or past the end of the one below it?), called from %s",
		      p, o->magic, heap_site_name(site));
	check_redzone(o, "kfree", site);
	heap.stats.frees++;
	heap.stats.blocks_in_use--;
	heap.stats.bytes_in_use -= o->size;
	if (page_of(o)->class == LARGE) {
		large_free(o);
	} else {
		obj_release(o, site);
		slot_free(o);
	}
	mm_unlock(lock);
}

void *kmalloc(size_t size)
{
	return heap_alloc(size, caller());
}

void kfree(void *p)
{
	heap_free(p, caller());
}

void *kcalloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_LIMIT / size)
		return NULL;
	p = heap_alloc(n * size, caller());
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *krealloc(void *p, size_t size)
{
	uint64_t site = caller();
	uint64_t lock;
	struct heap_obj *o;
	void *q;

	if (!p)
		return heap_alloc(size, site);
	if (size >= SIZE_LIMIT)
		return NULL;
	if (size == 0) {
		heap_free(p, site);
		return NULL;
	}
	lock = mm_lock();
	o = obj_of(p, "krealloc", site);
	if (o->magic != HEAP_OBJ_USED)
		panic("krealloc: block %p is not allocated (called from %s)", p,
		      heap_site_name(site));
	check_redzone(o, "krealloc", site);
	if (size + REDZONE_MIN <= obj_capacity(o)) {
		/* It fits where it is: move the end and the redzone. */
		heap.stats.bytes_in_use = heap.stats.bytes_in_use - o->size + size;
		heap.stats.peak_in_use = MAX(heap.stats.peak_in_use, heap.stats.bytes_in_use);
		obj_init(o, size, o->site);
		mm_unlock(lock);
		return p;
	}
	mm_unlock(lock);
	q = heap_alloc(size, site);
	if (!q)
		return NULL;
	memcpy(q, p, MIN(size, (size_t)o->size));
	heap_free(p, site);
	return q;
}

size_t ksize(const void *p)
{
	return p ? obj_of(p, "ksize", caller())->size : 0;
}

void heap_get_stats(struct heap_stats *s)
{
	uint64_t lock = mm_lock();

	*s = heap.stats;
	s->bytes_free = 0;
	for (int c = 0; c < HEAP_NCLASSES; c++) {
		struct heap_class *hc = &heap.classes[c];
		struct heap_class_stats *cs = &s->classes[c];

		cs->slot_size = hc->slot_size;
		cs->in_use = hc->in_use;
		cs->pages = hc->pages;
		cs->free = hc->pages * hc->slots_per_page - hc->in_use;
		s->bytes_free += cs->free * hc->slot_size;
	}
	mm_unlock(lock);
}

void heap_trim(void)
{
	uint64_t lock = mm_lock();

	for (int c = 0; c < HEAP_NCLASSES; c++) {
		struct heap_class *hc = &heap.classes[c];

		while (hc->empty_pages) {
			/* Empty pages sit at the back of the partial list. */
			struct heap_page *pg = hc->partial.head->prev;

			assert(pg->nfree == hc->slots_per_page);
			page_list_remove(&hc->partial, pg);
			page_delete(pg);
		}
	}
	mm_unlock(lock);
}

void heap_print_stats(void)
{
	struct heap_stats s;

	heap_get_stats(&s);
	kprintf("heap: %lu bytes in %lu blocks in use (peak %lu), %lu bytes free in the size "
		"classes, %lu pages held (%lu in %lu large blocks)\n",
		s.bytes_in_use, s.blocks_in_use, s.peak_in_use, s.bytes_free, s.pages,
		s.large_pages, s.large_blocks);
	for (int c = 0; c < HEAP_NCLASSES; c++)
		if (s.classes[c].pages)
			kprintf("heap:   class %4lu: %5lu in use, %5lu free, %3lu pages\n",
				s.classes[c].slot_size, s.classes[c].in_use, s.classes[c].free,
				s.classes[c].pages);
}
