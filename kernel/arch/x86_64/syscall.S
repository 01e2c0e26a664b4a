/*
 * The SYSCALL entry point and the way back (see usermode.h).
 *
 * On SYSCALL the CPU has: rip = syscall_entry, rcx = user rip (the
 * instruction after `syscall`), r11 = user rflags, IF/TF/DF/AC cleared
 * (SFMASK), CS/SS = kernel.  rsp is still the user's.  The system call
 * number is in rax, the arguments in rdi, rsi, rdx, r10, r8, r9 (Linux's
 * convention: r10 replaces rcx, which SYSCALL overwrites).
 *
 * We switch to the thread's kernel stack (cpu_local.kernel_rsp, through
 * GS after swapgs), push a struct trapframe exactly as an interrupt from
 * user mode would have (ss, rsp, rflags, cs, rip, as the error code the
 * call's number (proc/signal.c restarts calls with it), vector T_SYSCALL,
 * then the 15 general registers in trap_common's order), turn
 * interrupts on and call syscall_dispatch(tf), which leaves the result in
 * tf->rax.  The frame is 22 * 8 bytes below a 16-byte aligned stack top,
 * so the call is aligned as the ABI wants.
 *
 * The .cfi_ lines (call frame information for the debugger's unwinder, as
 * in trapentry.S) say where the user's rip, rsp and rflags are at each
 * instruction -- in rcx and r11 at first, then in the frame -- so that
 * GDB's `bt` in a system call reaches the user program's rip.  The CFA
 * is the top of the kernel stack, just above the saved ss.
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/regs.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/usermode.h"
#include <errno.h>

	.cfi_sections .debug_frame

	.section .text
	.global syscall_entry
	.type syscall_entry, @function
syscall_entry:
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 0                    /* the user's rsp */
	.cfi_register %rip, %rcx
	.cfi_register %rflags, %r11
	swapgs                                  /* GS base = &cpu_local */
	movq %rsp, %gs:CPU_LOCAL_USER_RSP
	movq %gs:CPU_LOCAL_KERNEL_RSP, %rsp
	/* The CFA is the kernel stack's top from here on.  For the next two
	 * instructions the user's rsp is only in cpu_local, where DWARF cannot
	 * point, so the debugger takes the CFA for it. */
	.cfi_def_cfa %rsp, 0
	pushq $USER_DS                          /* ss */
	.cfi_adjust_cfa_offset 8
	pushq %gs:CPU_LOCAL_USER_RSP            /* rsp */
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rsp, -16
	swapgs                                  /* GS base = the user's again */
	pushq %r11                              /* rflags */
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rflags, -24
	pushq $USER_CS                          /* cs */
	.cfi_adjust_cfa_offset 8
	pushq %rcx                              /* rip */
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rip, -40
	pushq %rax                              /* "error code": the number (signal.c restarts) */
	.cfi_adjust_cfa_offset 8
	pushq $T_SYSCALL                        /* vector */
	.cfi_adjust_cfa_offset 8
	PUSH_GENERAL_REGS cfi=1
	xorl %ebp, %ebp                         /* backtraces end here */
	movq %rsp, %rdi
	sti
	call syscall_dispatch
	cli

/*
 * Back to user mode.  SYSRET loads rip from rcx and rflags from r11 and
 * returns to CPL 3 without touching the stack, so it is faster than IRETQ;
 * but if rcx is not canonical it raises #GP *in ring 0*, on the user's
 * stack (the famous SYSRET bug: CVE-2012-0217).  The user half ends at
 * 0x00007fffffffffff, so bits 63-47 of a good rip are all zero; any other
 * rip (only possible if the kernel changed tf->rip) goes out through
 * IRETQ, which faults in user mode instead.
 */
	movq TF_RIP(%rsp), %rcx
	shrq $47, %rcx
	jnz trap_return                         /* trapentry.S: pops the frame, iretq */
	POP_GENERAL_REGS cfi=1                  /* rcx and r11 are replaced below */
	/* rsp now points at the vector; rip, rflags and rsp lie above it. */
	movq TF_RIP - TF_VECTOR(%rsp), %rcx
	movq TF_RFLAGS - TF_VECTOR(%rsp), %r11
	movq TF_RSP - TF_VECTOR(%rsp), %rsp     /* the user stack: no more pushes */
	.cfi_def_cfa %rsp, 0
	.cfi_same_value %rsp
	.cfi_register %rip, %rcx
	.cfi_register %rflags, %r11
	sysretq
	.cfi_endproc
	.size syscall_entry, . - syscall_entry

/*
 * SYSCALL from 32-bit compatibility mode lands here (CSTAR), in ring 0
 * with the user's rsp and IF clear.  There is no 32-bit system call ABI, so
 * refuse the call the way Linux's ignore_sysret does: -ENOSYS in eax and
 * straight back with SYSRET to compatibility mode (sysretl loads
 * CS = STAR[63:48] | 3, the 32-bit user code segment).  Nothing here may
 * touch memory: the stack and GS are still the user's.  NMI and machine
 * checks in this window arrive on IST stacks; TF is cleared by SFMASK.
 */
	.global syscall_entry_compat
	.type syscall_entry_compat, @function
syscall_entry_compat:
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 0                    /* the user's rsp */
	.cfi_register %rip, %rcx
	.cfi_register %rflags, %r11
	movl $-ENOSYS, %eax
	sysretl
	.cfi_endproc
	.size syscall_entry_compat, . - syscall_entry_compat

/*
 * NORETURN void usermode_enter(struct trapframe *tf): make tf the stack
 * and leave through trap_return, which restores the registers and IRETQs
 * to tf->cs:tf->rip with tf->rflags and tf->ss:tf->rsp.
 */
	.global usermode_enter
	.type usermode_enter, @function
usermode_enter:
	.cfi_startproc
	cli
	movq %rdi, %rsp
	.cfi_undefined %rip                     /* the caller's frame is abandoned */
	jmp trap_return
	.cfi_endproc
	.size usermode_enter, . - usermode_enter
