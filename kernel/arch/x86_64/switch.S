/*
 * context_switch: stop running the current thread and continue another.
 *
 *     void context_switch(uint64_t *save_rsp, uint64_t load_rsp);
 *
 * Called by schedule() (kernel/sched/sched.c) with interrupts off.  A
 * thread that is not running is always stopped inside this function, so
 * its whole state is its kernel stack: what its callers keep there, plus
 * the registers pushed below.  Switching is then: push, save rsp, load the
 * other thread's rsp, pop, return -- into the other thread's call of
 * context_switch, which returns to its schedule().
 *
 * Which registers?  Only the callee-saved ones of the System V AMD64 ABI
 * (section 3.2.1, "Registers and the Stack Frame"): rbx, rbp, r12-r15 (and
 * rsp, kept in *save_rsp).  The C compiler already assumes that a call
 * destroys rax, rcx, rdx, rsi, rdi, r8-r11 and the flags' status bits, so
 * schedule() keeps nothing it needs in them.  RFLAGS.IF is off on both
 * sides; RFLAGS.DF is clear by the ABI.  The kernel uses no SSE or x87
 * registers (-mgeneral-regs-only); user FPU state is stage syscalls' job.
 *
 * A new thread has never called context_switch: thread_create builds on
 * its stack the frame the pops below expect (struct switch_frame in
 * kernel/sched/thread.c), whose return address is thread_entry.
 */
	.text
	.global context_switch
	.type context_switch, @function
context_switch:
	/* Save the callee-saved registers on the old thread's stack. */
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)               /* *save_rsp = rsp: the old thread is saved */

	movq %rsi, %rsp                 /* from here on we are on the new thread's stack */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret                             /* into the new thread's context_switch caller */
	.size context_switch, . - context_switch

