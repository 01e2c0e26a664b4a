/*
 * I/O system calls on descriptors: read, write, readv, writev, pread64,
 * pwrite64, lseek, close, ioctl.
 *
 * Each looks the descriptor up (fd_get: -EBADF if it is not open), checks
 * the user buffers, and goes through the open file (fs/file.c), at the
 * file's offset (read, write, readv, writev; shared by dup'ed descriptors)
 * or at the one given (pread64, pwrite64).  The console, /dev/console, is
 * what descriptors 0, 1 and 2 of a new process are: see fs/devfs.c for how
 * it reads a line at a time.
 *
 * Buffers are checked whole before anything happens (user_access_check):
 * a bad buffer fails with EFAULT before a write prints part of it, and
 * before a read waits for input it could not store.  The exception, as on
 * Linux: a file whose read loses nothing at a fault (file_ops.read_unchecked:
 * FUSE files and the FUSE device, pipes) has its buffer checked page by page
 * as it copies (the read ends short there, or is EFAULT if nothing was
 * read); checking first would walk the page tables twice for every page.
 * Pipes' writes do the same (file_ops.write_unchecked).
 *
 * readv and writev move one buffer after the other, each a read or write
 * of its own, except on a file that takes the whole vector at once
 * (file_ops.whole_vector: the FUSE device, where a server's writev is one
 * reply of a header and its data, with no copy to join them).
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "mm/heap.h"

#define SSIZE_MAX INT64_MAX
#define IOV_MAX   1024
#define IOV_FAST  8   /* iovec entries readv/writev keep on the stack */
#define IO_CHUNK  256 /* bytes a stream's readv reads at once */

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* write(2) and pwrite64 of count bytes at user buf to f at *pos. */
static int64_t io_write(struct file *f, uptr_t buf, size_t count, uint64_t *pos)
{
	struct vbuf vb = { .addr = buf, .user = true };

	if (count == 0)
		return (f->flags & O_ACCMODE) == O_RDONLY ? -EBADF : 0;
	if (!(f->ops && f->ops->write_unchecked) && user_access_check(buf, count, false) != 0)
		return -EFAULT;
	return file_write(f, &vb, count, pos);
}

/* read(2) and pread64 (inline: the page cache's warm read is short). */
static inline int64_t io_read(struct file *f, uptr_t buf, size_t count, uint64_t *pos)
{
	struct vbuf vb = { .addr = buf, .user = true };

	if (count == 0)
		return (f->flags & O_ACCMODE) == O_WRONLY ? -EBADF : 0;
	if (!(f->ops && f->ops->read_unchecked) && user_access_check(buf, count, true) != 0)
		return -EFAULT;
	return file_read(f, &vb, count, pos);
}

int64_t sys_write(int fd, uptr_t buf, size_t count)
{
	/* BEGIN STAGE syscalls: write(2): the descriptor's file, the count, the whole buffer, then write */
	struct file *f = fd_get(fd);
	struct vbuf vb = { .addr = buf, .user = true };
	int64_t ret;

	if (!f)
		return -EBADF;
	if (count == 0)
		ret = (f->flags & O_ACCMODE) == O_RDONLY ? -EBADF : 0;
	else if (!(f->ops && f->ops->write_unchecked) && user_access_check(buf, count, false) != 0)
		ret = -EFAULT;
	else
		ret = file_write(f, &vb, count, &f->pos);
	file_put(f);
	return ret;
	/* STUB
	(void)fd, (void)buf, (void)count;
	return -ENOSYS;
	END STAGE syscalls */
}

int64_t sys_read(int fd, uptr_t buf, size_t count)
{
	struct file *f = fd_get(fd);
	int64_t ret;

	if (!f)
		return -EBADF;
	ret = io_read(f, buf, count, &f->pos);
	file_put(f);
	return ret;
}

/* pread64 and pwrite64: at offset, which must be >= 0; not on streams. */
static int io_at_check(const struct file *f, int64_t offset)
{
	if (f->ops && f->ops->stream)
		return -ESPIPE;
	return offset < 0 ? -EINVAL : 0;
}

int64_t sys_pread64(int fd, uptr_t buf, size_t count, int64_t offset)
{
	struct file *f = fd_get(fd);
	uint64_t pos = (uint64_t)offset;
	int64_t ret;

	if (!f)
		return -EBADF;
	ret = io_at_check(f, offset);
	if (ret == 0)
		ret = io_read(f, buf, count, &pos);
	file_put(f);
	return ret;
}

int64_t sys_pwrite64(int fd, uptr_t buf, size_t count, int64_t offset)
{
	struct file *f = fd_get(fd);
	uint64_t pos = (uint64_t)offset;
	int64_t ret;

	if (!f)
		return -EBADF;
	ret = io_at_check(f, offset);
	if (ret == 0)
		ret = io_write(f, buf, count, &pos);
	file_put(f);
	return ret;
}

int64_t sys_lseek(int fd, int64_t offset, int whence)
{
	struct file *f = fd_get(fd);
	struct vfs_attr attr;
	int64_t base = 0, ret = 0;

	if (!f)
		return -EBADF;
	if (f->ops && f->ops->stream)
		ret = -ESPIPE;
	else if (whence == SEEK_CUR)
		base = (int64_t)f->pos;
	else if (whence == SEEK_END)
		ret = inode_getattr(f->inode, &attr), base = (int64_t)attr.size;
	else if (whence != SEEK_SET)
		ret = -EINVAL;
	if (ret == 0 && (base + offset < 0 || (offset > 0 && base + offset < base)))
		ret = -EINVAL;
	if (ret == 0) {
		f->pos = (uint64_t)(base + offset);
		ret = base + offset;
	}
	file_put(f);
	return ret;
}

/*
 * Copy in and check an iovec array for readv/writev: the count, the array
 * itself, each length (as a signed size: negative is EINVAL) and their sum
 * (at most SSIZE_MAX), then, if check_buffers, every buffer.  The array
 * goes to fast (IOV_FAST entries) if it fits, else to the heap; *out is
 * where it is (iov_free it).  The total length, or -errno.
 */
static int64_t iov_import(uptr_t uiov, int iovcnt, bool write_to_user, bool check_buffers,
			  struct vbuf_seg *fast, struct vbuf_seg **out)
{
	struct vbuf_seg *iov = fast;
	uint64_t total = 0;
	int64_t err = 0;

	*out = NULL;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (iovcnt == 0)
		return 0;
	if (iovcnt > IOV_FAST)
		iov = kmalloc((size_t)iovcnt * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	*out = iov;
	if (copy_from_user(iov, uiov, (size_t)iovcnt * sizeof(*iov)) != 0)
		return -EFAULT;
	for (int i = 0; i < iovcnt && !err; i++) {
		if (iov[i].len > SSIZE_MAX || total + iov[i].len > SSIZE_MAX)
			err = -EINVAL;
		total += iov[i].len;
	}
	for (int i = 0; i < iovcnt && !err && check_buffers; i++)
		if (user_access_check(iov[i].base, iov[i].len, write_to_user) != 0)
			err = -EFAULT;
	return err ? err : (int64_t)total;
}

static void iov_free(struct vbuf_seg *iov, const struct vbuf_seg *fast)
{
	if (iov != fast)
		kfree(iov);
}

/* Move the buffers in order, stopping at an error or a short transfer. */
static int64_t iov_transfer(struct file *f, const struct vbuf_seg *iov, int iovcnt, bool write)
{
	int64_t done = 0;

	for (int i = 0; i < iovcnt; i++) {
		struct vbuf vb = { .addr = iov[i].base, .user = true };
		int64_t n;

		if (iov[i].len == 0)
			continue;
		n = write ? file_write(f, &vb, iov[i].len, &f->pos)
			  : file_read(f, &vb, iov[i].len, &f->pos);
		if (n < 0)
			return done ? done : n;
		done += n;
		if ((uint64_t)n < iov[i].len)
			break;
	}
	return done;
}

/* readv on a stream: one read (one console line at most), scattered over
 * the buffers in order, so that it never waits twice. */
static int64_t iov_read_stream(struct file *f, const struct vbuf_seg *iov, int iovcnt,
			       uint64_t total)
{
	char chunk[IO_CHUNK];
	struct vbuf vb = { .addr = (uintptr_t)chunk, .user = false };
	int64_t n = file_read(f, &vb, MIN(total, sizeof(chunk)), &f->pos);
	size_t done = 0;

	for (int i = 0; i < iovcnt && n > 0 && done < (size_t)n; i++) {
		size_t k = MIN(iov[i].len, (size_t)n - done);

		if (copy_to_user(iov[i].base, chunk + done, k) != 0)
			return done ? (int64_t)done : -EFAULT;
		done += k;
	}
	return n < 0 ? n : (int64_t)done;
}

/*
 * readv and writev.  A whole_vector file gets the vector in one call.  The
 * buffers are checked first, as for read and write, unless the file's
 * copies check as they go (read_unchecked, write_unchecked: the FUSE
 * device, where a reply it cannot copy fails its request).
 */
static int64_t io_vector(int fd, uptr_t uiov, int iovcnt, bool write)
{
	struct file *f = fd_get(fd);
	struct vbuf_seg fast[IOV_FAST], *iov;
	bool whole, unchecked;
	int64_t total;

	if (!f)
		return -EBADF;
	whole = f->ops && f->ops->whole_vector;
	unchecked = f->ops && (write ? f->ops->write_unchecked : f->ops->read_unchecked);
	total = iov_import(uiov, iovcnt, !write, !unchecked, fast, &iov);
	if (total > 0 && whole) {
		struct vbuf vb = { .user = true, .nsegs = iovcnt, .segs = iov };

		total = write ? file_write(f, &vb, (size_t)total, &f->pos)
			      : file_read(f, &vb, (size_t)total, &f->pos);
	} else if (total > 0 && !write && f->ops && f->ops->stream) {
		total = iov_read_stream(f, iov, iovcnt, (uint64_t)total);
	} else if (total > 0) {
		total = iov_transfer(f, iov, iovcnt, write);
	}
	iov_free(iov, fast);
	file_put(f);
	return total;
}

int64_t sys_writev(int fd, uptr_t uiov, int iovcnt)
{
	return io_vector(fd, uiov, iovcnt, true);
}

int64_t sys_readv(int fd, uptr_t uiov, int iovcnt)
{
	return io_vector(fd, uiov, iovcnt, false);
}

int64_t sys_close(int fd)
{
	return fd_close(fd);
}

int64_t sys_ioctl(int fd, unsigned long request, uptr_t arg)
{
	struct file *f = fd_get(fd);
	int64_t ret;

	if (!f)
		return -EBADF;
	ret = f->ops && f->ops->ioctl ? f->ops->ioctl(f, request, arg) : -ENOTTY;
	file_put(f);
	return ret;
}
