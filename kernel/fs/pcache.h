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
 * the lists, and none sleeps but pcache_read, whose copy to the caller may
 * fault: it pins the page it copies from, so that a page dropped meanwhile
 * (by truncate, eviction, pcache_reclaim) keeps its frame until the copy
 * is done.
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

struct vbuf;

void pcache_init(struct pcache *pc);
/*
 * Copy n bytes at file position pos (all in one page) to buf at offset
 * off, if that page is cached (it is now the most recently used): n, 0 if
 * the page is not cached, -EFAULT if the copy failed.  May sleep (a fault
 * in a user buffer); the page stays valid meanwhile, whatever drops it.
 */
int64_t pcache_read(struct pcache *pc, uint64_t pos, const struct vbuf *buf, size_t off, size_t n);
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
/*
 * Memory is short: drop up to n pages, least recently used first, of any
 * file (all are clean: writes went through).  Returns how many went.
 * Never sleeps; for the OOM path, before it kills anything.
 */
uint64_t pcache_reclaim(uint64_t n);

struct pcache_stats {
	uint64_t pages, hits, misses, evicted;
};
void pcache_get_stats(struct pcache_stats *s);

#endif
