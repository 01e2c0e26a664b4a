/*
 * faults: do one thing a user program must not do, chosen by argv[1].
 *
 * The kernel must kill the program with a message naming it, the fault and
 * the address, and carry on.  Run `faults MODE`; MODE is one of:
 *
 *   null        read through a null pointer          page fault, not present
 *   null-write  write through a null pointer         page fault, not present
 *   write-text  write over the program's own code    page fault, present
 *   exec-stack  jump to code copied onto the stack   page fault on execute (NX)
 *   exec-heap   jump to code copied into malloc'd memory
 *   kernel-read read a kernel address                page fault, present (supervisor)
 *   kernel-write write a kernel address
 *   stack       recurse until the stack runs out     page fault below the stack
 *   privileged  execute hlt                          general protection
 *   cli         execute cli                          general protection
 *   port        read an I/O port (inb)               general protection
 *   gp          use a non-canonical address          general protection
 *   divide      divide by zero                       divide error
 *   ud          execute ud2                          invalid opcode
 *   breakpoint  execute int3                         breakpoint
 *
 * It prints "faults: MODE" first, so that the grader knows the program got
 * that far, and "faults: MODE did not fault" (exit status 1) if it survives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int sink;

int main(int argc, char *argv[]);

/* Recurse until the stack runs out (the test on `limit`, which is never
 * reached, keeps gcc from calling it an infinite recursion); the array makes
 * each frame use a good bit of stack, the addition after the call keeps the
 * recursion from becoming a loop, and noinline keeps gcc from merging
 * frames into one bigger than the kernel's guard gap below the stack. */
static volatile int limit = 1 << 30;

static __attribute__((noinline)) int recurse(int depth)
{
	volatile char frame[1024];

	frame[0] = (char)depth;
	if (depth == limit)
		return 0;
	return recurse(depth + 1) + frame[0];
}

/* Copy `ret` (0xc3) into buf and call it. */
static void run_code_at(unsigned char *buf)
{
	buf[0] = 0xc3;
	((void (*)(void))buf)();
}

static void do_fault(const char *mode)
{
	if (strcmp(mode, "null") == 0) {
		/* cppcheck-suppress nullPointer ; the fault is the point */
		sink = *(volatile int *)0;
	} else if (strcmp(mode, "null-write") == 0) {
		/* cppcheck-suppress nullPointer */
		*(volatile int *)0 = 1;
	} else if (strcmp(mode, "write-text") == 0) {
		*(volatile unsigned char *)(uintptr_t)main = 0xcc;
	} else if (strcmp(mode, "exec-stack") == 0) {
		unsigned char code[16];
		run_code_at(code);
	} else if (strcmp(mode, "exec-heap") == 0) {
		run_code_at(malloc(16));
	} else if (strcmp(mode, "kernel-read") == 0) {
		sink = *(volatile int *)0xffffffff80100000ul;
	} else if (strcmp(mode, "kernel-write") == 0) {
		*(volatile int *)0xffff800000001000ul = 1;
	} else if (strcmp(mode, "stack") == 0) {
		sink = recurse(0);
	} else if (strcmp(mode, "privileged") == 0) {
		__asm__ volatile("hlt");
	} else if (strcmp(mode, "cli") == 0) {
		__asm__ volatile("cli");
	} else if (strcmp(mode, "port") == 0) {
		unsigned char v;
		__asm__ volatile("inb $0x60, %0" : "=a"(v));
		sink = v;
	} else if (strcmp(mode, "gp") == 0) {
		sink = *(volatile int *)0x8000000000000000ul;
	} else if (strcmp(mode, "divide") == 0) {
		/* In assembly: gcc turns 1 / x into a comparison. */
		int zero = 0, quotient;
		__asm__ volatile("cltd; idivl %2" : "=a"(quotient) : "a"(1), "r"(zero) : "edx");
		sink = quotient;
	} else if (strcmp(mode, "ud") == 0) {
		__asm__ volatile("ud2");
	} else if (strcmp(mode, "breakpoint") == 0) {
		__asm__ volatile("int3");
	} else {
		printf("faults: unknown mode \"%s\"\n", mode);
		exit(2);
	}
}

int main(int argc, char *argv[])
{
	if (argc != 2) {
		printf("usage: faults MODE (see user/faults.c)\n");
		return 2;
	}
	printf("faults: %s\n", argv[1]);
	fflush(stdout);
	do_fault(argv[1]);
	printf("faults: %s did not fault\n", argv[1]);
	return 1;
}
