/*
 * Moving data across the user/kernel boundary.
 *
 * A system call's pointer arguments are addresses in the calling process's
 * address space, chosen by the program: they may be null, unmapped, in the
 * kernel half, read-only, or run off the end of a mapping.  The kernel never
 * dereferences them directly.  It copies through these functions, which
 * refuse addresses outside the user half and let the MMU check the rest:
 * a page fault during a copy is resolved as the program's own would be
 * (demand paging, copy-on-write, stack growth), or else makes the copy
 * return -EFAULT (usercopy_fault).  So a bad pointer gets EFAULT, never a
 * kernel fault.
 *
 * User addresses are passed as uptr_t, a plain number, so that the compiler
 * refuses a dereference by mistake.
 *
 * All functions work on the current thread's process and are called with
 * interrupts on; they may sleep (a page fault during a copy may need the
 * OOM killer).
 */
#ifndef MM_USERCOPY_H
#define MM_USERCOPY_H

#include <types.h>

typedef uint64_t uptr_t;

struct trapframe;

/* Turn on SMEP and SMAP if the CPU has them (CPUID leaf 7): the kernel may
 * then neither execute nor (outside the functions below) touch user pages. */
void usercopy_init(void);

/* Does [uaddr, uaddr + n) lie inside the user half (no wrap-around)?  A
 * quick first check; it says nothing about what is mapped. */
bool user_range_ok(uptr_t uaddr, size_t n);

/* Copy n bytes between user memory and a kernel buffer: 0 or -EFAULT (then
 * a prefix may have been copied).  n == 0 always succeeds. */
int copy_from_user(void *dst, uptr_t usrc, size_t n);
int copy_to_user(uptr_t udst, const void *src, size_t n);

/*
 * Copy the NUL-terminated string at usrc into dst (size bytes): returns its
 * length (< size, dst NUL-terminated), -ENAMETOOLONG if it has no NUL in
 * the first size bytes, or -EFAULT.
 */
int64_t strncpy_from_user(char *dst, uptr_t usrc, size_t size);

/* Check that the whole range may be read (written, if write) by the
 * process, without copying: for calls that must fail before they block. */
int user_access_check(uptr_t uaddr, size_t n, bool write);

/*
 * A page fault in kernel mode at addr (trap.c): if it struck one of the
 * copy instructions, resolve it for the current process as a user fault,
 * or else make the copy resume at its fixup (it returns -EFAULT); true if
 * so, false if the fault was not a copy's (a kernel bug).
 */
bool usercopy_fault(struct trapframe *tf, uint64_t addr);

/*
 * Clear RFLAGS.AC on a trap from user mode.  A program may set AC (popf),
 * and an interrupt or exception, unlike SYSCALL (whose SFMASK clears it),
 * keeps it: with AC set, SMAP would not stop the kernel touching user pages.
 */
void usercopy_trap_entry(void);

#endif
