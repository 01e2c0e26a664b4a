/*
 * FUSE open files and directories: read, write, flush, fsync, release and
 * readdir as requests to the server, through the page cache (pcache.h).
 *
 * Reading a cached file copies straight from the cached pages to the
 * caller; a page not cached is read with one READ of every missing page
 * the call covers (at most FUSE_MAX_PAGES_PER_REQ), straight into fresh
 * pages that then join the cache.  Writes go through to the server at
 * once (one WRITE per max_write bytes); what the server took is copied
 * into the cached pages too, so a write acknowledged is never lost and a
 * read after it sees it.  FOPEN_DIRECT_IO files bypass the cache.
 *
 * An open file's priv is a struct fuse_file (fuse_node.h): the server's
 * handle (fh), the FOPEN_* flags of its OPEN reply and the connection,
 * held while the file is open (a read from the cache checks only that it
 * is still connected).
 */
#include "fs/fuse_node.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/timer.h"
#include "lib/string.h"
#include "mm/heap.h"

/* ---- reading -------------------------------------------------------------- */

/* READ size bytes at off into the pieces of out (nout of them): bytes
 * read (short at the end of the file) or -errno. */
static int64_t fuse_send_read(struct fuse_conn *c, struct file *f, uint64_t off,
			      struct fuse_arg *out, int nout)
{
	struct fuse_file *ff = f->priv;
	struct fuse_read_in in = { .fh = ff->fh, .offset = off, .flags = f->flags };
	struct fuse_req req;
	int err;

	fuse_req_init(&req, FUSE_READ, f->inode->ino);
	for (int i = 0; i < nout; i++) {
		fuse_req_out(&req, out[i].ptr, out[i].size);
		in.size += (uint32_t)out[i].size;
	}
	fuse_req_in(&req, &in, sizeof(in));
	req.out_var = true;
	err = fuse_request_send(c, &req);
	return err ? err : (int64_t)req.out_len;
}

/*
 * Read pages [index, index + n) of f's file from the server into the
 * cache.  Returns 0 when they are cached, 1 at the end of the file (the
 * server had nothing at index), or -errno.  Not inlined: its arrays would
 * make the frame of every read from the cache large too.
 */
static __attribute__((noinline)) int fuse_fill_pages(struct fuse_conn *c, struct file *f,
						     uint64_t index, size_t n)
{
	struct inode *ino = f->inode;
	struct fuse_inode *fi = fuse_inode(ino);
	struct fuse_arg pages[FUSE_MAX_PAGES_PER_REQ];
	uint64_t gen = pcache_gen(&fi->cache);
	uint64_t off = index * PAGE_SIZE;
	size_t got = 0, i;
	int64_t r;

	n = MIN(n, FUSE_MAX_PAGES_PER_REQ);
	for (i = 0; i < n; i++) {
		pages[i] = (struct fuse_arg){ pcache_page_alloc(), PAGE_SIZE };
		if (!pages[i].ptr)
			break;
	}
	if (i == 0)
		return -ENOMEM;
	n = i;
	r = fuse_send_read(c, f, off, pages, (int)n);
	if (r > 0)
		got = (size_t)r;
	if (r >= 0 && got < n * PAGE_SIZE && off + got < ino->size)
		ino->size = off + got; /* a short read: the file is shorter */
	for (i = 0; i < n; i++) {
		if (i * PAGE_SIZE < got)
			pcache_insert(&fi->cache, index + i, pages[i].ptr, gen);
		else
			pcache_page_free(pages[i].ptr);
	}
	if (r < 0)
		return (int)r;
	return got == 0;
}

/* Read through the cache: copy cached pages, fill the missing ones. */
static int64_t fuse_cached_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct fuse_file *ff = f->priv;
	struct inode *ino = f->inode;
	struct fuse_inode *fi = fuse_inode(ino);
	size_t done = 0;

	while (done < count && pos + done < ino->size) {
		uint64_t at = pos + done;
		size_t n = MIN(MIN(count - done, PAGE_SIZE - at % PAGE_SIZE), ino->size - at);
		int64_t got = pcache_read(&fi->cache, at, buf, done, n);

		if (got > 0) {
			done += (size_t)got;
			continue;
		}
		if (got == 0) /* not cached: one READ of it and the call's pages after it */
			got = fuse_fill_pages(ff->conn, f, at / PAGE_SIZE,
					      ALIGN_UP(MIN(pos + count, ino->size), PAGE_SIZE) /
							      PAGE_SIZE -
						      at / PAGE_SIZE);
		if (got < 0)
			return done ? (int64_t)done : got;
		if (got > 0)
			break; /* the end of the file */
	}
	return (int64_t)done;
}

/* FOPEN_DIRECT_IO: every read goes to the server, through a bounce buffer. */
static int64_t fuse_direct_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct fuse_conn *c = fuse_conn_get(f->inode);
	size_t chunk = MIN(count, (size_t)FUSE_MAX_IO);
	void *bounce = c ? kmalloc(chunk) : NULL;
	size_t done = 0;
	int64_t err = 0;

	while (bounce && done < count) {
		struct fuse_arg out = { bounce, MIN(chunk, count - done) };
		int64_t r = fuse_send_read(c, f, pos + done, &out, 1);

		if (r < 0) {
			err = r;
			break;
		}
		if (vbuf_to(buf, done, bounce, (size_t)r) != 0) {
			err = -EFAULT;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < out.size)
			break;
	}
	if (!bounce)
		err = c ? -ENOMEM : -ENOTCONN;
	kfree(bounce);
	if (c)
		fuse_conn_put(c);
	return done ? (int64_t)done : err;
}

/* A read past the size last seen: ask for the size again once the
 * attributes have expired (the file may have grown).  0 or -errno. */
static __attribute__((noinline)) int fuse_read_size(struct inode *ino)
{
	struct vfs_attr attr;

	if (timer_ticks() < fuse_inode(ino)->attr_expires)
		return 0;
	return fuse_getattr(ino, &attr);
}

static int64_t fuse_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct fuse_file *ff = f->priv;
	int err;

	if (!ff->conn->connected)
		return ff->conn->conn_error; /* nothing cached is served */
	if (count == 0)
		return 0;
	if (ff->open_flags & FOPEN_DIRECT_IO)
		return fuse_direct_read(f, buf, count, pos);
	if (pos + count > f->inode->size) {
		err = fuse_read_size(f->inode);
		if (err)
			return err;
	}
	return fuse_cached_read(f, buf, count, pos);
}

/* ---- writing -------------------------------------------------------------- */

/* WRITE n bytes of data at off: bytes the server took, or -errno. */
static int64_t fuse_send_write(struct fuse_conn *c, struct file *f, uint64_t off, const void *data,
			       size_t n)
{
	struct fuse_file *ff = f->priv;
	struct fuse_write_in in = {
		.fh = ff->fh, .offset = off, .size = (uint32_t)n, .flags = f->flags
	};
	struct fuse_write_out out;
	struct fuse_req req;
	int err;

	fuse_req_init(&req, FUSE_WRITE, f->inode->ino);
	fuse_req_in(&req, &in, sizeof(in));
	fuse_req_in(&req, data, n);
	fuse_req_out(&req, &out, sizeof(out));
	err = fuse_request_send(c, &req);
	if (err)
		return err;
	return out.size > n ? -EIO : (int64_t)out.size;
}

/* Write through: each chunk goes to the server, then into the cache. */
static int64_t fuse_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct inode *ino = f->inode;
	struct fuse_inode *fi = fuse_inode(ino);
	struct fuse_conn *c = fuse_conn_get(ino);
	size_t chunk = c ? MIN(count, (size_t)c->max_write) : 0;
	void *bounce = chunk ? kmalloc(chunk) : NULL;
	size_t done = 0;
	int64_t err = 0;

	if (!c)
		return -ENOTCONN;
	if (count == 0 || !bounce) {
		fuse_conn_put(c);
		return count == 0 ? 0 : -ENOMEM;
	}
	while (done < count) {
		size_t n = MIN(chunk, count - done);
		int64_t w;

		if (vbuf_from(buf, done, bounce, n) != 0) {
			err = -EFAULT;
			break;
		}
		w = fuse_send_write(c, f, pos + done, bounce, n);
		if (w < 0) {
			err = w;
			break;
		}
		pcache_write(&fi->cache, pos + done, bounce, (size_t)w);
		done += (size_t)w;
		if (pos + done > ino->size)
			ino->size = pos + done;
		fi->attr_expires = 0; /* mtime, blocks changed */
		if ((size_t)w < n)
			break;
	}
	kfree(bounce);
	fuse_conn_put(c);
	return done ? (int64_t)done : err;
}

/* ---- open files ------------------------------------------------------------ */

/* FLUSH or FSYNC: a request about f's handle with no reply data; ENOSYS
 * means the server does not need them (and is not asked again). */
static int fuse_file_sync(struct file *f, uint32_t opcode)
{
	struct fuse_conn *c = fuse_conn_get(f->inode);
	struct fuse_file *ff = f->priv;
	struct fuse_flush_in fl = { .fh = ff->fh };
	struct fuse_fsync_in fs = { .fh = ff->fh };
	struct fuse_req req;
	int err;

	if (!c)
		return -ENOTCONN;
	if ((opcode == FUSE_FLUSH && c->no_flush) || (opcode == FUSE_FSYNC && c->no_fsync)) {
		fuse_conn_put(c);
		return 0;
	}
	fuse_req_init(&req, opcode, f->inode->ino);
	if (opcode == FUSE_FLUSH)
		fuse_req_in(&req, &fl, sizeof(fl));
	else
		fuse_req_in(&req, &fs, sizeof(fs));
	err = fuse_request_send(c, &req);
	if (err == -ENOSYS) {
		if (opcode == FUSE_FLUSH)
			c->no_flush = true;
		else
			c->no_fsync = true;
		err = 0;
	}
	fuse_conn_put(c);
	return err;
}

static int fuse_flush(struct file *f)
{
	return fuse_file_sync(f, FUSE_FLUSH);
}

static int fuse_fsync(struct file *f)
{
	return fuse_file_sync(f, FUSE_FSYNC);
}

struct fuse_release_req {
	struct fuse_req req;
	struct fuse_release_in in;
};

void fuse_send_release(struct fuse_conn *c, struct inode *ino, uint64_t fh, unsigned int flags)
{
	struct fuse_release_req *rr = kcalloc(1, sizeof(*rr));
	bool dir = ino && S_ISDIR(ino->mode);

	if (!rr)
		return; /* the server keeps a handle: a leak on its side only */
	fuse_req_init(&rr->req, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, ino ? ino->ino : 0);
	rr->in.fh = fh;
	rr->in.flags = flags;
	fuse_req_in(&rr->req, &rr->in, sizeof(rr->in));
	fuse_request_send_async(c, &rr->req); /* nobody waits for a release */
}

static void fuse_release(struct file *f)
{
	struct fuse_file *ff = f->priv;

	fuse_send_release(ff->conn, f->inode, ff->fh, f->flags);
	fuse_conn_put(ff->conn);
	kfree(ff);
	f->priv = NULL;
}

/* ---- directories ------------------------------------------------------------ */

/*
 * Hand the fuse_dirents of a READDIR reply to fill, moving *pos past each
 * one it takes.  0 if all were taken, 1 if fill said full, -EIO for a
 * malformed reply.
 */
static int fuse_parse_dirents(const uint8_t *data, size_t len, uint64_t *pos, vfs_filldir_fn *fill,
			      void *ctx)
{
	char name[NAME_MAX + 1];

	while (len > 0) {
		const struct fuse_dirent *d = (const void *)data;
		size_t size;

		if (len < FUSE_NAME_OFFSET || d->namelen == 0 || d->namelen > NAME_MAX)
			return -EIO;
		size = FUSE_DIRENT_SIZE(d);
		if (size > len)
			return -EIO;
		memcpy(name, d->name, d->namelen);
		name[d->namelen] = '\0';
		if (!fill(ctx, name, d->ino, d->type << 12, d->off))
			return 1;
		*pos = d->off;
		data += size;
		len -= size;
	}
	return 0;
}

static int fuse_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	struct fuse_conn *c = fuse_conn_get(f->inode);
	struct fuse_file *ff = f->priv;
	uint8_t *page = c ? pcache_page_alloc() : NULL;
	int err = c ? 0 : -ENOTCONN;

	if (c && !page)
		err = -ENOMEM;
	while (!err) {
		struct fuse_read_in in = { .fh = ff->fh, .offset = *pos, .size = PAGE_SIZE };
		struct fuse_req req;

		fuse_req_init(&req, FUSE_READDIR, f->inode->ino);
		fuse_req_in(&req, &in, sizeof(in));
		fuse_req_out(&req, page, PAGE_SIZE);
		req.out_var = true;
		err = fuse_request_send(c, &req);
		if (err || req.out_len == 0)
			break;
		err = fuse_parse_dirents(page, req.out_len, pos, fill, ctx);
	}
	if (page)
		pcache_page_free(page);
	if (c)
		fuse_conn_put(c);
	return err < 0 ? err : 0;
}

const struct file_ops fuse_file_ops = {
	.read = fuse_read,
	.write = fuse_write,
	.flush = fuse_flush,
	.fsync = fuse_fsync,
	.release = fuse_release,
	.read_unchecked = true,
};

const struct file_ops fuse_dir_ops = {
	.readdir = fuse_readdir,
	.release = fuse_release,
};
