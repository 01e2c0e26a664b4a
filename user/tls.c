/*
 * tls: thread-local storage on the main thread.
 *
 * A static executable's TLS template is its PT_TLS segment: .tdata (initial
 * values, in the file) followed by .tbss (zeroes, not in the file).  The
 * kernel does not set TLS up itself; it passes AT_PHDR and AT_PHNUM, musl's
 * start-up code (__init_tls) finds PT_TLS among the program headers, copies
 * the template into a block placed below the thread pointer (x86_64 uses
 * "variant II": variables at negative offsets from %fs:0) and makes the
 * thread pointer point at it with arch_prctl(ARCH_SET_FS).  So this program
 * tests the loader (AT_PHDR right, PT_TLS inside a loaded segment), the
 * arch_prctl call and the kernel keeping %fs's base across system calls and
 * context switches.
 *
 * Each check prints "tls: WHAT ok" or "tls: WHAT FAILED ..."; the exit
 * status is the number of failures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static __thread int counter = 42;                   /* .tdata */
static __thread char greeting[16] = "thread-local"; /* .tdata */
static __thread long zeroes[64];                    /* .tbss */
static __thread _Alignas(64) char aligned_var[8];   /* .tbss, 64-aligned */

static int failures;

static void check(const char *what, int ok, const char *detail)
{
	printf("tls: %s %s%s%s\n", what, ok ? "ok" : "FAILED", ok ? "" : ": ", ok ? "" : detail);
	if (!ok)
		failures++;
}

/* The thread pointer as the CPU sees it: %fs:0 holds the TCB's own address
 * (the ABI's self pointer), which musl's pthread_self() also returns. */
static uintptr_t thread_pointer(void)
{
	uintptr_t tp;

	__asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
	return tp;
}

int main(void)
{
	uintptr_t tp = thread_pointer();
	int all_zero = 1;
	struct timespec ts = { 0, 1000000 };

	check("initialised int (.tdata) is 42", counter == 42, "wrong initial value");
	check("initialised string (.tdata)", strcmp(greeting, "thread-local") == 0,
	      "wrong initial value");
	for (size_t i = 0; i < sizeof(zeroes) / sizeof(zeroes[0]); i++)
		if (zeroes[i])
			all_zero = 0;
	check("zero-initialised array (.tbss)", all_zero, "not zero");
	aligned_var[0] = 1;
	/* Hide the address from the compiler, which knows it is aligned. */
	uintptr_t aligned_addr = (uintptr_t)aligned_var;
	__asm__ volatile("" : "+r"(aligned_addr));
	check("64-byte aligned variable", (aligned_addr & 63) == 0, "misaligned");
	check("variables lie below the thread pointer",
	      (uintptr_t)&counter < tp && (uintptr_t)&zeroes[63] < tp, "variant II layout broken");
	check("%fs:0 points to itself", tp != 0 && *(uintptr_t *)tp == tp, "bad self pointer");

	counter += 1;
	zeroes[5] = 7;
	strcpy(greeting, "changed");
	/* System calls and a sleep (another thread may run meanwhile): the
	 * kernel must give %fs's base back each time. */
	for (int i = 0; i < 3; i++) {
		getpid();
		nanosleep(&ts, NULL);
	}
	check("values survive system calls and sleeps",
	      counter == 43 && zeroes[5] == 7 && strcmp(greeting, "changed") == 0 &&
		      thread_pointer() == tp,
	      "lost");
	/* errno lives in the thread structure too. */
	errno = 0;
	check("errno is thread-local and works", close(-1) == -1 && errno == EBADF, "wrong errno");

	printf("tls: %d failures\n", failures);
	return failures;
}
