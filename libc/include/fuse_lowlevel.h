/*
 * <fuse_lowlevel.h>: write a filesystem server for kestrel, libfuse 3's
 * low-level API (a subset, the same names and signatures).
 *
 * A server fills a struct fuse_lowlevel_ops with callbacks, makes a
 * session, mounts it and runs the session loop:
 *
 *     static const struct fuse_lowlevel_ops ops = {
 *         .lookup = my_lookup, .getattr = my_getattr, .read = my_read, ...
 *     };
 *     int main(int argc, char *argv[]) {
 *         struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
 *         struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
 *         if (!se || fuse_session_mount(se, "/mnt/hello") != 0)
 *             return 1;
 *         int ret = fuse_session_loop(se);
 *         fuse_session_unmount(se);
 *         fuse_session_destroy(se);
 *         return ret ? 1 : 0;
 *     }
 *
 * fuse_session_mount opens /dev/fuse and calls mount(2) with
 * "fd=N,rootmode=40000,user_id=0,group_id=0", as libfuse does.  The loop
 * reads one request at a time from the device, calls the callback for its
 * opcode and returns when the filesystem is unmounted (0) or the device
 * fails (-errno).  Every callback must answer its request exactly once with
 * one of the fuse_reply_* functions (forget: fuse_reply_none), during the
 * callback or later (a fuse_req_t stays valid until it is answered, so a
 * server may hold a request and answer others first).  A callback left
 * NULL answers ENOSYS, except as in libfuse: open and opendir succeed with
 * fh 0, release, releasedir and forget succeed, getattr of the root says
 * "a directory, 0755", statfs reports an empty filesystem, init accepts
 * what the kernel offers.  Node ids are the server's: FUSE_ROOT_ID (1) is
 * the root, any other is a number the server gave in a fuse_entry_param;
 * the kernel sends FORGET with the number of lookups to drop when it no
 * longer needs one (it keeps up to 64 unused nodes of a mount, with their
 * cached pages, before forgetting the oldest).
 *
 * Caching: the kernel keeps a file's data in its page cache across opens
 * when open's reply sets keep_cache, drops it at open otherwise, and
 * bypasses it for direct_io; attributes and names are trusted for the
 * timeouts given.  Writes are sent at once (write-through), at most
 * conn->max_write bytes each.  O_TRUNC arrives as a setattr of size 0
 * after open.  fuse_conn_info's capable and want are the FUSE_* flags of
 * <os/fuse_kernel.h> (FUSE_ASYNC_READ, FUSE_BIG_WRITES, ...).
 *
 * The protocol under it is <os/fuse_kernel.h>, Linux FUSE's wire format;
 * the library is libc/src/fuse/fuse_lowlevel.c, the example server
 * user/hellofs.c.
 */
#ifndef _FUSE_LOWLEVEL_H
#define _FUSE_LOWLEVEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FUSE_ROOT_ID 1

typedef uint64_t fuse_ino_t;
typedef struct fuse_req *fuse_req_t;
struct fuse_session;

/* argc/argv for fuse_session_new (kept for libfuse compatibility; no
 * options are parsed). */
struct fuse_args {
	int argc;
	char **argv;
	int allocated;
};
#define FUSE_ARGS_INIT(argc, argv) \
	{                          \
		argc, argv, 0      \
	}

/* What lookup, mkdir and create reply: the node and its attributes. */
struct fuse_entry_param {
	fuse_ino_t ino;
	uint64_t generation;
	struct stat attr;
	double attr_timeout;  /* seconds the kernel may cache attr */
	double entry_timeout; /* seconds the kernel may cache the name */
};

/* An open file, between open/create and release. */
struct fuse_file_info {
	int flags; /* open(2)'s flags */
	unsigned int writepage : 1;
	unsigned int direct_io : 1;  /* reply: bypass the kernel's page cache */
	unsigned int keep_cache : 1; /* reply: keep cached pages from earlier opens */
	unsigned int flush : 1;
	unsigned int nonseekable : 1;
	unsigned int padding : 27;
	uint64_t fh; /* the server's handle, given back in later requests */
	uint64_t lock_owner;
};

/* What the caller of a request is. */
struct fuse_ctx {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	mode_t umask;
};

struct fuse_conn_info {
	unsigned proto_major, proto_minor;
	unsigned max_write, max_read, max_readahead;
	unsigned capable, want;
};

/* setattr's to_set bits. */
#define FUSE_SET_ATTR_MODE      (1 << 0)
#define FUSE_SET_ATTR_UID       (1 << 1)
#define FUSE_SET_ATTR_GID       (1 << 2)
#define FUSE_SET_ATTR_SIZE      (1 << 3)
#define FUSE_SET_ATTR_ATIME     (1 << 4)
#define FUSE_SET_ATTR_MTIME     (1 << 5)
#define FUSE_SET_ATTR_ATIME_NOW (1 << 7)
#define FUSE_SET_ATTR_MTIME_NOW (1 << 8)
#define FUSE_SET_ATTR_CTIME     (1 << 10)

struct fuse_lowlevel_ops {
	void (*init)(void *userdata, struct fuse_conn_info *conn);
	void (*destroy)(void *userdata);
	void (*lookup)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*forget)(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
	void (*getattr)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*setattr)(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi);
	void (*mknod)(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
	void (*mkdir)(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
	void (*unlink)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*rmdir)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*rename)(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		       const char *newname, unsigned int flags);
	void (*open)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*read)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi);
	void (*write)(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi);
	void (*flush)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*release)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*fsync)(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
	void (*opendir)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*readdir)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi);
	void (*releasedir)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
	void (*statfs)(fuse_req_t req, fuse_ino_t ino);
	void (*create)(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       struct fuse_file_info *fi);
};

/* Replies: each returns 0, or -errno if the reply could not be sent. */
int fuse_reply_err(fuse_req_t req, int err); /* err: a positive errno, or 0 */
void fuse_reply_none(fuse_req_t req);        /* forget only */
int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);
int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
		      const struct fuse_file_info *fi);
int fuse_reply_attr(fuse_req_t req, const struct stat *attr, double attr_timeout);
int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);
int fuse_reply_write(fuse_req_t req, size_t count);
int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size);
/* read's data in count pieces (at most 64), sent from where they lie: a
 * server can answer straight from its own memory without copying. */
int fuse_reply_iov(fuse_req_t req, const struct iovec *iov, int count);
int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf);

/*
 * Add one directory entry to a readdir reply being built in buf[bufsize]:
 * returns the bytes it takes (FUSE_DIRENT_ALIGN'd); if that is more than
 * bufsize nothing was written, and the caller stops and replies with what
 * it has.  With buf NULL it only measures.  off is the offset of the next
 * entry; only the st_ino and the type bits of st_mode are used.
 */
size_t fuse_add_direntry(fuse_req_t req, char *buf, size_t bufsize, const char *name,
			 const struct stat *stbuf, off_t off);

void *fuse_req_userdata(fuse_req_t req);
const struct fuse_ctx *fuse_req_ctx(fuse_req_t req);

struct fuse_session *fuse_session_new(struct fuse_args *args, const struct fuse_lowlevel_ops *op,
				      size_t op_size, void *userdata);
int fuse_session_mount(struct fuse_session *se, const char *mountpoint);
/* The /dev/fuse descriptor of a mounted session. */
int fuse_session_fd(struct fuse_session *se);
int fuse_session_loop(struct fuse_session *se);
/* End the loop after the request being handled (from a callback). */
void fuse_session_exit(struct fuse_session *se);
void fuse_session_unmount(struct fuse_session *se);
void fuse_session_destroy(struct fuse_session *se);

#ifdef __cplusplus
}
#endif

#endif
