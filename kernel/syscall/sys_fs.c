/*
 * File system calls that name files by path: open, openat, creat, stat,
 * lstat, newfstatat, access, faccessat, truncate, chdir, getcwd, statfs,
 * mount, umount2; and what the path calls share (sys_fs.h).
 * Directories' changes (mkdir, unlink, rename, ...) are in sys_dir.c,
 * calls on descriptors in sys_fd.c and sys_io.c.
 *
 * A path is copied from the process (at most PATH_MAX bytes with its NUL:
 * else -ENAMETOOLONG; a bad pointer is -EFAULT), made canonical against the
 * cwd or an *at call's directory descriptor, and handed to the VFS.  There
 * are no symbolic links, so lstat is stat and AT_SYMLINK_NOFOLLOW changes
 * nothing.  Everyone is root: access checks only that the file exists
 * (and, for X_OK, that a regular file has an execute bit, as for root on
 * Linux).
 */
#include "syscall/syscall.h"
#include "syscall/sys_fs.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "proc/proc.h"

#define X_OK 1

#define MS_REMOUNT      32
#define MS_BIND         4096
#define MS_MOVE         8192
#define MNT_FORCE       1
#define MNT_DETACH      2
#define MNT_EXPIRE      4
#define UMOUNT_NOFOLLOW 8
#define MOUNT_STR_MAX   PATH_MAX /* bytes of mount(2)'s fstype, source and data */

#define PROC_SUPER_MAGIC 0x9fa0
#define TMPFS_MAGIC      0x01021994

struct linux_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	int64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	int64_t unused[3];
};

struct linux_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};

/* ---- shared with sys_dir.c and sys_fd.c ------------------------------------------ */

/* The directory an *at call's relative path starts from (kmalloc'd copy). */
static int fs_dirfd_base(int dirfd, char **base)
{
	struct proc *p = proc_current();
	const char *path = p ? p->cwd : "/";
	struct file *f = NULL;
	size_t len;

	if (dirfd != AT_FDCWD) {
		f = fd_get(dirfd);
		if (!f)
			return -EBADF;
		if (!f->path) {
			file_put(f);
			return -ENOTDIR;
		}
		path = f->path;
	}
	len = strlen(path) + 1;
	*base = kmalloc(len);
	if (*base)
		memcpy(*base, path, len);
	if (f)
		file_put(f);
	return *base ? 0 : -ENOMEM;
}

/* 1 if the last component of path is ".", 2 if "..", else 0. */
static int path_last_dots(const char *path, size_t len)
{
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= 1 && path[len - 1] == '.' && (len == 1 || path[len - 2] == '/'))
		return 1;
	if (len >= 2 && path[len - 1] == '.' && path[len - 2] == '.' &&
	    (len == 2 || path[len - 3] == '/'))
		return 2;
	return 0;
}

int fs_user_path_dots(int dirfd, uptr_t upath, char **out, int *dots)
{
	char *raw = path_buf_get(), *canon = path_buf_get(), *base = NULL;
	int64_t len = raw && canon ? strncpy_from_user(raw, upath, PATH_MAX) : -ENOMEM;
	int err = len < 0 ? (int)len : 0;

	if (!err && len == 0)
		err = -ENOENT;
	if (!err && raw[0] != '/')
		err = fs_dirfd_base(dirfd, &base);
	if (!err)
		err = path_canonical_from(base ? base : "/", raw, canon);
	if (!err && raw[len - 1] == '/') {
		size_t n = strlen(canon);

		if (n > 1 && n + 1 < PATH_MAX) {
			canon[n] = '/';
			canon[n + 1] = '\0';
		}
	}
	if (!err && dots)
		*dots = path_last_dots(raw, (size_t)len);
	kfree(base);
	path_buf_put(raw);
	if (err) {
		path_buf_put(canon);
		return err;
	}
	*out = canon;
	return 0;
}

int fs_user_path(int dirfd, uptr_t upath, char **out)
{
	return fs_user_path_dots(dirfd, upath, out, NULL);
}

void fs_strip_slash(char *path)
{
	size_t len = strlen(path);

	if (len > 1 && path[len - 1] == '/')
		path[len - 1] = '\0';
}

int fs_stat_to_user(struct inode *ino, uptr_t ubuf)
{
	struct vfs_attr a;
	struct linux_stat st;
	int err = inode_getattr(ino, &a);

	if (err)
		return err;
	memset(&st, 0, sizeof(st));
	st.st_dev = ino->fs->dev;
	st.st_ino = a.ino;
	st.st_nlink = a.nlink;
	st.st_mode = a.mode;
	st.st_rdev = a.rdev;
	st.st_size = (int64_t)a.size;
	st.st_blksize = a.blksize ? a.blksize : 4096;
	st.st_blocks = (int64_t)a.blocks;
	st.st_atime = a.atime.sec;
	st.st_atime_nsec = a.atime.nsec;
	st.st_mtime = a.mtime.sec;
	st.st_mtime_nsec = a.mtime.nsec;
	st.st_ctime = a.ctime.sec;
	st.st_ctime_nsec = a.ctime.nsec;
	return copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

int fs_statfs_to_user(struct inode *ino, uptr_t ubuf)
{
	struct vfs_statfs s = { .bsize = 4096, .namelen = NAME_MAX, .frsize = 4096 };
	struct linux_statfs st;
	const char *type = ino->fs->type->name;
	int err = 0;

	if (ino->ops && ino->ops->statfs)
		err = ino->ops->statfs(ino, &s);
	else if (strcmp(type, "proc") == 0)
		s.type = PROC_SUPER_MAGIC;
	else if (strcmp(type, "devtmpfs") == 0)
		s.type = TMPFS_MAGIC;
	if (err)
		return err;
	memset(&st, 0, sizeof(st));
	st.f_type = (int64_t)s.type;
	st.f_bsize = (int64_t)s.bsize;
	st.f_blocks = s.blocks;
	st.f_bfree = s.bfree;
	st.f_bavail = s.bavail;
	st.f_files = s.files;
	st.f_ffree = s.ffree;
	st.f_fsid[0] = (int32_t)ino->fs->dev;
	st.f_namelen = (int64_t)s.namelen;
	st.f_frsize = (int64_t)(s.frsize ? s.frsize : s.bsize);
	return copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

/* ---- open ------------------------------------------------------------------------- */

int64_t sys_openat(int dirfd, uptr_t upath, int flags, uint32_t mode)
{
	char *path;
	struct file *f;
	int err = fs_user_path(dirfd, upath, &path);

	if (err)
		return err;
	err = vfs_open(path, (unsigned int)flags, mode, &f);
	path_buf_put(path);
	if (err)
		return err;
	err = fd_install(f, (unsigned int)flags);
	if (err < 0)
		file_put(f);
	return err;
}

int64_t sys_open(uptr_t upath, int flags, uint32_t mode)
{
	return sys_openat(AT_FDCWD, upath, flags, mode);
}

int64_t sys_creat(uptr_t upath, uint32_t mode)
{
	return sys_openat(AT_FDCWD, upath, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* ---- stat, access, truncate, statfs ---------------------------------------------- */

/* Look the user's path up against dirfd: the inode, with a reference. */
static int fs_user_lookup(int dirfd, uptr_t upath, struct inode **ino)
{
	char *path;
	int err = fs_user_path(dirfd, upath, &path);

	if (err)
		return err;
	err = vfs_lookup(path, ino);
	path_buf_put(path);
	return err;
}

int64_t sys_newfstatat(int dirfd, uptr_t upath, uptr_t ubuf, int flags)
{
	struct inode *ino;
	char c;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */))
		return -EINVAL;
	if ((flags & AT_EMPTY_PATH) && copy_from_user(&c, upath, 1) == 0 && c == '\0') {
		struct proc *p = proc_current();

		if (dirfd == AT_FDCWD)
			return p ? fs_stat_to_user(p->cwd_inode, ubuf) : -EBADF;
		return sys_fstat(dirfd, ubuf);
	}
	err = fs_user_lookup(dirfd, upath, &ino);
	if (err)
		return err;
	err = fs_stat_to_user(ino, ubuf);
	inode_put(ino);
	return err;
}

int64_t sys_stat(uptr_t upath, uptr_t ubuf)
{
	return sys_newfstatat(AT_FDCWD, upath, ubuf, 0);
}

int64_t sys_lstat(uptr_t upath, uptr_t ubuf)
{
	return sys_newfstatat(AT_FDCWD, upath, ubuf, AT_SYMLINK_NOFOLLOW);
}

int64_t sys_faccessat(int dirfd, uptr_t upath, int mode)
{
	struct inode *ino;
	struct vfs_attr a;
	int err;

	if (mode & ~7)
		return -EINVAL;
	err = fs_user_lookup(dirfd, upath, &ino);
	if (err)
		return err;
	err = inode_getattr(ino, &a);
	if (!err && (mode & X_OK) && !S_ISDIR(a.mode) && !(a.mode & 0111))
		err = -EACCES;
	inode_put(ino);
	return err;
}

int64_t sys_access(uptr_t upath, int mode)
{
	return sys_faccessat(AT_FDCWD, upath, mode);
}

/* Set the size of the regular file ino (f: the open file, if any). */
int fs_truncate(struct inode *ino, int64_t length, struct file *f)
{
	struct vfs_setattr set = { .valid = VFS_SET_SIZE, .size = (uint64_t)length };

	if (length < 0)
		return -EINVAL;
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (!ino->ops || !ino->ops->setattr)
		return -EPERM;
	return ino->ops->setattr(ino, &set, f);
}

int64_t sys_truncate(uptr_t upath, int64_t length)
{
	struct inode *ino;
	int err = fs_user_lookup(AT_FDCWD, upath, &ino);

	if (err)
		return err;
	err = fs_truncate(ino, length, NULL);
	inode_put(ino);
	return err;
}

int64_t sys_statfs(uptr_t upath, uptr_t ubuf)
{
	struct inode *ino;
	int err = fs_user_lookup(AT_FDCWD, upath, &ino);

	if (err)
		return err;
	err = fs_statfs_to_user(ino, ubuf);
	inode_put(ino);
	return err;
}

/* ---- the current directory --------------------------------------------------------- */

int fs_chdir(const char *canon)
{
	struct proc *p = proc_current();
	struct inode *ino, *old_ino;
	size_t len = strlen(canon) + 1;
	char *copy, *old;
	int err;

	if (!p)
		return -EINVAL;
	err = vfs_lookup(canon, &ino);
	if (err)
		return err;
	if (!S_ISDIR(ino->mode)) {
		inode_put(ino);
		return -ENOTDIR;
	}
	copy = kmalloc(len);
	if (!copy) {
		inode_put(ino);
		return -ENOMEM;
	}
	memcpy(copy, canon, len);
	fs_strip_slash(copy);
	old = p->cwd;
	old_ino = p->cwd_inode;
	p->cwd = copy;
	p->cwd_inode = ino;
	kfree(old);
	inode_put(old_ino);
	return 0;
}

int64_t sys_chdir(uptr_t upath)
{
	char *path;
	int err = fs_user_path(AT_FDCWD, upath, &path);

	if (err)
		return err;
	err = fs_chdir(path);
	path_buf_put(path);
	return err;
}

/* getcwd(2): the length with the NUL, or -ERANGE if size is too small. */
int64_t sys_getcwd(uptr_t ubuf, size_t size)
{
	struct proc *p = proc_current();
	size_t len = strlen(p->cwd) + 1;

	if (size < len)
		return -ERANGE;
	return copy_to_user(ubuf, p->cwd, len) ? -EFAULT : (int64_t)len;
}

/* ---- mount, umount2 ----------------------------------------------------------------- */

/* Copy one of mount(2)'s strings (NULL: "") into a path buffer (path_buf_put it). */
static int mount_string(uptr_t ustr, bool whole, char **out)
{
	char *s = path_buf_get(); /* MOUNT_STR_MAX bytes */
	int64_t n;

	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	n = ustr ? strncpy_from_user(s, ustr, MOUNT_STR_MAX) : 0;
	if (n == -ENAMETOOLONG && whole)
		n = 0, s[MOUNT_STR_MAX - 1] = '\0'; /* data is a page, as on Linux */
	if (n < 0) {
		path_buf_put(s);
		return (int)n;
	}
	*out = s;
	return 0;
}

/* The instance could not be mounted: let it go as an unmount would. */
static void mount_discard(struct fs *fs)
{
	struct inode *root = fs->root;

	if (fs->kill)
		fs->kill(fs);
	fs->root = NULL;
	inode_put(root);
}

/* Mount a new instance of type name at the canonical directory target. */
static int mount_new(const char *target, const char *source, const char *type_name,
		     const char *data, unsigned long flags)
{
	const struct fs_type *type;
	struct inode *dir;
	struct fs *fs;
	int err = vfs_lookup(target, &dir);

	if (err)
		return err;
	err = S_ISDIR(dir->mode) ? 0 : -ENOTDIR;
	inode_put(dir);
	if (err)
		return err;
	type = vfs_find_type(type_name);
	if (!type || !type->mount)
		return -ENODEV;
	err = type->mount(source, data, flags, &fs);
	if (err)
		return err;
	strlcpy(fs->source, source[0] ? source : type_name, sizeof(fs->source));
	err = vfs_mount(fs, target); /* target has no trailing '/' (sys_mount) */
	if (err)
		mount_discard(fs);
	return err;
}

int64_t sys_mount(uptr_t usource, uptr_t utarget, uptr_t utype, unsigned long flags, uptr_t udata)
{
	char *source = NULL, *type = NULL, *data = NULL, *target = NULL;
	int err = mount_string(usource, false, &source);

	if (!err)
		err = mount_string(utype, false, &type);
	if (!err)
		err = mount_string(udata, true, &data);
	if (!err)
		err = fs_user_path(AT_FDCWD, utarget, &target);
	if (!err && (flags & (MS_REMOUNT | MS_BIND | MS_MOVE)))
		err = -EINVAL; /* not supported: only new mounts */
	if (!err) {
		fs_strip_slash(target);
		err = mount_new(target, source, type, data, flags);
	}
	path_buf_put(source);
	path_buf_put(type);
	path_buf_put(data);
	path_buf_put(target);
	return err;
}

int64_t sys_umount2(uptr_t utarget, int flags)
{
	struct inode *ino;
	char *target;
	int err;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	err = fs_user_path(AT_FDCWD, utarget, &target);
	if (err)
		return err;
	err = vfs_lookup(target, &ino);
	if (!err) {
		inode_put(ino);
		fs_strip_slash(target);
		err = vfs_umount(target, flags);
	}
	path_buf_put(target);
	return err;
}
