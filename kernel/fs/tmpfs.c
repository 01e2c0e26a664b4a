/*
 * tmpfs: files in memory (see tmpfs.h), after Linux's shmem.
 *
 * The tree is the instance's own, of struct tmpfs_node: a directory keeps
 * its entries in a list (children), each node knows its name and parent
 * (there are no hard links, so a node has one name), and a regular file
 * keeps its data in pages from the frame allocator, named by an array of
 * their physical addresses with 0 for a hole (a page never written, or
 * past a truncate: it reads as zeros and costs nothing).  Pages are
 * allocated as a write first reaches them, against the instance's limit
 * (size=, by default half of RAM, as on Linux): -ENOSPC past it.
 *
 * A node and the VFS's inode for it (node->vfs) are separate lives.
 * Lookups hand out an inode per node (inode_get by node number), and the
 * inode's evict forgets it.  Removing a name (unlink, rmdir, the target of
 * a rename) takes the node out of the tree with nlink 0; it is freed at
 * once if no inode has it, else by the evict of the last one (a file
 * unlinked while open stays readable and writable until its last close,
 * then gives its pages back, as Linux's do).
 *
 * readdir positions: ".", "..", then each entry's own position in its
 * directory, given when it was linked there and never reused, so removing
 * entries while a reader walks the directory (rm -r) skips nothing.
 * Directory sizes are 20 bytes per entry (Linux's BOGO_DIRENT_SIZE).
 *
 * This file is the tree and the mounting; tmpfs_file.c is the data of
 * regular files, tmpfs_node.h what the two share.
 *
 * Locking: one sleeping lock per instance (lib/wait.h) around every
 * operation, held across copies to and from user memory (which may fault
 * and sleep; nothing a fault does comes back into tmpfs).  Unmounting
 * frees every node no inode holds; the instance itself (its lock and
 * counts) goes with its last node.
 */
#include "fs/tmpfs.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "fs/tmpfs_node.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "syscall/syscall.h" /* clock_now_ns */

#define TMPFS_MAGIC       0x01021994
#define TMPFS_DIRENT_SIZE 20 /* bytes of a directory's size per entry */
#define CLOCK_REALTIME    0
#define RENAME_NOREPLACE  1

static const struct inode_ops tmpfs_dir_ops, tmpfs_node_ops;
static const struct file_ops tmpfs_dir_fops;
static struct fs_type tmpfs_type;

struct vfs_time tmpfs_now(void)
{
	int64_t ns = clock_now_ns(CLOCK_REALTIME);

	return (struct vfs_time){ ns / 1000000000, ns % 1000000000 };
}

void tmpfs_lock(struct tmpfs *tm)
{
	sleeplock_acquire(&tm->lock);
}

void tmpfs_unlock(struct tmpfs *tm)
{
	bool gone = tm->killed && tm->nodes == 0;

	sleeplock_release(&tm->lock);
	if (gone)
		kfree(tm);
}

/* ---- nodes ----------------------------------------------------------------- */

static int tmpfs_node_new(struct tmpfs *tm, uint32_t mode, struct tmpfs_node **out)
{
	struct tmpfs_node *n;

	if (tm->nodes >= tm->max_nodes)
		return -ENOSPC;
	n = kcalloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->tm = tm;
	n->ino = tm->next_ino++;
	n->mode = mode;
	n->nlink = S_ISDIR(mode) ? 2 : 1;
	n->atime = n->mtime = n->ctime = tmpfs_now();
	n->next_pos = 2; /* after "." and ".." */
	list_init(&n->children);
	list_node_init(&n->sibling);
	tm->nodes++;
	*out = n;
	return 0;
}

static void tmpfs_node_free(struct tmpfs_node *n)
{
	tmpfs_free_pages(n, 0);
	n->tm->nodes--;
	kfree(n->pages);
	kfree(n->name);
	kfree(n);
}

/* The VFS's inode for n, with a reference (NULL without memory). */
static struct inode *tmpfs_inode(struct fs *fs, struct tmpfs_node *n)
{
	bool is_new;
	struct inode *ino = inode_get(fs, n->ino, &is_new);

	if (ino && is_new) {
		ino->priv = n;
		ino->mode = n->mode;
		ino->size = n->size;
		ino->ops = S_ISDIR(n->mode) ? &tmpfs_dir_ops : &tmpfs_node_ops;
		/* FIFOs open as pipes (fs/pipe.c): no file operations here. */
		ino->fops = S_ISDIR(n->mode)   ? &tmpfs_dir_fops
			    : S_ISREG(n->mode) ? &tmpfs_file_fops
					       : NULL;
		n->vfs = ino; /* an earlier one may still be on its way out */
	}
	return ino;
}

static struct tmpfs_node *tmpfs_find(struct tmpfs_node *dir, const char *name)
{
	list_for_each(l, &dir->children) {
		struct tmpfs_node *c = list_entry(l, struct tmpfs_node, sibling);

		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* Put n into dir under name (which n now owns). */
static void tmpfs_link(struct tmpfs_node *dir, struct tmpfs_node *n, char *name)
{
	n->name = name;
	n->parent = dir;
	n->pos = dir->next_pos++;
	list_push_back(&dir->children, &n->sibling);
	dir->size++;
	if (S_ISDIR(n->mode))
		dir->nlink++; /* its ".." */
	dir->mtime = dir->ctime = tmpfs_now();
}

/* Take n out of its directory (its name goes too). */
static void tmpfs_unlink_node(struct tmpfs_node *n)
{
	struct tmpfs_node *dir = n->parent;

	list_remove(&n->sibling);
	dir->size--;
	if (S_ISDIR(n->mode))
		dir->nlink--;
	dir->mtime = dir->ctime = tmpfs_now();
	kfree(n->name);
	n->name = NULL;
	n->parent = NULL;
}

/* Remove n from the tree for good: freed now, or by its inode's evict. */
static void tmpfs_remove(struct tmpfs_node *n)
{
	tmpfs_unlink_node(n);
	n->nlink = 0;
	if (!n->vfs)
		tmpfs_node_free(n);
}

/* ---- inode operations -------------------------------------------------------- */

static int tmpfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct tmpfs_node *d = tmpfs_node(dir), *n;
	int err = 0;

	tmpfs_lock(d->tm);
	n = tmpfs_find(d, name);
	if (!n)
		err = -ENOENT;
	else if (!(*out = tmpfs_inode(dir->fs, n)))
		err = -ENOMEM;
	tmpfs_unlock(d->tm);
	return err;
}

/* A new node of mode named name in dir: its inode if out is not NULL. */
static int tmpfs_make(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
	struct tmpfs_node *d = tmpfs_node(dir), *n = NULL;
	size_t len = strlen(name) + 1;
	char *copy = kmalloc(len);
	int err = copy ? 0 : -ENOMEM;

	tmpfs_lock(d->tm);
	if (!err && d->nlink == 0)
		err = -ENOENT; /* a directory removed while it was someone's cwd */
	else if (!err && tmpfs_find(d, name))
		err = -EEXIST;
	if (!err)
		err = tmpfs_node_new(d->tm, mode, &n);
	if (!err && out && !(*out = tmpfs_inode(dir->fs, n))) {
		tmpfs_node_free(n);
		err = -ENOMEM;
	}
	if (!err) {
		memcpy(copy, name, len);
		tmpfs_link(d, n, copy);
	} else {
		kfree(copy);
	}
	tmpfs_unlock(d->tm);
	return err;
}

static int tmpfs_create(struct inode *dir, const char *name, uint32_t mode, struct file *f,
			struct inode **out)
{
	(void)f; /* opened as any tmpfs file: nothing to set up */
	return tmpfs_make(dir, name, S_IFREG | (mode & 07777), out);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, uint32_t mode)
{
	return tmpfs_make(dir, name, S_IFDIR | (mode & 07777), NULL);
}

static int tmpfs_mknod(struct inode *dir, const char *name, uint32_t mode)
{
	return tmpfs_make(dir, name, mode, NULL);
}

/* unlink and rmdir: the VFS checked the name's type. */
static int tmpfs_remove_name(struct inode *dir, const char *name, bool is_dir)
{
	struct tmpfs_node *d = tmpfs_node(dir), *n;
	int err = 0;

	tmpfs_lock(d->tm);
	n = tmpfs_find(d, name);
	if (!n)
		err = -ENOENT;
	else if (S_ISDIR(n->mode) != is_dir)
		err = is_dir ? -ENOTDIR : -EISDIR;
	else if (is_dir && n->size)
		err = -ENOTEMPTY;
	else
		tmpfs_remove(n);
	tmpfs_unlock(d->tm);
	return err;
}

static int tmpfs_unlink(struct inode *dir, const char *name)
{
	return tmpfs_remove_name(dir, name, false);
}

static int tmpfs_rmdir(struct inode *dir, const char *name)
{
	return tmpfs_remove_name(dir, name, true);
}

/* Can src take the place of dst (NULL: none)?  What Linux refuses. */
static int tmpfs_rename_check(struct tmpfs_node *src, struct tmpfs_node *dst, unsigned int flags)
{
	if (!src)
		return -ENOENT;
	if (!dst)
		return 0;
	if (flags & RENAME_NOREPLACE)
		return -EEXIST;
	if (S_ISDIR(dst->mode) && !S_ISDIR(src->mode))
		return -EISDIR;
	if (!S_ISDIR(dst->mode) && S_ISDIR(src->mode))
		return -ENOTDIR;
	return S_ISDIR(dst->mode) && dst->size ? -ENOTEMPTY : 0;
}

/* The VFS checked that ndir is not inside the node moved (by path). */
static int tmpfs_rename(struct inode *odir, const char *oname, struct inode *ndir,
			const char *nname, unsigned int flags)
{
	struct tmpfs_node *od = tmpfs_node(odir), *nd = tmpfs_node(ndir), *src, *dst;
	size_t len = strlen(nname) + 1;
	char *copy = kmalloc(len);
	int err = copy ? 0 : -ENOMEM;

	tmpfs_lock(od->tm);
	src = tmpfs_find(od, oname);
	dst = tmpfs_find(nd, nname);
	if (!err)
		err = nd->nlink ? tmpfs_rename_check(src, dst, flags) : -ENOENT;
	if (!err && src != dst) {
		if (dst)
			tmpfs_remove(dst);
		tmpfs_unlink_node(src);
		memcpy(copy, nname, len);
		tmpfs_link(nd, src, copy);
		src->ctime = tmpfs_now();
		copy = NULL;
	}
	kfree(copy);
	tmpfs_unlock(od->tm);
	return err;
}

static int tmpfs_getattr(struct inode *ino, struct vfs_attr *attr)
{
	struct tmpfs_node *n = tmpfs_node(ino);

	tmpfs_lock(n->tm);
	*attr = (struct vfs_attr){
		.ino = n->ino,
		.mode = n->mode,
		.nlink = n->nlink,
		.size = S_ISDIR(n->mode) ? (n->size + 2) * TMPFS_DIRENT_SIZE : n->size,
		.blocks = n->used * (PAGE_SIZE / 512),
		.blksize = PAGE_SIZE,
		.atime = n->atime,
		.mtime = n->mtime,
		.ctime = n->ctime,
	};
	tmpfs_unlock(n->tm);
	return 0;
}

static int tmpfs_setattr(struct inode *ino, const struct vfs_setattr *set, struct file *f)
{
	struct tmpfs_node *n = tmpfs_node(ino);
	int err = 0;

	(void)f;
	tmpfs_lock(n->tm);
	if (set->valid & VFS_SET_SIZE)
		err = tmpfs_truncate(n, set->size);
	if (!err && (set->valid & VFS_SET_SIZE))
		n->mtime = tmpfs_now();
	if (!err && (set->valid & VFS_SET_MODE))
		n->mode = (n->mode & S_IFMT) | (set->mode & 07777);
	if (!err && (set->valid & VFS_SET_ATIME))
		n->atime = set->atime;
	if (!err && (set->valid & VFS_SET_MTIME))
		n->mtime = set->mtime;
	if (!err) {
		n->ctime = tmpfs_now();
		ino->mode = n->mode;
		ino->size = n->size;
	}
	tmpfs_unlock(n->tm);
	return err;
}

static int tmpfs_statfs(struct inode *ino, struct vfs_statfs *st)
{
	struct tmpfs *tm = tmpfs_node(ino)->tm;

	tmpfs_lock(tm);
	*st = (struct vfs_statfs){
		.type = TMPFS_MAGIC,
		.bsize = PAGE_SIZE,
		.blocks = tm->max_pages,
		.bfree = tm->max_pages - tm->pages,
		.bavail = tm->max_pages - tm->pages,
		.files = tm->max_nodes,
		.ffree = tm->max_nodes - tm->nodes,
		.namelen = NAME_MAX,
		.frsize = PAGE_SIZE,
	};
	tmpfs_unlock(tm);
	return 0;
}

/* The VFS lets the inode go: a node out of the tree goes with it. */
static void tmpfs_evict(struct inode *ino)
{
	struct tmpfs_node *n = tmpfs_node(ino);
	struct tmpfs *tm = n->tm;

	tmpfs_lock(tm);
	if (n->vfs == ino)
		n->vfs = NULL;
	if (!n->vfs && n->nlink == 0)
		tmpfs_node_free(n);
	tmpfs_unlock(tm);
}

static const struct inode_ops tmpfs_dir_ops = {
	.lookup = tmpfs_lookup,
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
	.create = tmpfs_create,
	.mkdir = tmpfs_mkdir,
	.mknod = tmpfs_mknod,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.statfs = tmpfs_statfs,
	.evict = tmpfs_evict,
};
static const struct inode_ops tmpfs_node_ops = {
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
	.statfs = tmpfs_statfs,
	.evict = tmpfs_evict,
};

/* ---- file operations ----------------------------------------------------------- */

/* ".", "..", then the entries from position *pos on (see the top). */
static int tmpfs_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	struct tmpfs_node *d = tmpfs_node(f->inode);

	tmpfs_lock(d->tm);
	for (; *pos < 2; (*pos)++) {
		uint64_t ino = *pos == 0 || !d->parent ? d->ino : d->parent->ino;

		if (!fill(ctx, *pos ? ".." : ".", ino, S_IFDIR, *pos + 1))
			goto out;
	}
	list_for_each(l, &d->children) {
		struct tmpfs_node *c = list_entry(l, struct tmpfs_node, sibling);

		if (c->pos < *pos)
			continue;
		if (!fill(ctx, c->name, c->ino, c->mode, c->pos + 1))
			break;
		*pos = c->pos + 1;
	}
out:
	tmpfs_unlock(d->tm);
	return 0;
}

static const struct file_ops tmpfs_dir_fops = { .readdir = tmpfs_readdir, .fsync = tmpfs_fsync };

/* ---- mounting ---------------------------------------------------------------- */

/* The number of an option "key=N" (base 8 or 10) with a k, m or g after
 * it (with pct: or %, of ram bytes): false if opt is not one. */
static bool tmpfs_opt(const char *opt, size_t len, const char *key, uint64_t base, bool suffix,
		      uint64_t ram, uint64_t *val)
{
	size_t i = strlen(key);
	uint64_t v = 0;

	if (len <= i || strncmp(opt, key, i) != 0)
		return false;
	for (; i < len && opt[i] >= '0' && opt[i] < (char)('0' + base); i++)
		v = v * base + (uint64_t)(opt[i] - '0');
	if (suffix && i + 1 == len && (opt[i] == 'k' || opt[i] == 'm' || opt[i] == 'g'))
		v <<= opt[i] == 'k' ? 10 : opt[i] == 'm' ? 20 : 30, i++;
	else if (ram && i + 1 == len && opt[i] == '%')
		v = ram / 100 * MIN(v, 100), i++;
	*val = v;
	return i == len;
}

/* "size=N[k|m|g|%]", "nr_inodes=N[k|m|g]", "mode=OCTAL", comma-separated,
 * into tm's limits and *mode (0 is no limit, as on Linux); -EINVAL for
 * anything else, as Linux's tmpfs says. */
static int tmpfs_parse_opts(const char *data, struct tmpfs *tm, uint64_t ram, uint32_t *mode)
{
	while (data && *data) {
		const char *comma = strchr(data, ',');
		size_t len = comma ? (size_t)(comma - data) : strlen(data);
		uint64_t v;

		if (tmpfs_opt(data, len, "size=", 10, true, ram, &v))
			tm->max_pages =
				v ? (v + PAGE_SIZE - 1) / PAGE_SIZE : UINT64_MAX / PAGE_SIZE;
		else if (tmpfs_opt(data, len, "nr_inodes=", 10, true, 0, &v))
			tm->max_nodes = v ? v : UINT64_MAX;
		else if (tmpfs_opt(data, len, "mode=", 8, false, 0, &v))
			*mode = (uint32_t)v & 07777;
		else
			return -EINVAL;
		data += len + (comma ? 1 : 0);
	}
	return 0;
}

/* Unmounted: every node no inode holds goes now, the others at their evict. */
static void tmpfs_kill(struct fs *fs)
{
	struct tmpfs_node *n = tmpfs_node(fs->root);
	struct tmpfs *tm = n->tm;

	tmpfs_lock(tm);
	tm->killed = true;
	while (n) { /* leaves first, without recursion */
		struct tmpfs_node *parent = n->parent;

		if (!list_empty(&n->children)) {
			n = list_entry(list_first(&n->children), struct tmpfs_node, sibling);
			continue;
		}
		if (parent)
			tmpfs_unlink_node(n);
		n->nlink = 0;
		if (!n->vfs)
			tmpfs_node_free(n);
		n = parent;
	}
	tmpfs_unlock(tm);
}

static int tmpfs_mount(const char *source, const char *data, unsigned long flags, struct fs **out)
{
	struct tmpfs *tm = kcalloc(1, sizeof(*tm));
	struct frame_stats fstats;
	struct tmpfs_node *root = NULL;
	struct fs *fs = NULL;
	uint32_t mode = 01777; /* Linux's tmpfs root: everyone's, sticky */
	int err = tm ? 0 : -ENOMEM;

	(void)source, (void)flags;
	frame_get_stats(&fstats);
	if (tm) {
		waitq_init(&tm->lock.wait, "tmpfs");
		tm->next_ino = 1;                                 /* the root's */
		tm->max_pages = tm->max_nodes = fstats.total / 2; /* Linux's defaults */
		err = tmpfs_parse_opts(data, tm, fstats.total * PAGE_SIZE, &mode);
	}
	if (!err)
		err = tmpfs_node_new(tm, S_IFDIR | mode, &root);
	fs = err ? NULL : fs_alloc(&tmpfs_type);
	if (fs)
		fs->root = tmpfs_inode(fs, root);
	if (!err && (!fs || !fs->root)) {
		kfree(fs);
		kfree(root);
		err = -ENOMEM;
	}
	if (err) {
		kfree(tm);
		return err;
	}
	fs->priv = tm;
	fs->kill = tmpfs_kill;
	*out = fs;
	return 0;
}

static struct fs_type tmpfs_type = { .name = "tmpfs", .mount = tmpfs_mount };

void tmpfs_init(void)
{
	vfs_register_type(&tmpfs_type);
}
