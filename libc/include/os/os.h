/*
 * <os/os.h> -- C functions for this OS's own system calls.
 *
 * The kernel speaks Linux's system call interface for everything POSIX, so
 * the rest of the C library is stock musl.  The calls Linux lacks have
 * numbers of their own (see <os/syscall.h>, shared with the kernel) and get
 * their first-class functions here.  They follow the POSIX convention: on
 * failure they return -1 and set errno; on a kernel that lacks the call
 * (for example when the program runs on Linux) errno is ENOSYS.
 *
 * The functions live in libc/src/os/ and are built into libc.a; see
 * libc/README.md for how to add one.
 */
#ifndef _OS_OS_H
#define _OS_OS_H

#ifdef __cplusplus
extern "C" {
#endif

#define __NEED_pid_t
#define __NEED_size_t
#define __NEED_ssize_t
#define __NEED_uint64_t
#define __NEED_time_t
#define __NEED_struct_timespec
#include <bits/alltypes.h>

#include <os/console.h>
#include <os/irq.h>
#include <os/msg.h>
#include <os/syscall.h>

/*
 * Scheduling priority of thread `tid` (0 = the calling thread).  Priorities
 * are small non-negative integers whose range the kernel's scheduler
 * defines; a bad value fails with EINVAL, an unknown thread with ESRCH.
 */
int os_setpriority(pid_t tid, int prio);

/* Returns the priority of thread `tid` (0 = caller), or -1 and errno. */
int os_getpriority(pid_t tid);

/*
 * Turn system call tracing of process `pid` (0 = caller) on (`on` != 0) or
 * off.  While on, the kernel prints each system call the process makes,
 * with its arguments and result, on the console.
 */
int os_trace(pid_t pid, int on);

/*
 * Map the physical pages [phys, phys + len) (len rounded up to whole pages)
 * into the caller, with mmap's PROT_* bits in prot, and return their
 * address: the memory itself, not a copy, so writes reach it (the ramdisk
 * for the FAT server; a device's registers for a driver).  munmap removes
 * the mapping; the pages are never freed.  On failure returns MAP_FAILED
 * ((void *)-1) with errno EPERM (the process was not given the right),
 * EINVAL (len 0, phys not page aligned, bad prot, or a range the kernel
 * did not register as device memory) or ENOMEM.
 */
void *os_physmap(uint64_t phys, size_t len, int prot);

/*
 * DMA memory for a driver whose device reads and writes memory itself:
 * len bytes (rounded up to pages, at most 1 MiB) of zeroed, physically
 * contiguous memory below 4 GiB, mapped read-write and uncached.  Stores
 * the physical address of its first byte (what the device is told) at
 * *phys and returns the virtual one.  munmap or exit frees it; before a
 * process that allocated DMA memory exits or execs, the kernel turns off
 * bus mastering on every PCI device.  MAP_FAILED with errno EPERM (no
 * right), EINVAL (len 0 or above 1 MiB), ENOMEM, EFAULT (bad phys).
 */
void *os_dma_alloc(size_t len, uint64_t *phys);

/*
 * Interrupts as messages (<os/irq.h>), for a process with the right to
 * touch hardware (drivers= on the kernel command line).  os_irq_attach
 * takes IRQ line irq (0-15; flags 0): each interrupt then masks the line
 * and queues a struct os_irq_msg from pid 0, which os_recv(OS_MSG_ANY)
 * returns; os_irq_ack(irq) unmasks the line for the next one.  The line is
 * masked and freed when the process ends.  -1 with errno EPERM (no right),
 * EINVAL (no such line, flags not 0; for os_irq_ack, a line the caller has
 * not attached), EBUSY (the kernel or another process has the line).
 */
int os_irq_attach(int irq, int flags);
int os_irq_ack(int irq);

/*
 * Put the len bytes at buf into the console's input as if they had been
 * typed on its serial line: the terminal's line discipline echoes and
 * edits them, Ctrl-C signals (a keyboard driver's keys).  Returns len, or
 * -1 with errno EPERM (no right) or EFAULT.
 */
ssize_t os_console_input(const void *buf, size_t len);

/*
 * Read up to len bytes typed on the serial port, raw (no echo, no line
 * editing, no signals), returning as soon as there is one: waiting at most
 * timeout_ms milliseconds, 0 not at all, -1 for ever.  The first call
 * makes the caller the port's raw reader until it exits: what is typed
 * meanwhile is its, not the console's.  Returns the bytes read, 0 when
 * none came in time, or -1 with errno EINVAL (timeout below -1), EFAULT,
 * EINTR, EBUSY (another process reads the port raw).
 */
ssize_t os_serial_read(void *buf, size_t len, int timeout_ms);

/*
 * Messages by pid (limits and flags in <os/msg.h>).  os_send puts the len
 * bytes at buf in the mailbox of process pid (OS_MSG_PARENT: the caller's
 * parent), waiting while it holds OS_MSG_QUEUE_MAX messages unless flags
 * has OS_MSG_NONBLOCK.  A message over OS_MSG_INLINE_MAX bytes moves its
 * pages: buf must be page aligned, in private memory, and is unmapped
 * from the caller (the bytes past len in the last page are not sent).
 * Returns 0, or -1 with errno ESRCH (no such process, or no parent),
 * EMSGSIZE (len > OS_MSG_MAX), EINVAL, EFAULT, EAGAIN (full), EINTR.
 */
int os_send(pid_t pid, const void *buf, size_t len, int flags);
/* os_send waiting at most *timeout (relative; ETIMEDOUT). */
int os_send_timeout(pid_t pid, const void *buf, size_t len, int flags,
		    const struct timespec *timeout);

/*
 * Receive the oldest message from process `from` (OS_MSG_ANY: from
 * anyone) into buf (cap bytes, OS_MSG_MAX always enough), its sender's
 * pid into *sender (if not NULL), waiting for one unless flags has
 * OS_MSG_NONBLOCK.  A page-moving message lands in buf by remapping when
 * buf is page aligned in private memory (its old pages are freed), else
 * it is copied.  Returns the length, or -1 with errno EAGAIN (none),
 * ESRCH (from is no process and sent nothing still queued), EMSGSIZE
 * (cap too small: the message stays queued), EFAULT (it stays too),
 * EINVAL, EINTR.
 */
ssize_t os_recv(pid_t from, void *buf, size_t cap, pid_t *sender, int flags);
/*
 * The caller's mailbox as a descriptor (flags: O_CLOEXEC, O_NONBLOCK), to
 * wait for a message together with files: poll and select see POLLIN
 * while a message is queued; read receives the next message from anyone
 * (EAGAIN with O_NONBLOCK; 0 once the mailbox's process has exited).
 * Returns the descriptor, or -1 with errno EINVAL, EMFILE, ENOMEM.
 */
int os_msgfd(int flags);

/*
 * The console's x,y mode (<os/console.h> tells the cells and the rules):
 * os_console_take makes the caller the screen's one owner (EBUSY if
 * another process has it) with a blank grid and a hidden cursor;
 * os_console_put sets n cells (EINVAL for one outside the grid; the ones
 * before it are set), os_console_clear every cell, os_console_cursor the
 * cursor (shown if visible); none of it shows until os_console_flush(r)
 * shows the changes in rectangle r (NULL: all of the screen) on the screen
 * and on serial.  os_console_release (or the caller's exit, however it
 * ends) gives the terminal its screen back as it was.  All but
 * os_console_info fail with EPERM unless the caller owns the screen;
 * EFAULT for a bad pointer.
 */
int os_console_info(struct os_console_info *info);
int os_console_take(void);
int os_console_release(void);
int os_console_put(const struct os_cell *cells, size_t n);
int os_console_clear(unsigned short cell);
int os_console_cursor(int x, int y, int visible);
int os_console_flush(const struct os_console_rect *r);

/* os_recv waiting at most *timeout (relative; ETIMEDOUT). */
ssize_t os_recv_timeout(pid_t from, void *buf, size_t cap, pid_t *sender, int flags,
			const struct timespec *timeout);

#ifdef __cplusplus
}
#endif

#endif /* _OS_OS_H */
