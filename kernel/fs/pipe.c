/*
 * Pipes and FIFOs (see pipe.h).
 *
 * A pipe is a ring of PIPE_SIZE bytes kept in PIPE_PAGES pages, allocated
 * when a write first reaches them and freed with the pipe, so an idle pipe
 * costs one small struct.  head and tail count bytes written and read since
 * the start (free-running, so head - tail is what waits and the position in
 * the ring is the count modulo PIPE_SIZE).
 *
 * A pipe hangs off an inode (inode->pipe) while files of it are open.  The
 * two ends of pipe(2) are files of one inode in the kernel's internal
 * "pipefs" (never mounted: the inode is what fstat shows, S_IFIFO).  A
 * FIFO is an inode of S_IFIFO in a filesystem (tmpfs, or a FUSE server
 * that made one with MKNOD): the VFS hands every open of one to pipe_open,
 * which gives the inode a pipe at its first open.  The ends count their
 * open files (readers, writers; a FIFO opened O_RDWR is both):
 * file_ops.release of an end counts it down and wakes the other side,
 * which then sees end of file or EPIPE; when both counts are 0 the pipe
 * and what it held are freed, as on Linux (a FIFO keeps no data while
 * nobody has it open).
 *
 * Opening a FIFO follows fifo(7): O_RDONLY waits until a writer opens it,
 * O_WRONLY until a reader does, O_RDONLY | O_NONBLOCK does not wait, and
 * O_WRONLY | O_NONBLOCK with no reader is -ENXIO; O_RDWR never waits.  The
 * wait is for the other side's count of opens (r_opens, w_opens) to
 * change, not for a partner still to be there: one that opened and closed
 * again while the opener slept still ends the wait, as with Linux's
 * r_counter and w_counter.
 *
 * poll (pipe_poll): the read end is readable with bytes waiting, POLLHUP
 * once no writer is left (for a FIFO opened O_RDONLY | O_NONBLOCK with no
 * writer, only once a writer has come: f->priv keeps the writers' open
 * count seen at that open, as Linux's f_version does); the write end is
 * writable with room for PIPE_BUF bytes (an atomic write would not wait),
 * POLLERR once no reader is left.
 *
 * Locking.  One CPU, but a thread may be preempted, or fault on a user
 * page, in the middle of a copy; so readers and writers take the pipe's
 * sleeping lock (lib/wait.h) around a copy and the update of head or tail,
 * which makes a write of at most PIPE_BUF bytes atomic and keeps two
 * readers from taking the same bytes.  The lock is never held across a
 * wait for data or room: the waits test head, tail and the end counts with
 * interrupts off (wait.h), and whoever changes them wakes the other side
 * after the change, so no wake-up is lost.  The waits are interruptible
 * (wait_event_interruptible): a signal ends them with -EINTR.  The counts
 * and inode->pipe change with interrupts off.
 */
#include "fs/pipe.h"
#include <errno.h>
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/wait.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "proc/signal.h"

#define PIPE_PAGE  4096
#define PIPE_PAGES (PIPE_SIZE / PIPE_PAGE)
#define SIGPIPE    13
#define FIONREAD   0x541b

struct pipe {
	char *pages[PIPE_PAGES]; /* the ring, a page at a time (NULL: not yet used) */
	uint64_t head, tail;     /* bytes written, bytes read */
	int readers, writers;    /* open files of each end */
	uint64_t r_opens;        /* opens of the read end so far (a FIFO's writers wait on it) */
	uint64_t w_opens;        /* ... and of the write end (for a FIFO's readers) */
	struct sleeplock lock;   /* held across a copy and the move of head or tail */
	struct waitq rd_wait;    /* readers: waiting for bytes, a writer or the last writer */
	struct waitq wr_wait;    /* writers: waiting for room, a reader or the last reader */
};

static const struct file_ops pipe_fops;
static struct fs *pipefs;
static uint64_t pipe_next_ino = 2; /* 1 is the root */

static struct fs_type pipefs_type = { .name = "pipefs" };

/* Wake the waiters of wq, if any (most of the time there are none). */
static void pipe_wake(struct waitq *wq)
{
	if (wq->first)
		wait_wake_all(wq);
}

/* Does the open file f read (write) its pipe?  An O_RDWR FIFO does both. */
static bool pipe_reads(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool pipe_writes(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

/* ---- the ring ---------------------------------------------------------------- */

/* Copy n bytes of the ring from byte count at (n within one ring's worth)
 * to the buffer at off.  0 or -EFAULT. */
static int ring_to_buf(struct pipe *p, uint64_t at, const struct vbuf *buf, size_t off, size_t n)
{
	while (n > 0) {
		size_t in = at % PIPE_SIZE % PIPE_PAGE;
		size_t k = MIN(n, PIPE_PAGE - in);

		if (vbuf_to(buf, off, p->pages[at % PIPE_SIZE / PIPE_PAGE] + in, k) != 0)
			return -EFAULT;
		at += k, off += k, n -= k;
	}
	return 0;
}

/* Copy n bytes from the buffer at off into the ring at byte count at,
 * allocating the pages it reaches.  0, -EFAULT or -ENOMEM. */
static int buf_to_ring(struct pipe *p, uint64_t at, const struct vbuf *buf, size_t off, size_t n)
{
	while (n > 0) {
		size_t in = at % PIPE_SIZE % PIPE_PAGE;
		size_t k = MIN(n, PIPE_PAGE - in);
		char **page = &p->pages[at % PIPE_SIZE / PIPE_PAGE];

		if (!*page && !(*page = kmalloc(PIPE_PAGE)))
			return -ENOMEM;
		if (vbuf_from(buf, off, *page + in, k) != 0)
			return -EFAULT;
		at += k, off += k, n -= k;
	}
	return 0;
}

/* ---- reading and writing ----------------------------------------------------- */

static struct pipe *pipe_of(struct file *f)
{
	return f->inode->pipe;
}

static int64_t pipe_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct pipe *p = pipe_of(f);
	size_t n;
	int err;

	(void)pos;
	sleeplock_acquire(&p->lock);
	while (p->head == p->tail) {
		/* With the lock held head stays: no writer left means no more bytes. */
		bool eof = p->writers == 0;

		sleeplock_release(&p->lock);
		if (eof)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(&p->rd_wait, p->head != p->tail || p->writers == 0);
		if (err)
			return err;
		sleeplock_acquire(&p->lock);
	}
	n = MIN(count, (size_t)(p->head - p->tail));
	err = ring_to_buf(p, p->tail, buf, 0, n);
	if (!err)
		p->tail += n;
	sleeplock_release(&p->lock);
	if (err)
		return err;
	pipe_wake(&p->wr_wait);
	return (int64_t)n;
}

/* Room for the next piece of a write that has done bytes of count: all of
 * an atomic write (count <= PIPE_BUF) at once, else any room at all. */
static bool pipe_room(const struct pipe *p, size_t count, size_t done)
{
	size_t room = PIPE_SIZE - (size_t)(p->head - p->tail);

	return p->readers == 0 || (count <= PIPE_BUF && done == 0 ? room >= count : room > 0);
}

/* No reader: SIGPIPE to the writer, and -EPIPE unless something went in. */
static int64_t pipe_broken(size_t done)
{
	struct proc *self = proc_current();

	if (self)
		signal_send(self, SIGPIPE);
	return done ? (int64_t)done : -EPIPE;
}

static int64_t pipe_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct pipe *p = pipe_of(f);
	size_t done = 0;
	int err = 0;

	(void)pos;
	sleeplock_acquire(&p->lock);
	while (done < count) {
		size_t k;

		if (p->readers == 0) {
			sleeplock_release(&p->lock);
			return pipe_broken(done);
		}
		if (!pipe_room(p, count, done)) {
			sleeplock_release(&p->lock);
			if (f->flags & O_NONBLOCK)
				return done ? (int64_t)done : -EAGAIN;
			err = wait_event_interruptible(&p->wr_wait, pipe_room(p, count, done));
			if (err)
				return done ? (int64_t)done : err;
			sleeplock_acquire(&p->lock);
			continue;
		}
		k = MIN(count - done, PIPE_SIZE - (size_t)(p->head - p->tail));
		err = buf_to_ring(p, p->head, buf, done, k);
		if (err)
			break;
		p->head += k;
		done += k;
		pipe_wake(&p->rd_wait);
	}
	sleeplock_release(&p->lock);
	return done ? (int64_t)done : err;
}

static int64_t pipe_ioctl(struct file *f, unsigned long request, uptr_t arg)
{
	struct pipe *p = pipe_of(f);
	int n = (int)(p->head - p->tail);

	if (request != FIONREAD)
		return -ENOTTY;
	return copy_to_user(arg, &n, sizeof(n)) ? -EFAULT : 0;
}

/* What f's end can do now (see the top), registering for the changes. */
static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = pipe_of(f);
	unsigned mask = 0;

	if (pipe_reads(f)) {
		poll_wait(pt, &p->rd_wait);
		if (p->head != p->tail)
			mask |= POLLIN | POLLRDNORM;
		if (p->writers == 0 && (uintptr_t)f->priv != p->w_opens)
			mask |= POLLHUP;
	}
	if (pipe_writes(f)) {
		poll_wait(pt, &p->wr_wait);
		if (PIPE_SIZE - (p->head - p->tail) >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			mask |= POLLERR;
	}
	return mask;
}

/* Free p: nobody has it open any more. */
static void pipe_free(struct pipe *p)
{
	for (size_t i = 0; i < PIPE_PAGES; i++)
		kfree(p->pages[i]);
	kfree(p);
}

/* An end of ino's pipe goes (a file's last reference, or an open that
 * failed): count it out, wake the other side, and free the pipe if it was
 * the last. */
static void pipe_end_close(struct inode *ino, bool reads, bool writes)
{
	struct pipe *p = ino->pipe;
	uint64_t flags = irq_save();
	bool last;

	p->readers -= reads;
	p->writers -= writes;
	last = p->readers == 0 && p->writers == 0;
	if (last)
		ino->pipe = NULL;
	irq_restore(flags);
	if (last) {
		pipe_free(p);
		return;
	}
	wait_wake_all(&p->rd_wait);
	wait_wake_all(&p->wr_wait);
}

/* The last descriptor of an end is closed: the other side may now see end
 * of file (no writer) or EPIPE (no reader). */
static void pipe_release(struct file *f)
{
	pipe_end_close(f->inode, pipe_reads(f), pipe_writes(f));
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.poll = pipe_poll,
	.stream = true,
	.read_unchecked = true,  /* a fault takes nothing out of the ring */
	.write_unchecked = true, /* ... and puts nothing in */
	.whole_vector = true,    /* readv and writev: one read or (atomic) write */
};

/* ---- opening ----------------------------------------------------------------- */

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kcalloc(1, sizeof(*p));

	if (p) {
		waitq_init(&p->lock.wait, "pipe lock");
		waitq_init(&p->rd_wait, "pipe read");
		waitq_init(&p->wr_wait, "pipe write");
	}
	return p;
}

/*
 * Count f in as an end of ino's pipe, giving the inode a pipe (fresh,
 * which the caller allocated, or NULL) if it has none.  Interrupts off.
 * -ENXIO for a FIFO's O_WRONLY | O_NONBLOCK open with no reader (nothing
 * counted), -ENOMEM if a pipe was needed and fresh is NULL.
 */
static int pipe_count_in(struct inode *ino, struct file *f, struct pipe **fresh)
{
	struct pipe *p = ino->pipe;

	if (!p && !*fresh)
		return -ENOMEM;
	if (!p) {
		p = ino->pipe = *fresh;
		*fresh = NULL;
	}
	if (!pipe_reads(f) && (f->flags & O_NONBLOCK) && p->readers == 0) {
		if (p->writers == 0) {
			ino->pipe = NULL; /* the one just made: nobody else has it */
			*fresh = p;
		}
		return -ENXIO;
	}
	if (pipe_reads(f)) {
		p->readers++;
		p->r_opens++;
	}
	if (pipe_writes(f)) {
		p->writers++;
		p->w_opens++;
	}
	return 0;
}

/* A FIFO's open of one end waits until the other end is opened (fifo(7)):
 * 0, or -EINTR.  Interrupts off, f counted in since they went off, so no
 * open of the other end can slip in between. */
static int fifo_wait_partner(struct pipe *p, struct file *f)
{
	uint64_t seen;

	if (pipe_writes(f) && !pipe_reads(f) && p->readers == 0) {
		seen = p->r_opens;
		return wait_event_interruptible(&p->wr_wait, p->r_opens != seen);
	}
	if (pipe_reads(f) && !pipe_writes(f) && p->writers == 0) {
		if (f->flags & O_NONBLOCK) {
			f->priv = (void *)(uintptr_t)p->w_opens; /* no POLLHUP until a writer */
			return 0;
		}
		seen = p->w_opens;
		return wait_event_interruptible(&p->rd_wait, p->w_opens != seen);
	}
	return 0;
}

int pipe_open(struct inode *ino, struct file *f)
{
	struct pipe *fresh = ino->pipe ? NULL : pipe_alloc();
	uint64_t flags = irq_save();
	int err = pipe_count_in(ino, f, &fresh);
	int waited = 0;

	irq_section_may_sleep(); /* fifo_wait_partner's wait gives this section up */
	/* pipe(2)'s ends are made together: nothing to wait for. */
	if (!err && ino->fs != pipefs)
		waited = fifo_wait_partner(ino->pipe, f);
	irq_restore(flags);
	if (fresh)
		pipe_free(fresh); /* not needed after all */
	if (err)
		return err;
	if (waited) {
		pipe_end_close(ino, pipe_reads(f), pipe_writes(f));
		return waited;
	}
	f->ops = &pipe_fops;
	/* The other side's open may be waiting for this one. */
	pipe_wake(&ino->pipe->rd_wait);
	pipe_wake(&ino->pipe->wr_wait);
	return 0;
}

/* ---- pipe(2) ----------------------------------------------------------------- */

/* The internal filesystem of pipe inodes, made at the first pipe. */
static int pipefs_get(void)
{
	bool is_new;

	if (pipefs)
		return 0;
	pipefs = fs_alloc(&pipefs_type);
	if (!pipefs)
		return -ENOMEM;
	pipefs->root = inode_get(pipefs, 1, &is_new); /* keeps pipefs alive */
	if (!pipefs->root) {
		kfree(pipefs);
		pipefs = NULL;
		return -ENOMEM;
	}
	pipefs->root->mode = S_IFDIR | 0700;
	return 0;
}

int pipe_create(unsigned int flags, struct file **rd, struct file **wr)
{
	struct inode *ino;
	bool is_new;
	int err = pipefs_get();

	if (err)
		return err;
	ino = inode_get(pipefs, pipe_next_ino++, &is_new);
	if (!ino)
		return -ENOMEM;
	ino->mode = S_IFIFO | 0600; /* its opens are pipe_open's (fs/file.c) */
	flags &= O_NONBLOCK;
	err = vfs_open_inode(ino, O_RDONLY | flags, rd);
	if (!err) {
		err = vfs_open_inode(ino, O_WRONLY | flags, wr);
		if (err)
			file_put(*rd);
	}
	inode_put(ino); /* the ends hold it now (or it goes) */
	return err;
}

bool pipe_is(const struct file *f)
{
	return f->ops == &pipe_fops;
}
