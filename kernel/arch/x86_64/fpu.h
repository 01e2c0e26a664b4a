/*
 * The x87/SSE register state of user threads.
 *
 * The kernel itself never touches these registers (it is compiled with
 * -mgeneral-regs-only), but user programs do: musl's printf keeps doubles in
 * %xmm registers, and gcc copies structures with them.  So each user thread
 * owns a 512-byte FXSAVE area (Intel SDM Vol. 1, 10.5 "FXSAVE and FXRSTOR
 * Instructions"), and the context switch saves the outgoing user thread's
 * registers there and loads the incoming one's (proc_switch_hook in
 * proc.c).  Kernel threads have no area and leave the registers alone.
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <types.h>

#define FPU_AREA_SIZE 512

/* An FXSAVE area; FXSAVE/FXRSTOR fault unless it is 16-byte aligned. */
struct fpu_area {
	uint8_t bytes[FPU_AREA_SIZE];
} __attribute__((aligned(16)));

/*
 * Let user mode use SSE: CR0.EM clear (no x87 emulation), CR0.MP set,
 * CR0.TS clear (no #NM on first use), CR0.NE (an unmasked x87 exception
 * raises #MF, not the PC's legacy IRQ 13), CR4.OSFXSR (the OS saves SSE
 * state with FXSAVE) and CR4.OSXMMEXCPT (SIMD exceptions raise #XM).  Intel
 * SDM Vol. 3A, 14.1.3 "Initialization of the SSE Extensions", 9.2.2.
 */
void fpu_init(void);

/* Fill area with the state of a freshly reset FPU: x87 control word 0x37f
 * (all exceptions masked, double-extended precision), MXCSR 0x1f80 (all
 * SIMD exceptions masked, round to nearest), every register zero. */
void fpu_area_init(struct fpu_area *area);

static inline void fpu_save(struct fpu_area *area)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*area));
}

static inline void fpu_restore(const struct fpu_area *area)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*area));
}

#endif
