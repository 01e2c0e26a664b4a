/*
 * FUSE: filesystems served by user programs.  The protocol is Linux's
 * (<uapi/os/fuse_kernel.h>); fuse.c is the connection and the /dev/fuse
 * device, fuse_ops.c turns VFS operations into requests, pcache.c keeps
 * file data.  This header is what the three share (and fuse_init, which
 * vfs_init calls).
 *
 * A connection (struct fuse_conn) is one server's /dev/fuse file mounted
 * somewhere.  A request (struct fuse_req) is built by its caller, usually
 * on the caller's stack: a header and up to FUSE_MAX_ARGS pieces of
 * argument in kernel memory, and the pieces of kernel memory the reply's
 * result goes to.  fuse_request_send queues it, wakes the server and puts
 * the caller to sleep on the request's own wait queue until the server's
 * reply (matched by its unique id) has been copied in, or the connection
 * is gone.
 *
 * Locking: one CPU; a connection's lists and a queued request change with
 * interrupts off, and the device copies a request to or from the server's
 * memory with interrupts off too, so a caller's buffers are never touched
 * after its request has ended.
 */
#ifndef FS_FUSE_H
#define FS_FUSE_H

#include <types.h>
#include <uapi/os/fuse_kernel.h>
#include "fs/vfs.h"
#include "lib/list.h"
#include "lib/wait.h"

/* Pieces of a request or reply: a page-sized READ/WRITE of up to
 * FUSE_MAX_PAGES pages, plus its header struct. */
#define FUSE_MAX_PAGES_PER_REQ 16
#define FUSE_MAX_ARGS          (FUSE_MAX_PAGES_PER_REQ + 2)
/* The most data one READ or WRITE carries. */
#define FUSE_MAX_IO (FUSE_MAX_PAGES_PER_REQ * 4096)

struct fuse_arg {
	void *ptr;
	size_t size;
};

#define FUSE_DCACHE_BUCKETS 64

struct fuse_dentry;

enum fuse_req_state {
	FUSE_REQ_NEW,
	FUSE_REQ_PENDING, /* queued, not yet read by the server */
	FUSE_REQ_SENT,    /* read by the server, waiting for its reply */
	FUSE_REQ_DONE,    /* replied to, or failed */
};

struct fuse_conn;
struct fuse_req;

/* Called (interrupts off) when a request sent without waiting has ended;
 * it owns the request (kfree it). */
typedef void fuse_end_fn(struct fuse_conn *c, struct fuse_req *req);

/* fuse_req_init sets every field but in_args and out_args: a new field
 * must be set there too. */
struct fuse_req {
	struct list_node node; /* in the connection's pending or processing list */
	struct fuse_in_header in;
	int nin, nout;
	struct fuse_arg in_args[FUSE_MAX_ARGS];
	struct fuse_arg out_args[FUSE_MAX_ARGS];
	bool out_var;   /* the reply may be shorter than out_args (READ, READDIR) */
	bool noreply;   /* FORGET: ends once the server has read it */
	size_t out_len; /* bytes of result the reply carried */
	int error;      /* 0 or -errno, once DONE */
	enum fuse_req_state state;
	struct waitq wait; /* its caller sleeps here */
	fuse_end_fn *end;  /* sent without waiting: called at the end */
};

struct fuse_conn {
	int id;           /* for messages: "fuse: connection 1 ..." */
	int refs;         /* the server's /dev/fuse file, the mounted fs, callers */
	bool connected;   /* false once the server is gone or the fs unmounted */
	bool initialized; /* INIT's reply has come */
	int conn_error;   /* what requests get when !connected */
	uint64_t next_unique;
	struct list pending;      /* requests for the server to read, in order */
	struct list processing;   /* read by the server, waiting for a reply */
	struct waitq server_wait; /* the server's read(2) sleeps here */
	struct waitq init_wait;   /* requests wait here for INIT's reply */
	/* What INIT negotiated. */
	uint32_t minor;
	uint32_t max_write;
	uint32_t init_flags;
	bool no_flush, no_fsync; /* the server said ENOSYS */
	/* Cached files no longer in use, not yet forgotten, and the names
	 * looked up, trusted for the reply's entry_valid (fuse_ops.c). */
	struct list retained;
	int nretained;
	struct fuse_dentry *dcache[FUSE_DCACHE_BUCKETS];
	int ndentries;
	/* Counters, printed when the connection closes. */
	uint64_t nrequests;
	uint64_t nreads; /* READ requests */
	int outstanding, max_outstanding;
};

/* Once at boot, from vfs_init: /dev/fuse and the "fuse" filesystem type. */
void fuse_init(void);

/* Set up a request for opcode on node nodeid, from the current process. */
void fuse_req_init(struct fuse_req *req, uint32_t opcode, uint64_t nodeid);
static inline void fuse_req_in(struct fuse_req *req, const void *ptr, size_t size)
{
	req->in_args[req->nin++] = (struct fuse_arg){ (void *)ptr, size };
}
static inline void fuse_req_out(struct fuse_req *req, void *ptr, size_t size)
{
	req->out_args[req->nout++] = (struct fuse_arg){ ptr, size };
}

/*
 * Send req and sleep until it is answered: its error (0 or -errno from the
 * server), -ENOTCONN if the server is gone, -EIO for a malformed reply.
 * Waits for INIT's reply first.  May sleep.
 */
int fuse_request_send(struct fuse_conn *c, struct fuse_req *req);
/* Queue a kmalloc'd req without waiting; req->end (or kfree, if NULL)
 * disposes of it when it has ended.  Never sleeps. */
void fuse_request_send_async(struct fuse_conn *c, struct fuse_req *req);

/* The connection of a FUSE inode, with a reference, or NULL once its fs is
 * unmounted. */
struct fuse_conn *fuse_conn_get(struct inode *ino);
void fuse_conn_put(struct fuse_conn *c);

/* fuse_ops.c: the root inode of a new FUSE fs; dropping the retained
 * files' pages at unmount (interrupts on, never sleeps). */
struct inode *fuse_inode_root(struct fs *fs, uint32_t rootmode);
void fuse_drop_retained(struct fuse_conn *c);

#endif
