/*
 * The kernel heap: kmalloc and friends, for objects of any size from 1 byte
 * to as much contiguous RAM as is free.  See heap.c for the design.
 *
 * Every block is aligned to 16 bytes.  The memory of a fresh block holds
 * garbage (kcalloc zeroes).  All functions may be called with interrupts on
 * or off and never sleep; they fail by returning NULL, and panic only when
 * they find the heap corrupted (double free, write past the end of a block,
 * write to a freed block, a pointer kmalloc never returned), naming the
 * call site.
 */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include <types.h>

/* Number of size classes and the largest block size they serve; larger
 * blocks get whole pages. */
#define HEAP_NCLASSES  13
#define HEAP_SMALL_MAX 1992

void heap_init(void);

/* A block of at least size bytes (size 0 gives a block of 0 bytes that must
 * still be freed), or NULL if memory is exhausted or size is 4 GiB or more. */
void *kmalloc(size_t size);
/* Free a block from kmalloc, kcalloc or krealloc; NULL is ignored. */
void kfree(void *p);
/* A zeroed block for n objects of size bytes; NULL if n * size overflows. */
void *kcalloc(size_t n, size_t size);
/* Resize p to size bytes, moving it if it must, keeping its contents up to
 * the smaller size.  krealloc(NULL, size) is kmalloc(size); krealloc(p, 0)
 * frees p and returns NULL.  On failure returns NULL and p is untouched. */
void *krealloc(void *p, size_t size);
/* The usable size of block p: the size it was asked for. */
size_t ksize(const void *p);

struct heap_class_stats {
	uint64_t slot_size; /* bytes per slot, header included */
	uint64_t in_use;    /* slots holding a block */
	uint64_t free;      /* free slots in this class's pages */
	uint64_t pages;     /* pages of this class */
};

struct heap_stats {
	uint64_t bytes_in_use;            /* sum of the sizes asked for, of live blocks */
	uint64_t peak_in_use;             /* the highest bytes_in_use has been */
	uint64_t bytes_free;              /* bytes in free slots: held by the heap, unused */
	uint64_t blocks_in_use;           /* live blocks */
	uint64_t pages;                   /* frames the heap holds (small + large) */
	uint64_t large_blocks;            /* live blocks of whole pages */
	uint64_t large_pages;             /* the pages they hold */
	uint64_t allocs, frees, failures; /* calls since boot */
	struct heap_class_stats classes[HEAP_NCLASSES];
};

void heap_get_stats(struct heap_stats *s);
/* Check every page and block of the heap: headers, free lists, redzones,
 * poison of freed blocks, the statistics.  0 if all is well, else prints
 * what is wrong and returns -EINVAL. */
int heap_check(void);
/* Give the frame allocator back the empty pages the size classes keep. */
void heap_trim(void);
/* Print the statistics, one line per size class in use. */
void heap_print_stats(void);

#endif
