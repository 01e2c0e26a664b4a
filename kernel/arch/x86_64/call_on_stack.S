/*
 * void call_on_stack(uint64_t top, void (*fn)(void *), void *arg)
 *
 * Call fn(arg) on another stack whose top (16-byte aligned) is `top`, then
 * come back to the current stack.  Used before there are threads to run code
 * on a kernel stack from kstack_alloc (for example the stack-overflow test).
 * rbp keeps pointing at this frame on the old stack, so fn's frame links back
 * to it and backtraces cross from the new stack to the old one.
 */
	.section .text
	.global call_on_stack
	.type call_on_stack, @function
call_on_stack:
	pushq %rbp
	movq %rsp, %rbp
	movq %rdi, %rsp                 /* switch stacks; aligned, so fn sees rsp = 8 mod 16 */
	movq %rdx, %rdi
	call *%rsi
	movq %rbp, %rsp                 /* rbp is callee-saved: back to the old stack */
	popq %rbp
	ret
	.size call_on_stack, . - call_on_stack
