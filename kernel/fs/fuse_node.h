/*
 * What the FUSE inode code (fuse_ops.c), the file code (fuse_file.c) and
 * the name cache (fuse_dcache.c) share: the per-inode and per-open-file
 * state FUSE keeps in inode->priv and file->priv (see fuse_ops.c's opening
 * comment for what each field means).
 */
#ifndef FS_FUSE_NODE_H
#define FS_FUSE_NODE_H

#include <types.h>
#include "fs/fuse.h"
#include "fs/pcache.h"

struct fuse_inode {
	uint64_t nodeid;
	uint64_t nlookup;
	uint64_t generation;
	uint64_t attr_expires; /* timer tick */
	struct vfs_attr attr;
	struct pcache cache;
	struct list_node retained_node; /* in conn->retained once evicted */
};

struct fuse_file {
	uint64_t fh;
	uint32_t open_flags;    /* FOPEN_* */
	struct fuse_conn *conn; /* held while the file is open */
};

static inline struct fuse_inode *fuse_inode(struct inode *ino)
{
	return ino->priv;
}

/* 0 while ino's server is there, else what its callers get: what is
 * cached (names, attributes, pages) is not served once it has gone. */
int fuse_conn_state(struct inode *ino);
/* GETATTR (or the cached attributes while they are valid): refreshes
 * ino's size and mode. */
int fuse_getattr(struct inode *ino, struct vfs_attr *attr);
/* The timer tick at which a reply's validity (seconds, nanoseconds) ends. */
uint64_t fuse_expiry(uint64_t sec, uint32_t nsec);

/* fuse_file.c: the operations of open files and directories. */
extern const struct file_ops fuse_file_ops;
extern const struct file_ops fuse_dir_ops;
/* Release the server's handle fh of a file of ino (without waiting). */
void fuse_send_release(struct fuse_conn *c, struct inode *ino, uint64_t fh, unsigned int flags);

/* fuse_dcache.c: the name cache, (parent nodeid, name) -> nodeid. */
uint64_t fuse_dcache_find(struct fuse_conn *c, uint64_t parent, const char *name);
void fuse_dcache_add(struct fuse_conn *c, uint64_t parent, const char *name,
		     const struct fuse_entry_out *e);
void fuse_dcache_forget(struct fuse_conn *c, uint64_t parent, const char *name);
/* Drop every name of nodeid / every name (interrupts off). */
void fuse_dcache_drop_node(struct fuse_conn *c, uint64_t nodeid);
void fuse_dcache_drop_all(struct fuse_conn *c);

#endif
