/*
 * I/O system calls: read, write, readv, writev, close, ioctl.
 *
 * Until the VFS exists (stage ramdisk) a process has three file
 * descriptors, 0, 1 and 2, all the console, open from the start
 * (proc->open_fds); close() closes them, anything else is EBADF.
 *
 * Reading the console is line by line, like a terminal in canonical mode:
 * read() waits for a line (the console's line discipline lets the user edit
 * it first), returns at most one line, '\n' included, and leaves what did
 * not fit for the next read.
 *
 * Buffers are checked whole before anything happens (user_access_check):
 * a bad buffer fails with EFAULT before a write prints part of it, and
 * before a read waits for input it could not store.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "drivers/console.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "proc/proc.h"

#define SSIZE_MAX INT64_MAX
#define IOV_MAX   1024
#define IO_CHUNK  256 /* bytes copied through the kernel stack at a time */

#define TIOCGWINSZ 0x5413

struct iovec {
	uint64_t base;
	uint64_t len;
};

struct winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

static bool console_fd(int fd)
{
	struct proc *p = proc_current();

	return fd >= 0 && fd < 3 && (p->open_fds & (1u << fd));
}

/* Write count bytes from user buf to the console; the buffer is checked. */
static int64_t console_write_user(uptr_t buf, size_t count)
{
	char chunk[IO_CHUNK];
	size_t done = 0;

	while (done < count) {
		size_t n = MIN(count - done, sizeof(chunk));

		if (copy_from_user(chunk, buf + done, n) != 0)
			return done ? (int64_t)done : -EFAULT;
		console_write(chunk, n);
		done += n;
	}
	return (int64_t)done;
}

/* Read at most one line, up to max bytes, from the console. */
static size_t console_read(char *buf, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char c = (char)console_getc();

		if (c == '\r')
			c = '\n';
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	return n;
}

int64_t sys_write(int fd, uptr_t buf, size_t count)
{
	/* BEGIN STAGE syscalls: write(2) to the console: check fd and the whole buffer, then copy */
	if (!console_fd(fd))
		return -EBADF;
	if (count == 0)
		return 0;
	if (user_access_check(buf, count, false) != 0)
		return -EFAULT;
	return console_write_user(buf, count);
	/* STUB
	(void)fd, (void)buf, (void)count, (void)console_fd, (void)console_write_user;
	return -ENOSYS;
	END STAGE syscalls */
}

int64_t sys_read(int fd, uptr_t buf, size_t count)
{
	char line[IO_CHUNK];
	size_t n;

	if (!console_fd(fd))
		return -EBADF;
	if (count == 0)
		return 0;
	if (user_access_check(buf, count, true) != 0)
		return -EFAULT;
	n = console_read(line, MIN(count, sizeof(line)));
	if (copy_to_user(buf, line, n) != 0)
		return -EFAULT;
	return (int64_t)n;
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

int64_t sys_writev(int fd, uptr_t uiov, int iovcnt)
{
	struct iovec *iov;
	int64_t total, done = 0;

	if (!console_fd(fd))
		return -EBADF;
	total = iov_import(uiov, iovcnt, false, &iov);
	if (total <= 0) {
		kfree(iov);
		return total;
	}
	for (int i = 0; i < iovcnt; i++) {
		int64_t n = console_write_user(iov[i].base, iov[i].len);

		if (n < 0) {
			done = done ? done : n;
			break;
		}
		done += n;
	}
	kfree(iov);
	return done;
}

int64_t sys_readv(int fd, uptr_t uiov, int iovcnt)
{
	struct iovec *iov;
	char line[IO_CHUNK];
	int64_t total;
	size_t n, done = 0;

	if (!console_fd(fd))
		return -EBADF;
	total = iov_import(uiov, iovcnt, true, &iov);
	if (total <= 0) {
		kfree(iov);
		return total;
	}
	/* One line at most, scattered over the buffers in order. */
	n = console_read(line, MIN((uint64_t)total, sizeof(line)));
	for (int i = 0; i < iovcnt && done < n; i++) {
		size_t k = MIN(iov[i].len, n - done);

		if (copy_to_user(iov[i].base, line + done, k) != 0)
			break;
		done += k;
	}
	kfree(iov);
	return done ? (int64_t)done : -EFAULT;
}

int64_t sys_close(int fd)
{
	struct proc *p = proc_current();

	if (!console_fd(fd))
		return -EBADF;
	p->open_fds &= ~(1u << fd);
	return 0;
}

/* The console is a terminal of 80 x 25 characters (the VGA text screen). */
int64_t sys_ioctl(int fd, unsigned long request, uptr_t arg)
{
	struct winsize ws = { .ws_row = 25, .ws_col = 80 };

	if (!console_fd(fd))
		return -EBADF;
	switch (request) {
	case TIOCGWINSZ:
		/* musl's stdout is line-buffered only if this succeeds. */
		return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}
