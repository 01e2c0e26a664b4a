/*
 * Per-process descriptor tables (see fdtable.h).
 *
 * A table is an array of file pointers (FD_SMALL of them in the table
 * itself, FD_MAX once it has grown: fdtable_grow) and a bitmap of
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
#include "lib/string.h"
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
	struct fdtable *t = kcalloc(1, sizeof(struct fdtable));

	if (t) {
		t->cap = FD_SMALL;
		t->files = t->small;
	}
	return t;
}

/* Give t all FD_MAX slots.  0 or -ENOMEM.  May sleep (it allocates). */
static int fdtable_grow(struct fdtable *t)
{
	struct file **big = kcalloc(FD_MAX, sizeof(*big));
	uint64_t flags;

	if (!big)
		return -ENOMEM;
	flags = irq_save();
	if (t->cap == FD_MAX) { /* grown meanwhile */
		irq_restore(flags);
		kfree(big);
		return 0;
	}
	memcpy(big, t->files, sizeof(*big) * (size_t)t->cap);
	t->files = big;
	t->cap = FD_MAX;
	irq_restore(flags);
	return 0;
}

struct fdtable *fdtable_clone(const struct fdtable *t)
{
	struct fdtable *copy = kmalloc(sizeof(*copy));
	struct file **big = NULL;
	uint64_t flags;

	if (!copy)
		return NULL;
	if (t->cap > FD_SMALL && !(big = kmalloc(sizeof(*big) * FD_MAX))) {
		kfree(copy);
		return NULL;
	}
	flags = irq_save();
	*copy = *t;
	if (big)
		copy->files = memcpy(big, t->files, sizeof(*big) * FD_MAX);
	else
		copy->files = copy->small;
	for (int fd = 0; fd < copy->cap; fd++)
		if (copy->files[fd])
			file_hold(copy->files[fd]);
	irq_restore(flags);
	return copy;
}

void fdtable_close_on_exec(struct fdtable *t)
{
	for (int fd = 0; fd < t->cap; fd++) {
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
	for (int fd = 0; fd < t->cap; fd++) {
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
	if (t->files != t->small)
		kfree(t->files);
	kfree(t);
}

/* Put f at the lowest free slot >= min of t.  Interrupts off. */
static int fd_place(struct fdtable *t, int min, struct file *f, bool cloexec)
{
	for (int fd = min; fd < t->cap; fd++) {
		if (!t->files[fd]) {
			t->files[fd] = f;
			fd_set_flag(t, fd, cloexec);
			return fd;
		}
	}
	return -EMFILE;
}

/* fd_place, growing the table first if its slots from min on are all
 * taken.  The descriptor, -EMFILE or -ENOMEM. */
static int fd_place_grow(struct fdtable *t, int min, struct file *f, bool cloexec)
{
	for (;;) {
		uint64_t flags = irq_save();
		int fd = fd_place(t, min, f, cloexec);

		irq_restore(flags);
		if (fd != -EMFILE || t->cap == FD_MAX)
			return fd;
		if (fdtable_grow(t) != 0)
			return -ENOMEM;
	}
}

static int fdtable_install(struct fdtable *t, struct file *f, bool cloexec)
{
	if (!t)
		return -EBADF;
	return fd_place_grow(t, 0, f, cloexec);
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

	if (!t || (unsigned)fd >= (unsigned)t->cap)
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

	if (!t || fd < 0 || fd >= t->cap)
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
	int fd;

	if (!f)
		return -EBADF;
	if (min < 0 || min >= FD_MAX) {
		file_put(f);
		return -EINVAL;
	}
	fd = fd_place_grow(t, min, f, flags & O_CLOEXEC);
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
	if (newfd >= t->cap && newfd < FD_MAX && fdtable_grow(t) != 0) {
		file_put(f);
		return -ENOMEM;
	}
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

	if (!t || fd < 0 || fd >= t->cap || !t->files[fd])
		return -EBADF;
	return (t->cloexec[fd / 64] >> (fd % 64)) & 1 ? FD_CLOEXEC : 0;
}

int fd_set_cloexec(int fd, bool on)
{
	struct fdtable *t = fd_current();
	uint64_t flags;

	if (!t || fd < 0 || fd >= t->cap)
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
