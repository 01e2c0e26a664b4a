/*
 * Pipes (see pipe.h).
 *
 * A pipe is a ring of PIPE_SIZE bytes kept in PIPE_PAGES pages, allocated
 * when a write first reaches them and freed with the pipe, so an idle pipe
 * costs one small struct.  head and tail count bytes written and read since
 * the start (free-running, so head - tail is what waits and the position in
 * the ring is the count modulo PIPE_SIZE).
 *
 * The two ends are files of one inode in the kernel's internal "pipefs"
 * (never mounted: the inode is what fstat shows, S_IFIFO, and what holds
 * the pipe).  Each end holds a reference on the inode; when the last end
 * goes the inode is evicted and the pipe freed.  The ends count their open
 * file descriptions (readers, writers): file_ops.release of an end counts
 * it down and wakes the other side, which then sees end of file or EPIPE.
 *
 * Locking.  One CPU, but a thread may be preempted, or fault on a user
 * page, in the middle of a copy; so readers and writers take the pipe's
 * sleeping lock (pipe_lock) around a copy and the update of head or tail,
 * which makes a write of at most PIPE_BUF bytes atomic and keeps two
 * readers from taking the same bytes.  The lock is never held across a
 * wait for data or room: the waits test head, tail and the end counts with
 * interrupts off (wait.h), and whoever changes them wakes the other side
 * after the change, so no wake-up is lost.  The waits are interruptible
 * (wait_event_interruptible): a signal ends them with -EINTR.
 */
#include "fs/pipe.h"
#include <errno.h>
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
	bool locked;             /* pipe_lock held */
	struct waitq lock_wait;  /* pipe_lock: waiting for the lock */
	struct waitq rd_wait;    /* readers: waiting for bytes or the last writer */
	struct waitq wr_wait;    /* writers: waiting for room or the last reader */
};

static const struct file_ops pipe_fops;
static const struct inode_ops pipe_inode_ops;
static struct fs *pipefs;
static uint64_t pipe_next_ino = 2; /* 1 is the root */

static struct fs_type pipefs_type = { .name = "pipefs" };

/* ---- the lock ---------------------------------------------------------------- */

static void pipe_lock(struct pipe *p)
{
	uint64_t flags = irq_save();

	while (p->locked)
		wait_sleep(&p->lock_wait);
	p->locked = true;
	irq_restore(flags);
}

static void pipe_unlock(struct pipe *p)
{
	p->locked = false;
	if (p->lock_wait.first)
		wait_wake_one(&p->lock_wait);
}

/* Wake the waiters of wq, if any (most of the time there are none). */
static void pipe_wake(struct waitq *wq)
{
	if (wq->first)
		wait_wake_all(wq);
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
	return f->inode->priv;
}

static int64_t pipe_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct pipe *p = pipe_of(f);
	size_t n;
	int err;

	(void)pos;
	pipe_lock(p);
	while (p->head == p->tail) {
		/* With the lock held head stays: no writer left means no more bytes. */
		bool eof = p->writers == 0;

		pipe_unlock(p);
		if (eof)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(&p->rd_wait, p->head != p->tail || p->writers == 0);
		if (err)
			return err;
		pipe_lock(p);
	}
	n = MIN(count, (size_t)(p->head - p->tail));
	err = ring_to_buf(p, p->tail, buf, 0, n);
	if (!err)
		p->tail += n;
	pipe_unlock(p);
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
	pipe_lock(p);
	while (done < count) {
		size_t k;

		if (p->readers == 0) {
			pipe_unlock(p);
			return pipe_broken(done);
		}
		if (!pipe_room(p, count, done)) {
			pipe_unlock(p);
			if (f->flags & O_NONBLOCK)
				return done ? (int64_t)done : -EAGAIN;
			err = wait_event_interruptible(&p->wr_wait, pipe_room(p, count, done));
			if (err)
				return done ? (int64_t)done : err;
			pipe_lock(p);
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
	pipe_unlock(p);
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

/* The last descriptor of an end is closed: the other side may now see end
 * of file (no writer) or EPIPE (no reader). */
static void pipe_release(struct file *f)
{
	struct pipe *p = pipe_of(f);
	uint64_t flags = irq_save();

	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	irq_restore(flags);
	wait_wake_all(&p->rd_wait);
	wait_wake_all(&p->wr_wait);
}

/* The last end is gone. */
static void pipe_evict(struct inode *ino)
{
	struct pipe *p = ino->priv;

	for (size_t i = 0; i < PIPE_PAGES; i++)
		kfree(p->pages[i]);
	kfree(p);
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.stream = true,
	.read_unchecked = true,  /* a fault takes nothing out of the ring */
	.write_unchecked = true, /* ... and puts nothing in */
	.whole_vector = true,    /* readv and writev: one read or (atomic) write */
};
static const struct inode_ops pipe_inode_ops = { .evict = pipe_evict };

/* ---- making pipes ------------------------------------------------------------ */

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

/* A new pipe inode (one reference) holding a new pipe. */
static struct inode *pipe_inode_new(void)
{
	struct pipe *p = kcalloc(1, sizeof(*p));
	struct inode *ino;
	bool is_new;

	if (!p)
		return NULL;
	ino = inode_get(pipefs, pipe_next_ino++, &is_new);
	if (!ino) {
		kfree(p);
		return NULL;
	}
	waitq_init(&p->lock_wait, "pipe lock");
	waitq_init(&p->rd_wait, "pipe read");
	waitq_init(&p->wr_wait, "pipe write");
	ino->mode = S_IFIFO | 0600;
	ino->ops = &pipe_inode_ops;
	ino->fops = &pipe_fops;
	ino->priv = p;
	return ino;
}

int pipe_create(unsigned int flags, struct file **rd, struct file **wr)
{
	struct inode *ino;
	struct pipe *p;
	int err = pipefs_get();

	if (err)
		return err;
	ino = pipe_inode_new();
	if (!ino)
		return -ENOMEM;
	p = ino->priv;
	flags &= O_NONBLOCK;
	err = vfs_open_inode(ino, O_RDONLY | flags, rd);
	if (!err) {
		p->readers = 1;
		err = vfs_open_inode(ino, O_WRONLY | flags, wr);
		if (err)
			file_put(*rd);
		else
			p->writers = 1;
	}
	inode_put(ino); /* the ends hold it now (or it goes) */
	return err;
}

bool pipe_is(const struct file *f)
{
	return f->ops == &pipe_fops;
}
