/*
 * memtest: the memory of processes (stage forkexec): demand paging, the
 * stack, mprotect, MAP_FIXED, shared anonymous memory across fork,
 * MADV_DONTNEED, copy-on-write of a large region, and resource limits.
 *
 * `memtest` runs every test, `memtest NAME...` the named ones.  Each test
 * prints "memtest: NAME: ok" or "memtest: NAME: FAILED (why)"; the last
 * line is "memtest: N passed, M failed" (exit status 0 only if all
 * passed).  Some lines carry figures for the grader, memory in kB as
 * MemFree + Slab + Cached of /proc/meminfo (free frames and what the
 * kernel's heap and page cache would give back):
 *
 *   memtest: lazy: mmap M kB, touch P pages T kB, munmap U kB
 *   memtest: cow64: before fork B kB, child wrote C kB, after wait A kB
 *   memtest: stack: grew K kB
 *   memtest: overflow: status S signal N
 *   memtest: rlimit-as: N MiB allocated, then errno E
 *   memtest: rlimit-data: brk N MiB
 *
 * Tests that end in a fault run in a child; the parent checks how it
 * ended.  Runs on Linux too (the figures differ).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testlib.h"

#define PAGE       4096ul
#define MiB        (1ul << 20)
#define LAZY_SIZE  (64 * MiB)
#define LAZY_PAGES 100
#define COW_SIZE   (64 * MiB)
#define SELF       "/bin/memtest"

static int passed, failed;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("memtest: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("memtest: %s: ok\n", name);
		passed++;
	}
}

/* Run fn in a child; its wait status, or -1. */
static int in_child(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

static const char *killed_by(int status, int sig)
{
	static char why[64];

	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return NULL;
	snprintf(why, sizeof(why), "wait status 0x%x, expected signal %d", status, sig);
	return why;
}

/* 64 MiB mapped, 100 pages touched: only those cost frames. */
static void test_lazy(void)
{
	long before = (testlib_memory_kb(), testlib_memory_kb()), mapped, touched,
	     after; /* stdio warmed up */
	const char *why = NULL;
	char *p = mmap(NULL, LAZY_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		result("lazy", "mmap failed");
		return;
	}
	mapped = testlib_memory_kb();
	for (unsigned long i = 0; i < LAZY_PAGES; i++)
		p[i * (LAZY_SIZE / LAZY_PAGES / PAGE) * PAGE] = (char)(i + 1);
	touched = testlib_memory_kb();
	for (unsigned long i = 0; i < LAZY_PAGES && !why; i++) {
		char *page = p + i * (LAZY_SIZE / LAZY_PAGES / PAGE) * PAGE;

		if (page[0] != (char)(i + 1) || page[1] != 0 || page[PAGE - 1] != 0)
			why = "a touched page does not hold what was written, or is not zero";
	}
	if (!why && p[PAGE] != 0)
		why = "an untouched page is not zero";
	munmap(p, LAZY_SIZE);
	after = testlib_memory_kb();
	printf("memtest: lazy: mmap %ld kB, touch %d pages %ld kB, munmap %ld kB\n",
	       before - mapped, LAZY_PAGES, mapped - touched, after - before);
	result("lazy", why);
}

/* The parent fills 64 MiB, a child writes all of it: the parent's pages
 * stay as they were, and the memory comes back after the child. */
static void test_cow64(void)
{
	unsigned long words = COW_SIZE / 8;
	uint64_t *p =
		mmap(NULL, COW_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* The child's figure comes back through a shared page. */
	volatile long *wrote =
		mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long before, after;
	const char *why = NULL;
	int status;
	pid_t pid;

	if (p == MAP_FAILED || wrote == MAP_FAILED) {
		result("cow64", "mmap failed");
		return;
	}
	for (unsigned long i = 0; i < words; i++)
		p[i] = i * 2654435761u;
	*wrote = 0; /* its frame is taken before the figure */
	/* A first printf, fork and wait touch the stack and heap they need. */
	printf("memtest: cow64: 64 MiB filled\n");
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		result("cow64", "fork or waitpid failed");
		return;
	}
	before = (testlib_memory_kb(), testlib_memory_kb()); /* malloc warmed up for fopen too */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (unsigned long i = 0; i < words; i++)
			p[i] = ~i;
		*wrote = testlib_memory_kb();
		for (unsigned long i = 0; i < words; i++)
			if (p[i] != ~i)
				_exit(1);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		why = "fork or waitpid failed";
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		why = "the child did not see its own writes";
	for (unsigned long i = 0; i < words && !why; i++)
		if (p[i] != i * 2654435761u)
			why = "the parent's pages changed";
	after = testlib_memory_kb();
	printf("memtest: cow64: before fork %ld kB, child wrote %ld kB, after wait %ld kB\n",
	       before, *wrote, after);
	munmap(p, COW_SIZE);
	munmap((void *)wrote, PAGE);
	result("cow64", why);
}

static volatile char sink;

static volatile uintptr_t deepest;

/* Recurse depth times with a 1 KiB frame (used after the call, so that the
 * compiler cannot make a loop of it); the stack used in bytes. */
__attribute__((noinline)) static unsigned long recurse(unsigned long depth)
{
	volatile char frame[1024];
	unsigned long used;

	frame[0] = (char)depth;
	deepest = (uintptr_t)frame;
	if (depth == 0)
		return sizeof(frame);
	used = recurse(depth - 1);
	return used + sizeof(frame) + (unsigned long)(frame[0] != (char)depth);
}

static void grow_6mib(void)
{
	uintptr_t top = (uintptr_t)&top;

	recurse(6 * 1024);
	printf("memtest: stack: grew %lu kB\n", (unsigned long)(top - deepest) / 1024);
	fflush(stdout);
}

static void recurse_forever(void)
{
	sink = (char)recurse(~0ul);
}

static void overflow_1mib_limit(void)
{
	struct rlimit lim = { 1 * MiB, RLIM_INFINITY };

	if (setrlimit(RLIMIT_STACK, &lim) != 0)
		_exit(2);
	sink = (char)recurse(2 * 1024);
}

/* The stack grows to 6 MiB; past 8 MiB (RLIMIT_STACK) it overflows into
 * the guard gap: SIGSEGV; a lower RLIMIT_STACK is honoured. */
static void test_stack(void)
{
	int status = in_child(grow_6mib);

	result("stack",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL : "6 MiB of stack failed");
	status = in_child(recurse_forever);
	printf("memtest: overflow: status %d signal %d\n", status,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	result("overflow", killed_by(status, SIGSEGV));
	result("rlimit-stack", killed_by(in_child(overflow_1mib_limit), SIGSEGV));
}

static char *ro_page;

/* In a child: make the page its own (a copy-on-write copy, writable),
 * then read-only, then write it. */
static void write_ro(void)
{
	ro_page[0] = 42;
	if (mprotect(ro_page, PAGE, PROT_READ) != 0)
		_exit(3);
	ro_page[0] = 1;
}

/* mprotect(PROT_READ) of a page written before, then a write: SIGSEGV;
 * reading still works; back to PROT_READ|PROT_WRITE the write works. */
static void test_mprotect(void)
{
	const char *why = NULL;

	ro_page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED) {
		result("mprotect", "mmap failed");
		return;
	}
	ro_page[0] = 42;
	why = killed_by(in_child(write_ro), SIGSEGV);
	if (!why && mprotect(ro_page, PAGE, PROT_READ) != 0)
		why = "mprotect failed";
	if (!why && ro_page[0] != 42)
		why = "the read-only page lost its contents";
	ro_page[PAGE] = 1; /* the second page is still writable */
	if (!why && mprotect(ro_page, PAGE, PROT_READ | PROT_WRITE) != 0)
		why = "mprotect back failed";
	if (!why) {
		ro_page[0] = 43;
		if (ro_page[0] != 43)
			why = "write after mprotect back";
	}
	/* (musl's mprotect rounds the address down: ask the kernel itself) */
	if (!why && (syscall(SYS_mprotect, ro_page + 1, PAGE, PROT_READ) != -1 || errno != EINVAL))
		why = "unaligned mprotect not EINVAL";
	munmap(ro_page, 2 * PAGE);
	if (!why && (mprotect(ro_page, PAGE, PROT_READ) != -1 || errno != ENOMEM))
		why = "mprotect of unmapped memory not ENOMEM";
	result("mprotect", why);
}

static char *hole;

static void touch_hole(void)
{
	sink = hole[PAGE];
}

/* MAP_FIXED replaces the middle page of three; munmap of the middle one
 * leaves a hole that faults. */
static void test_fixed(void)
{
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *why = NULL;
	char *q;

	if (p == MAP_FAILED) {
		result("map-fixed", "mmap failed");
		return;
	}
	memset(p, 'x', 3 * PAGE);
	q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	if (q != p + PAGE)
		why = "MAP_FIXED went elsewhere";
	else if (p[0] != 'x' || p[PAGE] != 0 || p[2 * PAGE - 1] != 0 || p[2 * PAGE] != 'x')
		why = "MAP_FIXED did not replace exactly the middle page";
	if (!why && munmap(p + PAGE, PAGE) != 0)
		why = "munmap of the middle page failed";
	hole = p;
	if (!why)
		why = killed_by(in_child(touch_hole), SIGSEGV);
	if (!why && (p[0] != 'x' || p[2 * PAGE] != 'x'))
		why = "the neighbours of the hole changed";
	munmap(p, 3 * PAGE);
	result("map-fixed", why);
}

/* MAP_SHARED|MAP_ANONYMOUS: writes are seen both ways across fork, also in
 * a page first touched after the fork. */
static void test_shared(void)
{
	volatile int *s =
		mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const char *why = NULL;
	int status;
	pid_t pid;

	if (s == MAP_FAILED) {
		result("shared", "mmap failed");
		return;
	}
	s[0] = 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (s[0] != 1)
			_exit(1);
		s[1] = 2;                  /* the parent waits for this */
		s[PAGE / sizeof(int)] = 3; /* a page nobody touched before */
		while (s[2] != 4)          /* the parent's answer */
			sched_yield();
		_exit(0);
	}
	while (pid > 0 && s[1] != 2)
		sched_yield();
	s[2] = 4;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		why = "fork or waitpid failed";
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		why = "the child did not see the parent's write";
	else if (s[PAGE / sizeof(int)] != 3)
		why = "a page first touched by the child after fork is not shared";
	munmap((void *)s, 2 * PAGE);
	result("shared", why);
}

/* MADV_DONTNEED: a private page reads as zero again; a shared one keeps
 * what its object holds. */
static void test_dontneed(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const char *why = NULL;
	long before, after;

	if (p == MAP_FAILED || s == MAP_FAILED) {
		result("dontneed", "mmap failed");
		return;
	}
	memset(p, 'y', 4 * PAGE);
	s[0] = 'z';
	/* The process's own pages: the system's free memory also moves with
	 * the kernel's page tables, which MADV_DONTNEED leaves (as Linux). */
	before = testlib_rss_kb();
	if (madvise(p, 4 * PAGE, MADV_DONTNEED) != 0 || madvise(s, PAGE, MADV_DONTNEED) != 0)
		why = "madvise failed";
	after = testlib_rss_kb();
	for (unsigned long i = 0; i < 4 * PAGE && !why; i++)
		if (p[i] != 0)
			why = "a private page is not zero after MADV_DONTNEED";
	if (!why && s[0] != 'z')
		why = "a shared page lost its contents";
	if (!why && before - after < 16)
		why = "the pages were not given back (VmRSS)";
	munmap(p, 4 * PAGE);
	munmap(s, PAGE);
	result("dontneed", why);
}

static void alloc_until_enomem(void)
{
	struct rlimit lim = { 32 * MiB, 32 * MiB };
	unsigned long n = 0;
	void *q;

	if (setrlimit(RLIMIT_AS, &lim) != 0)
		_exit(2);
	errno = 0;
	while ((q = malloc(MiB)) != NULL) {
		memset(q, 1, MiB);
		n++;
	}
	printf("memtest: rlimit-as: %lu MiB allocated, then errno %d\n", n, errno);
	fflush(stdout);
	_exit(errno == ENOMEM ? 0 : 1);
}

static void brk_until_enomem(void)
{
	struct rlimit lim = { 16 * MiB, 16 * MiB };
	unsigned long n = 0, cur = (unsigned long)syscall(SYS_brk, 0);
	void *q;

	if (setrlimit(RLIMIT_DATA, &lim) != 0)
		_exit(2);
	/* brk(2) itself (musl's sbrk refuses to move the break): it returns
	 * the old break when it cannot move it. */
	while ((unsigned long)syscall(SYS_brk, cur + MiB) == cur + MiB) {
		cur += MiB;
		n++;
	}
	printf("memtest: rlimit-data: brk %lu MiB\n", n);
	fflush(stdout);
	if (n == 0 || n >= 16)
		_exit(1);
	/* Private writable mappings count as data; read-only and shared not. */
	q = mmap(NULL, 32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q != MAP_FAILED || errno != ENOMEM)
		_exit(3);
	if (mmap(NULL, 32 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ||
	    mmap(NULL, 32 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED)
		_exit(4);
	_exit(0);
}

/* A runaway allocation under RLIMIT_AS and RLIMIT_DATA fails with ENOMEM
 * (the child then exits normally). */
static void test_rlimit_alloc(void)
{
	int status = in_child(alloc_until_enomem);

	result("rlimit-as",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL : "no ENOMEM under RLIMIT_AS");
	status = in_child(brk_until_enomem);
	result("rlimit-data", WIFEXITED(status) && WEXITSTATUS(status) == 0
				      ? NULL
				      : "RLIMIT_DATA not counted as Linux does");
}

/* getrlimit's defaults; soft > hard is EINVAL; limits pass to a fork
 * child and through exec. */
static void test_rlimit_calls(void)
{
	struct rlimit lim, bad = { 2 * MiB, MiB };
	const char *why = NULL;
	char *argv[] = { "memtest", "--print-nofile", NULL };
	int status;
	pid_t pid;

	if (getrlimit(RLIMIT_STACK, &lim) != 0 || lim.rlim_cur != 8 * MiB)
		why = "RLIMIT_STACK is not 8 MiB";
	else if (setrlimit(RLIMIT_STACK, &bad) != -1 || errno != EINVAL)
		why = "soft > hard is not EINVAL";
	else if (getrlimit(99, &lim) != -1 || errno != EINVAL)
		why = "resource 99 is not EINVAL";
	if (!why) {
		lim = (struct rlimit){ 77, 88 };
		if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
			why = "setrlimit(RLIMIT_NOFILE) failed";
	}
	fflush(stdout);
	pid = why ? -1 : fork();
	if (pid == 0) {
		execv(SELF, argv);
		_exit(99);
	}
	if (pid > 0 &&
	    (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 77))
		why = "the limit did not pass through fork and exec";
	lim = (struct rlimit){ 1024, 4096 };
	setrlimit(RLIMIT_NOFILE, &lim);
	result("rlimit-calls", why);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "lazy", test_lazy },
	{ "cow64", test_cow64 },
	{ "stack", test_stack },
	{ "mprotect", test_mprotect },
	{ "map-fixed", test_fixed },
	{ "shared", test_shared },
	{ "dontneed", test_dontneed },
	{ "rlimit", test_rlimit_alloc },
	{ "rlimit-calls", test_rlimit_calls },
};

int main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--print-nofile") == 0) {
		struct rlimit lim;

		getrlimit(RLIMIT_NOFILE, &lim);
		return lim.rlim_cur == 77 && lim.rlim_max == 88 ? 77 : 1;
	}
	if (argc == 2 && strcmp(argv[1], "--alloc-as") == 0)
		alloc_until_enomem();
	if (argc == 2 && strcmp(argv[1], "--brk-data") == 0)
		brk_until_enomem();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int wanted = argc < 2;

		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], tests[i].name) == 0;
		if (wanted)
			tests[i].fn();
	}
	printf("memtest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
