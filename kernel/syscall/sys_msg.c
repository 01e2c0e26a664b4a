/*
 * Message-passing system calls: os_send and os_recv (ipc/msg.c has the
 * mailboxes).  Here the timeout is read (a struct timespec, relative;
 * NULL waits for as long as it takes) and the sender's pid written back.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "ipc/msg.h"

/* The timeout at user address uts in ns, -1 for none (NULL), or -errno
 * (as a value below -1). */
static int64_t msg_timeout(uptr_t uts, int *err)
{
	int64_t ns;

	*err = 0;
	if (!uts)
		return -1;
	ns = timespec_from_user(uts);
	if (ns < 0)
		*err = (int)ns;
	return ns;
}

int64_t sys_os_send(int pid, uptr_t buf, size_t len, int flags, uptr_t timeout)
{
	int err;
	int64_t ns = msg_timeout(timeout, &err);

	return err ? err : msg_send(pid, buf, len, flags, ns);
}

int64_t sys_os_recv(int from, uptr_t buf, size_t cap, uptr_t sender, int flags, uptr_t timeout)
{
	int err;
	int64_t ns = msg_timeout(timeout, &err);

	return err ? err : msg_recv(from, buf, cap, sender, flags, ns);
}
