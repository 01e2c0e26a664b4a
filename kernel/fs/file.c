/*
 * Open file descriptions (struct file, see vfs.h): opening, reading,
 * writing, the last close.
 *
 * vfs_open follows open(2): the path is looked up; a missing last
 * component with O_CREAT is created in its parent (inode_ops.create), an
 * existing one with O_CREAT|O_EXCL is -EEXIST; O_DIRECTORY wants a
 * directory (-ENOTDIR); a directory opens for reading only (-EISDIR);
 * O_TRUNC empties a regular file opened for writing; a FIFO opens as a
 * pipe (pipe_open), whatever filesystem it is in.  A file holds one
 * reference on its inode, and a directory's file keeps its canonical path
 * (for fchdir and the *at calls).
 *
 * Reading and writing check the access mode (-EBADF), then call the file's
 * ops at the position they are given and move it.  O_APPEND writes at the
 * end as the inode's getattr reports it, even for pwrite64, as Linux does.
 *
 * References change with interrupts off or by one atomic instruction; the
 * last file_put runs ops->release (which may sleep) with no lock held.
 */
#include "fs/vfs.h"
#include <errno.h>
#include "fs/pipe.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/heap.h"

#define FILE_KEPT_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK)

/* Open the inode ino (whose reference the file takes over) as f. */
static int file_open_inode(struct inode *ino, unsigned int flags, const char *canon,
			   struct file **out)
{
	struct file *f;
	int err = 0;

	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		err = -ENOTDIR;
	else if (S_ISDIR(ino->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)))
		err = -EISDIR;
	f = err ? NULL : kcalloc(1, sizeof(*f));
	if (!err && !f)
		err = -ENOMEM;
	if (!err && S_ISDIR(ino->mode) && canon) {
		size_t len = strlen(canon) + 1;

		f->path = kmalloc(len);
		if (f->path)
			memcpy(f->path, canon, len);
		else
			err = -ENOMEM;
	}
	if (err) {
		if (f)
			kfree(f->path);
		kfree(f);
		inode_put(ino);
		return err;
	}
	f->inode = ino;
	f->refs = 1;
	f->flags = flags & FILE_KEPT_FLAGS;
	f->ops = ino->fops;
	if (S_ISFIFO(ino->mode))
		err = pipe_open(ino, f); /* whoever's inode it is */
	else if (ino->ops && ino->ops->open)
		err = ino->ops->open(ino, f);
	if (err) {
		f->ops = NULL; /* not opened: no release */
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

int vfs_open_inode(struct inode *ino, unsigned int flags, struct file **out)
{
	inode_hold(ino);
	return file_open_inode(ino, flags, NULL, out);
}

/* O_TRUNC: set the size of f's regular file to 0. */
static int file_truncate(struct file *f)
{
	struct vfs_setattr set = { .valid = VFS_SET_SIZE, .size = 0 };
	struct inode *ino = f->inode;

	if (!S_ISREG(ino->mode) || (f->flags & O_ACCMODE) == O_RDONLY)
		return 0;
	if (!ino->ops || !ino->ops->setattr)
		return -EPERM;
	return ino->ops->setattr(ino, &set, f);
}

/* Create the missing canonical path as a regular file and open it. */
static int file_create(const char *canon, unsigned int flags, uint32_t mode, struct file **out)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ino = NULL;
	struct file *f;
	int err = vfs_lookup_parent(canon, &dir, name);

	if (err)
		return err;
	if (!dir->ops || !dir->ops->create) {
		inode_put(dir);
		return -EACCES;
	}
	f = kcalloc(1, sizeof(*f));
	if (!f) {
		inode_put(dir);
		return -ENOMEM;
	}
	f->refs = 1;
	f->flags = flags & FILE_KEPT_FLAGS;
	err = dir->ops->create(dir, name, mode & 07777, f, &ino);
	inode_put(dir);
	if (err) {
		kfree(f);
		return err;
	}
	f->inode = ino;
	if (!f->ops)
		f->ops = ino->fops;
	*out = f;
	return 0;
}

int vfs_open(const char *path, unsigned int flags, uint32_t mode, struct file **out)
{
	char *canon = path_buf_get();
	size_t len = strlen(path);
	bool want_dir = len > 0 && path[len - 1] == '/';
	struct inode *ino;
	int err;

	if (!canon)
		return -ENOMEM;
	err = path_canonical(path, canon);
	if (!err)
		err = vfs_lookup(canon, &ino);
	if (err == -ENOENT && (flags & O_CREAT)) {
		err = want_dir ? -EISDIR : file_create(canon, flags, mode, out);
		path_buf_put(canon);
		return err;
	}
	if (!err && (flags & O_CREAT) && (flags & O_EXCL)) {
		inode_put(ino);
		err = -EEXIST;
	}
	if (!err && want_dir && !S_ISDIR(ino->mode)) {
		inode_put(ino);
		err = -ENOTDIR;
	}
	if (!err)
		err = file_open_inode(ino, flags, canon, out);
	path_buf_put(canon);
	if (!err && (flags & O_TRUNC)) {
		err = file_truncate(*out);
		if (err)
			file_put(*out);
	}
	return err;
}

void file_hold(struct file *f)
{
	uint64_t flags = irq_save();

	f->refs++;
	irq_restore(flags);
}

void file_put(struct file *f)
{
	/* One atomic instruction: no interrupts off needed (fd_get's
	 * increment has them off only to pair it with reading the slot). */
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_RELAXED) != 0)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	inode_put(f->inode);
	kfree(f->path);
	kfree(f);
}

int64_t file_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t *pos)
{
	int64_t n;

	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (!f->ops || !f->ops->read)
		return S_ISDIR(f->inode->mode) ? -EISDIR : -EINVAL;
	n = f->ops->read(f, buf, count, *pos);
	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

int64_t file_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t *pos)
{
	int64_t n;

	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return S_ISDIR(f->inode->mode) ? -EISDIR : -EINVAL;
	if (f->flags & O_APPEND) {
		struct vfs_attr attr;
		int err = inode_getattr(f->inode, &attr);

		if (err)
			return err;
		*pos = attr.size;
	}
	n = f->ops->write(f, buf, count, *pos);
	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

int vfs_read_file(const char *path, size_t max, void **data, size_t *size)
{
	struct file *f;
	struct vfs_attr attr;
	char *buf = NULL;
	uint64_t pos = 0;
	int err = vfs_open(path, O_RDONLY, 0, &f);

	if (err)
		return err;
	err = inode_getattr(f->inode, &attr);
	if (!err && S_ISDIR(attr.mode))
		err = -EISDIR;
	else if (!err && attr.size > max)
		err = -EFBIG;
	if (!err) {
		buf = kmalloc(attr.size ? attr.size : 1);
		if (!buf)
			err = -ENOMEM;
	}
	while (!err && pos < attr.size) {
		struct vbuf vb = { .addr = (uintptr_t)buf + pos, .user = false };
		int64_t n = file_read(f, &vb, attr.size - pos, &(uint64_t){ pos });

		if (n < 0)
			err = (int)n;
		else if (n == 0)
			break; /* shorter than getattr said */
		else
			pos += (uint64_t)n;
	}
	file_put(f);
	if (err) {
		kfree(buf);
		return err;
	}
	*data = buf;
	*size = pos;
	return 0;
}
