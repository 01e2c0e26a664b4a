/*
 * Messages by pid: wrappers for SYS_os_send and SYS_os_recv (<os/os.h>,
 * limits and flags in <os/msg.h>).  Like the other files of libc/src/os/,
 * built inside musl's tree, where "syscall.h" is musl's internal header.
 */
#include <os/os.h>
#include "syscall.h"

int os_send(pid_t pid, const void *buf, size_t len, int flags)
{
	return syscall(SYS_os_send, pid, buf, len, flags, 0);
}

int os_send_timeout(pid_t pid, const void *buf, size_t len, int flags,
		    const struct timespec *timeout)
{
	return syscall(SYS_os_send, pid, buf, len, flags, timeout);
}

ssize_t os_recv(pid_t from, void *buf, size_t cap, pid_t *sender, int flags)
{
	return syscall(SYS_os_recv, from, buf, cap, sender, flags, 0);
}

ssize_t os_recv_timeout(pid_t from, void *buf, size_t cap, pid_t *sender, int flags,
			const struct timespec *timeout)
{
	return syscall(SYS_os_recv, from, buf, cap, sender, flags, timeout);
}

int os_msgfd(int flags)
{
	return syscall(SYS_os_msgfd, flags);
}
