/*
 * Crossing into user mode and back: the SYSCALL entry point, the first
 * entry of a new process into ring 3, and the per-CPU data the entry uses.
 *
 * SYSCALL (Intel SDM Vol. 2B, "SYSCALL"; Vol. 3A, 5.8.8 "Fast System
 * Calls in 64-Bit Mode") does much less than an interrupt: it loads CS and
 * SS from the STAR MSR, saves the user rip in %rcx and rflags in %r11,
 * clears the rflags bits named in the SFMASK MSR (we clear IF, so the entry
 * runs with interrupts off) and jumps to the address in LSTAR.  It does
 * *not* switch stacks: %rsp still points into user memory.  So the entry
 * (syscall.S) needs somewhere to find the kernel stack without touching
 * the user stack or any register but %rsp: that is `struct cpu_local`,
 * reached through the GS segment after `swapgs`, which exchanges the GS base
 * with the KERNEL_GS_BASE MSR.  The entry swaps back at once, so outside
 * those few instructions the GS base is always the user's (the kernel does
 * not use GS) and KERNEL_GS_BASE always points to cpu_local; interrupts and
 * exceptions therefore need no swapgs.
 *
 * The entry saves the user registers as a struct trapframe (trap.h), the
 * same record an interrupt from user mode leaves, so that everything that
 * looks at a user thread's registers (fault reports, fork, signal delivery)
 * sees one layout.  It returns with SYSRET when it can, else with IRETQ.
 *
 * Safe to include from assembly (the constants only).
 */
#ifndef ARCH_X86_64_USERMODE_H
#define ARCH_X86_64_USERMODE_H

/* The trapframe's "vector" for a system call (not a real vector). */
#define T_SYSCALL 0x100

#define CPU_LOCAL_KERNEL_RSP 0
#define CPU_LOCAL_USER_RSP   8

#ifndef __ASSEMBLER__
#include <types.h>

struct trapframe;

/* The per-CPU data the SYSCALL entry reads through %gs (one CPU). */
struct cpu_local {
	uint64_t kernel_rsp; /* top of the running thread's kernel stack */
	uint64_t user_rsp;   /* scratch: the user %rsp during the entry */
};

_Static_assert(__builtin_offsetof(struct cpu_local, kernel_rsp) == CPU_LOCAL_KERNEL_RSP, "");
_Static_assert(__builtin_offsetof(struct cpu_local, user_rsp) == CPU_LOCAL_USER_RSP, "");

/* Program STAR, LSTAR, SFMASK, KERNEL_GS_BASE and EFER.SCE. */
void usermode_init(void);

/* The kernel stack the next SYSCALL will use (the running thread's; the
 * scheduler sets it at every switch, like TSS.RSP0). */
void usermode_set_kernel_stack(uint64_t top);

/*
 * Enter user mode with the registers in *tf (cs, ss, rip, rsp, rflags and
 * the general registers), by loading them and executing IRETQ: how a new
 * process starts.  tf may be anywhere on the current kernel stack; what is
 * below it is abandoned.
 */
NORETURN void usermode_enter(struct trapframe *tf);

/* syscall.S: the LSTAR target, and the CSTAR target (SYSCALL from 32-bit
 * compatibility mode), which refuses the call with -ENOSYS. */
void syscall_entry(void);
void syscall_entry_compat(void);
#endif

#endif
