/*
 * The heap checker: heap_check() walks every page and block of the heap
 * (heap_layout.h) and reports, without panicking, whatever does not add up:
 * page headers, a page on the wrong list, broken free lists, free counts,
 * block headers, redzones of allocated blocks, the poison of freed ones, and
 * the totals against the statistics and the frame allocator's count of
 * FRAME_HEAP frames.  The allocator (heap.c) checks one block at a time, as
 * it passes; this finds damage nobody has tripped over yet.  It stops after
 * ten errors, and runs under mm_lock like the allocator.
 */
#include "mm/heap.h"
#include <errno.h>
#include "lib/kprintf.h"
#include "mm/frame.h"
#include "mm/heap_layout.h"
#include "mm/mmlock.h"

/* Count of blocks and bytes found by the checker, to compare with heap.stats. */
struct check_totals {
	uint64_t blocks, bytes, pages;
	int errors;
};

#define check_fail(t, ...)                           \
	do {                                         \
		kprintf("heap_check: " __VA_ARGS__); \
		kprintf("\n");                       \
		(t)->errors++;                       \
	} while (0)

static void check_block(struct heap_obj *o, struct check_totals *t)
{
	int64_t bad = obj_find_changed(o, o->size, obj_capacity(o), REDZONE_BYTE);

	if (bad >= 0)
		check_fail(t,
			   "write past the end of block %p (%u bytes, allocated by %s): "
			   "byte %ld is 0x%x",
			   obj_data(o), o->size, heap_site_name(o->site), bad,
			   ((uint8_t *)obj_data(o))[bad]);
	t->blocks++;
	t->bytes += o->size;
}

static void check_small_page(struct heap_page *pg, int c, bool on_full, struct check_totals *t)
{
	struct heap_class *hc = &heap.classes[c];
	uint32_t nfree = 0;

	if (pg->magic != HEAP_PAGE_MAGIC || pg->class != c) {
		check_fail(t, "page %p on class %u's list has a bad header", pg, hc->slot_size);
		return;
	}
	t->pages++;
	if (on_full != (pg->nfree == 0))
		check_fail(t, "page %p with %u free slots is on the wrong list", pg, pg->nfree);
	for (struct heap_obj *o = pg->free; o; o = ((struct heap_free *)obj_data(o))->next) {
		if (page_of(o) != pg || ++nfree > hc->slots_per_page) {
			check_fail(t, "the free list of page %p is broken", pg);
			return;
		}
	}
	if (nfree != pg->nfree)
		check_fail(t, "page %p counts %u free slots but its list has %u", pg, pg->nfree,
			   nfree);
	for (uint32_t i = 0; i < hc->slots_per_page; i++) {
		struct heap_obj *o = (void *)((char *)pg + PAGE_HEADER + i * hc->slot_size);
		struct heap_free *f = obj_data(o);
		int64_t bad;

		if (o->magic == HEAP_OBJ_USED) {
			check_block(o, t);
			continue;
		}
		if (o->magic != HEAP_OBJ_FREE) {
			check_fail(t, "the header of slot %p is overwritten (magic 0x%x)", f,
				   o->magic);
			continue;
		}
		bad = obj_find_changed(o, sizeof(*f), obj_capacity(o), POISON_BYTE);
		if (bad >= 0)
			check_fail(t, "freed block %p (freed by %s) was written: byte %ld is 0x%x",
				   f, heap_site_name(f->freed_by), bad, ((uint8_t *)f)[bad]);
	}
}

static void check_list(struct page_list *l, int c, bool on_full, struct check_totals *t)
{
	struct heap_page *pg = l->head;

	if (!pg)
		return;
	do {
		check_small_page(pg, c, on_full, t);
		pg = pg->next;
	} while (pg != l->head && t->errors < 10);
}

int heap_check(void)
{
	struct check_totals t = { 0, 0, 0, 0 };
	uint64_t lock = mm_lock();

	for (int c = 0; c < HEAP_NCLASSES; c++) {
		check_list(&heap.classes[c].partial, c, false, &t);
		check_list(&heap.classes[c].full, c, true, &t);
	}
	if (heap.large.head) {
		struct heap_page *pg = heap.large.head;

		do {
			struct heap_obj *o = (void *)((char *)pg + PAGE_HEADER);

			if (pg->magic != HEAP_PAGE_MAGIC || pg->class != LARGE ||
			    o->magic != HEAP_OBJ_USED)
				check_fail(&t, "large block at %p has a bad header", pg);
			else
				check_block(o, &t);
			t.pages += pg->npages;
			pg = pg->next;
		} while (pg != heap.large.head && t.errors < 10);
	}
	if (t.blocks != heap.stats.blocks_in_use || t.bytes != heap.stats.bytes_in_use)
		check_fail(&t,
			   "found %lu blocks of %lu bytes in use, the statistics say %lu of %lu",
			   t.blocks, t.bytes, heap.stats.blocks_in_use, heap.stats.bytes_in_use);
	if (t.pages != heap.stats.pages || t.pages != frame_count(FRAME_HEAP))
		check_fail(&t, "found %lu pages, the statistics say %lu, the frame allocator %lu",
			   t.pages, heap.stats.pages, frame_count(FRAME_HEAP));
	mm_unlock(lock);
	return t.errors ? -EINVAL : 0;
}
