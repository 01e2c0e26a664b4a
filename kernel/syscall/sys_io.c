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
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "mm/heap.h"

#define SSIZE_MAX INT64_MAX
#define IOV_MAX   1024
#define IO_CHUNK  256 /* bytes a stream's readv reads at once */

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

struct iovec {
	uint64_t base;
	uint64_t len;
};

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

static int64_t io_read(struct file *f, uptr_t buf, size_t count, uint64_t *pos)
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
static int64_t io_at(int fd, uptr_t buf, size_t count, int64_t offset, bool write)
{
	struct file *f = fd_get(fd);
	uint64_t pos = (uint64_t)offset;
	int64_t ret;

	if (!f)
		return -EBADF;
	if (f->ops && f->ops->stream)
		ret = -ESPIPE;
	else if (offset < 0)
		ret = -EINVAL;
	else
		ret = write ? io_write(f, buf, count, &pos) : io_read(f, buf, count, &pos);
	file_put(f);
	return ret;
}

int64_t sys_pread64(int fd, uptr_t buf, size_t count, int64_t offset)
{
	return io_at(fd, buf, count, offset, false);
}

int64_t sys_pwrite64(int fd, uptr_t buf, size_t count, int64_t offset)
{
	return io_at(fd, buf, count, offset, true);
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
 * (at most SSIZE_MAX), then every buffer.  Returns the array (kfree it) in
 * *out and the total length, or -errno.
 */
static int64_t iov_import(uptr_t uiov, int iovcnt, bool write_to_user, struct iovec **out)
{
	struct iovec *iov;
	uint64_t total = 0;

	*out = NULL;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (iovcnt == 0)
		return 0;
	iov = kmalloc((size_t)iovcnt * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	if (copy_from_user(iov, uiov, (size_t)iovcnt * sizeof(*iov)) != 0) {
		kfree(iov);
		return -EFAULT;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].len > SSIZE_MAX || total + iov[i].len > SSIZE_MAX) {
			kfree(iov);
			return -EINVAL;
		}
		total += iov[i].len;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (user_access_check(iov[i].base, iov[i].len, write_to_user) != 0) {
			kfree(iov);
			return -EFAULT;
		}
	}
	*out = iov;
	return (int64_t)total;
}

/* Move the buffers in order, stopping at an error or a short transfer. */
static int64_t iov_transfer(struct file *f, const struct iovec *iov, int iovcnt, bool write)
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
static int64_t iov_read_stream(struct file *f, const struct iovec *iov, int iovcnt, uint64_t total)
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

static int64_t io_vector(int fd, uptr_t uiov, int iovcnt, bool write)
{
	struct file *f = fd_get(fd);
	struct iovec *iov;
	int64_t total;

	if (!f)
		return -EBADF;
	total = iov_import(uiov, iovcnt, !write, &iov);
	if (total > 0 && !write && f->ops && f->ops->stream)
		total = iov_read_stream(f, iov, iovcnt, (uint64_t)total);
	else if (total > 0)
		total = iov_transfer(f, iov, iovcnt, write);
	kfree(iov);
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
