/*
 * utimensat(2): set a file's access and modification times (touch(1)).
 *
 * times NULL sets both to now; otherwise times[0] is the access time and
 * times[1] the modification time, each a struct timespec whose tv_nsec may
 * be UTIME_NOW (now) or UTIME_OMIT (leave it).  "Now" is the CMOS clock's
 * reading, in whole seconds.  The change goes to the inode's setattr
 * (for FUSE, a SETATTR request); a filesystem without one gives -EPERM.
 * There are no symbolic links, so AT_SYMLINK_NOFOLLOW changes nothing;
 * a NULL path (futimens) is not supported.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "drivers/rtc.h"
#include "fs/vfs.h"
#include "syscall/sys_fs.h"

#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#define NSEC_MAX   999999999l

struct utime_spec {
	int64_t tv_sec, tv_nsec;
};

/* One of times[]: into *t and its VFS_SET_* bit into *valid; -EINVAL for
 * a bad tv_nsec. */
static int utime_take(const struct utime_spec *ts, uint32_t bit, struct vfs_time *t,
		      uint32_t *valid)
{
	if (ts->tv_nsec == UTIME_OMIT)
		return 0;
	*valid |= bit;
	if (ts->tv_nsec == UTIME_NOW) {
		t->sec = rtc_read_epoch();
		t->nsec = 0;
		return 0;
	}
	if (ts->tv_nsec < 0 || ts->tv_nsec > NSEC_MAX)
		return -EINVAL;
	t->sec = ts->tv_sec;
	t->nsec = ts->tv_nsec;
	return 0;
}

int64_t sys_utimensat(int dirfd, uptr_t upath, uptr_t utimes, int flags)
{
	struct utime_spec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct vfs_setattr set = { 0 };
	struct inode *ino;
	char *path;
	int err;

	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (!upath)
		return -ENOSYS;
	if (utimes && copy_from_user(ts, utimes, sizeof(ts)))
		return -EFAULT;
	if ((err = utime_take(&ts[0], VFS_SET_ATIME, &set.atime, &set.valid)) ||
	    (err = utime_take(&ts[1], VFS_SET_MTIME, &set.mtime, &set.valid)))
		return err;
	if ((err = fs_user_path(dirfd, upath, &path)))
		return err;
	err = vfs_lookup(path, &ino);
	path_buf_put(path);
	if (err)
		return err;
	if (set.valid && (!ino->ops || !ino->ops->setattr))
		err = -EPERM;
	else if (set.valid)
		err = ino->ops->setattr(ino, &set, NULL);
	inode_put(ino);
	return err;
}
