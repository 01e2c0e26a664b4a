/*
 * vmrange: memory calls over enormous ranges must cost what is mapped
 * there, not what was asked for.
 *
 * A kernel that walks a range page by page takes minutes for munmap or
 * madvise over the user half (2^35 pages), and mmap or brk of 256 GiB spend
 * as long looking for room or taking frames one by one.  Each call here is
 * timed with rdtsc and printed as
 *
 *     vmrange: CALL = RESULT in N cycles
 *
 * (RESULT is the return value, -errno on failure); under QEMU's
 * `-icount shift=0` the cycles are guest instructions.  Last, `vmrange
 * BOUND` unmaps the whole user half below USER_MMAP_TOP, its own code
 * included, from a page of code it copied to the top of that area: the tail
 * exits with status 0 if munmap returned 0 within BOUND cycles, 1 if it
 * failed, 2 if it took longer.  Runs on Linux too, with the same results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GiB      (1ul << 30)
#define LOW      (4 * GiB)        /* above the program and its heap */
#define HIGH     0x7e0000000000ul /* below the mmaps */
#define MMAP_TOP 0x7f0000000000ul /* kernel/mm/uvm.h: USER_MMAP_TOP */
#define FAR      0x500000000000ul /* a page in the middle */
#define HUGE     (256 * GiB)
#define USER_MIN 0x10000ul

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Make one call, print it with its result and cost, return the result. */
static long timed(const char *what, long n, long a, long b, long c, long d, long e, long f)
{
	uint64_t t0 = rdtsc();
	long ret = sys6(n, a, b, c, d, e, f);
	uint64_t t1 = rdtsc();

	printf("vmrange: %s = %ld in %lu cycles\n", what, ret, (unsigned long)(t1 - t0));
	return ret;
}

/*
 * The tail, copied to a page of its own: void tail(addr, len, bound).
 * munmap(addr, len) between two rdtsc readings, then exit_group with 0, 1
 * (munmap failed) or 2 (took more than bound cycles).  Position-independent
 * and touching no memory: everything else of the program is gone after the
 * call.
 */
extern char vmrange_tail[], vmrange_tail_end[];
__asm__(".text\n"
	"vmrange_tail:\n"
	"	movq %rdx, %r12\n"
	"	lfence; rdtsc\n"
	"	shlq $32, %rdx\n"
	"	orq %rdx, %rax\n"
	"	movq %rax, %r13\n"
	"	movl $11, %eax\n" /* SYS_munmap */
	"	syscall\n"
	"	movq %rax, %r14\n"
	"	lfence; rdtsc\n"
	"	shlq $32, %rdx\n"
	"	orq %rdx, %rax\n"
	"	subq %r13, %rax\n"
	"	movl $1, %edi\n"
	"	testq %r14, %r14\n"
	"	jnz 1f\n"
	"	movl $2, %edi\n"
	"	cmpq %r12, %rax\n"
	"	ja 1f\n"
	"	xorl %edi, %edi\n"
	"1:	movl $231, %eax\n" /* SYS_exit_group */
	"	syscall\n"
	"	ud2\n"
	"vmrange_tail_end:\n");

static int check(const char *what, long got, long want)
{
	if (got == want)
		return 0;
	printf("vmrange: %s: got %ld, expected %ld\n", what, got, want);
	return 1;
}

int main(int argc, char *argv[])
{
	const long anon = MAP_PRIVATE | MAP_ANONYMOUS;
	long brk0, bound;
	int bad = 0;
	volatile char *far;

	if (argc != 2 || (bound = strtol(argv[1], NULL, 0)) <= 0) {
		printf("usage: vmrange BOUND (cycles the last munmap may take)\n");
		return 2;
	}
	_Static_assert(SYS_munmap == 11 && SYS_exit_group == 231, "the tail's numbers");

	/* One page far from everything: madvise must zero it, munmap remove it. */
	far = (volatile char *)sys6(SYS_mmap, FAR, 4096, PROT_READ | PROT_WRITE, anon | MAP_FIXED,
				    -1, 0);
	bad |= check("mmap(FAR, MAP_FIXED)", (long)far, (long)FAR);
	far[0] = 1;
	bad |= check("madvise(LOW..HIGH, MADV_DONTNEED)",
		     timed("madvise(LOW..HIGH, MADV_DONTNEED)", SYS_madvise, LOW, HIGH - LOW,
			   MADV_DONTNEED, 0, 0, 0),
		     -12); /* -ENOMEM: the range has holes; the page is zeroed all the same */
	bad |= check("the far page after MADV_DONTNEED", far[0], 0);
	bad |= check("munmap(LOW..HIGH)",
		     timed("munmap(LOW..HIGH)", SYS_munmap, LOW, HIGH - LOW, 0, 0, 0, 0), 0);
	bad |= check("mmap(FAR, MAP_FIXED_NOREPLACE) after munmap",
		     sys6(SYS_mmap, FAR, 4096, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0),
		     (long)FAR);

	bad |= check("mmap(NULL, 256 GiB)",
		     timed("mmap(NULL, 256 GiB)", SYS_mmap, 0, HUGE, PROT_READ | PROT_WRITE, anon,
			   -1, 0),
		     -12);
	bad |= check("mmap(LOW, 256 GiB, MAP_FIXED)",
		     timed("mmap(LOW, 256 GiB, MAP_FIXED)", SYS_mmap, LOW, HUGE,
			   PROT_READ | PROT_WRITE, anon | MAP_FIXED, -1, 0),
		     -12);
	bad |= check("mmap(LOW, 256 GiB, MAP_FIXED_NOREPLACE)",
		     timed("mmap(LOW, 256 GiB, MAP_FIXED_NOREPLACE)", SYS_mmap, LOW, HUGE,
			   PROT_READ | PROT_WRITE, anon | MAP_FIXED_NOREPLACE, -1, 0),
		     -12);
	brk0 = sys6(SYS_brk, 0, 0, 0, 0, 0, 0);
	bad |= check("brk(+256 GiB)", timed("brk(+256 GiB)", SYS_brk, brk0 + HUGE, 0, 0, 0, 0, 0),
		     brk0);
	if (bad) {
		printf("vmrange: %d calls went wrong\n", bad);
		return 1;
	}

	/* The tail's page: the highest one mmap may use, outside what it unmaps. */
	char *page =
		(char *)sys6(SYS_mmap, MMAP_TOP - 4096, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     anon | MAP_FIXED_NOREPLACE, -1, 0);
	if (check("mmap(the tail's page)", (long)page, (long)(MMAP_TOP - 4096)))
		return 1;
	/* cppcheck-suppress comparePointers ; the two labels bracket one piece of code */
	memcpy(page, vmrange_tail, (size_t)(vmrange_tail_end - vmrange_tail));
	printf("vmrange: munmap(0x%lx, 0x%lx) from the tail, bound %ld cycles\n", USER_MIN,
	       MMAP_TOP - 4096 - USER_MIN, bound);
	fflush(stdout);
	((void (*)(long, long, long))page)(USER_MIN, MMAP_TOP - 4096 - USER_MIN, bound);
	return 3; /* not reached: the tail exits */
}
