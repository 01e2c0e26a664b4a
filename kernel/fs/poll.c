/*
 * Poll tables: one thread waiting on the wait queues of many files (see
 * poll.h for the design; sys_poll.c has the system calls built on it).
 *
 * A pass of poll or select asks each file what is ready (poll_table_ask)
 * with a table, and each poll_wait of the file's .poll puts one more entry
 * of the table on a queue.  Entry i is inline_entries[i] for the first
 * POLL_INLINE, then entry (i - POLL_INLINE) % POLL_CHUNK of chunk
 * (i - POLL_INLINE) / POLL_CHUNK of the list; chunks are allocated as the
 * count first reaches them and reused by the next pass.  An entry that
 * cannot be had sets pt->error (the system call fails with ENOMEM, as
 * Linux's does) and the file is simply not waited on.
 *
 * Sleeping (poll_table_sleep) checks, with interrupts off, whether any
 * entry has been taken off its queue, which only a wake-up does; if none
 * was and no signal is pending it blocks (lib/wait.h: wait_block_until).
 * Every wake-up after the entry went on its queue is therefore seen,
 * before or during the sleep.
 *
 * The entries are only touched by their own thread, and by wakers (with
 * interrupts off) while they are on a queue.
 */
#include "fs/poll.h"
#include <errno.h>
#include "arch/x86_64/timer.h"
#include "fs/vfs.h"
#include "lib/spinlock.h"
#include "mm/heap.h"
#include "sched/thread.h"

void poll_table_init(struct poll_table *pt)
{
	pt->thread = thread_current();
	pt->file = NULL;
	pt->error = 0;
	pt->used = 0;
	pt->chunks = NULL;
}

/* Entry i of pt, allocating its chunk if need be; NULL without memory. */
static struct poll_entry *poll_entry_at(struct poll_table *pt, size_t i)
{
	struct poll_chunk **link = &pt->chunks;

	if (i < POLL_INLINE)
		return &pt->inline_entries[i];
	i -= POLL_INLINE;
	for (; i >= POLL_CHUNK; i -= POLL_CHUNK)
		link = &(*link)->next; /* chunks before the last in use exist */
	if (!*link) {
		*link = kmalloc(sizeof(**link));
		if (!*link)
			return NULL;
		(*link)->next = NULL;
	}
	return &(*link)->entries[i];
}

void poll_wait(struct poll_table *pt, struct waitq *wq)
{
	struct poll_entry *e;

	if (!pt)
		return;
	e = poll_entry_at(pt, pt->used);
	if (!e) {
		pt->error = -ENOMEM;
		return;
	}
	e->waiter = (struct waiter){ .thread = pt->thread };
	e->file = pt->file;
	file_hold(e->file);
	pt->used++;
	wait_add_waiter(wq, &e->waiter);
}

unsigned poll_table_ask(struct poll_table *pt, struct file *f)
{
	if (!f->ops || !f->ops->poll)
		return POLL_ALWAYS;
	if (pt)
		pt->file = f;
	return f->ops->poll(f, pt);
}

/* Has a wake-up taken one of pt's entries off its queue?  Interrupts off. */
static bool poll_table_woken(struct poll_table *pt)
{
	for (size_t i = 0; i < pt->used; i++)
		if (!poll_entry_at(pt, i)->waiter.queue)
			return true;
	return false;
}

bool poll_table_sleep(struct poll_table *pt, uint64_t deadline)
{
	uint64_t flags = irq_save();
	bool in_time;

	if (poll_table_woken(pt) || wait_interrupted())
		in_time = deadline == WAIT_FOREVER || timer_ticks() < deadline;
	else
		in_time = wait_block_until(deadline);
	irq_restore(flags);
	return in_time;
}

void poll_table_reset(struct poll_table *pt)
{
	uint64_t flags;

	for (size_t i = 0; i < pt->used; i++) {
		struct poll_entry *e = poll_entry_at(pt, i);

		flags = irq_save();
		waiter_unlink(&e->waiter);
		irq_restore(flags);
		file_put(e->file); /* after: its release may free the queue */
	}
	pt->used = 0;
}

void poll_table_free(struct poll_table *pt)
{
	poll_table_reset(pt);
	while (pt->chunks) {
		struct poll_chunk *c = pt->chunks;

		pt->chunks = c->next;
		kfree(c);
	}
}
