/*
 * FUSE connections and the /dev/fuse device.
 *
 * A filesystem server mounts itself the way it does on Linux:
 *
 *     fd = open("/dev/fuse", O_RDWR);
 *     mount("name", "/mnt/x", "fuse", 0, "fd=3,rootmode=40000,user_id=0,group_id=0");
 *     loop: read(fd, buf, size)   one request ... write(fd, reply, len)
 *
 * mount(2) (fuse_fs_mount) makes a connection (struct fuse_conn, fuse.h),
 * ties it to that /dev/fuse file (file->priv) and to the new fs (fs->priv),
 * queues INIT and returns: the server itself is the one calling mount, so
 * it cannot answer INIT before mount returns.  Every other request waits
 * for INIT's reply (init_wait) before it is queued, as on Linux.
 *
 * The life of a request (fuse_ops.c builds it, on its caller's stack):
 *
 *   fuse_request_send  numbered (unique), on `pending`, server woken;
 *                      the caller sleeps on req->wait
 *   server read(2)     fuse_dev_read takes the first pending request,
 *                      copies header and arguments to the server and moves
 *                      it to `processing` (FORGET ends here: no reply)
 *   server write(2)    (or writev: header and data from where they are)
 *                      fuse_dev_write checks the reply (its length against
 *                      the header and what the opcode expects, the error
 *                      range), finds the request by unique id in
 *                      `processing`, copies the result into the caller's
 *                      buffers, marks it DONE and wakes the caller
 *
 * A reply that fails the checks is refused with EINVAL and a console line
 * naming what was wrong; one whose unique id is unknown leaves every
 * request alone, one of the wrong size for a known request fails that
 * request with EIO (as Linux does).
 *
 * poll(2) of /dev/fuse: readable while a request is pending (a server can
 * wait for requests with poll, as libfuse's loop can), always writable.
 *
 * The end: when the server's /dev/fuse file is released (the server
 * closed it, exited or was killed: exit closes every descriptor) or the fs
 * is unmounted, fuse_conn_abort ends every pending and processing request
 * with -ENOTCONN and wakes its caller; later requests fail at once, and a
 * server still reading gets ENODEV (after an unmount: the session loop's
 * normal end).  The connection itself is freed when the last of its
 * holders (the device file, the fs, callers in the middle of a request)
 * lets go.
 *
 * Locking: see fuse.h.  Copies to and from the server's memory happen with
 * interrupts off, so an abort can never free a caller's buffers under the
 * copy.
 */
#include "fs/fuse.h"
#include <errno.h>
#include "fs/devfs.h"
#include "fs/fdtable.h"
#include "fs/poll.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "proc/proc.h"

/* The largest error a reply may carry (Linux refuses -512 and beyond,
 * the kernel-internal restart codes). */
#define FUSE_ERRNO_MAX 511

static const struct file_ops fuse_dev_fops;
static struct fs_type fuse_fs_type;
static int fuse_next_conn_id = 1;

/* ---- connections ----------------------------------------------------------- */

static struct fuse_conn *fuse_conn_new(void)
{
	struct fuse_conn *c = kcalloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = fuse_next_conn_id++;
	c->refs = 1;
	c->connected = true;
	c->conn_error = -ENOTCONN;
	c->next_unique = 1;
	c->max_write = 4096;
	list_init(&c->pending);
	list_init(&c->processing);
	list_init(&c->retained);
	waitq_init(&c->server_wait, "fuse server");
	waitq_init(&c->init_wait, "fuse init");
	return c;
}

struct fuse_conn *fuse_conn_get(struct inode *ino)
{
	uint64_t flags = irq_save();
	struct fuse_conn *c = ino->fs->priv;

	if (c)
		c->refs++;
	irq_restore(flags);
	return c;
}

void fuse_conn_put(struct fuse_conn *c)
{
	uint64_t flags = irq_save();
	bool last = --c->refs == 0;

	irq_restore(flags);
	if (last)
		kfree(c);
}

/*
 * End req with error (interrupts off): off its list, and then either woken
 * (a caller waits on it), handed to its end function, or freed.
 */
static void fuse_req_end(struct fuse_conn *c, struct fuse_req *req, int error)
{
	list_remove(&req->node);
	c->outstanding--;
	req->error = error;
	req->state = FUSE_REQ_DONE;
	if (req->end)
		req->end(c, req);
	else
		wait_wake_all(&req->wait);
}

/* End every request with the connection's error and wake everyone. */
static void fuse_conn_abort(struct fuse_conn *c, const char *why)
{
	uint64_t flags = irq_save();
	struct list_node *n;

	/* BEGIN STAGE fuse: once: end every pending and processing request with conn_error, wake the server and INIT waiters */
	if (c->connected) {
		c->connected = false;
		while ((n = list_first(&c->pending)))
			fuse_req_end(c, list_entry(n, struct fuse_req, node), c->conn_error);
		while ((n = list_first(&c->processing)))
			fuse_req_end(c, list_entry(n, struct fuse_req, node), c->conn_error);
		wait_wake_all(&c->server_wait);
		wait_wake_all(&c->init_wait);
		kprintf("fuse: connection %d closed (%s): %llu requests, %llu READs, "
			"at most %d outstanding\n",
			c->id, why, (unsigned long long)c->nrequests, (unsigned long long)c->nreads,
			c->max_outstanding);
	}
	/* STUB
	(void)n, (void)why;
	c->connected = false;
	END STAGE fuse */
	irq_restore(flags);
}

/* ---- requests -------------------------------------------------------------- */

void fuse_req_init(struct fuse_req *req, uint32_t opcode, uint64_t nodeid)
{
	struct proc *p = proc_current();

	/* Every field but the argument arrays, of which nin and nout say what
	 * is used: clearing them would cost more than the rest of a READ
	 * request's setup. */
	list_node_init(&req->node);
	memset(&req->in, 0, sizeof(req->in));
	req->nin = req->nout = 0;
	req->out_var = req->noreply = false;
	req->out_len = 0;
	req->error = 0;
	req->state = FUSE_REQ_NEW;
	req->end = NULL;
	req->in.opcode = opcode;
	req->in.nodeid = nodeid;
	req->in.pid = p ? (uint32_t)p->pid : 0;
	waitq_init(&req->wait, "fuse request");
}

/* Number req and put it on the pending list (interrupts off). */
static void fuse_req_queue(struct fuse_conn *c, struct fuse_req *req)
{
	uint32_t len = sizeof(req->in);

	for (int i = 0; i < req->nin; i++)
		len += (uint32_t)req->in_args[i].size;
	req->in.len = len;
	req->in.unique = c->next_unique++;
	req->state = FUSE_REQ_PENDING;
	list_push_back(&c->pending, &req->node);
	c->nrequests++;
	if (req->in.opcode == FUSE_READ)
		c->nreads++;
	if (++c->outstanding > c->max_outstanding)
		c->max_outstanding = c->outstanding;
	wait_wake_all(&c->server_wait);
}

int fuse_request_send(struct fuse_conn *c, struct fuse_req *req)
{
	uint64_t flags = irq_save();

	while (req->in.opcode != FUSE_INIT && c->connected && !c->initialized)
		wait_sleep(&c->init_wait);
	if (!c->connected) {
		irq_restore(flags);
		return c->conn_error;
	}
	fuse_req_queue(c, req);
	/* From here on the connection may be freed under us (an abort ends
	 * the request first): only req is touched. */
	while (req->state != FUSE_REQ_DONE)
		wait_sleep(&req->wait);
	irq_restore(flags);
	return req->error;
}

static void fuse_req_free(struct fuse_conn *c, struct fuse_req *req)
{
	(void)c;
	kfree(req);
}

void fuse_request_send_async(struct fuse_conn *c, struct fuse_req *req)
{
	uint64_t flags = irq_save();

	if (!c->connected) {
		req->error = c->conn_error;
		req->state = FUSE_REQ_DONE;
		if (req->end)
			req->end(c, req);
		else
			kfree(req);
	} else {
		if (!req->end)
			req->end = fuse_req_free;
		fuse_req_queue(c, req);
	}
	irq_restore(flags);
}

/* ---- the device ------------------------------------------------------------ */

static const char *fuse_opcode_name(uint32_t op)
{
	static const char *const names[] = {
		[FUSE_LOOKUP] = "LOOKUP",   [FUSE_FORGET] = "FORGET",
		[FUSE_GETATTR] = "GETATTR", [FUSE_SETATTR] = "SETATTR",
		[FUSE_MKNOD] = "MKNOD",     [FUSE_MKDIR] = "MKDIR",
		[FUSE_UNLINK] = "UNLINK",   [FUSE_RMDIR] = "RMDIR",
		[FUSE_RENAME] = "RENAME",   [FUSE_OPEN] = "OPEN",
		[FUSE_READ] = "READ",       [FUSE_WRITE] = "WRITE",
		[FUSE_STATFS] = "STATFS",   [FUSE_RELEASE] = "RELEASE",
		[FUSE_FSYNC] = "FSYNC",     [FUSE_FLUSH] = "FLUSH",
		[FUSE_INIT] = "INIT",       [FUSE_OPENDIR] = "OPENDIR",
		[FUSE_READDIR] = "READDIR", [FUSE_RELEASEDIR] = "RELEASEDIR",
		[FUSE_CREATE] = "CREATE",   [FUSE_RENAME2] = "RENAME2",
	};

	return op < ARRAY_SIZE(names) && names[op] ? names[op] : "?";
}

/* Requests up to this size are assembled on the stack and copied out in
 * one go: each copy to user memory walks the page tables. */
#define FUSE_SMALL_REQUEST 512

/* Copy req (header, then each argument) to the server's buffer. */
static int fuse_copy_request(const struct fuse_req *req, const struct vbuf *buf)
{
	size_t off = sizeof(req->in);

	if (req->in.len <= FUSE_SMALL_REQUEST) {
		uint8_t small[FUSE_SMALL_REQUEST];

		memcpy(small, &req->in, sizeof(req->in));
		for (int i = 0; i < req->nin; i++) {
			memcpy(small + off, req->in_args[i].ptr, req->in_args[i].size);
			off += req->in_args[i].size;
		}
		return vbuf_to(buf, 0, small, off) ? -EFAULT : 0;
	}

	if (vbuf_to(buf, 0, &req->in, sizeof(req->in)) != 0)
		return -EFAULT;
	for (int i = 0; i < req->nin; i++) {
		if (vbuf_to(buf, off, req->in_args[i].ptr, req->in_args[i].size) != 0)
			return -EFAULT;
		off += req->in_args[i].size;
	}
	return 0;
}

/* Copy len bytes of result from the server's buffer (after the header)
 * into req's out pieces, in order. */
static int fuse_copy_reply(struct fuse_req *req, const struct vbuf *buf, size_t len)
{
	size_t off = sizeof(struct fuse_out_header);

	for (int i = 0; i < req->nout && len > 0; i++) {
		size_t n = MIN(len, req->out_args[i].size);

		if (vbuf_from(buf, off, req->out_args[i].ptr, n) != 0)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

static int64_t fuse_dev_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct fuse_conn *c = f->priv;
	struct fuse_req *req;
	uint64_t flags;
	int err;

	(void)pos;
	if (!c)
		return -EPERM; /* not mounted yet, as Linux */
	if (count < MAX(FUSE_MIN_READ_BUFFER, sizeof(struct fuse_in_header) +
						      sizeof(struct fuse_write_in) + c->max_write))
		return -EINVAL;
	/* BEGIN STAGE fuse: wait for a pending request, copy it to the server, and keep it on processing until its reply */
	flags = irq_save();
	while (c->connected && list_empty(&c->pending)) {
		if (f->flags & O_NONBLOCK) {
			irq_restore(flags);
			return -EAGAIN;
		}
		if (wait_interrupted()) { /* a server must die of SIGKILL while idle */
			irq_restore(flags);
			return -EINTR;
		}
		wait_sleep(&c->server_wait);
	}
	if (!c->connected) {
		irq_restore(flags);
		return -ENODEV;
	}
	req = list_entry(list_pop_front(&c->pending), struct fuse_req, node);
	err = req->in.len > count ? -EIO : fuse_copy_request(req, buf);
	if (err) {
		fuse_req_end(c, req, -EIO);
	} else if (req->noreply) {
		fuse_req_end(c, req, 0);
	} else {
		req->state = FUSE_REQ_SENT;
		list_push_back(&c->processing, &req->node);
	}
	irq_restore(flags);
	return err ? err : (int64_t)req->in.len;
	/* STUB
	(void)req, (void)flags, (void)err, (void)fuse_copy_request, (void)buf;
	return -ENOSYS;
	END STAGE fuse */
}

static struct fuse_req *fuse_find_processing(struct fuse_conn *c, uint64_t unique)
{
	list_for_each(n, &c->processing) {
		struct fuse_req *req = list_entry(n, struct fuse_req, node);

		if (req->in.unique == unique)
			return req;
	}
	return NULL;
}

static size_t fuse_out_size(const struct fuse_req *req)
{
	size_t size = 0;

	for (int i = 0; i < req->nout; i++)
		size += req->out_args[i].size;
	return size;
}

/*
 * A reply for req (interrupts off): check its size, copy it in and end the
 * request.  A reply of the wrong size fails the request with EIO.
 */
static int fuse_take_reply(struct fuse_conn *c, struct fuse_req *req,
			   const struct fuse_out_header *oh, const struct vbuf *buf)
{
	size_t len = oh->len - sizeof(*oh);
	size_t want = oh->error ? 0 : fuse_out_size(req);
	int err;

	if (len > want || (len < want && !req->out_var)) {
		kprintf("fuse: connection %d: reply of %zu bytes to %s (unique %llu) rejected: "
			"expected %s%zu\n",
			c->id, len, fuse_opcode_name(req->in.opcode),
			(unsigned long long)oh->unique, req->out_var ? "at most " : "", want);
		fuse_req_end(c, req, -EIO);
		return -EINVAL;
	}
	err = fuse_copy_reply(req, buf, len);
	req->out_len = len;
	fuse_req_end(c, req, err ? -EIO : oh->error);
	return err;
}

static int64_t fuse_dev_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct fuse_conn *c = f->priv;
	struct fuse_out_header oh;
	struct fuse_req *req;
	uint64_t flags;
	int err;

	(void)pos;
	if (!c)
		return -EPERM;
	if (count < sizeof(oh)) {
		kprintf("fuse: connection %d: reply of %zu bytes rejected: shorter than its "
			"header\n",
			c->id, count);
		return -EINVAL;
	}
	/* BEGIN STAGE fuse: check the reply header (length, error range), find its request by unique id, take it */
	if (vbuf_from(buf, 0, &oh, sizeof(oh)) != 0)
		return -EFAULT;
	if (oh.len != count) {
		kprintf("fuse: connection %d: reply rejected: its header says %u bytes, "
			"write(2) gave %zu\n",
			c->id, oh.len, count);
		return -EINVAL;
	}
	if (oh.error > 0 || oh.error < -FUSE_ERRNO_MAX) {
		kprintf("fuse: connection %d: reply rejected: error %d out of range\n", c->id,
			oh.error);
		return -EINVAL;
	}
	flags = irq_save();
	if (!c->connected) {
		irq_restore(flags);
		return -ENODEV;
	}
	req = oh.unique ? fuse_find_processing(c, oh.unique) : NULL;
	if (!req) {
		irq_restore(flags);
		kprintf("fuse: connection %d: reply to unknown request %llu rejected\n", c->id,
			(unsigned long long)oh.unique);
		return -EINVAL;
	}
	err = fuse_take_reply(c, req, &oh, buf);
	irq_restore(flags);
	return err ? err : (int64_t)count;
	/* STUB
	(void)oh, (void)req, (void)flags, (void)err, (void)fuse_find_processing, (void)fuse_take_reply,
		(void)buf;
	return -ENOSYS;
	END STAGE fuse */
}

/* The server's file is gone: so is the server, for all we know. */
static void fuse_dev_release(struct file *f)
{
	struct fuse_conn *c = f->priv;

	if (!c)
		return;
	fuse_conn_abort(c, "the server closed /dev/fuse");
	fuse_conn_put(c);
}

/* Readable with a request pending, always writable (a reply never waits),
 * POLLERR before the mount and once the connection is gone (as Linux). */
static unsigned fuse_dev_poll(struct file *f, struct poll_table *pt)
{
	struct fuse_conn *c = f->priv;
	unsigned mask = POLLOUT | POLLWRNORM;
	uint64_t flags;

	if (!c)
		return POLLERR;
	poll_wait(pt, &c->server_wait);
	flags = irq_save();
	if (!c->connected)
		mask = POLLERR;
	else if (!list_empty(&c->pending))
		mask |= POLLIN | POLLRDNORM;
	irq_restore(flags);
	return mask;
}

static const struct file_ops fuse_dev_fops = {
	.read = fuse_dev_read,
	.write = fuse_dev_write,
	.release = fuse_dev_release,
	.poll = fuse_dev_poll,
	.read_unchecked = true,  /* a request the copy fails on ends with EIO */
	.write_unchecked = true, /* so does a reply */
	.whole_vector = true,    /* a writev is one reply: header, then data */
};

/* ---- INIT -------------------------------------------------------------------- */

struct fuse_init_req {
	struct fuse_req req;
	struct fuse_init_in in;
	struct fuse_init_out out;
};

/* INIT's reply (interrupts off): check the protocol, take the limits. */
static void fuse_init_end(struct fuse_conn *c, struct fuse_req *req)
{
	struct fuse_init_req *ir = (struct fuse_init_req *)req;
	struct fuse_init_out *out = &ir->out;

	if (req->error == 0 && (req->out_len < FUSE_COMPAT_22_INIT_OUT_SIZE ||
				out->major != FUSE_KERNEL_VERSION || out->minor < 12))
		req->error = -EPROTO;
	if (req->error && !c->connected) {
		kfree(ir); /* aborted: the connection's error stays */
		return;
	}
	if (req->error) {
		kprintf("fuse: connection %d: INIT failed (error %d, protocol %u.%u)\n", c->id,
			req->error, out->major, out->minor);
		kfree(ir);
		c->conn_error = -ECONNREFUSED;
		fuse_conn_abort(c, "INIT refused");
		return;
	}
	c->minor = MIN(out->minor, FUSE_KERNEL_MINOR_VERSION);
	c->init_flags = out->flags & ir->in.flags;
	if (req->out_len >= offsetof(struct fuse_init_out, time_gran) && out->max_write)
		c->max_write = MIN(MAX(out->max_write, 4096u), FUSE_MAX_IO);
	if (!(c->init_flags & FUSE_BIG_WRITES))
		c->max_write = 4096;
	c->initialized = true;
	wait_wake_all(&c->init_wait);
	kfree(ir);
}

static int fuse_send_init(struct fuse_conn *c)
{
	struct fuse_init_req *ir = kcalloc(1, sizeof(*ir));

	if (!ir)
		return -ENOMEM;
	fuse_req_init(&ir->req, FUSE_INIT, 0);
	ir->in.major = FUSE_KERNEL_VERSION;
	ir->in.minor = FUSE_KERNEL_MINOR_VERSION;
	ir->in.max_readahead = FUSE_MAX_IO;
	ir->in.flags = FUSE_ASYNC_READ | FUSE_BIG_WRITES;
	fuse_req_in(&ir->req, &ir->in, sizeof(ir->in));
	fuse_req_out(&ir->req, &ir->out, sizeof(ir->out));
	ir->req.out_var = true;
	ir->req.end = fuse_init_end;
	fuse_request_send_async(c, &ir->req);
	return 0;
}

/* ---- mount(2) ---------------------------------------------------------------- */

struct fuse_mount_opts {
	int fd;
	uint32_t rootmode;
	bool has_fd, has_rootmode, has_uid, has_gid;
};

/* The number after "key=" in opt, in base; false if opt is not key=N. */
static bool fuse_opt_num(const char *opt, size_t len, const char *key, int base, uint64_t *val)
{
	size_t klen = strlen(key);
	uint64_t v = 0;

	if (len <= klen || strncmp(opt, key, klen) != 0)
		return false;
	for (size_t i = klen; i < len; i++) {
		int d = opt[i] - '0';

		if (d < 0 || d >= base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
		if (v > 0xffffffffu)
			return false;
	}
	*val = v;
	return true;
}

/* "fd=N,rootmode=M,user_id=U,group_id=G[,max_read=N,allow_other,
 * default_permissions]": all four of the first are needed, as on Linux. */
static int fuse_parse_opts(const char *data, struct fuse_mount_opts *o)
{
	memset(o, 0, sizeof(*o));
	while (data && *data) {
		const char *comma = strchr(data, ',');
		size_t len = comma ? (size_t)(comma - data) : strlen(data);
		uint64_t v;

		if (fuse_opt_num(data, len, "fd=", 10, &v)) {
			o->fd = (int)v;
			o->has_fd = true;
		} else if (fuse_opt_num(data, len, "rootmode=", 8, &v)) {
			o->rootmode = (uint32_t)v;
			o->has_rootmode = true;
		} else if (fuse_opt_num(data, len, "user_id=", 10, &v)) {
			o->has_uid = true;
		} else if (fuse_opt_num(data, len, "group_id=", 10, &v)) {
			o->has_gid = true;
		} else if (!fuse_opt_num(data, len, "max_read=", 10, &v) &&
			   !(len == 11 && strncmp(data, "allow_other", len) == 0) &&
			   !(len == 19 && strncmp(data, "default_permissions", len) == 0)) {
			return -EINVAL;
		}
		data += len + (comma ? 1 : 0);
	}
	if (!o->has_fd || !o->has_rootmode || !o->has_uid || !o->has_gid)
		return -EINVAL;
	if (!S_ISDIR(o->rootmode))
		return -EINVAL;
	return 0;
}

/* The connection's end from the fs side: unmounted. */
static void fuse_fs_kill(struct fs *fs)
{
	struct fuse_conn *c = fs->priv;
	uint64_t flags = irq_save();

	fs->priv = NULL; /* evict, later, finds no connection */
	irq_restore(flags);
	fuse_conn_abort(c, "unmounted");
	fuse_drop_retained(c);
	fuse_conn_put(c);
}

static int fuse_fs_mount(const char *source, const char *data, unsigned long mflags,
			 struct fs **out)
{
	struct fuse_mount_opts o;
	struct fuse_conn *c;
	struct file *f;
	struct fs *fs;
	int err;

	(void)source, (void)mflags;
	err = fuse_parse_opts(data, &o);
	if (err)
		return err;
	f = fd_get(o.fd);
	if (!f)
		return -EBADF;
	if (f->ops != &fuse_dev_fops || f->priv) {
		file_put(f);
		return -EINVAL;
	}
	c = fuse_conn_new();
	fs = c ? fs_alloc(&fuse_fs_type) : NULL;
	if (fs)
		fs->root = fuse_inode_root(fs, o.rootmode);
	if (!fs || !fs->root) {
		kfree(fs);
		kfree(c);
		file_put(f);
		return -ENOMEM;
	}
	err = fuse_send_init(c);
	if (err) {
		inode_put(fs->root);
		kfree(fs);
		kfree(c);
		file_put(f);
		return err;
	}
	c->refs = 2; /* the device file and the fs */
	f->priv = c;
	fs->priv = c;
	fs->kill = fuse_fs_kill;
	file_put(f); /* the file's end, not the mount, is the server's end */
	*out = fs;
	return 0;
}

static struct fs_type fuse_fs_type = {
	.name = "fuse",
	.mount = fuse_fs_mount,
};

void fuse_init(void)
{
	int err = devfs_register("fuse", S_IFCHR | 0666, &fuse_dev_fops, NULL);

	if (err)
		kprintf("fuse: cannot make /dev/fuse (%d)\n", err);
	vfs_register_type(&fuse_fs_type);
}
