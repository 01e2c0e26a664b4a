/*
 * Path names: making them canonical, and walking them to an inode.
 *
 * There are no symbolic links, so a path is made canonical by text alone
 * (see vfs.h): the cwd goes in front of a relative path, "." and empty
 * components are dropped, ".." drops the component before it ("/.." is
 * "/").  The result always starts with '/', never ends with one (unless it
 * is "/"), and has no "." or ".." in it.  A component longer than NAME_MAX
 * or a result of PATH_MAX bytes or more is -ENAMETOOLONG, as on Linux.
 *
 * The walk starts at the root of the filesystem mounted at the longest
 * mount path that is a prefix of the canonical path (mount_find), then
 * looks up one component at a time.  Each step holds a reference on the
 * directory it is in and drops it once it has the next inode; lookups may
 * sleep (FUSE), and hold no VFS lock.
 *
 * Path buffers are PATH_MAX bytes: too big for a 16 KiB kernel stack, and
 * from the heap each would be whole pages, zeroed by the frame allocator:
 * thousands of instructions per stat(2).  A pool of PATH_POOL buffers in the
 * kernel's data serves them (a bit per buffer, changed with interrupts
 * off); when callers sleeping in a filesystem hold them all, the heap does.
 */
#include "fs/vfs.h"
#include <errno.h>
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "proc/proc.h"

#define PATH_POOL 16

static char path_pool[PATH_POOL][PATH_MAX];
static uint32_t path_pool_used; /* bit i: path_pool[i] is handed out */

char *path_buf_get(void)
{
	uint64_t flags = irq_save();

	for (int i = 0; i < PATH_POOL; i++) {
		if (!(path_pool_used & (1u << i))) {
			path_pool_used |= 1u << i;
			irq_restore(flags);
			return path_pool[i];
		}
	}
	irq_restore(flags);
	return kmalloc(PATH_MAX);
}

void path_buf_put(char *buf)
{
	uintptr_t off = (uintptr_t)buf - (uintptr_t)path_pool;
	uint64_t flags;

	if (!buf)
		return;
	if (off >= sizeof(path_pool)) {
		kfree(buf);
		return;
	}
	flags = irq_save();
	path_pool_used &= ~(1u << (off / PATH_MAX));
	irq_restore(flags);
}

int path_canonical_from(const char *base, const char *path, char *out)
{
	size_t len;

	/* BEGIN STAGE fuse: put base in front of a relative path, drop "." and empty components, let ".." drop one */
	if (path[0] == '\0')
		return -ENOENT;
	if (path[0] == '/' || !base)
		base = "/";
	len = strlcpy(out, base, PATH_MAX);
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (len == 1)
		len = 0; /* "/": components are appended as "/name" */
	while (*path) {
		const char *end = strchr(path, '/');
		size_t n = end ? (size_t)(end - path) : strlen(path);

		if (n == 2 && path[0] == '.' && path[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the '/' before it */
		} else if (n > NAME_MAX) {
			return -ENAMETOOLONG;
		} else if (n > 0 && !(n == 1 && path[0] == '.')) {
			if (len + 1 + n >= PATH_MAX)
				return -ENAMETOOLONG;
			out[len++] = '/';
			memcpy(out + len, path, n);
			len += n;
		}
		path += n;
		while (*path == '/')
			path++;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
	/* STUB
	(void)base, (void)len;
	if (path[0] == '\0')
		return -ENOENT;
	return strlcpy(out, path, PATH_MAX) < PATH_MAX ? 0 : -ENAMETOOLONG;
	END STAGE fuse */
}

int path_canonical(const char *path, char *out)
{
	struct proc *p = proc_current();

	return path_canonical_from(p ? p->cwd : "/", path, out);
}

/* Walk the canonical path to its inode. */
static int path_walk(const char *canon, struct inode **out)
{
	struct inode *ino;
	const char *rest;
	char name[NAME_MAX + 1];
	int err = mount_find(canon, &ino, &rest);

	if (err)
		return err;
	while (*rest) {
		const char *end = strchr(rest, '/');
		size_t n = end ? (size_t)(end - rest) : strlen(rest);
		struct inode *next;

		memcpy(name, rest, n);
		name[n] = '\0';
		if (!S_ISDIR(ino->mode) || !ino->ops || !ino->ops->lookup)
			err = -ENOTDIR;
		else
			err = ino->ops->lookup(ino, name, &next);
		inode_put(ino);
		if (err)
			return err;
		ino = next;
		rest += n;
		if (*rest == '/')
			rest++;
	}
	*out = ino;
	return 0;
}

int vfs_lookup(const char *path, struct inode **out)
{
	char *canon = path_buf_get();
	size_t len = strlen(path);
	int err;

	if (!canon)
		return -ENOMEM;
	err = path_canonical(path, canon);
	if (!err)
		err = path_walk(canon, out);
	path_buf_put(canon);
	/* "file/" names a directory: ENOTDIR if it is not one, as on Linux. */
	if (!err && len > 0 && path[len - 1] == '/' && !S_ISDIR((*out)->mode)) {
		inode_put(*out);
		err = -ENOTDIR;
	}
	return err;
}

int vfs_lookup_parent(const char *path, struct inode **dir, char *name)
{
	char *canon = path_buf_get();
	char *slash;
	int err;

	if (!canon)
		return -ENOMEM;
	err = path_canonical(path, canon);
	if (!err && strcmp(canon, "/") == 0)
		err = -EBUSY;
	if (err)
		goto out;
	slash = canon;
	for (char *c = canon; *c; c++)
		if (*c == '/')
			slash = c;
	strlcpy(name, slash + 1, NAME_MAX + 1);
	slash[slash == canon ? 1 : 0] = '\0'; /* the parent: "/" or "/a/b" */
	err = path_walk(canon, dir);
	if (!err && !S_ISDIR((*dir)->mode)) {
		inode_put(*dir);
		err = -ENOTDIR;
	}
out:
	path_buf_put(canon);
	return err;
}
