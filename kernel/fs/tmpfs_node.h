/*
 * What tmpfs's tree (tmpfs.c) and its file data (tmpfs_file.c) share: an
 * instance, its nodes, and the instance's lock (see tmpfs.c's opening
 * comment for the design).
 */
#ifndef FS_TMPFS_NODE_H
#define FS_TMPFS_NODE_H

#include <types.h>
#include "fs/vfs.h"
#include "lib/list.h"
#include "lib/wait.h"

struct tmpfs {
	struct sleeplock lock;
	uint64_t next_ino;
	uint64_t pages, max_pages; /* data pages in use, and the limit */
	uint64_t nodes, max_nodes; /* nodes of every kind, and the limit */
	bool killed;               /* unmounted: freed with its last node */
};

struct tmpfs_node {
	struct tmpfs *tm;
	uint64_t ino;
	uint32_t mode, nlink; /* nlink 0: out of the tree */
	uint64_t size;        /* regular files: bytes; directories: entries */
	struct vfs_time atime, mtime, ctime;
	char *name;                /* in parent (NULL for the root) */
	struct tmpfs_node *parent; /* NULL for the root and removed nodes */
	uint64_t pos;              /* its readdir position in parent */
	struct list_node sibling;  /* in parent->children, by pos */
	struct list children;      /* directories */
	uint64_t next_pos;         /* directories: the next entry's position */
	uint64_t *pages;           /* regular files: a frame per page, 0: a hole */
	size_t npages;             /* entries of pages[] */
	size_t used;               /* pages[] that are not holes */
	struct inode *vfs;         /* the VFS's inode while there is one */
};

static inline struct tmpfs_node *tmpfs_node(struct inode *ino)
{
	return ino->priv;
}

/* tmpfs.c: the instance's lock (unlocking frees an unmounted instance
 * whose last node has gone); the time for a change. */
void tmpfs_lock(struct tmpfs *tm);
void tmpfs_unlock(struct tmpfs *tm);
struct vfs_time tmpfs_now(void);

/* tmpfs_file.c: the operations of open regular files, and their fsync
 * (for directories too: memory is as synced as it gets, 0). */
extern const struct file_ops tmpfs_file_fops;
int tmpfs_fsync(struct file *f);
/* Free the pages of n from page index `from` on.  Lock held. */
void tmpfs_free_pages(struct tmpfs_node *n, size_t from);
/* Make n's size `size`: 0, or -EFBIG past the largest file.  Lock held. */
int tmpfs_truncate(struct tmpfs_node *n, uint64_t size);

#endif
