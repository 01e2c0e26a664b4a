/*
 * What the filesystem system calls (sys_fs.c, sys_dir.c, sys_fd.c) share:
 * taking a path from user memory, and writing struct stat and struct
 * statfs back in Linux's x86_64 layouts.
 */
#ifndef SYSCALL_SYS_FS_H
#define SYSCALL_SYS_FS_H

#include <types.h>
#include "mm/usercopy.h"

struct file;
struct inode;

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EMPTY_PATH       0x1000

/*
 * Copy the path at upath and make it canonical against dirfd (AT_FDCWD:
 * the cwd; an absolute path ignores it) into a PATH_MAX buffer *out (give
 * it back with path_buf_put), keeping one trailing '/' if the path had one (the VFS
 * then wants a directory).  -EFAULT, -ENAMETOOLONG, -ENOENT for "",
 * -EBADF (dirfd not open), -ENOTDIR (dirfd not a directory), -ENOMEM.
 */
int fs_user_path(int dirfd, uptr_t upath, char **out);
/* The same, also saying whether the path's last component is "." or ".."
 * (1 or 2 in *dots, else 0): rmdir refuses those, as Linux does. */
int fs_user_path_dots(int dirfd, uptr_t upath, char **out, int *dots);
/* Drop the trailing '/' fs_user_path keeps (for a path stored as is). */
void fs_strip_slash(char *path);

/* stat(2)'s struct stat for ino, written to ubuf: 0, -EFAULT, or getattr's error. */
int fs_stat_to_user(struct inode *ino, uptr_t ubuf);
/* statfs(2)'s struct statfs for the filesystem of ino. */
int fs_statfs_to_user(struct inode *ino, uptr_t ubuf);
/* truncate(2) and ftruncate(2) of ino (f: the open file, or NULL). */
int fs_truncate(struct inode *ino, int64_t length, struct file *f);
/* Make the canonical directory path the current process's cwd. */
int fs_chdir(const char *canon);

#endif
