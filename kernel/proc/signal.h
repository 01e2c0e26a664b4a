/*
 * Signals: what kill(2), the terminal (Ctrl-C) and the OOM killer use to
 * end or interrupt a process.  (Interface fixed for stage forkexec; the
 * implementation is in signal.c.)
 *
 * signal_send() marks sig pending on p and wakes p if it sleeps in an
 * interruptible wait; p acts on it (default action, or its handler) the
 * next time it returns to user mode.  Sleeps that a signal may break
 * (pipe and terminal reads, wait4, nanosleep) check signal_pending() and
 * return -EINTR (or finish early) when it is true.
 */
#ifndef PROC_SIGNAL_H
#define PROC_SIGNAL_H

#include <types.h>

struct proc;

/* Post sig (1..64) to p.  0, or -EINVAL for a bad number. */
int signal_send(struct proc *p, int sig);
/* Post sig to every process of process group pgid: 0, or -ESRCH if the
 * group is empty. */
int signal_send_group(int pgid, int sig);
/* Does p have a pending signal that is not blocked (or SIGKILL)? */
bool signal_pending(struct proc *p);

#endif
