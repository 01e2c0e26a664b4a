/*
 * uapi/os/syscall.h -- numbers of the system calls that are this OS's own.
 *
 * This header is shared, word for word, by the kernel and the C library:
 * the kernel includes it from kernel/include/uapi/os/, and libc/libc.mk
 * installs every kernel/include/uapi/os/ header into the user sysroot, so
 * user programs see this one as <os/syscall.h>.  Keep it plain C macros:
 * no types, no kernel-only or libc-only includes.
 *
 * Numbering.  For the POSIX subset it implements, the kernel uses the Linux
 * x86_64 system call numbers and calling convention (`syscall` instruction,
 * number in %rax, arguments in %rdi %rsi %rdx %r10 %r8 %r9, result in %rax,
 * -errno on failure).  That is what lets stock musl work unchanged.  Calls
 * that Linux does not have get numbers from OS_SYSCALL_FIRST up, far above
 * Linux's own (about 460 today) and below the x32 flag (0x40000000), so the
 * two ranges can never meet.  Same convention: -errno on failure; the libc
 * wrappers in <os/os.h> turn that into -1 and errno.
 *
 * Adding a call: take the next free number, bump OS_SYSCALL_LAST, then
 * follow "How to add a system call" in libc/README.md.  Never renumber or
 * reuse a number: built programs have it compiled in.
 */
#ifndef UAPI_OS_SYSCALL_H
#define UAPI_OS_SYSCALL_H

#define OS_SYSCALL_FIRST 1000 /* first number of the OS's own range */

/* Scheduling: thread priority (tid 0 = the calling thread). */
#define SYS_os_setpriority 1000 /* (tid, prio) -> 0 */
#define SYS_os_getpriority 1001 /* (tid) -> prio >= 0 */

/* Debugging: print the system calls of a process (pid 0 = caller). */
#define SYS_os_trace 1002 /* (pid, on) -> 0 */

/* Message passing by pid (ipc stage; <os/msg.h>). */
#define SYS_os_send 1003 /* (pid, buf, len, flags, timeout) -> 0 */
#define SYS_os_recv 1004 /* (from, buf, cap, &sender, flags, timeout) -> len */

/* Devices (drivers stage). */
#define SYS_os_console_xy  1005 /* console x,y mode: cells, colours, cursor */
#define SYS_os_serial_read 1006 /* read bytes typed on the serial port */

/* Driver memory: map physical pages the kernel registered as device memory
 * (the ramdisk, MMIO) into the caller; only for processes given the right. */
#define SYS_os_physmap 1007 /* (phys, len, prot) -> address */

/* The caller's mailbox as a descriptor, for poll and read (ipc stage). */
#define SYS_os_msgfd 1008 /* (flags: O_CLOEXEC, O_NONBLOCK) -> fd */

/* Interrupts as messages for drivers with the right (<os/irq.h>). */
#define SYS_os_irq_attach 1009 /* (irq, flags) -> 0: its interrupts come as messages */
#define SYS_os_irq_ack    1010 /* (irq) -> 0: handled, unmask the line */

/* Bytes into the console's terminal as if typed (the PS/2 keyboard driver). */
#define SYS_os_console_input 1011 /* (buf, len) -> len */

/* DMA memory for a driver with the right: contiguous frames below 4 GiB,
 * mapped uncached; their physical address through the pointer. */
#define SYS_os_dma_alloc 1012 /* (len, &phys) -> address */

#define OS_SYSCALL_LAST 1012 /* highest number in use; keep in step */

#endif /* UAPI_OS_SYSCALL_H */
