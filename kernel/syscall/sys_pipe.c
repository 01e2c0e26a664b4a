/*
 * pipe(2) and pipe2(2): a new pipe (fs/pipe.h) as two descriptors, the
 * read end in fds[0] and the write end in fds[1].  pipe2 takes O_CLOEXEC
 * (both descriptors) and O_NONBLOCK (both open files); any other flag is
 * -EINVAL (Linux's O_DIRECT packet mode is not here).  A bad fds pointer
 * is -EFAULT with no descriptor left open.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/pipe.h"
#include "fs/vfs.h"

int64_t sys_pipe2(uptr_t ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2], err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	err = pipe_create((unsigned int)flags, &rd, &wr);
	if (err)
		return err;
	fds[0] = fd_install(rd, (unsigned int)flags);
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install(wr, (unsigned int)flags);
	if (fds[1] < 0) {
		fd_close(fds[0]);
		file_put(wr);
		return fds[1];
	}
	if (copy_to_user(ufds, fds, sizeof(fds)) != 0) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

int64_t sys_pipe(uptr_t ufds)
{
	return sys_pipe2(ufds, 0);
}
