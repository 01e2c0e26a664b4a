/*
 * The MSRs behind SYSCALL/SYSRET, and the per-CPU data of the entry (see
 * usermode.h and syscall.S).
 */
#include "arch/x86_64/usermode.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/x86.h"

#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_SFMASK         0xc0000084
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* RFLAGS bits SYSCALL clears: TF (no single-stepping into the kernel), IF
 * (the entry runs with interrupts off until it is on the kernel stack), DF
 * (the C ABI wants it clear), IOPL, AC (SMAP must stay armed: user mode can
 * set AC, and the kernel must not inherit it) and NT. */
#define SFMASK_BITS ((1u << 8) | (1u << 9) | (1u << 10) | (3u << 12) | (1u << 18) | (1u << 14))

struct cpu_local cpu_local;

void usermode_init(void)
{
/* BEGIN STAGE syscalls: SYSCALL's MSRs: STAR (selectors), LSTAR (entry), SFMASK; EFER.SCE */
	/*
	 * STAR[47:32]: SYSCALL loads CS = that (kernel code) and SS = that + 8
	 * (kernel data).  STAR[63:48]: SYSRET loads CS = that + 16 (user
	 * code64, 0x28) and SS = that + 8 (user data, 0x20), both with RPL 3.
	 * gdt.h lays the GDT out for exactly this.
	 */
	wrmsr(MSR_STAR, ((uint64_t)GDT_USER_CODE32 << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, SFMASK_BITS);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
/* STUB
END STAGE syscalls */
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&cpu_local);
}

void usermode_set_kernel_stack(uint64_t top)
{
	cpu_local.kernel_rsp = top;
}
