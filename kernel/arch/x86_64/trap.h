/*
 * Traps: CPU exceptions, hardware interrupts and software interrupts all
 * enter the kernel the same way.  The CPU pushes ss, rsp, rflags, cs, rip
 * (and, for some exceptions, an error code) on the kernel stack; the stub of
 * the vector in trapentry.S pushes a dummy error code where the CPU pushes
 * none, then the vector number; trap_common saves the general registers and
 * calls trap() with a pointer to the whole record, a struct trapframe.
 * Returning from trap() restores everything (changes to *tf included) and
 * resumes with iretq.
 *
 * Safe to include from assembly (the constants only).
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

/* Exception vectors (Intel SDM Vol. 3A, "Exception and Interrupt Vectors"). */
#define T_DIVIDE        0  /* #DE divide error */
#define T_DEBUG         1  /* #DB */
#define T_NMI           2  /* non-maskable interrupt */
#define T_BREAKPOINT    3  /* #BP int3 */
#define T_OVERFLOW      4  /* #OF into */
#define T_BOUND         5  /* #BR */
#define T_INVALID_OP    6  /* #UD */
#define T_NO_DEVICE     7  /* #NM */
#define T_DOUBLE_FAULT  8  /* #DF */
#define T_INVALID_TSS   10 /* #TS */
#define T_NO_SEGMENT    11 /* #NP */
#define T_STACK_FAULT   12 /* #SS */
#define T_GP_FAULT      13 /* #GP */
#define T_PAGE_FAULT    14 /* #PF */
#define T_FPU_ERROR     16 /* #MF */
#define T_ALIGNMENT     17 /* #AC */
#define T_MACHINE_CHECK 18 /* #MC */
#define T_SIMD_ERROR    19 /* #XM */
#define T_EXCEPTIONS    32 /* vectors 0-31 are reserved for exceptions */

/* The legacy PIC's 16 IRQs are remapped to vectors IRQ_BASE..IRQ_BASE+15. */
#define IRQ_BASE  32
#define IRQ_COUNT 16

#define NVECTORS 256

/* Page-fault error code bits (Intel SDM Vol. 3A, "Page-Fault Exceptions"). */
#define PF_PRESENT  0x01 /* 0: page not present; 1: protection violation */
#define PF_WRITE    0x02 /* the access was a write */
#define PF_USER     0x04 /* the access was made in user mode (CPL 3) */
#define PF_RESERVED 0x08 /* a reserved bit was set in a paging entry */
#define PF_FETCH    0x10 /* instruction fetch (reported when NX or SMEP is on) */

/*
 * Offsets in struct trapframe, for the assembly that builds and reads it
 * (syscall.S; PUSH_GENERAL_REGS in regs.h pushes r15..rax in the struct's
 * order).  The assertions below check them against the struct.
 */
#define TF_RAX    (14 * 8) /* the last general register */
#define TF_VECTOR (15 * 8) /* = the 15 general registers' bytes */
#define TF_RIP    (17 * 8)
#define TF_RFLAGS (19 * 8)
#define TF_RSP    (20 * 8)
#define TF_SIZE   (22 * 8)

#ifndef __ASSEMBLER__
#include <types.h>

/* Lowest address first: the order trap_common pushes in, reversed. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;                   /* pushed by the vector's stub */
	uint64_t error;                    /* pushed by the CPU, or 0 by the stub */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

_Static_assert(__builtin_offsetof(struct trapframe, r15) == 0, "regs.h pushes r15 last");
_Static_assert(__builtin_offsetof(struct trapframe, rax) == TF_RAX, "regs.h pushes rax first");
_Static_assert(__builtin_offsetof(struct trapframe, vector) == TF_VECTOR, "");
_Static_assert(__builtin_offsetof(struct trapframe, rip) == TF_RIP, "");
_Static_assert(__builtin_offsetof(struct trapframe, rflags) == TF_RFLAGS, "");
_Static_assert(__builtin_offsetof(struct trapframe, rsp) == TF_RSP, "");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapentry.S relies on this layout");

/* The C entry point of every trap; called by trap_common with interrupts off. */
void trap(struct trapframe *tf);

/* Did the trap interrupt user mode (CPL 3)? */
static inline bool trap_from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* "page fault", "general protection fault", ..., for vectors below 32. */
const char *trap_name(unsigned vector);

/* Print the registers of tf, one block of lines each starting with two spaces. */
void trap_print_frame(const struct trapframe *tf);

/*
 * Where trap_common continues after trap() returns: restore the trapframe on
 * the stack and iretq.  A new thread can start by "returning" through it from
 * a trapframe built on its stack (stage scheduler / syscalls).
 */
extern char trap_return[];

/* The entry stubs, one per vector, for the IDT (trapentry.S). */
extern const uint64_t trap_stubs[NVECTORS];

/*
 * Read one byte at addr, surviving a fault: 0 if the byte is readable,
 * -EFAULT if reading it faults (page fault or general protection).  The
 * fault handlers resume such a read at its fixup instead of reporting.
 */
int probe_read(const void *addr);
#endif

#endif
