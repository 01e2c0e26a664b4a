/*
 * The FUSE server library: <fuse_lowlevel.h>, libfuse 3's low-level API on
 * kestrel's /dev/fuse (the protocol is <os/fuse_kernel.h>, Linux's).
 *
 * A session owns the /dev/fuse descriptor and one buffer big enough for
 * the largest request (a WRITE of max_write bytes).  The loop reads one
 * request into it, checks its length, turns the opcode's argument into the
 * callback's parameters and calls it; the callback answers through a
 * fuse_reply_* function, now or later (a fuse_req_t lives until it is
 * answered), which writes the reply with one writev(2) of the header and
 * the callback's data where it lies, as one reply, as the kernel wants it.  Until INIT has been answered every other request gets EIO.
 *
 * Defaults for callbacks left NULL, as libfuse's: open and opendir succeed
 * with handle 0, release, releasedir and forget succeed silently, getattr
 * of the root says "a directory, 0755", statfs says "nothing used", and
 * everything else answers ENOSYS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <os/fuse_kernel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

/* The most data of one WRITE the server offers to take. */
#define FUSE_LIB_MAX_WRITE (128 * 1024)
#define FUSE_LIB_BUFSIZE   (FUSE_LIB_MAX_WRITE + 4096)

struct fuse_session {
	struct fuse_lowlevel_ops op;
	void *userdata;
	int fd;
	char *mountpoint;
	const char *fsname;
	int exited;
	int got_init;
	struct fuse_conn_info conn;
	char *buf;                  /* one request */
	struct fuse_req *free_reqs; /* answered requests, for reuse */
};

struct fuse_req {
	struct fuse_session *se;
	struct fuse_req *next_free;
	uint64_t unique;
	uint32_t opcode;
	struct fuse_ctx ctx;
};

/* ---- replies ---------------------------------------------------------------- */

/* An answered request goes on the session's free list: malloc and free
 * for every request would cost more than the rest of a small request. */
static void fuse_req_done(fuse_req_t req)
{
	req->next_free = req->se->free_reqs;
	req->se->free_reqs = req;
}

/* The most pieces of data one reply carries (fuse_reply_iov). */
#define FUSE_LIB_MAX_IOV 64

/*
 * Write the header and the n pieces at iov[1..n] as one reply, with one
 * writev(2): the data goes to the kernel from where it is, never copied
 * here first.  Frees req; 0 or -errno.
 */
static int fuse_send_iov(fuse_req_t req, int error, struct iovec *iov, int n)
{
	struct fuse_out_header oh;
	size_t len = sizeof(oh);
	int ret = 0;

	for (int i = 1; i <= n; i++)
		len += iov[i].iov_len;
	if (len > FUSE_LIB_BUFSIZE) {
		error = -EIO;
		n = 0;
		len = sizeof(oh);
	}
	oh.len = (uint32_t)len;
	oh.error = error;
	oh.unique = req->unique;
	iov[0] = (struct iovec){ &oh, sizeof(oh) };
	if (writev(req->se->fd, iov, n + 1) != (ssize_t)len)
		ret = -errno;
	fuse_req_done(req);
	return ret;
}

/* Header + the pieces a and b (either may be empty) as one reply. */
static int fuse_send(fuse_req_t req, int error, const void *a, size_t alen, const void *b,
		     size_t blen)
{
	struct iovec iov[3];
	int n = 0;

	if (alen)
		iov[++n] = (struct iovec){ (void *)a, alen };
	if (blen)
		iov[++n] = (struct iovec){ (void *)b, blen };
	return fuse_send_iov(req, error, iov, n);
}

int fuse_reply_err(fuse_req_t req, int err)
{
	return fuse_send(req, -err, NULL, 0, NULL, 0);
}

void fuse_reply_none(fuse_req_t req)
{
	fuse_req_done(req);
}

static uint32_t fuse_nsec(double t)
{
	double frac = t - (double)(uint64_t)t;

	return frac > 0 ? (uint32_t)(frac * 1e9) : 0;
}

static uint64_t fuse_sec(double t)
{
	return t > 0 ? (uint64_t)t : 0;
}

static void fuse_stat_to_attr(const struct stat *st, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = (uint32_t)st->st_rdev;
	a->size = (uint64_t)st->st_size;
	a->blksize = (uint32_t)st->st_blksize;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
}

static void fuse_fill_entry(struct fuse_entry_out *out, const struct fuse_entry_param *e)
{
	memset(out, 0, sizeof(*out));
	out->nodeid = e->ino;
	out->generation = e->generation;
	out->entry_valid = fuse_sec(e->entry_timeout);
	out->entry_valid_nsec = fuse_nsec(e->entry_timeout);
	out->attr_valid = fuse_sec(e->attr_timeout);
	out->attr_valid_nsec = fuse_nsec(e->attr_timeout);
	fuse_stat_to_attr(&e->attr, &out->attr);
}

static void fuse_fill_open(struct fuse_open_out *out, const struct fuse_file_info *fi)
{
	memset(out, 0, sizeof(*out));
	out->fh = fi->fh;
	if (fi->direct_io)
		out->open_flags |= FOPEN_DIRECT_IO;
	if (fi->keep_cache)
		out->open_flags |= FOPEN_KEEP_CACHE;
	if (fi->nonseekable)
		out->open_flags |= FOPEN_NONSEEKABLE;
}

int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	struct fuse_entry_out out;

	fuse_fill_entry(&out, e);
	return fuse_send(req, 0, &out, sizeof(out), NULL, 0);
}

int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
		      const struct fuse_file_info *fi)
{
	struct fuse_entry_out eo;
	struct fuse_open_out oo;

	fuse_fill_entry(&eo, e);
	fuse_fill_open(&oo, fi);
	return fuse_send(req, 0, &eo, sizeof(eo), &oo, sizeof(oo));
}

int fuse_reply_attr(fuse_req_t req, const struct stat *attr, double attr_timeout)
{
	struct fuse_attr_out out;

	memset(&out, 0, sizeof(out));
	out.attr_valid = fuse_sec(attr_timeout);
	out.attr_valid_nsec = fuse_nsec(attr_timeout);
	fuse_stat_to_attr(attr, &out.attr);
	return fuse_send(req, 0, &out, sizeof(out), NULL, 0);
}

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	struct fuse_open_out out;

	fuse_fill_open(&out, fi);
	return fuse_send(req, 0, &out, sizeof(out), NULL, 0);
}

int fuse_reply_write(fuse_req_t req, size_t count)
{
	struct fuse_write_out out = { .size = (uint32_t)count };

	return fuse_send(req, 0, &out, sizeof(out), NULL, 0);
}

int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	return fuse_send(req, 0, buf, size, NULL, 0);
}

int fuse_reply_iov(fuse_req_t req, const struct iovec *iov, int count)
{
	struct iovec all[FUSE_LIB_MAX_IOV + 1];

	if (count < 0 || count > FUSE_LIB_MAX_IOV)
		return fuse_reply_err(req, EINVAL);
	memcpy(all + 1, iov, (size_t)count * sizeof(*iov));
	return fuse_send_iov(req, 0, all, count);
}

int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf)
{
	struct fuse_statfs_out out;

	memset(&out, 0, sizeof(out));
	out.st.blocks = stbuf->f_blocks;
	out.st.bfree = stbuf->f_bfree;
	out.st.bavail = stbuf->f_bavail;
	out.st.files = stbuf->f_files;
	out.st.ffree = stbuf->f_ffree;
	out.st.bsize = (uint32_t)stbuf->f_bsize;
	out.st.namelen = (uint32_t)stbuf->f_namemax;
	out.st.frsize = (uint32_t)stbuf->f_frsize;
	return fuse_send(req, 0, &out, sizeof(out), NULL, 0);
}

size_t fuse_add_direntry(fuse_req_t req, char *buf, size_t bufsize, const char *name,
			 const struct stat *stbuf, off_t off)
{
	size_t namelen = strlen(name);
	size_t entlen = FUSE_NAME_OFFSET + namelen;
	size_t entsize = FUSE_DIRENT_ALIGN(entlen);
	struct fuse_dirent *d = (struct fuse_dirent *)buf;

	(void)req;
	if (!buf || entsize > bufsize)
		return entsize;
	d->ino = stbuf->st_ino;
	d->off = (uint64_t)off;
	d->namelen = (uint32_t)namelen;
	d->type = (stbuf->st_mode & S_IFMT) >> 12;
	memcpy(d->name, name, namelen);
	memset(buf + entlen, 0, entsize - entlen);
	return entsize;
}

void *fuse_req_userdata(fuse_req_t req)
{
	return req->se->userdata;
}

const struct fuse_ctx *fuse_req_ctx(fuse_req_t req)
{
	return &req->ctx;
}

/* ---- requests ----------------------------------------------------------------- */

static void fuse_do_init(fuse_req_t req, const struct fuse_init_in *in)
{
	struct fuse_session *se = req->se;
	struct fuse_init_out out;

	if (in->major < 7) {
		fuse_reply_err(req, EPROTO);
		return;
	}
	se->conn.proto_major = in->major;
	se->conn.proto_minor = in->minor;
	se->conn.capable = in->flags;
	se->conn.want = in->flags & (FUSE_ASYNC_READ | FUSE_BIG_WRITES);
	se->conn.max_readahead = in->max_readahead;
	se->conn.max_write = FUSE_LIB_MAX_WRITE;
	se->conn.max_read = 0;
	if (se->op.init)
		se->op.init(se->userdata, &se->conn);
	if (se->conn.max_write > FUSE_LIB_MAX_WRITE)
		se->conn.max_write = FUSE_LIB_MAX_WRITE;
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = FUSE_KERNEL_MINOR_VERSION;
	out.max_readahead = se->conn.max_readahead;
	out.flags = se->conn.want & se->conn.capable;
	out.max_background = 16;
	out.congestion_threshold = 12;
	out.max_write = se->conn.max_write;
	out.time_gran = 1;
	out.max_pages = (uint16_t)(FUSE_LIB_MAX_WRITE / 4096);
	se->got_init = 1;
	fuse_send(req, 0, &out, in->minor < 23 ? FUSE_COMPAT_22_INIT_OUT_SIZE : sizeof(out), NULL,
		  0);
}

/* The default getattr: only the root is known. */
static void fuse_default_getattr(fuse_req_t req, fuse_ino_t ino)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	memset(&st, 0, sizeof(st));
	st.st_ino = FUSE_ROOT_ID;
	st.st_mode = S_IFDIR | 0755;
	st.st_nlink = 2;
	fuse_reply_attr(req, &st, 1.0);
}

static void fuse_default_statfs(fuse_req_t req)
{
	struct statvfs st;

	memset(&st, 0, sizeof(st));
	st.f_namemax = 255;
	st.f_bsize = 512;
	fuse_reply_statfs(req, &st);
}

/* The nth NUL-terminated string of the argument (n = 0 or 1), or NULL if
 * it does not end inside len bytes. */
static const char *fuse_arg_name(const char *arg, size_t len, int n)
{
	const char *end = memchr(arg, '\0', len);

	if (!end)
		return NULL;
	if (n == 0)
		return arg;
	return fuse_arg_name(end + 1, len - (size_t)(end + 1 - arg), n - 1);
}

static void fuse_attr_to_stat(const struct fuse_setattr_in *in, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = in->mode;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_size = (off_t)in->size;
	st->st_atim.tv_sec = (time_t)in->atime;
	st->st_atim.tv_nsec = in->atimensec;
	st->st_mtim.tv_sec = (time_t)in->mtime;
	st->st_mtim.tv_nsec = in->mtimensec;
	st->st_ctim.tv_sec = (time_t)in->ctime;
	st->st_ctim.tv_nsec = in->ctimensec;
}

/* The size of each opcode's fixed argument (the part before any name). */
static size_t fuse_arg_size(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_INIT:
		return sizeof(struct fuse_init_in);
	case FUSE_FORGET:
		return sizeof(struct fuse_forget_in);
	case FUSE_GETATTR:
		return sizeof(struct fuse_getattr_in);
	case FUSE_SETATTR:
		return sizeof(struct fuse_setattr_in);
	case FUSE_MKNOD:
		return sizeof(struct fuse_mknod_in);
	case FUSE_MKDIR:
		return sizeof(struct fuse_mkdir_in);
	case FUSE_RENAME:
		return sizeof(struct fuse_rename_in);
	case FUSE_RENAME2:
		return sizeof(struct fuse_rename2_in);
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		return sizeof(struct fuse_open_in);
	case FUSE_READ:
	case FUSE_READDIR:
		return sizeof(struct fuse_read_in);
	case FUSE_WRITE:
		return sizeof(struct fuse_write_in);
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		return sizeof(struct fuse_release_in);
	case FUSE_FSYNC:
		return sizeof(struct fuse_fsync_in);
	case FUSE_FLUSH:
		return sizeof(struct fuse_flush_in);
	case FUSE_CREATE:
		return sizeof(struct fuse_create_in);
	default:
		return 0;
	}
}

/* Requests about a node's name or names: LOOKUP, MKNOD, MKDIR, UNLINK,
 * RMDIR, RENAME(2), CREATE.  arg is the fixed part, names follow it. */
static void fuse_do_names(fuse_req_t req, uint64_t nodeid, const char *arg, size_t len)
{
	const struct fuse_lowlevel_ops *op = &req->se->op;
	size_t fixed = fuse_arg_size(req->opcode);
	const char *name = fuse_arg_name(arg + fixed, len - fixed, 0);
	const char *name2 = name ? fuse_arg_name(arg + fixed, len - fixed, 1) : NULL;
	struct fuse_file_info fi;

	if (!name || ((req->opcode == FUSE_RENAME || req->opcode == FUSE_RENAME2) && !name2)) {
		fuse_reply_err(req, EIO);
		return;
	}
	memset(&fi, 0, sizeof(fi));
	switch (req->opcode) {
	case FUSE_LOOKUP:
		if (!op->lookup)
			break;
		op->lookup(req, nodeid, name);
		return;
	case FUSE_MKNOD:
		if (!op->mknod)
			break;
		op->mknod(req, nodeid, name, ((const struct fuse_mknod_in *)arg)->mode,
			  ((const struct fuse_mknod_in *)arg)->rdev);
		return;
	case FUSE_MKDIR:
		if (!op->mkdir)
			break;
		op->mkdir(req, nodeid, name, ((const struct fuse_mkdir_in *)arg)->mode | S_IFDIR);
		return;
	case FUSE_UNLINK:
		if (!op->unlink)
			break;
		op->unlink(req, nodeid, name);
		return;
	case FUSE_RMDIR:
		if (!op->rmdir)
			break;
		op->rmdir(req, nodeid, name);
		return;
	case FUSE_RENAME:
	case FUSE_RENAME2:
		if (!op->rename)
			break;
		op->rename(req, nodeid, name, ((const struct fuse_rename_in *)arg)->newdir, name2,
			   req->opcode == FUSE_RENAME2
				   ? ((const struct fuse_rename2_in *)arg)->flags
				   : 0);
		return;
	case FUSE_CREATE:
		if (!op->create)
			break;
		fi.flags = (int)((const struct fuse_create_in *)arg)->flags;
		op->create(req, nodeid, name, ((const struct fuse_create_in *)arg)->mode, &fi);
		return;
	}
	fuse_reply_err(req, ENOSYS);
}

/* Requests about an open file (or the node alone). */
static void fuse_do_file(fuse_req_t req, uint64_t nodeid, const char *arg, size_t len)
{
	const struct fuse_lowlevel_ops *op = &req->se->op;
	const struct fuse_read_in *rd = (const void *)arg;
	const struct fuse_write_in *wr = (const void *)arg;
	const struct fuse_release_in *rel = (const void *)arg;
	struct fuse_file_info fi;
	struct stat st;

	memset(&fi, 0, sizeof(fi));
	switch (req->opcode) {
	case FUSE_FORGET:
		if (op->forget)
			op->forget(req, nodeid, ((const struct fuse_forget_in *)arg)->nlookup);
		else
			fuse_reply_none(req);
		return;
	case FUSE_GETATTR: {
		const struct fuse_getattr_in *in = (const void *)arg;

		fi.fh = in->fh;
		if (op->getattr)
			op->getattr(req, nodeid, in->getattr_flags & FUSE_GETATTR_FH ? &fi : NULL);
		else
			fuse_default_getattr(req, nodeid);
		return;
	}
	case FUSE_SETATTR: {
		const struct fuse_setattr_in *in = (const void *)arg;

		if (!op->setattr)
			break;
		fuse_attr_to_stat(in, &st);
		fi.fh = in->fh;
		op->setattr(req, nodeid, &st, (int)(in->valid & ~(FATTR_FH | FATTR_LOCKOWNER)),
			    in->valid & FATTR_FH ? &fi : NULL);
		return;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		fi.flags = (int)((const struct fuse_open_in *)arg)->flags;
		if (req->opcode == FUSE_OPEN && op->open)
			op->open(req, nodeid, &fi);
		else if (req->opcode == FUSE_OPENDIR && op->opendir)
			op->opendir(req, nodeid, &fi);
		else
			fuse_reply_open(req, &fi);
		return;
	case FUSE_READ:
	case FUSE_READDIR:
		fi.fh = rd->fh;
		fi.flags = (int)rd->flags;
		if (req->opcode == FUSE_READ && op->read)
			op->read(req, nodeid, rd->size, (off_t)rd->offset, &fi);
		else if (req->opcode == FUSE_READDIR && op->readdir)
			op->readdir(req, nodeid, rd->size, (off_t)rd->offset, &fi);
		else
			break;
		return;
	case FUSE_WRITE:
		if (!op->write)
			break;
		if (len - sizeof(*wr) < wr->size) {
			fuse_reply_err(req, EIO);
			return;
		}
		fi.fh = wr->fh;
		fi.flags = (int)wr->flags;
		fi.writepage = (wr->write_flags & FUSE_WRITE_CACHE) != 0;
		op->write(req, nodeid, arg + sizeof(*wr), wr->size, (off_t)wr->offset, &fi);
		return;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		fi.fh = rel->fh;
		fi.flags = (int)rel->flags;
		fi.flush = (rel->release_flags & FUSE_RELEASE_FLUSH) != 0;
		if (req->opcode == FUSE_RELEASE && op->release)
			op->release(req, nodeid, &fi);
		else if (req->opcode == FUSE_RELEASEDIR && op->releasedir)
			op->releasedir(req, nodeid, &fi);
		else
			fuse_reply_err(req, 0);
		return;
	case FUSE_FLUSH:
		if (!op->flush)
			break;
		fi.fh = ((const struct fuse_flush_in *)arg)->fh;
		fi.flush = 1;
		op->flush(req, nodeid, &fi);
		return;
	case FUSE_FSYNC:
		if (!op->fsync)
			break;
		fi.fh = ((const struct fuse_fsync_in *)arg)->fh;
		op->fsync(req, nodeid, ((const struct fuse_fsync_in *)arg)->fsync_flags & 1, &fi);
		return;
	case FUSE_STATFS:
		if (op->statfs)
			op->statfs(req, nodeid);
		else
			fuse_default_statfs(req);
		return;
	}
	fuse_reply_err(req, ENOSYS);
}

/* One request of len bytes in se->buf. */
static void fuse_process(struct fuse_session *se, size_t len)
{
	const struct fuse_in_header *in = (const void *)se->buf;
	const char *arg = se->buf + sizeof(*in);
	size_t alen;
	fuse_req_t req;

	if (len < sizeof(*in) || in->len != len)
		return; /* not a request: nothing to answer */
	req = se->free_reqs;
	if (req)
		se->free_reqs = req->next_free;
	else
		req = malloc(sizeof(*req));
	if (!req)
		return;
	memset(req, 0, sizeof(*req));
	req->se = se;
	req->unique = in->unique;
	req->opcode = in->opcode;
	req->ctx.uid = in->uid;
	req->ctx.gid = in->gid;
	req->ctx.pid = (pid_t)in->pid;
	alen = len - sizeof(*in);
	if (alen < fuse_arg_size(in->opcode)) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (in->opcode == FUSE_INIT) {
		fuse_do_init(req, (const void *)arg);
		return;
	}
	if (!se->got_init) {
		fuse_reply_err(req, EIO);
		return;
	}
	switch (in->opcode) {
	case FUSE_LOOKUP:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_UNLINK:
	case FUSE_RMDIR:
	case FUSE_RENAME:
	case FUSE_RENAME2:
	case FUSE_CREATE:
		fuse_do_names(req, in->nodeid, arg, alen);
		break;
	default:
		fuse_do_file(req, in->nodeid, arg, alen);
		break;
	}
}

/* ---- sessions ------------------------------------------------------------------ */

struct fuse_session *fuse_session_new(struct fuse_args *args, const struct fuse_lowlevel_ops *op,
				      size_t op_size, void *userdata)
{
	struct fuse_session *se = calloc(1, sizeof(*se));

	if (!se)
		return NULL;
	se->buf = malloc(FUSE_LIB_BUFSIZE);
	if (!se->buf) {
		free(se);
		return NULL;
	}
	memcpy(&se->op, op, op_size < sizeof(se->op) ? op_size : sizeof(se->op));
	se->userdata = userdata;
	se->fd = -1;
	se->fsname = "fuse";
	if (args && args->argc > 0 && args->argv[0]) {
		const char *slash = strrchr(args->argv[0], '/');

		se->fsname = slash ? slash + 1 : args->argv[0];
	}
	return se;
}

int fuse_session_mount(struct fuse_session *se, const char *mountpoint)
{
	char opts[128];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "fuse: cannot open /dev/fuse: %s\n", strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=%u,group_id=%u", fd,
		 (unsigned)getuid(), (unsigned)getgid());
	if (mount(se->fsname, mountpoint, "fuse", 0, opts) != 0) {
		fprintf(stderr, "fuse: cannot mount %s: %s\n", mountpoint, strerror(errno));
		close(fd);
		return -1;
	}
	se->mountpoint = strdup(mountpoint);
	se->fd = fd;
	return 0;
}

int fuse_session_fd(struct fuse_session *se)
{
	return se->fd;
}

int fuse_session_loop(struct fuse_session *se)
{
	int ret = 0;

	while (!se->exited) {
		ssize_t n = read(se->fd, se->buf, FUSE_LIB_BUFSIZE);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno != ENODEV) /* ENODEV: unmounted, the normal end */
				ret = -errno;
			break;
		}
		fuse_process(se, (size_t)n);
	}
	se->exited = 0;
	return ret;
}

void fuse_session_exit(struct fuse_session *se)
{
	se->exited = 1;
}

void fuse_session_unmount(struct fuse_session *se)
{
	if (se->mountpoint) {
		umount2(se->mountpoint, 0); /* fails harmlessly if already unmounted */
		free(se->mountpoint);
		se->mountpoint = NULL;
	}
	if (se->fd >= 0) {
		close(se->fd);
		se->fd = -1;
	}
}

void fuse_session_destroy(struct fuse_session *se)
{
	if (!se)
		return;
	if (se->got_init && se->op.destroy)
		se->op.destroy(se->userdata);
	fuse_session_unmount(se);
	while (se->free_reqs) {
		fuse_req_t req = se->free_reqs;

		se->free_reqs = req->next_free;
		free(req);
	}
	free(se->buf);
	free(se);
}
