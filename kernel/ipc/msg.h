/*
 * Message passing by pid: every process has a mailbox (made at the first
 * message sent to it), a bounded FIFO of messages with their senders'
 * pids.  See msg.c; the limits and flags are <os/msg.h>'s.
 */
#ifndef IPC_MSG_H
#define IPC_MSG_H

#include <types.h>

struct proc;
struct file;

/*
 * os_send: put the len bytes at user address buf in the mailbox of process
 * pid (OS_MSG_PARENT: the caller's parent), waiting for room unless flags
 * has OS_MSG_NONBLOCK, for at most timeout_ns (< 0: no limit).  0, or
 * -ESRCH (no such process, or it is exiting), -EMSGSIZE (len >
 * OS_MSG_MAX), -EINVAL (bad flags; a page-moving message not page
 * aligned, or not in private memory), -EFAULT, -EAGAIN (full),
 * -ETIMEDOUT, -EINTR, -ENOMEM.
 */
int64_t msg_send(int pid, uint64_t buf, size_t len, int flags, int64_t timeout_ns);

/*
 * os_recv: take the oldest message of the caller's mailbox (from pid
 * `from`, or OS_MSG_ANY) into user buffer buf (cap bytes), its sender's
 * pid (an int) to user address usender if not 0; waiting as msg_send does.  The message's length, or -EAGAIN,
 * -ETIMEDOUT, -EINTR, -ESRCH (from names no process and none of its
 * messages is queued), -EMSGSIZE (cap is too small: the message stays),
 * -EFAULT (the message stays), -EINVAL.
 */
int64_t msg_recv(int from, uint64_t buf, size_t cap, uint64_t usender, int flags,
		 int64_t timeout_ns);

/* ---- The mailbox as a descriptor (msgfd.c) ---------------------------------- */

struct mailbox;
struct poll_table;

/* The caller's mailbox (made if need be) with a reference, or NULL and
 * *err; let go with msg_mailbox_put. */
struct mailbox *msg_mailbox_hold(int *err);
void msg_mailbox_put(struct mailbox *mb);
/* msg_recv on mailbox mb, whoever's it is; 0 (end of file) once its
 * process has exited and nothing is left in it. */
int64_t msg_mailbox_recv(struct mailbox *mb, int from, uint64_t buf, size_t cap, uint64_t usender,
			 int flags, int64_t timeout_ns);
/* poll: POLLIN while a message is queued, POLLHUP once its process is
 * gone, POLLOUT always; registers pt on the queue that changes it. */
unsigned msg_mailbox_poll(struct mailbox *mb, struct poll_table *pt);

/*
 * Interrupt context (ipc/irqmsg.c): IRQ irq came for mailbox mb, its
 * count-th since the attach; a receive from anyone gets it as a struct
 * os_irq_msg from pid 0.  No allocation; wakes the receivers.
 */
void msg_post_irq(struct mailbox *mb, int irq, uint64_t count);

/* p is ending (its fds already gone): free its mailbox's messages, wake
 * its blocked senders and the receivers waiting for its messages (they
 * get -ESRCH).  Called once, by proc_finish. */
void msg_exit(struct proc *p);

#endif
