/*
 * Assembly macros that save and restore the general registers in the order
 * of struct trapframe (trap.h): PUSH_GENERAL_REGS leaves r15 at the lowest
 * address, as the struct's first field.  Shared by the interrupt entry
 * (trapentry.S) and the system-call entry (syscall.S), which build the same
 * frame.  Include from .S files only.
 *
 * With `cfi=1` (inside .cfi_startproc) each push and pop also tells the
 * debugger's unwinder (DWARF call frame information) where the register is
 * saved and how far rsp moved, so that GDB's `bt` is right at every
 * instruction of the entry code.
 */
#ifndef ARCH_X86_64_REGS_H
#define ARCH_X86_64_REGS_H

.macro PUSH_GENERAL_REGS cfi=0
	.irp reg, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	pushq %\reg
	.if \cfi
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset \reg, 0
	.endif
	.endr
.endm

.macro POP_GENERAL_REGS cfi=0
	.irp reg, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax
	popq %\reg
	.if \cfi
	.cfi_adjust_cfa_offset -8
	.cfi_restore \reg
	.endif
	.endr
.endm

#endif
