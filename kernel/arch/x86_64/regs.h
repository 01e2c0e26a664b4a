/*
 * Assembly macros that save and restore the general registers in the order
 * of struct trapframe (trap.h): PUSH_GENERAL_REGS leaves r15 at the lowest
 * address, as the struct's first field.  Shared by the interrupt entry
 * (trapentry.S) and the system-call entry (syscall.S), which build the same
 * frame.  Include from .S files only.
 */
#ifndef ARCH_X86_64_REGS_H
#define ARCH_X86_64_REGS_H

.macro PUSH_GENERAL_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro POP_GENERAL_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

#endif
