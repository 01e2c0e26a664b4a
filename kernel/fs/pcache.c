/*
 * The page cache (see pcache.h for what it promises).
 *
 * A cached page is a struct pcache_page naming a frame: on its
 * file's hash chain (buckets[index % PCACHE_BUCKETS], unordered) and on the
 * global LRU list, most recently used at the back.  A hit moves the page
 * to the back of the LRU list; dropping a page (its file's invalidation,
 * the LRU's front when the cache is full or frames ran out, pcache_reclaim)
 * unlinks it from both and frees the frame.
 *
 * pcache_read copies out of a page with interrupts on (the copy to a user
 * buffer may fault, and the fault may sleep), so the page is pinned
 * meanwhile: a pinned page that is dropped leaves the cache at once
 * (owner NULL) but keeps its frame until the copy unpins it.
 */
#include "fs/pcache.h"
#include "arch/x86_64/memlayout.h"
#include "lib/list.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "fs/vfs.h"
#include "mm/frame.h"
#include "mm/heap.h"

struct pcache_page {
	struct pcache_page *next; /* hash chain */
	struct list_node lru;
	struct pcache *owner; /* NULL once dropped */
	uint64_t index;
	void *data;
	/* PCACHE_PIN for each copy out of it under way (pcache_read), plus
	 * PCACHE_DROPPED once it has left the cache: whoever leaves it 0 (or
	 * just PCACHE_DROPPED) frees it.  One word, changed by one atomic
	 * instruction, so that the unpin needs no interrupts off. */
	unsigned int pins;
};

#define PCACHE_DROPPED 1u
#define PCACHE_PIN     2u

static struct list pcache_lru = LIST_INIT(pcache_lru);
static struct pcache_stats pcache_stats;

void pcache_init(struct pcache *pc)
{
	pc->buckets = NULL;
	pc->npages = 0;
	pc->gen = 0;
}

static struct pcache_page **pcache_bucket(struct pcache *pc, uint64_t index)
{
	return &pc->buckets[index % PCACHE_BUCKETS];
}

/* Page index of pc, or NULL; a hit makes it the most recently used.
 * Interrupts off.  (Inline: it is most of a read from the cache.) */
static inline struct pcache_page *pcache_find(struct pcache *pc, uint64_t index)
{
	struct pcache_page *p;

	/* BEGIN STAGE fuse: look the page up in its bucket; a hit moves it to the LRU list's young end */
	if (!pc->buckets)
		return NULL;
	for (p = *pcache_bucket(pc, index); p && p->index != index; p = p->next)
		;
	if (p) {
		list_remove(&p->lru);
		list_push_back(&pcache_lru, &p->lru);
		pcache_stats.hits++;
	} else {
		pcache_stats.misses++;
	}
	return p;
	/* STUB
	(void)pc, (void)index, (void)p, (void)pcache_bucket;
	return NULL;
	END STAGE fuse */
}

/*
 * The structs come from frames of them, PAGE_SIZE / sizeof(struct
 * pcache_page) to a frame, on a free list they go back to: a kmalloc for
 * each cached page cost as much as the rest of a cold read's bookkeeping.
 * The frames stay with the cache (at most PCACHE_MAX_PAGES structs).
 */
static struct pcache_page *pcache_meta_free;

static struct pcache_page *pcache_meta_alloc(void)
{
	uint64_t flags = irq_save();
	struct pcache_page *p;

	if (!pcache_meta_free) {
		uint64_t pa = frame_alloc();
		struct pcache_page *m = pa ? phys_to_virt(pa) : NULL;

		for (size_t i = 0; m && i < PAGE_SIZE / sizeof(*m); i++) {
			m[i].next = pcache_meta_free;
			pcache_meta_free = &m[i];
		}
	}
	p = pcache_meta_free;
	if (p)
		pcache_meta_free = p->next;
	irq_restore(flags);
	return p;
}

static void pcache_meta_put(struct pcache_page *p)
{
	uint64_t flags = irq_save();

	p->next = pcache_meta_free;
	pcache_meta_free = p;
	irq_restore(flags);
}

/* Free p and its frame. */
static void pcache_page_release(struct pcache_page *p)
{
	pcache_page_free(p->data);
	pcache_meta_put(p);
}

/* Unlink p from its file and the LRU list and free it (interrupts off). */
static void pcache_drop(struct pcache_page *p)
{
	struct pcache_page **link = pcache_bucket(p->owner, p->index);

	while (*link != p)
		link = &(*link)->next;
	*link = p->next;
	list_remove(&p->lru);
	p->owner->npages--;
	pcache_stats.pages--;
	p->owner = NULL;
	if (__atomic_or_fetch(&p->pins, PCACHE_DROPPED, __ATOMIC_RELAXED) == PCACHE_DROPPED)
		pcache_page_release(p); /* else the last unpin does */
}

/* Drop the least recently used page of any file; false if none. */
static bool pcache_evict_one(void)
{
	uint64_t flags = irq_save();
	struct list_node *n = list_first(&pcache_lru);

	if (n) {
		pcache_drop(list_entry(n, struct pcache_page, lru));
		pcache_stats.evicted++;
	}
	irq_restore(flags);
	return n != NULL;
}

void *pcache_page_alloc(void)
{
	uint64_t pa;

	while ((pa = frame_alloc()) == 0)
		if (!pcache_evict_one())
			return NULL;
	return phys_to_virt(pa);
}

void pcache_page_free(void *data)
{
	frame_free(virt_to_phys(data));
}

uint64_t pcache_gen(const struct pcache *pc)
{
	return pc->gen;
}

void pcache_insert(struct pcache *pc, uint64_t index, void *data, uint64_t gen)
{
	struct pcache_page *p = NULL;
	uint64_t flags;

	if (!pc->buckets)
		pc->buckets = kcalloc(PCACHE_BUCKETS, sizeof(*pc->buckets));
	if (pc->buckets)
		p = pcache_meta_alloc();
	while (p && pcache_stats.pages >= PCACHE_MAX_PAGES && pcache_evict_one())
		;
	flags = irq_save();
	if (!p || pc->gen != gen || pcache_find(pc, index)) {
		irq_restore(flags);
		if (p)
			pcache_meta_put(p);
		pcache_page_free(data);
		return;
	}
	p->owner = pc;
	p->index = index;
	p->data = data;
	p->pins = 0;
	p->next = *pcache_bucket(pc, index);
	*pcache_bucket(pc, index) = p;
	list_push_back(&pcache_lru, &p->lru);
	pc->npages++;
	pcache_stats.pages++;
	irq_restore(flags);
}

void pcache_write(struct pcache *pc, uint64_t off, const void *data, size_t n)
{
	const uint8_t *src = data;
	uint64_t flags = irq_save();

	pc->gen++;
	while (n > 0) {
		size_t in_page = off % PAGE_SIZE;
		size_t chunk = MIN(n, PAGE_SIZE - in_page);
		struct pcache_page *p = pcache_find(pc, off / PAGE_SIZE);

		if (p)
			memcpy((uint8_t *)p->data + in_page, src, chunk);
		off += chunk;
		src += chunk;
		n -= chunk;
	}
	irq_restore(flags);
}

void pcache_truncate(struct pcache *pc, uint64_t index)
{
	uint64_t flags = irq_save();

	pc->gen++;
	for (size_t b = 0; pc->buckets && b < PCACHE_BUCKETS; b++) {
		struct pcache_page *p = pc->buckets[b];

		while (p) {
			struct pcache_page *next = p->next;

			if (p->index >= index)
				pcache_drop(p);
			p = next;
		}
	}
	irq_restore(flags);
}

void pcache_clear(struct pcache *pc)
{
	pcache_truncate(pc, 0);
	kfree(pc->buckets);
	pc->buckets = NULL;
}

void pcache_get_stats(struct pcache_stats *s)
{
	uint64_t flags = irq_save();

	*s = pcache_stats;
	irq_restore(flags);
}

int64_t pcache_read(struct pcache *pc, uint64_t pos, const struct vbuf *buf, size_t off, size_t n)
{
	uint64_t flags = irq_save();
	struct pcache_page *p = pcache_find(pc, pos / PAGE_SIZE);
	int err;

	if (!p) {
		irq_restore(flags);
		return 0;
	}
	p->pins += PCACHE_PIN;
	irq_restore(flags);
	err = vbuf_to(buf, off, (const uint8_t *)p->data + pos % PAGE_SIZE, n);
	if (__atomic_sub_fetch(&p->pins, PCACHE_PIN, __ATOMIC_RELAXED) == PCACHE_DROPPED)
		pcache_page_release(p); /* dropped while we copied */
	return err ? err : (int64_t)n;
}

uint64_t pcache_reclaim(uint64_t n)
{
	uint64_t freed = 0;

	while (freed < n && pcache_evict_one())
		freed++;
	return freed;
}
