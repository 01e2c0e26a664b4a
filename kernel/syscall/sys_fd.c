/*
 * System calls on descriptors other than reading and writing (sys_io.c):
 * dup, dup2, dup3, fcntl (and a pipe's F_GETPIPE_SZ), fstat, getdents64,
 * fchdir, ftruncate, fsync, fdatasync, fstatfs.
 *
 * getdents64 fills the buffer with struct linux_dirent64 records, each
 * 8-byte aligned (d_reclen rounded up), d_off the position after it; the
 * file's position moves past every record given, so the next call goes on
 * from there and lseek(fd, 0, SEEK_SET) starts the listing again.
 */
#include "syscall/syscall.h"
#include "syscall/sys_fs.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/pipe.h"
#include "fs/vfs.h"
#include "lib/string.h"

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ    1032
#define FD_CLOEXEC      1
#define O_LARGEFILE     0100000 /* always set on 64-bit Linux: F_GETFL shows it */

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_REG     8
#define DT_LNK     10

int64_t sys_dup(int oldfd)
{
	return fd_dup_min(oldfd, 0, 0);
}

int64_t sys_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) {
		struct file *f = fd_get(oldfd);

		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return fd_dup_to(oldfd, newfd, 0);
}

int64_t sys_dup3(int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return fd_dup_to(oldfd, newfd, (unsigned int)flags);
}

int64_t sys_fcntl(int fd, int cmd, uint64_t arg)
{
	struct file *f;
	int64_t ret = 0;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fd_dup_min(fd, (int)arg, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
	case F_GETFD:
		return fd_get_cloexec(fd);
	case F_SETFD:
		return fd_set_cloexec(fd, arg & FD_CLOEXEC);
	case F_GETFL:
	case F_SETFL:
		break;
	case F_GETPIPE_SZ:
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		ret = pipe_is(f) ? PIPE_SIZE : -EBADF; /* Linux: not a pipe is EBADF */
		file_put(f);
		return ret;
	default:
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		file_put(f);
		return -EINVAL;
	}
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (cmd == F_GETFL)
		ret = f->flags | O_LARGEFILE;
	else
		f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) |
			   ((unsigned int)arg & (O_APPEND | O_NONBLOCK));
	file_put(f);
	return ret;
}

int64_t sys_fstat(int fd, uptr_t ubuf)
{
	struct file *f = fd_get(fd);
	int err;

	if (!f)
		return -EBADF;
	err = fs_stat_to_user(f->inode, ubuf);
	file_put(f);
	return err;
}

int64_t sys_fstatfs(int fd, uptr_t ubuf)
{
	struct file *f = fd_get(fd);
	int err;

	if (!f)
		return -EBADF;
	err = fs_statfs_to_user(f->inode, ubuf);
	file_put(f);
	return err;
}

/* ---- getdents64 ----------------------------------------------------------------- */

struct dirent_header {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} PACKED;

struct dirent_ctx {
	uptr_t buf;
	size_t size, used;
	int err;
	bool full; /* a record did not fit */
};

static uint8_t dirent_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return DT_DIR;
	case S_IFREG:
		return DT_REG;
	case S_IFCHR:
		return DT_CHR;
	case S_IFIFO:
		return DT_FIFO;
	case S_IFLNK:
		return DT_LNK;
	}
	return DT_UNKNOWN;
}

/* vfs_filldir_fn: one record into the user's buffer, if it fits. */
static bool dirent_fill(void *arg, const char *name, uint64_t ino, uint32_t mode, uint64_t next)
{
	struct dirent_ctx *ctx = arg;
	size_t namelen = strnlen(name, NAME_MAX);
	size_t reclen = ALIGN_UP(sizeof(struct dirent_header) + namelen + 1, 8);
	char rec[ALIGN_UP(sizeof(struct dirent_header) + NAME_MAX + 1, 8)];
	struct dirent_header h = { ino, (int64_t)next, (uint16_t)reclen, dirent_type(mode) };

	/* BEGIN STAGE fuse: one linux_dirent64 record, 8-byte aligned, if it fits in what is left */
	if (ctx->err)
		return false;
	if (ctx->used + reclen > ctx->size) {
		ctx->full = true;
		return false;
	}
	memset(rec, 0, reclen);
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), name, namelen);
	if (copy_to_user(ctx->buf + ctx->used, rec, reclen) != 0) {
		ctx->err = -EFAULT;
		return false;
	}
	ctx->used += reclen;
	return true;
	/* STUB
	(void)ctx, (void)namelen, (void)rec, (void)h;
	return false;
	END STAGE fuse */
}

int64_t sys_getdents64(int fd, uptr_t ubuf, size_t count)
{
	struct file *f = fd_get(fd);
	struct dirent_ctx ctx = { .buf = ubuf, .size = count };
	uint64_t pos;
	int err;

	if (!f)
		return -EBADF;
	if (!f->ops || !f->ops->readdir) {
		file_put(f);
		return -ENOTDIR;
	}
	if (user_access_check(ubuf, count, true) != 0) {
		file_put(f);
		return -EFAULT;
	}
	pos = f->pos;
	err = f->ops->readdir(f, &pos, dirent_fill, &ctx);
	f->pos = pos;
	file_put(f);
	if (ctx.err)
		return ctx.used ? (int64_t)ctx.used : ctx.err;
	if (err < 0)
		return err;
	if (ctx.used == 0 && ctx.full)
		return -EINVAL; /* not even one record fits */
	return (int64_t)ctx.used;
}

/* ---- fchdir, ftruncate, fsync ---------------------------------------------------- */

int64_t sys_fchdir(int fd)
{
	struct file *f = fd_get(fd);
	int err;

	if (!f)
		return -EBADF;
	err = f->path ? fs_chdir(f->path) : -ENOTDIR;
	file_put(f);
	return err;
}

int64_t sys_ftruncate(int fd, int64_t length)
{
	struct file *f = fd_get(fd);
	int err;

	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		err = -EINVAL; /* Linux: not open for writing */
	else
		err = fs_truncate(f->inode, length, f);
	file_put(f);
	return err;
}

/* fsync(2): a file that cannot be synced (a device, /proc) is -EINVAL, as on Linux. */
int64_t sys_fsync(int fd)
{
	struct file *f = fd_get(fd);
	int err;

	if (!f)
		return -EBADF;
	err = f->ops && f->ops->fsync ? f->ops->fsync(f) : -EINVAL;
	file_put(f);
	return err;
}

int64_t sys_fdatasync(int fd)
{
	return sys_fsync(fd);
}
