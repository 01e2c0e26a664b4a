/*
 * Stand-ins for signal.c (signal.h) until stage forkexec's signals are
 * merged: weak definitions that the real ones replace at link time.  A
 * signal is then never pending, and sending one does nothing.
 * TEMPORARY: delete this file once kernel/proc/signal.c exists.
 */
#include "proc/signal.h"
#include <errno.h>

__attribute__((weak)) int signal_send(struct proc *p, int sig)
{
	(void)p;
	return sig >= 1 && sig <= 64 ? 0 : -EINVAL;
}

__attribute__((weak)) int signal_send_group(int pgid, int sig)
{
	(void)pgid, (void)sig;
	return -ESRCH;
}

__attribute__((weak)) bool signal_pending(struct proc *p)
{
	(void)p;
	return false;
}
