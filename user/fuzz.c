/*
 * fuzz: seeded random system calls, to show that nothing a program passes
 * the kernel can crash it.
 *
 * `fuzz SEED COUNT [-v]` makes COUNT calls chosen by a xorshift generator seeded
 * with SEED, so a run repeats exactly: the kernel's implemented calls most
 * of the time, any number up to 1100 now and then, each with arguments
 * drawn from values that break kernels: 0, -1, small numbers, page
 * boundaries, the program's own memory, unmapped, kernel-half and
 * non-canonical addresses, huge lengths (-v prints each call before making
 * it, to find the one that went wrong).  Every result must be a value or
 * -errno in [-4095, -1]; anything else is reported.  It prints
 *
 *     fuzz: seed S, N calls, M failed, K distinct errnos
 *
 * A few choices are steered so that the program can go on: memory calls
 * that take an address (mmap, munmap, mprotect, madvise) work in a sandbox
 * far from its own code, data and stack; the console descriptors are only
 * written from bad pointers (so the output stays readable), never read,
 * copied (dup, dup2, dup3, F_DUPFD: a read of the copy would wait for
 * typing, as on Linux) or replaced, and never closed; descriptors keep
 * O_NONBLOCK (a read of its own empty pipe would wait for ever); sleeps are
 * short and poll and select never wait; and the calls that would end or stop the program (exit,
 * exit_group, pause, kill, fork...; arch_prctl(ARCH_SET_FS)) are left out.
 *
 * The scratch buffer the calls may write into is a mapping of its own with
 * nothing of ours after it (SCRATCH): in .bss it lay just before the
 * generator's state and libc's data, so a call given its last byte and a
 * longer length (clock_gettime, uname, fstat, read...) overwrote the state
 * with what it returned, times among them.  A run then no longer repeated
 * (one seed made different calls each time, after other runs or alone),
 * and libc's own data could be anything.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define SANDBOX      0x100000000ul /* 4 GiB: nothing of the program's is here */
#define SANDBOX_SIZE (1ul << 30)
/* The scratch pages, below the sandbox (whose calls never reach down
 * here), an unmapped page after them. */
#define SCRATCH      (SANDBOX - (1ul << 20))
#define SCRATCH_SIZE 8192
#define ARCH_SET_FS  0x1002

int main(int argc, char *argv[]);

static uint64_t state;

static uint64_t next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static uint64_t pick(const uint64_t *values, size_t n)
{
	return values[next() % n];
}
#define PICK(a) pick((a), sizeof(a) / sizeof((a)[0]))

static char *scratch;

/* Anything at all, weighted towards what kernels get wrong. */
static uint64_t any_value(void)
{
	/* clang-format off */
	const uint64_t interesting[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 64, 255, 256, 4095, 4096, 4097, 65536,
		(uint64_t)-1, (uint64_t)-2, (uint64_t)-4095, (uint64_t)-4096,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
		0x7fffffffffffffff, 0x8000000000000000,
		0x00007ffffffff000, 0x00007fffffffffff, 0x0000800000000000,
		0xffff800000000000, 0xffffffff80000000, 0xffffffff80100000,
		(uint64_t)scratch, (uint64_t)scratch + 4093,
		(uint64_t)main, SANDBOX, SANDBOX + SANDBOX_SIZE - 4096,
	};
	/* clang-format on */

	switch (next() % 4) {
	case 0:
		return next();
	case 1:
		return next() % 64;
	default:
		return PICK(interesting);
	}
}

/* A pointer the calls may read or write, or a bad one. */
static uint64_t any_pointer(void)
{
	/* clang-format off */
	const uint64_t pointers[] = {
		0, 1, 4096, (uint64_t)scratch, (uint64_t)scratch + 4096 - 8,
		(uint64_t)scratch + SCRATCH_SIZE - 1, SANDBOX, 0x00007ffffffff000,
		0x0000800000000000 - 8, 0xffff800000000000, 0xffffffff80100000,
		0x8000000000000000, (uint64_t)-1,
	};
	/* clang-format on */

	return next() % 8 ? PICK(pointers) : any_value();
}

static uint64_t bad_pointer(void)
{
	/* clang-format off */
	const uint64_t bad[] = { 0, 1, 4096, SANDBOX + 3 * 4096, 0x0000800000000000 - 8,
				 0xffff800000000000, 0xffffffff80100000, 0x8000000000000000 };
	/* clang-format on */

	return PICK(bad);
}

/* An address for the memory calls: in the sandbox, or one no call may use
 * (never the program's own pages). */
static uint64_t sandbox_address(void)
{
	const uint64_t outside[] = { SANDBOX + 1, 0x0000800000000000, 0xffff800000000000,
				     0x8000000000000000, (uint64_t)-4096 };

	return next() % 8 ? SANDBOX + (next() % (SANDBOX_SIZE / 4096)) * 4096 : PICK(outside);
}

static long raw_syscall(long n, uint64_t a[6])
{
	register uint64_t r10 __asm__("r10") = a[3], r8 __asm__("r8") = a[4],
			      r9 __asm__("r9") = a[5];
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* clang-format off */
static const long implemented[] = {
	SYS_read, SYS_write, SYS_close, SYS_mmap, SYS_munmap, SYS_brk, SYS_ioctl,
	SYS_readv, SYS_writev, SYS_sched_yield, SYS_madvise, SYS_nanosleep, SYS_getpid,
	SYS_uname, SYS_gettimeofday, SYS_getuid, SYS_getppid, SYS_arch_prctl, SYS_gettid,
	SYS_set_tid_address, SYS_clock_gettime, SYS_clock_getres, SYS_clock_nanosleep,
	SYS_prlimit64, 1000, 1001, 1002,
};
/* clang-format on */

/* Keep the call from ending or stalling the fuzzer (see the top). */
static int steer(long n, uint64_t a[6])
{
	static const struct {
		long sec, nsec;
	} short_sleep = { 0, 1000 }, no_wait = { 0, 0 };

	switch (n) {
	case SYS_exit:
	case SYS_exit_group:
	case SYS_rt_sigreturn: /* a random frame: SIGSEGV, as on Linux */
	case SYS_rt_sigsuspend:
	case SYS_pause:
	case SYS_kill: /* kill(0 or -1, ...) would end the fuzzer or others */
	case SYS_tkill:
	case SYS_tgkill:
	case SYS_clone:
	case SYS_fork:
	case SYS_vfork:
		return -1;
	case SYS_close: /* keep the console descriptors open */
		return (uint32_t)a[0] <= 2 ? -1 : 0;
	case SYS_dup: /* a copy of the console would be read (fd 3..6) and */
		return (uint32_t)a[0] <= 2 ? -1 : 0; /* wait for typing for ever */
	case SYS_dup2:                               /* ... and one over it would close it */
	case SYS_dup3:
		return (uint32_t)a[0] <= 2 || (uint32_t)a[1] <= 2 ? -1 : 0;
	case SYS_fcntl:
		if ((uint32_t)a[0] <= 2)
			return -1; /* F_DUPFD as dup; F_SETFL not on the console */
		if ((uint32_t)a[1] == F_SETFL)
			a[2] |= O_NONBLOCK; /* a pipe left blocking would wait for ever */
		return 0;
	case SYS_arch_prctl:
		return a[0] == ARCH_SET_FS ? -1 : 0;
	case SYS_read: /* a descriptor is an int: the low 32 bits count */
	case SYS_readv:
		if ((uint32_t)a[0] <= 2)
			a[0] = 3 + next() % 4;
		return 0;
	case SYS_write:
	case SYS_writev:
		if ((uint32_t)a[0] <= 2)
			a[1] = bad_pointer();
		return 0;
	case SYS_mmap:
	case SYS_munmap:
	case SYS_mprotect: /* our own pages made read-only would end us */
	case SYS_madvise:
		a[0] = sandbox_address();
		return 0;
	case SYS_brk:
		return a[0] != 0 ? -1 : 0; /* only ask for the break */
	case SYS_nanosleep:
		if (next() % 2)
			a[0] = (uint64_t)&short_sleep;
		return a[0] == (uint64_t)&short_sleep || a[0] >= 0x0000800000000000 ? 0 : -1;
	case SYS_clock_nanosleep:
		if (next() % 2)
			a[2] = (uint64_t)&short_sleep;
		a[1] = 0;
		return a[2] == (uint64_t)&short_sleep || a[2] >= 0x0000800000000000 ? 0 : -1;
	case SYS_poll: /* waits for descriptors never: the console's would wait for typing */
		a[2] = 0;
		return 0;
	case SYS_ppoll: /* the same, with a zero timespec (NULL is for ever) */
	case SYS_pselect6:
		a[n == SYS_ppoll ? 2 : 4] = (uint64_t)&no_wait;
		return 0;
	case SYS_select:
		a[4] = (uint64_t)&no_wait; /* a zero timeval: the same bytes */
		return 0;
	case 1002: /* os_trace: its output would drown ours */
		return -1;
	case 22: /* pipe: a read of its own empty pipe would wait for ever, */
		return -1;
	case 293: /* so pipe2 only with O_NONBLOCK */
		a[1] = O_NONBLOCK;
		return 0;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	unsigned long seed, count, made = 0, bad = 0;
	uint64_t errnos[2] = { 0, 0 };
	int distinct = 0;

	if (argc != 3 && argc != 4) {
		printf("usage: fuzz SEED COUNT [-v]\n");
		return 2;
	}
	seed = strtoul(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	scratch = mmap((void *)SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (scratch == MAP_FAILED) {
		printf("fuzz: no scratch pages\n");
		return 2;
	}
	state = seed * 0x9e3779b97f4a7c15ul + 1;
	while (made < count) {
		long n = next() % 16 ? implemented[next() % (sizeof(implemented) / sizeof(long))]
				     : (long)(next() % 1100);
		uint64_t a[6];
		long ret;

		for (int i = 0; i < 6; i++)
			a[i] = next() % 2 ? any_pointer() : any_value();
		if (steer(n, a) != 0)
			continue;
		if (argc == 4) { /* -v: each call before it is made */
			printf("fuzz: %lu: %ld(%lx, %lx, %lx, %lx, %lx, %lx)\n", made, n, a[0],
			       a[1], a[2], a[3], a[4], a[5]);
			fflush(stdout);
		}
		ret = raw_syscall(n, a);
		made++;
		if (ret < 0 && ret >= -4095) {
			if (-ret < 128)
				errnos[-ret / 64] |= 1ull << (-ret % 64);
		} else if (ret < 0) {
			bad++;
			printf("fuzz: call %ld(%lx, %lx, %lx, %lx, %lx, %lx) returned %ld\n", n,
			       a[0], a[1], a[2], a[3], a[4], a[5], ret);
		}
	}
	for (int i = 0; i < 128; i++)
		distinct += (errnos[i / 64] >> (i % 64)) & 1;
	printf("fuzz: seed %lu, %lu calls, %lu failed, %d distinct errnos\n", seed, made, bad,
	       distinct);
	return bad != 0;
}
