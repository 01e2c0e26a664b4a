/*
 * The instructions that touch user memory for usercopy.c, each listed in
 * the exception table (.extable: pairs of the faulting instruction's
 * address and where to resume instead).  A page fault at one of them that
 * the address space cannot resolve (usercopy_fault) resumes at its fixup,
 * which returns how much was left undone.
 */

/*
 * size_t usercopy_bytes(void *dst, const void *src, size_t n): copy n bytes
 * (eight at a time, then the rest); the number of bytes not copied, 0 if
 * all were.
 */
	.text
	.global usercopy_bytes
	.type usercopy_bytes, @function
usercopy_bytes:
	movq %rdx, %rcx
	shrq $3, %rcx
	andl $7, %edx
.Lquads:
	rep movsq
	movq %rdx, %rcx
.Lbytes:
	rep movsb
	xorl %eax, %eax
	ret
.Lquads_fault:                          /* rcx quads and rdx bytes were left */
	leaq (%rdx,%rcx,8), %rax
	ret
.Lbytes_fault:                          /* rcx bytes were left */
	movq %rcx, %rax
	ret
	.size usercopy_bytes, . - usercopy_bytes

/*
 * int64_t usercopy_string(char *dst, const char *src, size_t n): copy the
 * string at src up to and with its NUL, at most n bytes; its length if
 * the NUL came within n bytes, n if not, -1 if a read faulted.
 */
	.global usercopy_string
	.type usercopy_string, @function
usercopy_string:
	xorl %eax, %eax
1:	cmpq %rdx, %rax
	je 2f
.Lstring_load:
	movzbl (%rsi,%rax), %ecx
	movb %cl, (%rdi,%rax)
	testb %cl, %cl
	je 2f
	incq %rax
	jmp 1b
2:	ret
.Lstring_fault:
	movq $-1, %rax
	ret
	.size usercopy_string, . - usercopy_string

	.section .extable, "a"
	.balign 8
	.quad .Lquads, .Lquads_fault
	.quad .Lbytes, .Lbytes_fault
	.quad .Lstring_load, .Lstring_fault

