/*
 * The page cache: file data kept in the kernel, page by page, so that a
 * file read again is copied from memory instead of asked of its server.
 *
 * Each inode of a cached filesystem (FUSE's, fuse_ops.c) has a struct
 * pcache: the pages of its data it holds, found by page index through a
 * small hash table.  A page holds bytes [index * 4096, index * 4096 + 4096)
 * of the file as the server last gave or was given them; past the end of
 * the file it holds zeros.  Pages come from the frame allocator, and all
 * cached pages of all files are on one least-recently-used list: when the
 * cache holds PCACHE_MAX_PAGES, or a frame cannot be had, the oldest page
 * goes.
 *
 * Filling is done outside the cache: the filesystem gets fresh pages
 * (pcache_page_alloc), fills them while it sleeps, and inserts them only
 * if nothing invalidated the file in between (the generation it noted
 * with pcache_gen has not moved), so a read racing a write or a truncate
 * never caches stale data.
 *
 * Locking: one CPU; every function turns interrupts off while it changes
 * the lists, and none sleeps.  A page's data pointer stays valid until
 * the next call that may drop pages (insert, truncate, clear, alloc) or a
 * sleep: copy out of it before doing either.
 */
#ifndef FS_PCACHE_H
#define FS_PCACHE_H

#include <types.h>

#define PCACHE_BUCKETS   64
#define PCACHE_MAX_PAGES 8192 /* 32 MiB at most, all files together */

struct pcache_page;

struct pcache {
	struct pcache_page **buckets; /* PCACHE_BUCKETS chains, NULL until the first page */
	uint64_t npages;
	uint64_t gen; /* moves at every invalidation or write */
};

void pcache_init(struct pcache *pc);
/* The data of page index if cached (and now the most recently used), or
 * NULL. */
void *pcache_find(struct pcache *pc, uint64_t index);
/* A zeroed page for the caller to fill, or NULL if there is no memory even
 * after dropping cached pages. */
void *pcache_page_alloc(void);
void pcache_page_free(void *data);
/* The generation to give pcache_insert. */
uint64_t pcache_gen(const struct pcache *pc);
/*
 * Cache page data (from pcache_page_alloc) as page index.  The cache takes
 * the page, or frees it if the file changed since gen or index is cached
 * already.
 */
void pcache_insert(struct pcache *pc, uint64_t index, void *data, uint64_t gen);
/* Bytes [off, off + n) of the file were written with data: update the
 * cached pages they touch, and move the generation. */
void pcache_write(struct pcache *pc, uint64_t off, const void *data, size_t n);
/* Drop the pages from index on (truncate, a size the server changed). */
void pcache_truncate(struct pcache *pc, uint64_t index);
/* Drop every page (and the hash table). */
void pcache_clear(struct pcache *pc);

struct pcache_stats {
	uint64_t pages, hits, misses, evicted;
};
void pcache_get_stats(struct pcache_stats *s);

#endif
