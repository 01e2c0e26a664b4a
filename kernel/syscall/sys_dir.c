/*
 * System calls that change directories: mkdir, mkdirat, mknod, mknodat,
 * rmdir, unlink, unlinkat, rename, renameat, renameat2.
 *
 * The VFS checks what Linux checks before a filesystem is asked: the
 * names exist (or do not), have the right types (-ENOTDIR, -EISDIR), are
 * not mount points or "/" (-EBUSY), lie in one filesystem (rename: -EXDEV),
 * and a directory is not moved under itself (-EINVAL).  A filesystem
 * without the operation refuses with -EPERM, as Linux's do.
 */
#include "syscall/syscall.h"
#include "syscall/sys_fs.h"
#include <errno.h>
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/heap.h"

#define RENAME_NOREPLACE 1

/* Is the canonical path a mount point (or "/")? */
static bool dir_is_mount_point(const char *path)
{
	struct inode *root;
	const char *rest;

	if (mount_find(path, &root, &rest) != 0)
		return false;
	inode_put(root);
	return rest[0] == '\0';
}

/* Make the missing canonical path a directory (S_IFDIR in mode) or a
 * special file (mknod) in its parent. */
static int dir_make(const char *path, uint32_t mode)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ino;
	int err = vfs_lookup(path, &ino);

	if (err == 0) {
		inode_put(ino);
		return -EEXIST;
	}
	if (err != -ENOENT)
		return err;
	err = vfs_lookup_parent(path, &dir, name);
	if (err)
		return err;
	if (S_ISDIR(mode))
		err = dir->ops && dir->ops->mkdir ? dir->ops->mkdir(dir, name, mode & 07777)
						  : -EPERM;
	else
		err = dir->ops && dir->ops->mknod ? dir->ops->mknod(dir, name, mode) : -EPERM;
	inode_put(dir);
	return err;
}

int64_t sys_mkdirat(int dirfd, uptr_t upath, uint32_t mode)
{
	char *path;
	int err = fs_user_path(dirfd, upath, &path);

	if (err)
		return err;
	err = dir_make(path, S_IFDIR | (mode & 07777));
	path_buf_put(path);
	return err;
}

int64_t sys_mkdir(uptr_t upath, uint32_t mode)
{
	return sys_mkdirat(AT_FDCWD, upath, mode);
}

/*
 * mknod(2): a regular file (type 0 or S_IFREG) is created as open(2) with
 * O_CREAT | O_EXCL would (Linux's vfs_create), a FIFO by the filesystem's
 * mknod (-EPERM without one, as on vfat); devices and sockets are -EPERM
 * (kestrel's devices are /dev's alone), and so is a directory (as on
 * Linux), other types -EINVAL.
 */
int64_t sys_mknodat(int dirfd, uptr_t upath, uint32_t mode, unsigned int dev)
{
	uint32_t type = mode & S_IFMT;
	struct file *f;
	char *path;
	int err;

	(void)dev;
	switch (type) {
	case 0:
	case S_IFREG:
	case S_IFIFO:
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFSOCK:
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	err = fs_user_path(dirfd, upath, &path);
	if (err)
		return err;
	if (type == S_IFIFO) {
		err = dir_make(path, mode & (S_IFMT | 07777));
	} else {
		err = vfs_open(path, O_CREAT | O_EXCL | O_WRONLY, mode & 07777, &f);
		if (!err)
			file_put(f);
	}
	path_buf_put(path);
	return err;
}

int64_t sys_mknod(uptr_t upath, uint32_t mode, unsigned int dev)
{
	return sys_mknodat(AT_FDCWD, upath, mode, dev);
}

/* Remove the canonical path: a directory (rmdir) or anything else (unlink). */
static int dir_remove(const char *path, bool rmdir)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ino;
	int err = vfs_lookup(path, &ino);

	if (err)
		return err;
	if (rmdir && !S_ISDIR(ino->mode))
		err = -ENOTDIR;
	else if (!rmdir && S_ISDIR(ino->mode))
		err = -EISDIR;
	else if (dir_is_mount_point(path))
		err = -EBUSY;
	inode_put(ino);
	if (err)
		return err;
	err = vfs_lookup_parent(path, &dir, name);
	if (err)
		return err;
	if (rmdir)
		err = dir->ops && dir->ops->rmdir ? dir->ops->rmdir(dir, name) : -EPERM;
	else
		err = dir->ops && dir->ops->unlink ? dir->ops->unlink(dir, name) : -EPERM;
	inode_put(dir);
	return err;
}

int64_t sys_unlinkat(int dirfd, uptr_t upath, int flags)
{
	char *path;
	int err, dots;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	err = fs_user_path_dots(dirfd, upath, &path, &dots);
	if (err)
		return err;
	if ((flags & AT_REMOVEDIR) && dots)
		err = dots == 1 ? -EINVAL : -ENOTEMPTY; /* rmdir("d/.") and "d/.." */
	else
		err = dir_remove(path, flags & AT_REMOVEDIR);
	path_buf_put(path);
	return err;
}

int64_t sys_unlink(uptr_t upath)
{
	return sys_unlinkat(AT_FDCWD, upath, 0);
}

int64_t sys_rmdir(uptr_t upath)
{
	return sys_unlinkat(AT_FDCWD, upath, AT_REMOVEDIR);
}

/* What Linux refuses before asking the filesystem to rename. */
static int rename_check(const char *from, const char *to, unsigned int flags)
{
	struct inode *src, *dst = NULL;
	size_t n = strlen(from);
	int err = vfs_lookup(from, &src);

	if (err)
		return err;
	/* Only a target that is not there may go unchecked: one that could
	 * not be looked up (-ENOMEM) must not be replaced unseen. */
	err = vfs_lookup(to, &dst);
	if (err && err != -ENOENT) {
		inode_put(src);
		return err;
	}
	err = 0; /* dst stays NULL: no target */
	if (strcmp(from, "/") == 0 || strcmp(to, "/") == 0 || dir_is_mount_point(from) ||
	    dir_is_mount_point(to))
		err = -EBUSY;
	else if (strncmp(from, to, n) == 0 && to[n] == '/')
		err = -EINVAL; /* a directory into itself */
	else if (dst && (flags & RENAME_NOREPLACE))
		err = -EEXIST;
	else if (dst && S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
		err = -ENOTDIR;
	else if (dst && !S_ISDIR(src->mode) && S_ISDIR(dst->mode))
		err = -EISDIR;
	else if (dst == src)
		err = 1; /* the same file: nothing to do */
	inode_put(src);
	inode_put(dst);
	return err;
}

static int dir_rename(const char *from, const char *to, unsigned int flags)
{
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct inode *odir, *ndir;
	int err = rename_check(from, to, flags);

	if (err)
		return err > 0 ? 0 : err;
	err = vfs_lookup_parent(from, &odir, oname);
	if (err)
		return err;
	err = vfs_lookup_parent(to, &ndir, nname);
	if (err) {
		inode_put(odir);
		return err;
	}
	if (odir->fs != ndir->fs)
		err = -EXDEV;
	else if (!odir->ops || !odir->ops->rename)
		err = -EPERM;
	else
		err = odir->ops->rename(odir, oname, ndir, nname, flags);
	inode_put(odir);
	inode_put(ndir);
	return err;
}

int64_t sys_renameat2(int olddirfd, uptr_t uold, int newdirfd, uptr_t unew, unsigned int flags)
{
	char *from, *to;
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT: not supported */
	err = fs_user_path(olddirfd, uold, &from);
	if (err)
		return err;
	err = fs_user_path(newdirfd, unew, &to);
	if (!err) {
		err = dir_rename(from, to, flags);
		path_buf_put(to);
	}
	path_buf_put(from);
	return err;
}

int64_t sys_renameat(int olddirfd, uptr_t uold, int newdirfd, uptr_t unew)
{
	return sys_renameat2(olddirfd, uold, newdirfd, unew, 0);
}

int64_t sys_rename(uptr_t uold, uptr_t unew)
{
	return sys_renameat2(AT_FDCWD, uold, AT_FDCWD, unew, 0);
}
