/*
 * ops.c -- the FUSE side of the FAT server: one callback per request of
 * <fuse_lowlevel.h>, each a few library calls and one reply.
 *
 * Nodeids are the table's (nodes.c), never the library's ids, which change
 * at rename; every callback turns its nodeid into the FAT id it names now
 * (ENOENT if the node was removed).  LOOKUP, MKDIR and CREATE replies take
 * a lookup count on the node, FORGET drops it.  Removals and renames tell
 * the table before the library can reuse the slot.
 *
 * Open files need no state: the FAT id is all a read or write needs, so
 * fh stays 0.  Opens reply keep_cache, so the kernel's page cache keeps a
 * file's pages from one open to the next (only this server changes the
 * volume, and every change comes through the kernel, which updates its
 * cache as it writes).  Attributes and names may be cached for a second.
 *
 * READ replies send the data from the image itself (fat_read_spans,
 * fuse_reply_iov): the kernel copies it straight into its page cache.
 *
 * On a disk (fatfs --blk, blk.c) a reply means durable: every callback
 * that may change the volume passes its result through durable(), which
 * writes the sectors the change dirtied back to the disk first.  If that
 * fails the disk is lost: the reply is EIO and the server stops, so that
 * the kernel fails every later request on the mount with EIO.
 *
 * Errors are the library's negative errnos, replied positive.
 */
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "server.h"

#define CACHE_SECONDS 1.0
/* Pieces of the image one READ reply may send (fuse_reply_iov takes 64). */
#define READ_SPANS 64
/* d_ino in a directory listing of a node the kernel has no nodeid for:
 * the library's id, moved clear of the table's nodeids. */
#define UNSEEN_INO(fat) ((fat) | (1ull << 48))

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE  (1 << 1)
#endif

static struct fuse_session *session;
static bool disk_lost; /* a write-back failed: the session ends, status 1 */

/* The result of a change, once it is on the disk: err, or the write-back's
 * error (then the server ends after this reply).  Nothing to do on the
 * ramdisk. */
static int durable(int err)
{
	int r = blk_commit();

	if (r != 0) {
		printf("fatfs: the disk is lost (%s): giving up\n", strerror(-r));
		disk_lost = true;
		fuse_session_exit(session);
	}
	return r ? r : err;
}

static struct fat_volume *vol_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Reply with a negative errno from the library (or 0). */
static void reply_err(fuse_req_t req, int64_t err)
{
	fuse_reply_err(req, (int)-err);
}

static void attr_to_stat(uint64_t nodeid, const struct fat_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = nodeid;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_blksize = a->blksize;
	st->st_atim.tv_sec = a->atime;
	st->st_mtim.tv_sec = a->mtime;
	st->st_ctim.tv_sec = a->ctime;
}

/* The FAT id behind nodeid, or 0 after replying ENOENT. */
static uint64_t fat_of(fuse_req_t req, fuse_ino_t nodeid)
{
	uint64_t fat = nodes_fat(nodeid);

	if (!fat)
		fuse_reply_err(req, ENOENT);
	return fat;
}

/* Reply to LOOKUP, MKDIR or CREATE (fi non-NULL) with node fat. */
static void reply_node(fuse_req_t req, uint64_t fat, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct fat_attr a;
	int err = fat_getattr(vol_of(req), fat, &a);

	if (err) {
		reply_err(req, err);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = nodes_ref(fat, &e.generation);
	if (!e.ino) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	attr_to_stat(e.ino, &a, &e.attr);
	e.attr_timeout = e.entry_timeout = CACHE_SECONDS;
	if (fi) {
		fi->keep_cache = 1;
		fi->fh = 0;
		if (fuse_reply_create(req, &e, fi) != 0)
			nodes_forget(e.ino, 1); /* the kernel never got it */
	} else if (fuse_reply_entry(req, &e) != 0) {
		nodes_forget(e.ino, 1);
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	uint64_t dir = fat_of(req, parent), id;
	int err;

	if (!dir)
		return;
	err = fat_lookup(vol_of(req), dir, name, &id);
	if (err)
		reply_err(req, err);
	else
		reply_node(req, id, NULL);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	nodes_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void reply_attr(fuse_req_t req, fuse_ino_t ino, uint64_t fat)
{
	struct fat_attr a;
	struct stat st;
	int err = fat_getattr(vol_of(req), fat, &a);

	if (err) {
		reply_err(req, err);
		return;
	}
	attr_to_stat(ino, &a, &st);
	fuse_reply_attr(req, &st, CACHE_SECONDS);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	uint64_t fat = fat_of(req, ino);

	(void)fi;
	if (fat)
		reply_attr(req, ino, fat);
}

/* The times setattr asks for (-1: leave alone). */
static void setattr_times(struct fat_volume *v, const struct stat *attr, int to_set, int64_t *atime,
			  int64_t *mtime)
{
	int64_t now = v->clock ? v->clock(v->clock_arg) : 0;

	*atime = *mtime = -1;
	if (to_set & FUSE_SET_ATTR_ATIME)
		*atime = to_set & FUSE_SET_ATTR_ATIME_NOW ? now : attr->st_atim.tv_sec;
	if (to_set & FUSE_SET_ATTR_MTIME)
		*mtime = to_set & FUSE_SET_ATTR_MTIME_NOW ? now : attr->st_mtim.tv_sec;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct fat_volume *v = vol_of(req);
	uint64_t fat = fat_of(req, ino);
	int64_t atime, mtime;
	int err = 0;

	(void)fi;
	if (!fat)
		return;
	if (to_set & FUSE_SET_ATTR_SIZE)
		err = fat_truncate(v, fat, (uint64_t)attr->st_size);
	if (!err && (to_set & FUSE_SET_ATTR_MODE))
		err = fat_set_mode(v, fat, attr->st_mode);
	setattr_times(v, attr, to_set, &atime, &mtime);
	if (!err && (atime >= 0 || mtime >= 0))
		err = fat_set_times(v, fat, atime, mtime);
	/* Owners are root's, as on a vfat mount: a chown to root is a no-op. */
	if (!err && (((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != 0) ||
		     ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != 0)))
		err = -EPERM;
	err = durable(err);
	if (err)
		reply_err(req, err);
	else
		reply_attr(req, ino, fat);
}

/* FAT has no special files: a FIFO (the only kind the kernel asks for;
 * regular files come as CREATE) is EPERM, as Linux's vfat says. */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	uint64_t dir = fat_of(req, parent), id;
	int err;

	(void)mode;
	if (!dir)
		return;
	err = durable(fat_mkdir(vol_of(req), dir, name, &id));
	if (err)
		reply_err(req, err);
	else
		reply_node(req, id, NULL);
}

/* unlink and rmdir: the removed node's nodeid then names nothing. */
static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, bool is_dir)
{
	struct fat_volume *v = vol_of(req);
	uint64_t dir = fat_of(req, parent), id = 0;
	int err;

	if (!dir)
		return;
	fat_lookup(v, dir, name, &id);
	err = is_dir ? fat_rmdir(v, dir, name) : fat_unlink(v, dir, name);
	if (!err && id)
		nodes_gone(id);
	reply_err(req, durable(err));
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, true);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct fat_volume *v = vol_of(req);
	uint64_t odir, ndir, old_id = 0, target = 0, new_id;
	int err;

	if (!(odir = fat_of(req, parent)) || !(ndir = fat_of(req, newparent)))
		return;
	if (flags & ~(unsigned)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL); /* RENAME_EXCHANGE and others: not on FAT */
		return;
	}
	err = fat_lookup(v, odir, name, &old_id);
	if (!err && fat_lookup(v, ndir, newname, &target) == 0 && (flags & RENAME_NOREPLACE))
		err = -EEXIST;
	if (!err)
		err = fat_rename(v, odir, name, ndir, newname, &new_id);
	if (!err) {
		/* A replaced target first: the moved entry may take its slot. */
		if (target && target != old_id)
			nodes_gone(target);
		nodes_moved(old_id, new_id);
	}
	reply_err(req, durable(err));
}

/* open and opendir: the node must be of the right kind. */
static void open_node(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, bool want_dir)
{
	struct fat_volume *v = vol_of(req);
	uint64_t fat = fat_of(req, ino);
	struct fat_attr a;
	int err;

	if (!fat)
		return;
	err = fat_getattr(v, fat, &a);
	if (!err && want_dir && (a.mode & FAT_S_IFMT) != FAT_S_IFDIR)
		err = -ENOTDIR;
	if (!err && !want_dir && (a.mode & FAT_S_IFMT) == FAT_S_IFDIR)
		err = -EISDIR;
	if (!err && !want_dir && (fi->flags & O_TRUNC) && (fi->flags & O_ACCMODE) != O_RDONLY)
		err = fat_truncate(v, fat, 0);
	if (!err && !want_dir && (fi->flags & O_ACCMODE) != O_WRONLY)
		err = fat_accessed(v, fat); /* once, not at every READ */
	err = durable(err);
	if (err) {
		reply_err(req, err);
		return;
	}
	fi->fh = 0;
	fi->keep_cache = !want_dir;
	fuse_reply_open(req, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	open_node(req, ino, fi, false);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	open_node(req, ino, fi, true);
}

/* READ the old way: through a buffer (a file in more pieces than
 * READ_SPANS). */
static void read_copy(fuse_req_t req, uint64_t fat, size_t size, off_t off)
{
	char *buf = malloc(size ? size : 1);
	int64_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = fat_read(vol_of(req), fat, buf, size, (uint64_t)off);
	if (n < 0)
		reply_err(req, n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* READ: the reply's data goes from the image itself, copied by nobody but
 * the kernel. */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	uint64_t fat = fat_of(req, ino);
	struct fat_span spans[READ_SPANS];
	struct iovec iov[READ_SPANS];
	int64_t n;
	int count;

	(void)fi;
	if (!fat)
		return;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	n = fat_read_spans(vol_of(req), fat, size, (uint64_t)off, spans, READ_SPANS, &count);
	if (n < 0) {
		reply_err(req, n);
		return;
	}
	if ((size_t)n < size && count == READ_SPANS) {
		read_copy(req, fat, size, off); /* not the end: out of spans */
		return;
	}
	for (int i = 0; i < count; i++)
		iov[i] = (struct iovec){ (void *)spans[i].data, spans[i].len };
	fuse_reply_iov(req, iov, count);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	uint64_t fat = fat_of(req, ino);
	int64_t n;
	int err;

	(void)fi;
	if (!fat)
		return;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	n = fat_write(vol_of(req), fat, buf, size, (uint64_t)off);
	err = durable(n < 0 ? (int)n : 0);
	if (err)
		reply_err(req, err);
	else
		fuse_reply_write(req, (size_t)n);
}

/* flush, release, fsync, releasedir: every change is durable at its
 * reply already; nothing to do. */
static void op_done(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	op_done(req, ino, fi);
}

/* One entry of a readdir reply; false when it does not fit. */
static bool add_entry(fuse_req_t req, char *buf, size_t size, size_t *pos,
		      const struct fat_dirent *d, uint64_t self)
{
	struct stat st;
	uint64_t nodeid = strcmp(d->name, ".") == 0 ? self : nodes_find(d->id);
	size_t len;

	memset(&st, 0, sizeof(st));
	st.st_ino = nodeid ? nodeid : UNSEEN_INO(d->id);
	st.st_mode = d->mode;
	len = fuse_add_direntry(req, buf + *pos, size - *pos, d->name, &st, (off_t)d->next);
	if (len > size - *pos)
		return false;
	*pos += len;
	return true;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fat_volume *v = vol_of(req);
	uint64_t fat = fat_of(req, ino);
	struct fat_dirent *d;
	char *buf;
	size_t pos = 0;
	int r = 0;

	(void)fi;
	if (!fat)
		return;
	d = malloc(sizeof(*d));
	buf = malloc(size ? size : 1);
	if (!d || !buf) {
		fuse_reply_err(req, ENOMEM);
	} else {
		for (uint64_t at = (uint64_t)off; (r = fat_readdir(v, fat, at, d)) == 1;
		     at = d->next)
			if (!add_entry(req, buf, size, &pos, d, ino))
				break;
		if (r < 0 && pos == 0)
			reply_err(req, r);
		else
			fuse_reply_buf(req, buf, pos);
	}
	free(buf);
	free(d);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fat_statfs fs;
	struct statvfs st;

	(void)ino;
	fat_statfs(vol_of(req), &fs);
	memset(&st, 0, sizeof(st));
	st.f_bsize = st.f_frsize = fs.cluster_size;
	st.f_blocks = fs.clusters;
	st.f_bfree = st.f_bavail = fs.free_clusters;
	st.f_namemax = fs.name_max;
	fuse_reply_statfs(req, &st);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	uint64_t dir = fat_of(req, parent), id;
	int err;

	if (!dir)
		return;
	err = durable(fat_create(vol_of(req), dir, name, mode, &id));
	if (err)
		reply_err(req, err);
	else
		reply_node(req, id, fi);
}

static const struct fuse_lowlevel_ops server_ops = {
	.lookup = op_lookup,
	.forget = op_forget,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_done,
	.release = op_done,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_done,
	.statfs = op_statfs,
	.create = op_create,
};

int serve_run(struct fat_volume *v, const char *mountpoint, int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_session *se = fuse_session_new(&args, &server_ops, sizeof(server_ops), v);
	int err;

	session = se;
	if (!se) {
		printf("fatfs: cannot make a FUSE session\n");
		return -1;
	}
	err = fuse_session_mount(se, mountpoint);
	if (err) {
		printf("fatfs: cannot mount %s: %s\n", mountpoint,
		       strerror(err < 0 ? -err : errno));
		fuse_session_destroy(se);
		return -1;
	}
	printf("fatfs: serving %s\n", mountpoint);
	server_ready();
	err = fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	if (err)
		printf("fatfs: the session ended: %s\n", strerror(-err));
	return err || disk_lost ? -1 : 0;
}
