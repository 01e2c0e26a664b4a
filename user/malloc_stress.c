/*
 * malloc_stress: exercise the kernel's memory calls, then musl's malloc.
 *
 *   brk    raw brk(2): grow the heap, use it, shrink it, grow it again (the
 *          pages must come back zeroed), refuse nonsense;
 *   mmap   raw anonymous mmap/munmap: fresh pages are zero, unmapping the
 *          middle of a mapping leaves both ends usable, a freed range is
 *          handed out again;
 *   malloc two rounds of random malloc/realloc/free with a pattern written
 *          into every block and checked before it is freed; small blocks
 *          come from musl's heap (brk), big ones (more than 128 KiB) from
 *          mmap of their own.  Round two must reuse what round one freed
 *          instead of growing the heap again.
 *
 * Each check prints "malloc_stress: WHAT ok" or "... FAILED"; the exit
 * status is the number of failures.  The random numbers come from a fixed
 * seed, so every run (and the same binary on Linux) does the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS  1024
#define ROUNDS 2
#define STEPS  6000
#define PAGE   4096

static int failures;

static void check(const char *what, int ok)
{
	printf("malloc_stress: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* brk(2) itself: musl's brk() and sbrk() refuse to move the break (they
 * would fight malloc), so call the kernel directly.  It returns the new
 * break, or the old one if it could not move it. */
static uintptr_t sys_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void test_brk(void)
{
	const size_t grow = 256 * 1024;
	uintptr_t start = sys_brk(0), top;
	unsigned char *heap = (unsigned char *)start;

	printf("malloc_stress: initial break %#lx\n", (unsigned long)start);
	top = sys_brk(start + grow);
	check("brk grows the heap by 256 KiB", top == start + grow);
	if (top != start + grow)
		return;
	check("new heap pages are zero", all_bytes(heap, grow, 0));
	memset(heap, 0xab, grow);
	check("heap pages keep what is written", all_bytes(heap, grow, 0xab));
	check("brk shrinks the heap", sys_brk(start + PAGE) == start + PAGE);
	check("brk grows it again", sys_brk(start + grow) == start + grow);
	check("the kept page keeps its data", all_bytes(heap, PAGE, 0xab));
	check("pages given back and taken again are zero", all_bytes(heap + PAGE, grow - PAGE, 0));
	check("brk below the heap's start is refused", sys_brk(start - 16 * PAGE) == start + grow);
	check("brk into the kernel half is refused", sys_brk(0xffff800000000000ul) == start + grow);
	check("brk(0) reports the break", sys_brk(0) == start + grow);
	check("brk back to the start", sys_brk(start) == start);
}

static void test_mmap(void)
{
	const size_t len = 64 * PAGE;
	unsigned char *p, *q;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap of 256 KiB", p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	check("mmap'd pages are zero", all_bytes(p, len, 0));
	memset(p, 0x5a, len);
	check("unmapping the middle of a mapping", munmap(p + 16 * PAGE, 16 * PAGE) == 0);
	check("both ends are still usable",
	      all_bytes(p, 16 * PAGE, 0x5a) && all_bytes(p + 32 * PAGE, 32 * PAGE, 0x5a));
	q = mmap(p + 16 * PAGE, 16 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	check("MAP_FIXED fills the hole", q == p + 16 * PAGE && all_bytes(q, 16 * PAGE, 0));
	check("munmap of the whole range", munmap(p, len) == 0);
	check("munmap of a range that is not mapped succeeds", munmap(p, len) == 0);

	p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap of 4 MiB", p != MAP_FAILED);
	if (p != MAP_FAILED) {
		for (size_t i = 0; i < (4 << 20); i += PAGE)
			p[i] = (unsigned char)(i >> 12);
		check("4 MiB written page by page", p[(4 << 20) - PAGE] == (unsigned char)1023);
		check("munmap of 4 MiB", munmap(p, 4 << 20) == 0);
	}
}

static uint32_t rng = 12345;

static uint32_t next_random(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* A size: mostly small, sometimes a few pages, now and then big enough
 * for musl to give the block an mmap of its own. */
static size_t random_size(void)
{
	uint32_t r = next_random() % 100;

	if (r < 80)
		return 1 + next_random() % 512;
	if (r < 98)
		return 4096 + next_random() % (60 * 1024);
	return 160 * 1024 + next_random() % (400 * 1024);
}

static struct block {
	unsigned char *p;
	size_t size;
	unsigned char tag;
} blocks[SLOTS];

static void fill(struct block *b)
{
	memset(b->p, b->tag, b->size);
}

static int intact(const struct block *b)
{
	return all_bytes(b->p, b->size, b->tag);
}

/* One round: random steps, then free everything.  Returns the number of
 * corrupted or failed blocks. */
static int malloc_round(int round, size_t *peak)
{
	int bad = 0;
	size_t live = 0;

	for (int step = 0; step < STEPS; step++) {
		struct block *b = &blocks[next_random() % SLOTS];

		if (b->p && next_random() % 4 == 0) {
			size_t size = random_size();
			unsigned char *p;

			if (!intact(b))
				bad++;
			p = realloc(b->p, size);
			if (!p) {
				bad++;
				continue;
			}
			if (!all_bytes(p, size < b->size ? size : b->size, b->tag))
				bad++;
			live += size - b->size;
			b->p = p;
			b->size = size;
			fill(b);
		} else if (b->p) {
			if (!intact(b))
				bad++;
			free(b->p);
			live -= b->size;
			b->p = NULL;
		} else {
			b->size = random_size();
			b->tag = (unsigned char)(step + round);
			b->p = malloc(b->size);
			if (!b->p) {
				bad++;
				continue;
			}
			fill(b);
			live += b->size;
		}
		if (live > *peak)
			*peak = live;
	}
	for (int i = 0; i < SLOTS; i++) {
		if (blocks[i].p) {
			if (!intact(&blocks[i]))
				bad++;
			free(blocks[i].p);
			blocks[i].p = NULL;
		}
	}
	return bad;
}

static void test_malloc(void)
{
	uintptr_t brk_before[ROUNDS + 1];

	for (int round = 0; round < ROUNDS; round++) {
		size_t peak = 0;
		int bad;
		char what[80];

		brk_before[round] = sys_brk(0);
		bad = malloc_round(round, &peak);
		printf("malloc_stress: round %d: %d steps, peak %zu KiB live\n", round + 1, STEPS,
		       peak / 1024);
		snprintf(what, sizeof(what), "round %d: every block kept its contents", round + 1);
		check(what, bad == 0);
	}
	brk_before[ROUNDS] = sys_brk(0);
	printf("malloc_stress: heap grew %lu KiB in round 1, %lu KiB in round 2\n",
	       (unsigned long)(brk_before[1] - brk_before[0]) / 1024,
	       (unsigned long)(brk_before[2] - brk_before[1]) / 1024);
	check("round 2 reuses freed memory (heap grows no more than in round 1)",
	      brk_before[2] - brk_before[1] <= brk_before[1] - brk_before[0]);
}

int main(void)
{
	test_brk();
	test_mmap();
	test_malloc();
	printf("malloc_stress: %d failures\n", failures);
	return failures;
}
