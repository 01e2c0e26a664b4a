/*
 * Per-process descriptor tables (see fdtable.h).
 *
 * A table is a fixed array of FD_MAX file pointers and a bitmap of
 * close-on-exec flags, made with the process and freed at its exit after
 * every descriptor is closed.  Every slot change happens with interrupts
 * off, so a descriptor is never seen half-installed; a file leaving a slot
 * is flushed and put after interrupts are back on, since both may sleep
 * (a FUSE file asks its server).
 */
#include "fs/fdtable.h"
#include <errno.h>
#include "fs/vfs.h"
#include "lib/spinlock.h"
#include "mm/heap.h"
#include "proc/proc.h"

#define FD_CLOEXEC 1

static struct fdtable *fd_current(void)
{
	struct proc *p = proc_current();

	return p ? p->fds : NULL;
}

static void fd_set_flag(struct fdtable *t, int fd, bool cloexec)
{
	if (cloexec)
		t->cloexec[fd / 64] |= 1ull << (fd % 64);
	else
		t->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

/* A descriptor leaves its slot: the close(2) part of the file's life. */
static void fd_release(struct file *f)
{
	if (f->ops && f->ops->flush)
		f->ops->flush(f);
	file_put(f);
}

struct fdtable *fdtable_create(void)
{
	return kcalloc(1, sizeof(struct fdtable));
}

struct fdtable *fdtable_clone(const struct fdtable *t)
{
	struct fdtable *copy = kmalloc(sizeof(*copy));
	uint64_t flags;

	if (!copy)
		return NULL;
	flags = irq_save();
	*copy = *t;
	for (int fd = 0; fd < FD_MAX; fd++)
		if (copy->files[fd])
			file_hold(copy->files[fd]);
	irq_restore(flags);
	return copy;
}

void fdtable_close_on_exec(struct fdtable *t)
{
	for (int fd = 0; fd < FD_MAX; fd++) {
		uint64_t flags;
		struct file *f = NULL;

		if (!(t->cloexec[fd / 64] & (1ull << (fd % 64))))
			continue; /* (cheap: most slots are not close-on-exec) */
		flags = irq_save();
		if (t->cloexec[fd / 64] & (1ull << (fd % 64))) {
			f = t->files[fd];
			t->files[fd] = NULL;
			fd_set_flag(t, fd, false);
		}
		irq_restore(flags);
		if (f)
			fd_release(f);
	}
}

void fdtable_destroy(struct fdtable *t)
{
	if (!t)
		return;
	for (int fd = 0; fd < FD_MAX; fd++) {
		uint64_t flags;
		struct file *f;

		if (!t->files[fd])
			continue; /* (cheap: most slots are empty) */
		flags = irq_save();
		f = t->files[fd];
		t->files[fd] = NULL;
		irq_restore(flags);
		if (f)
			fd_release(f);
	}
	kfree(t);
}

/* Put f at the lowest free slot >= min of t.  Interrupts off. */
static int fd_place(struct fdtable *t, int min, struct file *f, bool cloexec)
{
	for (int fd = min; fd < FD_MAX; fd++) {
		if (!t->files[fd]) {
			t->files[fd] = f;
			fd_set_flag(t, fd, cloexec);
			return fd;
		}
	}
	return -EMFILE;
}

static int fdtable_install(struct fdtable *t, struct file *f, bool cloexec)
{
	uint64_t flags;
	int fd;

	if (!t)
		return -EBADF;
	flags = irq_save();
	fd = fd_place(t, 0, f, cloexec);
	irq_restore(flags);
	return fd;
}

int fd_install(struct file *f, unsigned int flags)
{
	return fdtable_install(fd_current(), f, flags & O_CLOEXEC);
}

int proc_fd_install(struct proc *p, struct file *f)
{
	return fdtable_install(p->fds, f, false);
}

struct file *fd_get(int fd)
{
	struct fdtable *t = fd_current();
	struct file *f = NULL;
	uint64_t flags;

	if (!t || fd < 0 || fd >= FD_MAX)
		return NULL;
	flags = irq_save();
	f = t->files[fd];
	if (f)
		f->refs++;
	irq_restore(flags);
	return f;
}

int fd_close(int fd)
{
	struct fdtable *t = fd_current();
	struct file *f;
	uint64_t flags;

	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	flags = irq_save();
	f = t->files[fd];
	t->files[fd] = NULL;
	irq_restore(flags);
	if (!f)
		return -EBADF;
	fd_release(f);
	return 0;
}

int fd_dup_min(int oldfd, int min, unsigned int flags)
{
	struct fdtable *t = fd_current();
	struct file *f = fd_get(oldfd);
	uint64_t irq;
	int fd;

	if (!f)
		return -EBADF;
	if (min < 0 || min >= FD_MAX) {
		file_put(f);
		return -EINVAL;
	}
	irq = irq_save();
	fd = fd_place(t, min, f, flags & O_CLOEXEC);
	irq_restore(irq);
	if (fd < 0)
		file_put(f);
	return fd;
}

int fd_dup_to(int oldfd, int newfd, unsigned int flags)
{
	struct fdtable *t = fd_current();
	struct file *f = fd_get(oldfd), *old;
	uint64_t irq;

	if (!f)
		return -EBADF;
	/* BEGIN STAGE fuse: newfd now names f; whatever it named before is closed (after the table is consistent) */
	if (newfd < 0 || newfd >= FD_MAX) {
		file_put(f);
		return -EBADF;
	}
	irq = irq_save();
	old = t->files[newfd];
	t->files[newfd] = f;
	fd_set_flag(t, newfd, flags & O_CLOEXEC);
	irq_restore(irq);
	if (old)
		fd_release(old);
	return newfd;
	/* STUB
	(void)t, (void)old, (void)irq, (void)fd_release, (void)newfd, (void)flags;
	file_put(f);
	return -EBADF;
	END STAGE fuse */
}

int fd_get_cloexec(int fd)
{
	struct fdtable *t = fd_current();

	if (!t || fd < 0 || fd >= FD_MAX || !t->files[fd])
		return -EBADF;
	return (t->cloexec[fd / 64] >> (fd % 64)) & 1 ? FD_CLOEXEC : 0;
}

int fd_set_cloexec(int fd, bool on)
{
	struct fdtable *t = fd_current();
	uint64_t flags;

	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	flags = irq_save();
	if (!t->files[fd]) {
		irq_restore(flags);
		return -EBADF;
	}
	fd_set_flag(t, fd, on);
	irq_restore(flags);
	return 0;
}
