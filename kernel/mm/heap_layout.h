/*
 * The kernel heap's data structures and state (heap.c tells the design),
 * shared by the allocator (heap.c) and the heap checker (heap_check.c).
 * Nothing else includes this file: the rest of the kernel sees mm/heap.h.
 * The state changes only under mm_lock.
 */
#ifndef MM_HEAP_LAYOUT_H
#define MM_HEAP_LAYOUT_H

#include <types.h>
#include "arch/x86_64/memlayout.h"
#include "mm/heap.h"

#define HEAP_PAGE_MAGIC 0x70616568u /* "heap" */
#define HEAP_OBJ_USED   0xa110c8edu /* "allocated" */
#define HEAP_OBJ_FREE   0xf4eef4eeu
#define LARGE           0xffff /* heap_page.class of a large block */
#define PAGE_HEADER     64     /* bytes of struct heap_page, padded */
#define REDZONE_MIN     8
#define REDZONE_BYTE    0xcb
#define POISON_BYTE     0x6b

struct heap_obj {
	uint32_t magic; /* HEAP_OBJ_USED or HEAP_OBJ_FREE */
	uint32_t size;  /* bytes asked for */
	uint64_t site;  /* return address into kmalloc's caller */
};

/* What a free slot holds after its header. */
struct heap_free {
	struct heap_obj *next; /* the next free slot of the page */
	uint64_t freed_by;     /* return address into kfree's caller */
};

struct heap_page {
	uint32_t magic;                /* HEAP_PAGE_MAGIC */
	uint16_t class;                /* index into heap.classes[], or LARGE */
	uint16_t nfree;                /* free slots (small pages) */
	uint64_t npages;               /* pages of the block (large), else 1 */
	struct heap_obj *free;         /* first free slot (small pages) */
	struct heap_page *prev, *next; /* on a circular list */
};

_Static_assert(sizeof(struct heap_page) <= PAGE_HEADER, "heap page header too big");
_Static_assert(sizeof(struct heap_obj) == 16, "block header must keep 16-byte alignment");

/* A circular doubly linked list of pages; head->prev is the tail. */
struct page_list {
	struct heap_page *head;
};

struct heap_class {
	uint32_t slot_size; /* header + data + redzone, multiple of 16 */
	uint32_t slots_per_page;
	struct page_list partial, full;
	uint64_t pages, in_use, empty_pages;
};

struct heap_state {
	struct heap_class classes[HEAP_NCLASSES];
	struct page_list large;  /* every large block */
	struct heap_stats stats; /* the counters; stats.classes[] filled on demand */
};

extern struct heap_state heap;

static inline void *obj_data(struct heap_obj *o)
{
	return o + 1;
}

static inline struct heap_page *page_of(const void *p)
{
	return (struct heap_page *)ALIGN_DOWN((uint64_t)p, PAGE_SIZE);
}

/* Bytes after the header up to the end of the block's slot or pages. */
static inline uint64_t obj_capacity(struct heap_obj *o)
{
	struct heap_page *pg = page_of(o);

	if (pg->class == LARGE)
		return pg->npages * PAGE_SIZE - PAGE_HEADER - sizeof(*o);
	return heap.classes[pg->class].slot_size - sizeof(*o);
}

/* The offset of the first byte in [from, to) of o's data that is not c, or
 * -1 if there is none. */
static inline int64_t obj_find_changed(struct heap_obj *o, uint64_t from, uint64_t to, uint8_t c)
{
	const uint8_t *d = obj_data(o);
	typedef uint64_t __attribute__((may_alias)) word_t;
	const uint64_t word = 0x0101010101010101ull * c;
	uint64_t i = from;

	/* Eight bytes a step where the data is aligned (every check runs on
	 * each kmalloc and kfree: a byte loop made a whole-page block cost
	 * ~12,000 instructions), then the byte that differs. */
	for (; i < to && i % 8; i++)
		if (d[i] != c)
			return i;
	for (; i + 8 <= to; i += 8)
		if (*(const word_t *)(d + i) != word)
			break;
	for (; i < to; i++)
		if (d[i] != c)
			return i;
	return -1;
}

/* "function+0xoff" for a return address into a caller of the heap, for
 * messages; a few calls' results stay valid at once (heap.c). */
const char *heap_site_name(uint64_t site);

#endif
