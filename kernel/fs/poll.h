/*
 * Readiness of open files, for poll(2), ppoll(2), select(2) and pselect6(2)
 * (fs/poll.c; the system calls are in syscall/sys_poll.c).
 *
 * A file says what it could do now through file_ops.poll (vfs.h):
 *
 *     static unsigned mailbox_poll(struct file *f, struct poll_table *pt)
 *     {
 *             struct mailbox *mb = f->priv;
 *
 *             poll_wait(pt, &mb->wait);   // wait_wake_all(&mb->wait) when
 *                                         // a message comes or one is taken
 *             return (mb->count ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
 *     }
 *
 * It registers the caller on each wait queue whose wake-up may change the
 * answer, and returns the events true now; it must not sleep, and needs
 * no lock beyond interrupts off for a consistent answer (the caller checks
 * again before it sleeps, so a wake-up between the answer and the sleep is
 * not lost).  A file without .poll is always readable and writable, as
 * Linux's regular files are.
 *
 * The poll table.  The current wait machinery gives a thread one waiter
 * (struct waiter in struct thread), enough for one queue; poll waits on
 * many.  So a poll table has waiters of its own, one per poll_wait: each
 * entry is a struct waiter whose .thread is the polling thread, plus a
 * reference to the file it was registered for (the queue is the file's:
 * the reference keeps it alive until the entry leaves it, even if another
 * thread closes the descriptor meanwhile).  The first POLL_INLINE entries
 * are in the table itself, on the polling thread's kernel stack; more come
 * from the heap POLL_CHUNK at a time and are kept until the poll ends.  A
 * wake-up on any queue takes that entry off its queue (lib/wait.h) and
 * wakes the thread; poll_table_sleep sees an entry off its queue as "woken
 * already" and does not sleep.  Between passes over the files the caller
 * takes every entry off its queue (poll_table_reset) and registers again.
 */
#ifndef FS_POLL_H
#define FS_POLL_H

#include <types.h>
#include "lib/wait.h"

struct file;
struct thread;

/* Linux's event bits (<uapi/asm-generic/poll.h>). */
#define POLLIN     0x0001
#define POLLPRI    0x0002
#define POLLOUT    0x0004
#define POLLERR    0x0008
#define POLLHUP    0x0010
#define POLLNVAL   0x0020
#define POLLRDNORM 0x0040
#define POLLRDBAND 0x0080
#define POLLWRNORM 0x0100
#define POLLWRBAND 0x0200
#define POLLRDHUP  0x2000

/* What a file without .poll is (Linux's DEFAULT_POLLMASK). */
#define POLL_ALWAYS (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

#define POLL_INLINE 16 /* entries in the table itself */
#define POLL_CHUNK  48 /* entries per heap chunk (one heap size class) */

struct poll_entry {
	struct waiter waiter; /* .thread: the polling thread; .queue: where */
	struct file *file;    /* held while the entry is registered */
};

struct poll_chunk {
	struct poll_chunk *next;
	struct poll_entry entries[POLL_CHUNK];
};

struct poll_table {
	struct thread *thread; /* who polls */
	struct file *file;     /* the file being asked (poll_table_ask) */
	int error;             /* -ENOMEM if an entry could not be had */
	size_t used;           /* entries registered */
	struct poll_entry inline_entries[POLL_INLINE];
	struct poll_chunk *chunks; /* the entries past POLL_INLINE */
};

/* Register pt's thread on wq, for the file pt is asking (nothing if pt is
 * NULL).  Any context but interrupt handlers; never sleeps. */
void poll_wait(struct poll_table *pt, struct waitq *wq);

/* An empty table for the current thread. */
void poll_table_init(struct poll_table *pt);
/* f's ready events (its .poll, or POLL_ALWAYS), registering on its queues
 * if pt is not NULL. */
unsigned poll_table_ask(struct poll_table *pt, struct file *f);
/*
 * Sleep until a queue of the table is woken, a signal is to be acted on or
 * the tick deadline (WAIT_FOREVER: none); at once if a wake-up came since
 * the entries were registered.  false if the deadline has come.
 */
bool poll_table_sleep(struct poll_table *pt, uint64_t deadline);
/* Take every entry off its queue and drop its file (before the next pass). */
void poll_table_reset(struct poll_table *pt);
/* The same, and free the heap's chunks: the end of the poll. */
void poll_table_free(struct poll_table *pt);

#endif
