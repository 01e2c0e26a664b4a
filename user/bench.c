/*
 * bench: how many cycles the kernel's basic operations cost.
 *
 * Each benchmark runs an operation many times between two rdtsc readings
 * and prints one line
 *
 *     bench: NAME CYCLES_PER_OP
 *
 * (the best of a few runs, so that a timer interrupt in one run does not
 * count).  Run it from the kernel command line (`run=bench`) or a shell.
 * Under QEMU with `-icount shift=0,align=off,sleep=off` the time stamp
 * counter advances by one per guest instruction, so the numbers are guest
 * instructions per operation and repeat exactly from run to run; compare
 * them with other kernels measured the same way, not with real hardware.
 *
 * `bench NAME...` runs only the named benchmarks.  Later stages add fork,
 * exec, pipe, context switch and file read here.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>

#define RUNS 3

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static long raw_syscall0(long n)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
	return ret;
}

/* The cheapest system call there is: getpid does nothing but return a
 * number, so this is the cost of entering and leaving the kernel. */
static void op_null_syscall(void)
{
	raw_syscall0(SYS_getpid);
}

/* An unknown number: the dispatcher's fast path for -ENOSYS. */
static void op_enosys(void)
{
	raw_syscall0(9999);
}

static void op_clock_gettime(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
}

/* Map a page, touch it, unmap it: page-table updates and a frame. */
static void op_mmap_touch_munmap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		p[0] = 1;
		munmap(p, 4096);
	}
}

static void op_sched_yield(void)
{
	sched_yield();
}

static void op_nothing(void)
{
}

static const struct bench {
	const char *name;
	void (*op)(void);
	int iterations;
} benches[] = {
	{ "loop_overhead", op_nothing, 2000 },   { "null_syscall", op_null_syscall, 2000 },
	{ "enosys_syscall", op_enosys, 2000 },   { "clock_gettime", op_clock_gettime, 1000 },
	{ "sched_yield", op_sched_yield, 1000 }, { "mmap_touch_munmap", op_mmap_touch_munmap, 200 },
};

static uint64_t run(const struct bench *b)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < RUNS; r++) {
		uint64_t start = rdtsc();

		for (int i = 0; i < b->iterations; i++)
			b->op();
		uint64_t cycles = (rdtsc() - start) / (uint64_t)b->iterations;
		if (cycles < best)
			best = cycles;
	}
	return best;
}

static int wanted(const char *name, int argc, char *argv[])
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char *argv[])
{
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (wanted(benches[i].name, argc, argv))
			printf("bench: %s %llu\n", benches[i].name,
			       (unsigned long long)run(&benches[i]));
	return 0;
}
