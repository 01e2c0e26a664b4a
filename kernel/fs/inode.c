/*
 * Inodes: one struct per file a filesystem has handed out (see vfs.h).
 *
 * Each fs keeps its live inodes in fs->inodes, so inode_get finds the one
 * already there for a number, and a file reached by two paths is one
 * inode.  References count the holders (open files, cwds, mounts, lookups
 * in progress); the last inode_put runs ops->evict (FUSE's FORGET) and
 * frees the inode.  An fs that is no longer mounted is freed with its last
 * inode: the last umount clears fs->root and drops the root's reference,
 * and inodes still open keep the struct alive until they go.
 *
 * The lists and counts change with interrupts off (one CPU); evict may
 * sleep, so it runs after the inode has left its list.
 */
#include "fs/vfs.h"
#include <errno.h>
#include "lib/spinlock.h"
#include "mm/heap.h"

struct inode *inode_get(struct fs *fs, uint64_t ino, bool *is_new)
{
	struct inode *found = NULL, *fresh;
	uint64_t flags = irq_save();

	list_for_each(n, &fs->inodes) {
		struct inode *i = list_entry(n, struct inode, fs_node);

		if (i->ino == ino) {
			i->refs++;
			found = i;
			break;
		}
	}
	irq_restore(flags);
	*is_new = false;
	if (found)
		return found;

	fresh = kcalloc(1, sizeof(*fresh));
	if (!fresh)
		return NULL;
	fresh->fs = fs;
	fresh->ino = ino;
	fresh->refs = 1;
	flags = irq_save();
	list_push_back(&fs->inodes, &fresh->fs_node);
	irq_restore(flags);
	*is_new = true;
	return fresh;
}

void inode_hold(struct inode *ino)
{
	uint64_t flags = irq_save();

	ino->refs++;
	irq_restore(flags);
}

void inode_put(struct inode *ino)
{
	struct fs *fs;
	bool last, fs_done;
	uint64_t flags;

	if (!ino)
		return;
	fs = ino->fs;
	flags = irq_save();
	last = --ino->refs == 0;
	if (last)
		list_remove(&ino->fs_node);
	/* Unmounted for good (mount.c cleared fs->root) and now empty. */
	fs_done = last && !fs->root && list_empty(&fs->inodes);
	irq_restore(flags);
	if (!last)
		return;
	if (ino->ops && ino->ops->evict)
		ino->ops->evict(ino);
	kfree(ino);
	if (fs_done)
		kfree(fs);
}

int inode_getattr(struct inode *ino, struct vfs_attr *attr)
{
	if (ino->ops && ino->ops->getattr)
		return ino->ops->getattr(ino, attr);
	*attr = (struct vfs_attr){
		.ino = ino->ino,
		.mode = ino->mode,
		.nlink = S_ISDIR(ino->mode) ? 2 : 1,
		.size = ino->size,
		.blocks = (ino->size + 511) / 512,
		.blksize = 4096,
	};
	return 0;
}
