/*
 * Self-tests of stage heap (kmalloc and friends, heap.c) and the memory
 * benchmark.  grade/stage_heap.py boots each one; the panicking tests
 * (double free, overflow) print the block's address first so that the
 * grader can check that the report names it and the call site.
 */
#include <errno.h>
#include "test/ktest.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15;

/* xorshift64: the same sequence on every run. */
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t free_frames(void)
{
	struct frame_stats s;

	frame_get_stats(&s);
	return s.free;
}

/* The heap's state to compare before and after: stats and free frames. */
struct heap_snapshot {
	struct heap_stats stats;
	uint64_t free_frames;
};

static void snapshot(struct heap_snapshot *s)
{
	heap_trim();
	heap_get_stats(&s->stats);
	s->free_frames = free_frames();
}

static void expect_same(const char *who, const struct heap_snapshot *a)
{
	struct heap_snapshot b;

	snapshot(&b);
	kprintf("%s: %lu bytes in %lu blocks in use, %lu pages, %lu bytes free in the classes, "
		"%lu free frames (before: %lu, %lu, %lu, %lu, %lu)\n",
		who, b.stats.bytes_in_use, b.stats.blocks_in_use, b.stats.pages, b.stats.bytes_free,
		b.free_frames, a->stats.bytes_in_use, a->stats.blocks_in_use, a->stats.pages,
		a->stats.bytes_free, a->free_frames);
	KTEST_ASSERT(b.stats.bytes_in_use == a->stats.bytes_in_use);
	KTEST_ASSERT(b.stats.blocks_in_use == a->stats.blocks_in_use);
	KTEST_ASSERT(b.stats.pages == a->stats.pages);
	KTEST_ASSERT(b.stats.bytes_free == a->stats.bytes_free);
	KTEST_ASSERT(b.stats.large_pages == a->stats.large_pages);
	KTEST_ASSERT(b.free_frames == a->free_frames);
	for (int c = 0; c < HEAP_NCLASSES; c++)
		KTEST_ASSERT(b.stats.classes[c].in_use == a->stats.classes[c].in_use &&
			     b.stats.classes[c].pages == a->stats.classes[c].pages);
	KTEST_ASSERT(heap_check() == 0);
}

static bool filled_with(const uint8_t *p, size_t n, uint8_t c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* ---- behaviour ---------------------------------------------------------------- */

/* Alignment, zeroing, resizing, the odd sizes and NULL. */
KTEST(heap_basic)
{
	struct heap_snapshot base;
	uint8_t *p, *q;
	uint32_t *z;

	snapshot(&base);
	for (size_t size = 0; size <= 3000; size += 7) {
		p = kmalloc(size);
		KTEST_ASSERT(p != NULL && (uint64_t)p % 16 == 0 && ksize(p) == size);
		memset(p, 0x11, size);
		kfree(p);
	}
	kfree(NULL);

	z = kcalloc(100, sizeof(*z));
	KTEST_ASSERT(z != NULL && filled_with((uint8_t *)z, 400, 0));
	kfree(z);

	p = kmalloc(10);
	memcpy(p, "0123456789", 10);
	p = krealloc(p, 5000); /* small to large: moves */
	KTEST_ASSERT(p != NULL && memcmp(p, "0123456789", 10) == 0 && ksize(p) == 5000);
	memset(p + 10, 'x', 4990);
	q = krealloc(p, 3); /* shrinks in place */
	KTEST_ASSERT(q == p && memcmp(q, "012", 3) == 0 && ksize(q) == 3);
	q = krealloc(q, 20); /* grows in its slot */
	KTEST_ASSERT(q != NULL && memcmp(q, "012", 3) == 0);
	KTEST_ASSERT(krealloc(q, 0) == NULL); /* frees */
	p = krealloc(NULL, 33);
	KTEST_ASSERT(p != NULL && ksize(p) == 33);
	kfree(p);

	expect_same("heap_basic", &base);
	heap_print_stats();
}

/* Freed memory is reused: a million bytes through the heap need few pages. */
KTEST(heap_reuse)
{
	struct heap_snapshot base;
	struct heap_stats s;
	void *p, *q;

	snapshot(&base);
	for (int i = 0; i < 10000; i++) {
		p = kmalloc(100 + i % 900);
		q = kmalloc(40000);
		KTEST_ASSERT(p && q);
		kfree(p);
		kfree(q);
	}
	heap_get_stats(&s);
	kprintf("heap_reuse: 10000 x (100..999 + 40000 bytes): %lu allocations, heap holds %lu "
		"pages (%lu before)\n",
		s.allocs - base.stats.allocs, s.pages, base.stats.pages);
	KTEST_ASSERT(s.pages <= base.stats.pages + HEAP_NCLASSES);
	/* The slot just freed is the next one handed out in its class. */
	p = kmalloc(200);
	kfree(p);
	q = kmalloc(200);
	KTEST_ASSERT(p == q);
	kfree(q);
	expect_same("heap_reuse", &base);
}

/*
 * The page policy of a size class: a page that was full goes to the front
 * of partial (its freed slot is the next one handed out), and of the pages
 * that become empty the class keeps one and gives the rest back.
 */
#define POLICY_SIZE      200
#define POLICY_NEW_PAGES 3
#define POLICY_MAX       256

KTEST(heap_pages)
{
	static void *blocks[POLICY_MAX];
	struct heap_stats s0, s1;
	int c = -1, n = 0;
	uint64_t pages0, full_pages, kept;
	void *probe, *again;

	heap_trim();
	heap_get_stats(&s0);
	probe = kmalloc(POLICY_SIZE);
	heap_get_stats(&s1);
	for (int i = 0; i < HEAP_NCLASSES; i++)
		if (s1.classes[i].in_use == s0.classes[i].in_use + 1)
			c = i;
	KTEST_ASSERT(probe && c >= 0);
	kfree(probe);
	heap_trim();
	heap_get_stats(&s0);
	pages0 = s0.classes[c].pages;
	/* Fill the class's pages and POLICY_NEW_PAGES new ones (the last with
	 * one block). */
	do {
		KTEST_ASSERT(n < POLICY_MAX);
		blocks[n++] = kmalloc(POLICY_SIZE);
		KTEST_ASSERT(blocks[n - 1]);
		heap_get_stats(&s1);
	} while (s1.classes[c].pages < pages0 + POLICY_NEW_PAGES);
	full_pages = s1.classes[c].pages;
	/* blocks[0] is in a full page; the last page has free slots. */
	kfree(blocks[0]);
	again = kmalloc(POLICY_SIZE);
	kprintf("heap_pages: class of %lu-byte slots: %d blocks make %d new pages; a slot freed "
		"in a full page is handed out next: %s\n",
		s1.classes[c].slot_size, n, POLICY_NEW_PAGES, again == blocks[0] ? "yes" : "no");
	blocks[0] = again;
	for (int i = n - 1; i >= 0; i--)
		kfree(blocks[i]);
	heap_get_stats(&s1);
	kept = s1.classes[c].pages - pages0;
	kprintf("heap_pages: all freed: the class keeps %lu empty pages, gave %lu back\n", kept,
		full_pages - s1.classes[c].pages);
	heap_trim();
	heap_get_stats(&s1);
	kprintf("heap_pages: after heap_trim: %lu pages\n", s1.classes[c].pages);
	KTEST_ASSERT(again == blocks[0] && kept == 1 && s1.classes[c].pages == pages0);
}

#define RANDOM_SLOTS 256
#define RANDOM_OPS   20000

/* A block size: mostly small, sometimes a few pages, rarely large. */
static size_t random_size(void)
{
	uint64_t r = rng();

	switch (r % 16) {
	case 0:
		return 1 + (r >> 8) % 65536;
	case 1:
		return (r >> 8) % 3 == 0 ? 1 + (r >> 16) % (1 << 18) : 1 + (r >> 8) % 8192;
	default:
		return 1 + (r >> 8) % 2048;
	}
}

/* Random kmalloc/kfree/krealloc; every block filled with its own byte and
 * checked before it goes: no two blocks overlap.  At the end the heap is
 * exactly as it started. */
KTEST(heap_random)
{
	static uint8_t *blocks[RANDOM_SLOTS];
	static size_t sizes[RANDOM_SLOTS];
	struct heap_snapshot base;
	struct heap_stats s;
	uint64_t peak_blocks = 0;

	snapshot(&base);
	for (int op = 0; op < RANDOM_OPS; op++) {
		int i = rng() % RANDOM_SLOTS;
		uint8_t tag = (uint8_t)(i * 7 + 1);

		if (blocks[i]) {
			if (!filled_with(blocks[i], sizes[i], tag))
				ktest_fail("block %d (%p, %zu bytes) was overwritten", i, blocks[i],
					   sizes[i]);
			if (rng() % 4 == 0) {
				size_t size = random_size();
				uint8_t *p = krealloc(blocks[i], size);

				KTEST_ASSERT(p != NULL && filled_with(p, MIN(size, sizes[i]), tag));
				blocks[i] = p;
				sizes[i] = size;
				memset(p, tag, size);
			} else {
				kfree(blocks[i]);
				blocks[i] = NULL;
			}
		} else {
			sizes[i] = random_size();
			blocks[i] = kmalloc(sizes[i]);
			KTEST_ASSERT(blocks[i] != NULL && (uint64_t)blocks[i] % 16 == 0);
			memset(blocks[i], tag, sizes[i]);
		}
		heap_get_stats(&s);
		peak_blocks = MAX(peak_blocks, s.blocks_in_use);
		if (op % 2000 == 0)
			KTEST_ASSERT(heap_check() == 0);
	}
	KTEST_ASSERT(heap_check() == 0);
	for (int i = 0; i < RANDOM_SLOTS; i++) {
		KTEST_ASSERT(!blocks[i] || filled_with(blocks[i], sizes[i], (uint8_t)(i * 7 + 1)));
		kfree(blocks[i]);
	}
	heap_get_stats(&s);
	kprintf("heap_random: %d operations, up to %lu blocks and %lu bytes in use\n", RANDOM_OPS,
		peak_blocks, s.peak_in_use);
	expect_same("heap_random", &base);
}

/* Every size from 1 byte to 8 MiB (powers of two and their neighbours). */
KTEST(heap_sizes)
{
	struct heap_snapshot base;
	size_t largest = 0;

	snapshot(&base);
	for (size_t p2 = 1; p2 <= 8 << 20; p2 *= 2) {
		for (size_t size = p2 > 1 ? p2 - 1 : 1; size <= p2 + 1; size++) {
			uint8_t *p = kmalloc(size);

			if (!p)
				ktest_fail("kmalloc(%zu) returned NULL", size);
			KTEST_ASSERT((uint64_t)p % 16 == 0);
			memset(p, 0x5a, size);
			KTEST_ASSERT(p[0] == 0x5a && p[size - 1] == 0x5a);
			kfree(p);
			largest = size;
		}
		/* Large blocks go back to the frame allocator at once. */
		if (p2 > HEAP_SMALL_MAX) {
			heap_trim();
			KTEST_ASSERT(free_frames() == base.free_frames);
		}
	}
	kprintf("heap_sizes: 1 byte to %zu bytes: ok\n", largest);
	expect_same("heap_sizes", &base);
}

/* Out of memory is NULL, not a panic; everything comes back afterwards. */
KTEST(heap_exhaust)
{
	struct heap_snapshot base;
	void *list = NULL, *p;
	uint64_t big = 0, medium = 0, small = 0;

	snapshot(&base);
	KTEST_ASSERT(kmalloc(SIZE_MAX) == NULL);
	KTEST_ASSERT(kmalloc(1ul << 40) == NULL);
	KTEST_ASSERT(kcalloc(SIZE_MAX / 2, 4) == NULL);
	p = kmalloc(16);
	KTEST_ASSERT(krealloc(p, 1ul << 40) == NULL && ksize(p) == 16);
	kfree(p);

	/* Each block holds the address of the one allocated before it. */
	while ((p = kmalloc(1 << 20)) != NULL) {
		*(void **)p = list;
		list = p;
		big++;
	}
	while ((p = kmalloc(2000)) != NULL) {
		*(void **)p = list;
		list = p;
		medium++;
	}
	while ((p = kmalloc(8)) != NULL) {
		*(void **)p = list;
		list = p;
		small++;
	}
	kprintf("heap_exhaust: memory full after %lu blocks of 1 MiB, %lu of 2000 bytes, %lu of "
		"8 bytes; %lu free frames\n",
		big, medium, small, free_frames());
	KTEST_ASSERT(big > 0 && free_frames() == 0 && frame_alloc() == 0);
	KTEST_ASSERT(heap_check() == 0);
	while (list) {
		p = *(void **)list;
		kfree(list);
		list = p;
	}
	expect_same("heap_exhaust", &base);
}

/* heap_check finds an overflow, a write to a freed block and a trampled
 * header, without panicking. */
KTEST(heap_check)
{
	uint8_t *keep = kmalloc(40), *p = kmalloc(40), *q = kmalloc(40);
	volatile size_t at = 40;
	uint8_t saved[16];

	KTEST_ASSERT(keep && p && q && heap_check() == 0);
	p[at] = 'x';
	kprintf("heap_check: after a write past the end of %p:\n", p);
	KTEST_ASSERT(heap_check() == -EINVAL);
	p[at] = 0xcb;
	KTEST_ASSERT(heap_check() == 0);

	kfree(q);
	q[at - 10] = 1;
	kprintf("heap_check: after a write to freed block %p:\n", q);
	KTEST_ASSERT(heap_check() == -EINVAL);
	q[at - 10] = 0x6b;
	KTEST_ASSERT(heap_check() == 0);

	memcpy(saved, p - 16, 16);
	memset(p - 16, 0, 16);
	kprintf("heap_check: after zeroing the header of %p:\n", p);
	KTEST_ASSERT(heap_check() == -EINVAL);
	memcpy(p - 16, saved, 16);
	KTEST_ASSERT(heap_check() == 0);
	kfree(p);
	kfree(keep);
}

/* A double free panics, naming the call sites. */
KTEST(heap_double_free)
{
	void *keep = kmalloc(24), *p = kmalloc(24);

	KTEST_ASSERT(keep && p);
	kfree(p);
	kprintf("heap_double_free: freeing %p a second time\n", p);
	kfree(p);
	ktest_fail("the second kfree returned");
}

/* A write past the end of a block panics at kfree, naming the call sites. */
KTEST(heap_overflow)
{
	uint8_t *p = kmalloc(24);
	volatile size_t at = 24;

	KTEST_ASSERT(p != NULL);
	kprintf("heap_overflow: writing byte %zu of a 24-byte block at %p\n", at, p);
	p[at] = 'x';
	kfree(p);
	ktest_fail("kfree did not notice the overflow");
}

/* ---- benchmark ---------------------------------------------------------------- */

#define BENCH_FRAMES  1000
#define BENCH_KMALLOC 5000

/* Cycles (rdtsc) per frame_alloc/frame_free pair and per kmalloc/kfree pair.
 * Printed, never asserted: the numbers depend on the machine. */
KTEST(bench_mm)
{
	static void *blocks[64];
	uint64_t t0, t1;

	/* Warm up: the class pages and the frames' cache lines. */
	for (int i = 0; i < 64; i++) {
		blocks[i] = kmalloc(64);
		KTEST_ASSERT(blocks[i] != NULL);
	}
	for (int i = 0; i < 64; i++)
		kfree(blocks[i]);

	t0 = rdtsc();
	for (int i = 0; i < BENCH_FRAMES; i++)
		frame_free(frame_alloc());
	t1 = rdtsc();
	kprintf("bench: frame_alloc_free %lu\n", (t1 - t0) / BENCH_FRAMES);

	t0 = rdtsc();
	for (int i = 0; i < BENCH_KMALLOC; i++)
		kfree(kmalloc(64));
	t1 = rdtsc();
	kprintf("bench: kmalloc_kfree %lu\n", (t1 - t0) / BENCH_KMALLOC);

	t0 = rdtsc();
	for (int i = 0; i < BENCH_KMALLOC / 4; i++) {
		for (int j = 0; j < 8; j++)
			blocks[j] = kmalloc(16 << j);
		for (int j = 0; j < 8; j++)
			kfree(blocks[j]);
	}
	t1 = rdtsc();
	kprintf("bench: kmalloc_kfree_mixed %lu\n", (t1 - t0) / (BENCH_KMALLOC / 4 * 8));

	t0 = rdtsc();
	for (int i = 0; i < BENCH_FRAMES; i++)
		kfree(kmalloc(16384));
	t1 = rdtsc();
	kprintf("bench: kmalloc_kfree_16k %lu\n", (t1 - t0) / BENCH_FRAMES);
	KTEST_ASSERT(heap_check() == 0);
}
