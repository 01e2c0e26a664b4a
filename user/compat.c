/*
 * compat: switch to 32-bit compatibility mode, as any program can, and try
 * the ways into the kernel from there.
 *
 * The GDT has a ring-3 32-bit code segment (selector 0x1b) because SYSRET
 * derives its selectors from it, so a far jump to 0x1b:addr runs 32-bit
 * code.  From there SYSCALL enters the kernel through the CSTAR MSR, not
 * LSTAR.  kestrel has no 32-bit system call ABI (like Linux built without
 * IA32 emulation): the call must fail with -ENOSYS and the program go on.
 * Run `compat MODE`; MODE is one of:
 *
 *   syscall   `syscall` (getpid's number) in compatibility mode: -ENOSYS
 *   kstack    the same with rsp pointing into the kernel half first: the
 *             kernel must not push anything there
 *   int80     `int $0x80`, the 32-bit system call gate: general protection
 *   sysenter  `sysenter`: general protection (or #UD, on AMD CPUs)
 *   ud        ud2 in compatibility mode: killed with #UD
 *
 * It prints "compat: MODE" first, then for syscall and kstack the value the
 * call returned ("compat: syscall returned -38"); the other modes are
 * killed, and print "compat: MODE did not fault" (exit status 1) if not.
 * The selectors are kestrel's: on Linux the 32-bit user code segment is
 * 0x23 and 0x1b is a data segment, so there every mode dies at the far jump.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* What the 32-bit code does (in %ebx). */
#define OP_SYSCALL  0
#define OP_INT80    1
#define OP_SYSENTER 2
#define OP_UD       3

#define SEL_USER_CODE32 0x1b /* the kernel's GDT: 0x18, RPL 3 */
#define SEL_USER_CODE64 0x2b /* 0x28, RPL 3 */
#define NR_GETPID       39   /* Linux x86_64 (in the 32-bit table: mkdir) */
#define STR_(x)         #x
#define STR(x)          STR_(x)

/*
 * long compat_run(int op, uint64_t rsp): far-jump to 32-bit code that does
 * op with eax = NR_GETPID (and rsp as given, if not 0), far-jump back to
 * 64-bit mode and return eax sign-extended.  Every callee-saved register is
 * kept on the original stack, whose address is kept in compat_saved_rsp:
 * the upper halves of registers are undefined across a mode switch.
 */
long compat_run(int op, uint64_t rsp);
/* clang-format off */
__asm__(".text\n"
	".globl compat_run\n"
	"compat_run:\n"
	"	pushq %rbx\n"
	"	pushq %rbp\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, compat_saved_rsp(%rip)\n"
	"	movl %edi, %ebx\n"
	"	movl $" STR(NR_GETPID) ", %eax\n"
	"	testq %rsi, %rsi\n"
	"	jz 1f\n"
	"	movq %rsi, %rsp\n"
	"1:	ljmpl *compat_target(%rip)\n"
	".code32\n"
	"compat_code:\n"
	"	cmpl $" STR(OP_INT80) ", %ebx\n"
	"	je 2f\n"
	"	cmpl $" STR(OP_SYSENTER) ", %ebx\n"
	"	je 3f\n"
	"	cmpl $" STR(OP_UD) ", %ebx\n"
	"	je 4f\n"
	"	syscall\n"
	"	ljmpl $" STR(SEL_USER_CODE64) ", $compat_back\n"
	"2:	int $0x80\n"
	"	ljmpl $" STR(SEL_USER_CODE64) ", $compat_back\n"
	"3:	sysenter\n"
	"	ljmpl $" STR(SEL_USER_CODE64) ", $compat_back\n"
	"4:	ud2\n"
	".code64\n"
	"compat_back:\n"
	"	movq compat_saved_rsp(%rip), %rsp\n"
	"	movslq %eax, %rax\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbp\n"
	"	popq %rbx\n"
	"	ret\n"
	".data\n"
	"compat_saved_rsp: .quad 0\n"
	"compat_target: .long compat_code\n"
	"	.word " STR(SEL_USER_CODE32) "\n"
	".text\n");
/* clang-format on */

/* A kernel-half address (the direct map) for rsp in mode kstack. */
#define KERNEL_RSP 0xffff800000600000ul

int main(int argc, char *argv[])
{
	static const struct {
		const char *mode;
		int op;
		uint64_t rsp;
		int faults;
	} modes[] = {
		{ "syscall", OP_SYSCALL, 0, 0 }, { "kstack", OP_SYSCALL, KERNEL_RSP, 0 },
		{ "int80", OP_INT80, 0, 1 },     { "sysenter", OP_SYSENTER, 0, 1 },
		{ "ud", OP_UD, 0, 1 },
	};

	if (argc != 2) {
		printf("usage: compat MODE (see user/compat.c)\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].mode) != 0)
			continue;
		printf("compat: %s\n", argv[1]);
		fflush(stdout);
		long ret = compat_run(modes[i].op, modes[i].rsp);
		if (modes[i].faults) {
			printf("compat: %s did not fault\n", argv[1]);
			return 1;
		}
		printf("compat: %s returned %ld\n", argv[1], ret);
		return 0;
	}
	printf("compat: unknown mode \"%s\"\n", argv[1]);
	return 2;
}
