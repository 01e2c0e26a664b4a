/*
 * FUSE inodes: the VFS's inode operations (vfs.h) as requests to the
 * server (fuse.c sends them).  Open files and directories are in
 * fuse_file.c, the name cache in fuse_dcache.c; fuse_node.h is what the
 * three share.
 *
 * An inode of a FUSE fs is numbered by the server's nodeid; its priv is a
 * struct fuse_inode:
 *
 *   nlookup   how many LOOKUP (CREATE, MKDIR) replies named it: when the
 *             VFS lets the inode go (evict), FORGET tells the server to
 *             drop that many, so both sides agree on which ids are alive
 *   attr      the attributes of the last reply, trusted until
 *             attr_expires (the reply's attr_valid, in timer ticks)
 *   cache     its file data (pcache.h), kept across opens when the
 *             server's OPEN reply says FOPEN_KEEP_CACHE, dropped at open
 *             otherwise, and bypassed by FOPEN_DIRECT_IO files
 *
 * Reading a cached file copies straight from the cached pages to the
 * caller; a page not cached is read with one READ of every missing page
 * the call covers (at most FUSE_MAX_PAGES_PER_REQ), straight into fresh
 * pages that then join the cache.  Writes go through to the server at
 * once (one WRITE per max_write bytes); what the server took is copied
 * into the cached pages too, so a write acknowledged is never lost and a
 * read after it sees it.  A size that changes (setattr, a reply's
 * attributes) drops the pages from the new end on; a nodeid that comes
 * back with another generation is another file: its pages go.
 *
 * The VFS frees an inode no one holds; FUSE keeps its fuse_inode, pages
 * and all, on the connection's retained list (an inode cache) and forgets
 * it only when the list is full, so a file read again later costs no READ.
 * Names looked up are cached too, for the reply's entry_valid (the name
 * cache), so a stat within the timeouts sends no request at all.  Once the
 * server is gone nothing cached is served: every operation fails with the
 * connection's error.
 *
 * An open file's priv is a struct fuse_file: the server's handle (fh), the
 * FOPEN_* flags of its OPEN reply and a reference to the connection (so
 * that a read from the cache need not look it up).  Requests carry the calling
 * process's pid (fuse_req_init).
 */
#include "fs/fuse_node.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/timer.h"
#include "fs/pcache.h"
#include "lib/string.h"
#include "mm/heap.h"
/* Evicted files kept for their next lookup, at most (per connection). */
#define FUSE_RETAIN_MAX 64

static const struct inode_ops fuse_inode_ops;

int fuse_conn_state(struct inode *ino)
{
	uint64_t flags = irq_save();
	const struct fuse_conn *c = ino->fs->priv;
	int err = !c ? -ENOTCONN : c->connected ? 0 : c->conn_error;

	irq_restore(flags);
	return err;
}

/* ---- attributes ----------------------------------------------------------- */

/* Ticks from now until a reply's validity (seconds, nanoseconds) ends. */
uint64_t fuse_expiry(uint64_t sec, uint32_t nsec)
{
	uint64_t ticks = sec > 1000000 ? 1000000 * TIMER_HZ
				       : sec * TIMER_HZ + nsec / (1000000000 / TIMER_HZ);

	return timer_ticks() + ticks;
}

/* Take the attributes of a reply; a size that changed drops the pages
 * from the smaller end on. */
static void fuse_set_attr(struct inode *ino, const struct fuse_attr *a, uint64_t valid,
			  uint32_t valid_nsec)
{
	struct fuse_inode *fi = fuse_inode(ino);
	struct vfs_attr *v = &fi->attr;

	v->ino = a->ino;
	v->mode = a->mode;
	v->nlink = a->nlink;
	v->size = a->size;
	v->blocks = a->blocks;
	v->blksize = a->blksize ? a->blksize : 4096;
	v->rdev = a->rdev;
	v->atime = (struct vfs_time){ (int64_t)a->atime, a->atimensec };
	v->mtime = (struct vfs_time){ (int64_t)a->mtime, a->mtimensec };
	v->ctime = (struct vfs_time){ (int64_t)a->ctime, a->ctimensec };
	if (S_ISREG(a->mode) && a->size != ino->size)
		pcache_truncate(&fi->cache, MIN(a->size, ino->size) / PAGE_SIZE);
	ino->mode = a->mode;
	ino->size = a->size;
	fi->attr_expires = fuse_expiry(valid, valid_nsec);
}

/* Tell the server the kernel is done with nlookup lookups of nodeid. */
static void fuse_send_forget(struct fuse_conn *c, uint64_t nodeid, uint64_t nlookup)
{
	struct fuse_req *req = kmalloc(sizeof(*req) + sizeof(struct fuse_forget_in));
	struct fuse_forget_in *fin = (void *)(req + 1);

	if (!req)
		return; /* the server keeps the node: a leak on its side only */
	fuse_req_init(req, FUSE_FORGET, nodeid);
	fin->nlookup = nlookup;
	fuse_req_in(req, fin, sizeof(*fin));
	req->noreply = true;
	fuse_request_send_async(c, req);
}

/*
 * Retained files, FUSE's inode cache.  An evicted inode keeps its
 * fuse_inode (pages, lookup count) on its connection's retained list,
 * unforgotten, so the server cannot give the nodeid to another file; the
 * next lookup naming the nodeid takes it back with its pages (and a stat
 * of a file no one holds costs one LOOKUP, not a LOOKUP and a FORGET).
 * The list holds FUSE_RETAIN_MAX files, the oldest forgotten first;
 * unmounting drops them all.
 */
static struct fuse_inode *fuse_take_retained(struct fuse_conn *c, uint64_t nodeid)
{
	uint64_t flags = irq_save();
	struct fuse_inode *found = NULL;

	list_for_each(n, &c->retained) {
		struct fuse_inode *fi = list_entry(n, struct fuse_inode, retained_node);

		if (fi->nodeid == nodeid) {
			list_remove(&fi->retained_node);
			c->nretained--;
			found = fi;
			break;
		}
	}
	irq_restore(flags);
	return found;
}

static void fuse_forget_inode(struct fuse_conn *c, struct fuse_inode *fi)
{
	if (c) {
		uint64_t flags = irq_save();

		fuse_dcache_drop_node(c, fi->nodeid);
		irq_restore(flags);
	}
	if (c && fi->nlookup > 0)
		fuse_send_forget(c, fi->nodeid, fi->nlookup);
	pcache_clear(&fi->cache);
	kfree(fi);
}

static void fuse_retain(struct fuse_conn *c, struct fuse_inode *fi)
{
	struct fuse_inode *oldest = NULL;
	uint64_t flags = irq_save();

	list_push_back(&c->retained, &fi->retained_node);
	if (++c->nretained > FUSE_RETAIN_MAX) {
		oldest = list_entry(list_pop_front(&c->retained), struct fuse_inode, retained_node);
		c->nretained--;
	}
	irq_restore(flags);
	if (oldest)
		fuse_forget_inode(c, oldest);
}

void fuse_drop_retained(struct fuse_conn *c)
{
	struct list_node *n;
	uint64_t flags = irq_save();

	fuse_dcache_drop_all(c);
	irq_restore(flags);

	for (;;) {
		uint64_t flags = irq_save();

		n = list_pop_front(&c->retained);
		if (n)
			c->nretained--;
		irq_restore(flags);
		if (!n)
			break;
		fuse_forget_inode(NULL, list_entry(n, struct fuse_inode, retained_node));
	}
}

/* The inode of a name cache hit: the one the VFS holds, or a new one for
 * the retained fuse_inode.  NULL if the node is neither (forgotten since). */
static struct inode *fuse_cached_inode(struct fs *fs, struct fuse_conn *c, uint64_t nodeid)
{
	bool is_new;
	struct inode *ino = inode_get(fs, nodeid, &is_new);
	struct fuse_inode *fi;

	if (!ino || !is_new)
		return ino;
	fi = fuse_take_retained(c, nodeid);
	if (!fi) {
		inode_put(ino); /* nothing to evict: priv is NULL */
		return NULL;
	}
	ino->priv = fi;
	ino->ops = &fuse_inode_ops;
	ino->fops = S_ISDIR(fi->attr.mode) ? &fuse_dir_ops : &fuse_file_ops;
	ino->mode = fi->attr.mode;
	ino->size = fi->attr.size;
	return ino;
}

/*
 * The inode a LOOKUP, CREATE or MKDIR reply names, with a reference; the
 * reply counts as one lookup of it.  NULL if out of memory (then the
 * server is told to forget it at once).
 */
static struct inode *fuse_entry_inode(struct fs *fs, struct fuse_conn *c,
				      const struct fuse_entry_out *e)
{
	bool is_new;
	struct inode *ino = inode_get(fs, e->nodeid, &is_new);
	struct fuse_inode *fi;

	if (ino && is_new) {
		fi = fuse_take_retained(c, e->nodeid);
		/* The size its pages were cached under: a change drops them. */
		ino->size = fi ? fi->attr.size : e->attr.size;
		if (!fi) {
			fi = kcalloc(1, sizeof(*fi));
			if (fi) {
				pcache_init(&fi->cache);
				list_node_init(&fi->retained_node);
				fi->nodeid = e->nodeid;
				fi->generation = e->generation;
			}
		}
		if (!fi) {
			inode_put(ino); /* evict finds no fuse_inode */
			ino = NULL;
		} else {
			ino->priv = fi;
			ino->ops = &fuse_inode_ops;
			ino->fops = S_ISDIR(e->attr.mode) ? &fuse_dir_ops : &fuse_file_ops;
		}
	}
	if (!ino) {
		fuse_send_forget(c, e->nodeid, 1);
		return NULL;
	}
	fi = fuse_inode(ino);
	fi->nlookup++;
	if (fi->generation != e->generation) {
		pcache_clear(&fi->cache); /* the same nodeid, another file */
		fi->generation = e->generation;
	}
	fuse_set_attr(ino, &e->attr, e->attr_valid, e->attr_valid_nsec);
	return ino;
}

struct inode *fuse_inode_root(struct fs *fs, uint32_t rootmode)
{
	bool is_new;
	struct inode *ino = inode_get(fs, FUSE_ROOT_ID, &is_new);
	struct fuse_inode *fi = kcalloc(1, sizeof(*fi));

	if (!ino || !fi) {
		kfree(fi);
		if (ino)
			inode_put(ino);
		return NULL;
	}
	pcache_init(&fi->cache);
	list_node_init(&fi->retained_node);
	fi->nodeid = FUSE_ROOT_ID;
	ino->priv = fi;
	ino->mode = rootmode;
	ino->ops = &fuse_inode_ops;
	ino->fops = &fuse_dir_ops;
	fi->attr.ino = FUSE_ROOT_ID;
	fi->attr.mode = rootmode;
	fi->attr.nlink = 2;
	return ino;
}

/* ---- inode operations ------------------------------------------------------- */

static int fuse_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct fuse_conn *c = fuse_conn_get(dir);
	struct fuse_entry_out e;
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	e.nodeid = c->connected ? fuse_dcache_find(c, dir->ino, name) : 0;
	*out = e.nodeid ? fuse_cached_inode(dir->fs, c, e.nodeid) : NULL;
	if (*out) {
		fuse_conn_put(c);
		return 0;
	}
	fuse_req_init(&req, FUSE_LOOKUP, dir->ino);
	fuse_req_in(&req, name, strlen(name) + 1);
	fuse_req_out(&req, &e, sizeof(e));
	err = fuse_request_send(c, &req);
	if (!err && e.nodeid == 0)
		err = -ENOENT; /* a negative entry */
	if (!err) {
		*out = fuse_entry_inode(dir->fs, c, &e);
		if (!*out)
			err = -ENOMEM;
		else
			fuse_dcache_add(c, dir->ino, name, &e);
	}
	fuse_conn_put(c);
	return err;
}

int fuse_getattr(struct inode *ino, struct vfs_attr *attr)
{
	struct fuse_inode *fi = fuse_inode(ino);
	struct fuse_getattr_in in = { 0 };
	struct fuse_attr_out out;
	struct fuse_conn *c;
	struct fuse_req req;
	int err;

	if (timer_ticks() < fi->attr_expires && fuse_conn_state(ino) == 0) {
		*attr = fi->attr;
		return 0;
	}
	c = fuse_conn_get(ino);
	if (!c)
		return -ENOTCONN;
	fuse_req_init(&req, FUSE_GETATTR, ino->ino);
	fuse_req_in(&req, &in, sizeof(in));
	fuse_req_out(&req, &out, sizeof(out));
	err = fuse_request_send(c, &req);
	fuse_conn_put(c);
	if (err)
		return err;
	fuse_set_attr(ino, &out.attr, out.attr_valid, out.attr_valid_nsec);
	*attr = fi->attr;
	return 0;
}

static int fuse_setattr(struct inode *ino, const struct vfs_setattr *set, struct file *f)
{
	struct fuse_conn *c = fuse_conn_get(ino);
	struct fuse_setattr_in in = { 0 };
	struct fuse_attr_out out;
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	if (set->valid & VFS_SET_MODE) {
		in.valid |= FATTR_MODE;
		in.mode = set->mode;
	}
	if (set->valid & VFS_SET_SIZE) {
		in.valid |= FATTR_SIZE;
		in.size = set->size;
	}
	if (set->valid & VFS_SET_ATIME) {
		in.valid |= FATTR_ATIME;
		in.atime = (uint64_t)set->atime.sec;
		in.atimensec = (uint32_t)set->atime.nsec;
	}
	if (set->valid & VFS_SET_MTIME) {
		in.valid |= FATTR_MTIME;
		in.mtime = (uint64_t)set->mtime.sec;
		in.mtimensec = (uint32_t)set->mtime.nsec;
	}
	if (f && f->priv && S_ISREG(ino->mode)) {
		in.valid |= FATTR_FH;
		in.fh = ((struct fuse_file *)f->priv)->fh;
	}
	fuse_req_init(&req, FUSE_SETATTR, ino->ino);
	fuse_req_in(&req, &in, sizeof(in));
	fuse_req_out(&req, &out, sizeof(out));
	err = fuse_request_send(c, &req);
	fuse_conn_put(c);
	if (set->valid & VFS_SET_SIZE)
		pcache_truncate(&fuse_inode(ino)->cache, set->size / PAGE_SIZE);
	if (err)
		return err;
	fuse_set_attr(ino, &out.attr, out.attr_valid, out.attr_valid_nsec);
	return 0;
}

/* Make f an open file of ino from an OPEN (OPENDIR, CREATE) reply. */
static int fuse_file_setup(struct inode *ino, struct file *f, const struct fuse_open_out *o)
{
	struct fuse_file *ff = kmalloc(sizeof(*ff));

	if (!ff)
		return -ENOMEM;
	ff->conn = fuse_conn_get(ino);
	if (!ff->conn) {
		kfree(ff);
		return -ENOTCONN;
	}
	ff->fh = o->fh;
	ff->open_flags = o->open_flags;
	f->priv = ff;
	f->ops = S_ISDIR(ino->mode) ? &fuse_dir_ops : &fuse_file_ops;
	if (S_ISREG(ino->mode) && !(o->open_flags & FOPEN_KEEP_CACHE))
		pcache_clear(&fuse_inode(ino)->cache);
	return 0;
}

static int fuse_open(struct inode *ino, struct file *f)
{
	struct fuse_conn *c = fuse_conn_get(ino);
	struct fuse_open_in in = { 0 };
	struct fuse_open_out out = { 0 };
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	in.flags = f->flags & ~(unsigned int)(O_CREAT | O_EXCL | O_NOCTTY);
	fuse_req_init(&req, S_ISDIR(ino->mode) ? FUSE_OPENDIR : FUSE_OPEN, ino->ino);
	fuse_req_in(&req, &in, sizeof(in));
	fuse_req_out(&req, &out, sizeof(out));
	err = fuse_request_send(c, &req); /* O_TRUNC: the VFS's setattr follows */
	if (!err) {
		err = fuse_file_setup(ino, f, &out);
		if (err)
			fuse_send_release(c, ino, out.fh, in.flags);
	}
	fuse_conn_put(c);
	return err;
}

static int fuse_create(struct inode *dir, const char *name, uint32_t mode, struct file *f,
		       struct inode **out)
{
	struct fuse_conn *c = fuse_conn_get(dir);
	struct fuse_create_in in = { 0 };
	struct fuse_entry_out e;
	struct fuse_open_out o;
	struct fuse_req req;
	struct inode *ino;
	int err;

	if (!c)
		return -ENOTCONN;
	in.flags = f->flags & ~(unsigned int)(O_NOCTTY);
	in.mode = S_IFREG | (mode & 07777);
	fuse_req_init(&req, FUSE_CREATE, dir->ino);
	fuse_req_in(&req, &in, sizeof(in));
	fuse_req_in(&req, name, strlen(name) + 1);
	fuse_req_out(&req, &e, sizeof(e));
	fuse_req_out(&req, &o, sizeof(o));
	err = fuse_request_send(c, &req);
	if (!err && (e.nodeid == 0 || !S_ISREG(e.attr.mode)))
		err = -EIO;
	if (!err) {
		ino = fuse_entry_inode(dir->fs, c, &e);
		if (!ino) {
			fuse_send_release(c, NULL, o.fh, in.flags);
			err = -ENOMEM;
		} else {
			o.open_flags |= FOPEN_KEEP_CACHE; /* new: nothing stale to drop */
			err = fuse_file_setup(ino, f, &o);
			if (err) {
				fuse_send_release(c, ino, o.fh, in.flags);
				inode_put(ino);
			} else {
				*out = ino;
			}
		}
	}
	fuse_conn_put(c);
	return err;
}

/* A request that names a child of dir and answers with no data. */
static int fuse_dir_request(struct inode *dir, uint32_t opcode, const char *name)
{
	struct fuse_conn *c = fuse_conn_get(dir);
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	fuse_dcache_forget(c, dir->ino, name); /* whatever the answer */
	fuse_req_init(&req, opcode, dir->ino);
	fuse_req_in(&req, name, strlen(name) + 1);
	err = fuse_request_send(c, &req);
	fuse_conn_put(c);
	return err;
}

/* MKDIR or MKNOD (in, then the name): the reply names the new node, and
 * counts as a lookup of it: take it, and let the inode go (evict forgets
 * it). */
static int fuse_make_node(struct inode *dir, uint32_t opcode, const void *in, size_t size,
			  const char *name)
{
	struct fuse_conn *c = fuse_conn_get(dir);
	struct fuse_entry_out e;
	struct fuse_req req;
	struct inode *ino;
	int err;

	if (!c)
		return -ENOTCONN;
	fuse_req_init(&req, opcode, dir->ino);
	fuse_req_in(&req, in, size);
	fuse_req_in(&req, name, strlen(name) + 1);
	fuse_req_out(&req, &e, sizeof(e));
	err = fuse_request_send(c, &req);
	if (!err && e.nodeid != 0) {
		ino = fuse_entry_inode(dir->fs, c, &e);
		if (ino)
			inode_put(ino);
	}
	fuse_conn_put(c);
	return err;
}

static int fuse_mkdir(struct inode *dir, const char *name, uint32_t mode)
{
	struct fuse_mkdir_in in = { .mode = mode & 07777 };

	return fuse_make_node(dir, FUSE_MKDIR, &in, sizeof(in), name);
}

/* A FIFO: the server keeps the node, the kernel its pipe (pipe_open). */
static int fuse_mknod(struct inode *dir, const char *name, uint32_t mode)
{
	struct fuse_mknod_in in = { .mode = mode };

	return fuse_make_node(dir, FUSE_MKNOD, &in, sizeof(in), name);
}

static int fuse_unlink(struct inode *dir, const char *name)
{
	return fuse_dir_request(dir, FUSE_UNLINK, name);
}

static int fuse_rmdir(struct inode *dir, const char *name)
{
	return fuse_dir_request(dir, FUSE_RMDIR, name);
}

static int fuse_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
		       unsigned int flags)
{
	struct fuse_conn *c = fuse_conn_get(odir);
	struct fuse_rename2_in in2 = { .newdir = ndir->ino, .flags = flags };
	struct fuse_rename_in in = { .newdir = ndir->ino };
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	fuse_dcache_forget(c, odir->ino, oname);
	fuse_dcache_forget(c, ndir->ino, nname);
	fuse_req_init(&req, flags ? FUSE_RENAME2 : FUSE_RENAME, odir->ino);
	if (flags)
		fuse_req_in(&req, &in2, sizeof(in2));
	else
		fuse_req_in(&req, &in, sizeof(in));
	fuse_req_in(&req, oname, strlen(oname) + 1);
	fuse_req_in(&req, nname, strlen(nname) + 1);
	err = fuse_request_send(c, &req);
	fuse_conn_put(c);
	return err;
}

static int fuse_statfs(struct inode *ino, struct vfs_statfs *st)
{
	struct fuse_conn *c = fuse_conn_get(ino);
	struct fuse_statfs_out out;
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	fuse_req_init(&req, FUSE_STATFS, ino->ino);
	fuse_req_out(&req, &out, sizeof(out));
	err = fuse_request_send(c, &req);
	fuse_conn_put(c);
	if (err)
		return err;
	*st = (struct vfs_statfs){
		.type = FUSE_SUPER_MAGIC,
		.bsize = out.st.bsize,
		.blocks = out.st.blocks,
		.bfree = out.st.bfree,
		.bavail = out.st.bavail,
		.files = out.st.files,
		.ffree = out.st.ffree,
		.namelen = out.st.namelen,
		.frsize = out.st.frsize ? out.st.frsize : out.st.bsize,
	};
	return 0;
}

/* The VFS is done with ino: keep it (and its pages) for the next lookup;
 * the oldest kept is forgotten. */
static void fuse_evict(struct inode *ino)
{
	struct fuse_inode *fi = fuse_inode(ino);
	struct fuse_conn *c;

	if (!fi)
		return;
	ino->priv = NULL;
	c = fuse_conn_get(ino);
	if (c && c->connected && fi->nlookup > 0)
		fuse_retain(c, fi);
	else
		fuse_forget_inode(c, fi);
	if (c)
		fuse_conn_put(c);
}

static const struct inode_ops fuse_inode_ops = {
	.lookup = fuse_lookup,
	.getattr = fuse_getattr,
	.setattr = fuse_setattr,
	.open = fuse_open,
	.create = fuse_create,
	.mkdir = fuse_mkdir,
	.mknod = fuse_mknod,
	.unlink = fuse_unlink,
	.rmdir = fuse_rmdir,
	.rename = fuse_rename,
	.statfs = fuse_statfs,
	.evict = fuse_evict,
};
