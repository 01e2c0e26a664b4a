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
 * sleep (FUSE), and hold no VFS lock.  Path buffers are PATH_MAX bytes:
 * too big for a 16 KiB kernel stack, so they come from the heap.
 */
#include "fs/vfs.h"
#include <errno.h>
#include "lib/string.h"
#include "mm/heap.h"
#include "proc/proc.h"

int path_canonical_from(const char *base, const char *path, char *out)
{
	size_t len;

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
	char *canon = kmalloc(PATH_MAX);
	size_t len = strlen(path);
	int err;

	if (!canon)
		return -ENOMEM;
	err = path_canonical(path, canon);
	if (!err)
		err = path_walk(canon, out);
	kfree(canon);
	/* "file/" names a directory: ENOTDIR if it is not one, as on Linux. */
	if (!err && len > 0 && path[len - 1] == '/' && !S_ISDIR((*out)->mode)) {
		inode_put(*out);
		err = -ENOTDIR;
	}
	return err;
}

int vfs_lookup_parent(const char *path, struct inode **dir, char *name)
{
	char *canon = kmalloc(PATH_MAX);
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
	kfree(canon);
	return err;
}
