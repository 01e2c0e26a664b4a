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
#define __NEED_uint64_t
#include <bits/alltypes.h>

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

#ifdef __cplusplus
}
#endif

#endif /* _OS_OS_H */
