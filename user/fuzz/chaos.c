/*
 * -t: a second thread in each child that changes what the calls of the
 * first one use while they run: it closes and copies descriptors 3..12,
 * maps, unmaps, protects and drops pages of the sandbox, and yields now
 * and then.  On one CPU the kernel is preempted in the middle of a call,
 * so a read into a page being unmapped, a write to a descriptor being
 * closed, a fault on a mapping being replaced all happen.  The
 * interleaving depends on the timer, so a run with -t does not repeat
 * exactly: what it finds is made again by the calls the log names.
 *
 * The thread has a stack of its own and uses no libc (no errno, no TLS):
 * raw system calls only.  It ends with the child (exit_group).
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "fuzz.h"

#define CHAOS_STACK      (SANDBOX - (3ul << 20)) /* below the shared page */
#define CHAOS_STACK_SIZE (64 * 1024)
#define CLONE_THREAD_ALL 0x50f00ul /* VM, FS, FILES, SIGHAND, THREAD, SYSVSEM */

static long chaos_syscall(long n, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r10 __asm__("r10") = a3, r8 __asm__("r8") = -1ul, r9 __asm__("r9") = 0;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static uint64_t chaos_state;

static uint64_t chaos_next(void)
{
	chaos_state ^= chaos_state << 13;
	chaos_state ^= chaos_state >> 7;
	chaos_state ^= chaos_state << 17;
	return chaos_state;
}

static uint64_t chaos_page(void)
{
	return SANDBOX + (chaos_next() % 64) * 4096; /* a few pages: they collide */
}

static void chaos_loop(void)
{
	for (;;) {
		uint64_t fd = 3 + chaos_next() % 10, pages = 1 + chaos_next() % 4;

		switch (chaos_next() % 8) {
		case 0:
			chaos_syscall(SYS_close, fd, 0, 0, 0);
			break;
		case 1:
			chaos_syscall(SYS_dup2, 3 + chaos_next() % 10, fd, 0, 0);
			break;
		case 2:
			chaos_syscall(SYS_munmap, chaos_page(), pages * 4096, 0, 0);
			break;
		case 3:
			chaos_syscall(SYS_mmap, chaos_page(), pages * 4096, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
			break;
		case 4:
			chaos_syscall(SYS_mprotect, chaos_page(), pages * 4096, chaos_next() % 8,
				      0);
			break;
		case 5:
			chaos_syscall(SYS_madvise, chaos_page(), pages * 4096, MADV_DONTNEED, 0);
			break;
		default:
			chaos_syscall(SYS_sched_yield, 0, 0, 0, 0);
			break;
		}
	}
}

/* Start the thread: clone with its stack, and in the child (rax 0, on the
 * new stack) jump to chaos_loop, which never returns. */
void chaos_start(uint64_t seed)
{
	uint64_t top;
	long ret;

	if (chaos_syscall(SYS_mmap, CHAOS_STACK, CHAOS_STACK_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED) != (long)CHAOS_STACK)
		return;
	chaos_state = seed | 1;
	top = CHAOS_STACK + CHAOS_STACK_SIZE - 16;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "call *%[loop]\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(CLONE_THREAD_ALL), "S"(top),
			   "d"(0), [loop] "r"(chaos_loop)
			 : "rcx", "r11", "r10", "r8", "memory");
	(void)ret;
}
