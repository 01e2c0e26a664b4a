/*
 * Trap entry: one small stub per vector, and the common code they jump to.
 *
 * On an interrupt or exception the CPU (Intel SDM Vol. 3A, "Interrupt and
 * Exception Handling", "64-Bit Mode Exception and Interrupt Handling"):
 *   - switches to the stack given by the gate's IST index (if nonzero), or to
 *     TSS.RSP0 when coming from user mode, else stays on the current stack;
 *   - aligns RSP down to 16 bytes and pushes ss, rsp, rflags, cs, rip, and for
 *     vectors 8, 10-14, 17, 21, 29 and 30 an error code;
 *   - clears IF (all our gates are interrupt gates), then jumps to the stub.
 *
 * Each stub makes the frame uniform: a dummy error code 0 where the CPU
 * pushes none, then the vector number.  trap_common saves the 15 general
 * registers below that, which makes a struct trapframe (trap.h), and calls
 * trap(tf).  The frame is 22 * 8 = 176 bytes, a multiple of 16, so the stack
 * is 16-byte aligned at the call as the SysV ABI requires.
 *
 * Call frame information (the .cfi_ lines, DWARF's unwinding rules, kept
 * in .debug_frame for the debugger only) lets GDB's `bt` cross a trap: at
 * every instruction of a stub and of trap_common it says where the CPU's
 * frame and the saved registers are, relative to rsp.  The canonical frame
 * address (CFA) is taken to be just above the saved ss.  The frames are
 * marked as signal frames: the interrupted rip is not a return address, so
 * the debugger must not look up rip - 1 as it does after a call.
 *
 * Stage syscalls: entries from user mode will need `swapgs` here (and
 * before the iretq back) once the kernel keeps per-CPU data in GS.
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/regs.h"

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR(n) ((n) == 8 || ((n) >= 10 && (n) <= 14) || (n) == 17 || \
		      (n) == 21 || (n) == 29 || (n) == 30)

	.cfi_sections .debug_frame

/* The CPU's frame: rip at CFA - 40 up to ss at CFA - 8; rsp = CFA - words
 * * 8 holds `words` more (error code, vector) below rip. */
.macro TRAP_CFI_FRAME words
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 40 + \words * 8
	.cfi_offset %rip, -40
	.cfi_offset %cs, -32
	.cfi_offset %rflags, -24
	.cfi_offset %rsp, -16
	.cfi_offset %ss, -8
.endm

	.altmacro
.macro TRAP_STUB n
	.balign 16
trap_stub_\n:
	.cfi_startproc simple
	.if HAS_ERROR(\n) == 0
	TRAP_CFI_FRAME 0
	pushq $0                        /* dummy error code */
	.cfi_adjust_cfa_offset 8
	.else
	TRAP_CFI_FRAME 1
	.endif
	pushq $\n                       /* vector number */
	.cfi_adjust_cfa_offset 8
	jmp trap_common
	.cfi_endproc
.endm

.macro TRAP_STUB_ADDRESS n
	.quad trap_stub_\n
.endm

	.section .text
	.balign 16
	.global trap_stubs_text
trap_stubs_text:
	.set vector, 0
	.rept 256
	TRAP_STUB %vector
	.set vector, vector + 1
	.endr

	.section .rodata
	.balign 8
	.global trap_stubs
trap_stubs:
	.set vector, 0
	.rept 256
	TRAP_STUB_ADDRESS %vector
	.set vector, vector + 1
	.endr
	.noaltmacro

	.section .text
	.global trap_common
	.type trap_common, @function
trap_common:
	.cfi_startproc simple
	TRAP_CFI_FRAME 2
	/* Save the general registers: the interrupted code must find them
	 * unchanged (an interrupt can strike between any two instructions). */
	PUSH_GENERAL_REGS cfi=1
	cld                             /* the C ABI wants DF clear; interrupted code may have set it */
	movq %rsp, %rdi                 /* trap(struct trapframe *tf) */
	call trap
	/* rbp was saved above and is unchanged, so backtraces from inside trap()
	 * continue into the interrupted code's callers. */

	.global trap_return
trap_return:
	POP_GENERAL_REGS cfi=1
	addq $16, %rsp                  /* drop the vector and error code */
	.cfi_adjust_cfa_offset -16
	iretq
	.cfi_endproc
	.size trap_common, . - trap_common

/*
 * int probe_read(const void *addr): read one byte; 0 if that worked.  If the
 * load at probe_read_insn faults, the page-fault and general-protection
 * handlers set the saved rip to probe_read_fault (trap.c), which returns
 * -EFAULT.  Touches only rdi and rax, so the fixup needs nothing restored.
 */
	.global probe_read, probe_read_insn, probe_read_fault
	.type probe_read, @function
probe_read:
probe_read_insn:
	movb (%rdi), %al
	xorl %eax, %eax
	ret
probe_read_fault:
	movl $-14, %eax                 /* -EFAULT */
	ret
	.size probe_read, . - probe_read
