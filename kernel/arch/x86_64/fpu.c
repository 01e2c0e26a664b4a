/*
 * SSE for user mode: see fpu.h.  One-time CPU set-up, and the initial
 * contents of a user thread's FXSAVE area.
 */
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)

/* Offsets in the FXSAVE area (Intel SDM Vol. 1, Table 10-2). */
#define FXSAVE_FCW   0
#define FXSAVE_MXCSR 24

void fpu_init(void)
{
	write_cr0((read_cr0() & ~(uint64_t)(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");
}

void fpu_area_init(struct fpu_area *area)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(area, 0, sizeof(*area));
	memcpy(area->bytes + FXSAVE_FCW, &fcw, sizeof(fcw));
	memcpy(area->bytes + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}
