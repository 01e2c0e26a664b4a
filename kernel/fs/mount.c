/*
 * The mount table: which filesystem answers for which part of the tree.
 *
 * A mount is a canonical path and the fs mounted there (see vfs.h).  A
 * path belongs to the mount with the longest path that is a prefix of it at
 * a component boundary: "/dev/null" to "/dev", "/device" to "/".  Until a
 * filesystem is mounted at "/" (the FAT server at boot), "/" is a stand-in:
 * an empty directory of its own that lists the first components of the
 * mount paths ("dev", "proc"), so a process can chdir("/") and walk back
 * down, and every other name in it is -ENOENT.
 *
 * Unmounting removes the entry; when an fs's last mount goes, fs->kill
 * releases what the instance holds, fs->root is cleared and the root's
 * reference dropped, and the struct is freed with its last inode
 * (inode.c).  An fs with open files, cwds or lookups in progress holds
 * inodes besides its root, or more references on the root: that is -EBUSY
 * unless MNT_DETACH, which unmounts anyway and lets them finish.
 *
 * The list changes with interrupts off and nothing here sleeps, except
 * fs->kill, called after the entry has gone.
 */
#include "fs/vfs.h"
#include <errno.h>
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/heap.h"

#define MNT_DETACH 2

struct mount {
	char *path; /* canonical */
	struct fs *fs;
	struct list_node node;
};

static struct list mounts = LIST_INIT(mounts);
static struct fs *standin; /* "/" while nothing is mounted there */

/* Does the mount path m cover the canonical path? */
static bool mount_covers(const char *m, const char *path)
{
	size_t n = strlen(m);

	if (n == 1)
		return true; /* "/" */
	return strncmp(m, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The mount at exactly path, or NULL.  Interrupts off. */
static struct mount *mount_at(const char *path)
{
	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);

		if (strcmp(m->path, path) == 0)
			return m;
	}
	return NULL;
}

int mount_find(const char *path, struct inode **root, const char **rest)
{
	struct mount *best = NULL;
	size_t best_len = 0;
	uint64_t flags;

	if (!standin)
		return -ENOENT; /* before vfs_init: there are no files yet */
	flags = irq_save();

	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);
		size_t len = strlen(m->path);

		if (mount_covers(m->path, path) && (!best || len > best_len)) {
			best = m;
			best_len = len;
		}
	}
	*root = best ? best->fs->root : standin->root;
	inode_hold(*root);
	irq_restore(flags);
	*rest = path + (best_len > 1 ? best_len : 1);
	if (**rest == '/')
		(*rest)++;
	return 0;
}

int vfs_mount(struct fs *fs, const char *path)
{
	struct mount *m = kmalloc(sizeof(*m));
	size_t len = strlen(path) + 1;
	char *copy = kmalloc(len);
	uint64_t flags;

	if (!m || !copy) {
		kfree(m);
		kfree(copy);
		return -ENOMEM;
	}
	memcpy(copy, path, len);
	m->path = copy;
	m->fs = fs;
	flags = irq_save();
	if (mount_at(path)) {
		irq_restore(flags);
		kfree(copy);
		kfree(m);
		return -EBUSY;
	}
	list_push_back(&mounts, &m->node);
	fs->mounts++;
	irq_restore(flags);
	return 0;
}

/* Is anything of fs in use beyond the mount's reference on its root? */
static bool fs_busy(struct fs *fs)
{
	return fs->root->refs > 1 || list_length(&fs->inodes) > 1;
}

int vfs_umount(const char *path, int flags)
{
	uint64_t irq = irq_save();
	struct mount *m = mount_at(path);
	struct fs *fs;
	struct inode *root;

	if (!m) {
		irq_restore(irq);
		return -EINVAL;
	}
	fs = m->fs;
	if (fs_busy(fs) && !(flags & MNT_DETACH)) {
		irq_restore(irq);
		return -EBUSY;
	}
	list_remove(&m->node);
	root = fs->root;
	if (--fs->mounts > 0)
		root = NULL;
	irq_restore(irq);
	kfree(m->path);
	kfree(m);
	if (!root)
		return 0;
	if (fs->kill)
		fs->kill(fs);
	fs->root = NULL;
	inode_put(root);
	return 0;
}

bool vfs_root_mounted(void)
{
	uint64_t flags = irq_save();
	bool mounted = mount_at("/") != NULL;

	irq_restore(flags);
	return mounted;
}

size_t vfs_mounts_text(char *buf, size_t size)
{
	size_t total = 0;
	char line[PATH_MAX / 8];
	uint64_t flags = irq_save();

	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);
		const char *type = m->fs->type->name;
		int len = ksnprintf(line, sizeof(line), "%s %s %s rw 0 0\n",
				    m->fs->source[0] ? m->fs->source : type, m->path, type);

		len = MIN((size_t)len, sizeof(line) - 1);
		if (total < size)
			memcpy(buf + total, line, MIN((size_t)len, size - total));
		total += (size_t)len;
	}
	irq_restore(flags);
	return total;
}

/* ---- the stand-in root ------------------------------------------------------ */

static int standin_lookup(struct inode *dir, const char *name, struct inode **out)
{
	(void)dir, (void)name, (void)out;
	return -ENOENT;
}

/* Was the first component of mount m's path already listed by an earlier one? */
static bool standin_seen(struct mount *m, const char *name, size_t n)
{
	list_for_each(o, &mounts) {
		struct mount *e = list_entry(o, struct mount, node);

		if (e == m)
			return false;
		if (strncmp(e->path + 1, name, n) == 0 &&
		    (e->path[n + 1] == '/' || !e->path[n + 1]))
			return true;
	}
	return false;
}

/* ".", "..", then one name per first component of a mount path. */
static int standin_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	char name[NAME_MAX + 1];
	uint64_t i = 0, flags;

	(void)f;
	while (*pos < 2) {
		if (!fill(ctx, *pos ? ".." : ".", 1, S_IFDIR, *pos + 1))
			return 0;
		(*pos)++;
	}
	flags = irq_save();
	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);
		const char *end = strchr(m->path + 1, '/');
		size_t len = end ? (size_t)(end - m->path - 1) : strlen(m->path + 1);

		if (len == 0 || len > NAME_MAX || standin_seen(m, m->path + 1, len))
			continue;
		if (i++ < *pos - 2)
			continue;
		memcpy(name, m->path + 1, len);
		name[len] = '\0';
		if (!fill(ctx, name, 2 + i, S_IFDIR, *pos + 1))
			break;
		(*pos)++;
	}
	irq_restore(flags);
	return 0;
}

static const struct inode_ops standin_ops = { .lookup = standin_lookup };
static const struct file_ops standin_fops = { .readdir = standin_readdir };
static struct fs_type standin_type = { .name = "rootfs" };

void mount_init(void)
{
	bool is_new;

	standin = fs_alloc(&standin_type);
	if (standin)
		standin->root = inode_get(standin, 1, &is_new);
	if (!standin || !standin->root)
		panic("vfs: no memory for the root directory");
	standin->root->mode = S_IFDIR | 0755;
	standin->root->ops = &standin_ops;
	standin->root->fops = &standin_fops;
}
