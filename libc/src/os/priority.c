/*
 * Thread priorities: wrappers for SYS_os_setpriority and SYS_os_getpriority.
 *
 * This file is added to musl's tree as src/os/priority.c, so it is built
 * like the rest of musl: "syscall.h" is musl's internal header, whose
 * syscall() macro issues the system call and passes the result through
 * __syscall_ret(), which turns -errno into -1 with errno set.
 */
#include <os/os.h>
#include "syscall.h"

int os_setpriority(pid_t tid, int prio)
{
	return syscall(SYS_os_setpriority, tid, prio);
}

int os_getpriority(pid_t tid)
{
	return syscall(SYS_os_getpriority, tid);
}
