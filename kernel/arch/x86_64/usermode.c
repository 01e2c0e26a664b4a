/*
 * The MSRs behind SYSCALL/SYSRET, and the per-CPU data of the entry (see
 * usermode.h and syscall.S).
 */
#include "arch/x86_64/usermode.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/x86.h"

#define MSR_SYSENTER_CS    0x174
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
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
	/*
	 * Compatibility mode.  User code can far-jump into the 32-bit code
	 * segment (GDT_USER_CODE32, there because SYSRET needs it), and there
	 * SYSCALL enters ring 0 at CSTAR, still on the user's stack.  We have
	 * no 32-bit system call ABI (like Linux built without
	 * IA32_EMULATION), so CSTAR points to a stub that returns -ENOSYS at
	 * once without touching memory.  Left at 0, it would run ring-0 code
	 * at address 0 on a stack the user chose.
	 */
	wrmsr(MSR_CSTAR, (uint64_t)syscall_entry_compat);
	/* SYSENTER with SYSENTER_CS = 0 raises #GP (SDM Vol. 2B, SYSENTER):
	 * a user fault that kills the program, which is what we want. */
	wrmsr(MSR_SYSENTER_CS, 0);
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
