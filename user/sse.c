/*
 * sse: does the kernel keep each process's SSE registers?
 *
 * The kernel never uses the x87/SSE registers itself, so a process finds
 * them as it left them after a system call, unless another process ran in
 * between and the kernel did not save and restore them (FXSAVE/FXRSTOR at
 * the context switch).  Run two copies at once (`run=sse,1&sse,2`): each
 * fills %xmm0-%xmm15 and MXCSR with values of its own, yields the CPU, and
 * checks that they came back; a kernel that forgets to switch them gives a
 * copy the other's values.  musl's printf of a double (which uses SSE)
 * is checked too.
 *
 * Prints "sse: SEED: N rounds ok" (exit 0) or what went wrong (exit 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#define ROUNDS 300

/* MXCSR: all exceptions masked (0x1f80) and a rounding mode per seed. */
static uint32_t mxcsr_for(unsigned seed)
{
	return 0x1f80 | ((seed & 3) << 13);
}

/* Load xmm0-15 from in and MXCSR from *csr, sched_yield(), store them back. */
static void yield_with_registers(const uint8_t in[256], uint8_t out[256], uint32_t *csr)
{
	long nr = SYS_sched_yield;

	__asm__ volatile("ldmxcsr (%3)\n\t"
			 "movdqu 0(%1), %%xmm0\n\t"
			 "movdqu 16(%1), %%xmm1\n\t"
			 "movdqu 32(%1), %%xmm2\n\t"
			 "movdqu 48(%1), %%xmm3\n\t"
			 "movdqu 64(%1), %%xmm4\n\t"
			 "movdqu 80(%1), %%xmm5\n\t"
			 "movdqu 96(%1), %%xmm6\n\t"
			 "movdqu 112(%1), %%xmm7\n\t"
			 "movdqu 128(%1), %%xmm8\n\t"
			 "movdqu 144(%1), %%xmm9\n\t"
			 "movdqu 160(%1), %%xmm10\n\t"
			 "movdqu 176(%1), %%xmm11\n\t"
			 "movdqu 192(%1), %%xmm12\n\t"
			 "movdqu 208(%1), %%xmm13\n\t"
			 "movdqu 224(%1), %%xmm14\n\t"
			 "movdqu 240(%1), %%xmm15\n\t"
			 "syscall\n\t"
			 "movdqu %%xmm0, 0(%2)\n\t"
			 "movdqu %%xmm1, 16(%2)\n\t"
			 "movdqu %%xmm2, 32(%2)\n\t"
			 "movdqu %%xmm3, 48(%2)\n\t"
			 "movdqu %%xmm4, 64(%2)\n\t"
			 "movdqu %%xmm5, 80(%2)\n\t"
			 "movdqu %%xmm6, 96(%2)\n\t"
			 "movdqu %%xmm7, 112(%2)\n\t"
			 "movdqu %%xmm8, 128(%2)\n\t"
			 "movdqu %%xmm9, 144(%2)\n\t"
			 "movdqu %%xmm10, 160(%2)\n\t"
			 "movdqu %%xmm11, 176(%2)\n\t"
			 "movdqu %%xmm12, 192(%2)\n\t"
			 "movdqu %%xmm13, 208(%2)\n\t"
			 "movdqu %%xmm14, 224(%2)\n\t"
			 "movdqu %%xmm15, 240(%2)\n\t"
			 "stmxcsr (%3)"
			 : "+a"(nr)
			 : "r"(in), "r"(out), "r"(csr)
			 : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			   "xmm14", "xmm15");
}

int main(int argc, char *argv[])
{
	unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	uint8_t in[256], out[256];
	char text[64], want[64];
	double x = seed + 0.25;

	for (int round = 0; round < ROUNDS; round++) {
		uint32_t csr = mxcsr_for(seed), want_csr = csr;

		for (int i = 0; i < 256; i++)
			in[i] = (uint8_t)(seed * 131 + round * 7 + i);
		memset(out, 0, sizeof(out));
		yield_with_registers(in, out, &csr);
		if (memcmp(in, out, sizeof(in)) != 0 || (csr & 0xffff) != want_csr) {
			printf("sse: %u: round %d: registers changed across a system call "
			       "(mxcsr %#x, expected %#x)\n",
			       seed, round, csr, want_csr);
			return 1;
		}
	}
	/* printf formats doubles with SSE arithmetic: the digits must be right. */
	snprintf(text, sizeof(text), "%.3f", x * 1000.0 / 3.0);
	/* The same number in integers: (4 seed + 1) * 10^6 / 12 thousandths,
	 * rounded to nearest (never a tie: 10^6 (4 seed + 1) mod 12 is 0, 4 or 8). */
	unsigned long thousandths = ((seed * 4ul + 1) * 1000000 + 6) / 12;
	snprintf(want, sizeof(want), "%lu.%03lu", thousandths / 1000, thousandths % 1000);
	if (strcmp(text, want) != 0) {
		printf("sse: %u: printf(\"%%.3f\") gave %s, expected %s\n", seed, text, want);
		return 1;
	}
	printf("sse: %u: %d rounds ok, %s\n", seed, ROUNDS, text);
	return 0;
}
