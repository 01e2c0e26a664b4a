/*
 * uapi/os/fuse_kernel.h -- the FUSE protocol between the kernel and a
 * filesystem server: Linux FUSE's wire format (<linux/fuse.h>, protocol
 * 7.31), the subset kestrel uses, with the same names, numbers and layouts.
 *
 * Shared word for word by the kernel and the C library (user programs see
 * it as <os/fuse_kernel.h>); only <stdint.h> types.
 *
 * A request is what the server read(2)s from /dev/fuse, always one whole
 * request per read:
 *
 *     struct fuse_in_header   len (of the whole request), opcode, unique,
 *                             nodeid, uid, gid, pid of the caller
 *     the opcode's argument   e.g. struct fuse_read_in, or a name + NUL
 *
 * A reply is one write(2) to /dev/fuse:
 *
 *     struct fuse_out_header  len (of the whole reply), error (0 or a
 *                             negative errno), unique (the request's)
 *     the opcode's result     only when error is 0: e.g. struct
 *                             fuse_entry_out, or the bytes read
 *
 * FORGET gets no reply.  Every structure is a multiple of 8 bytes and has
 * no implicit padding, so the layout is the same for every compiler.
 */
#ifndef UAPI_OS_FUSE_KERNEL_H
#define UAPI_OS_FUSE_KERNEL_H

#include <stdint.h>

#define FUSE_KERNEL_VERSION       7
#define FUSE_KERNEL_MINOR_VERSION 31

#define FUSE_ROOT_ID 1

/* statfs(2)'s f_type of a FUSE mount. */
#define FUSE_SUPER_MAGIC 0x65735546

/* A server's read buffer must hold at least this much (and a request with
 * max_write bytes of data): a smaller read(2) fails with EINVAL. */
#define FUSE_MIN_READ_BUFFER 8192

/* Attributes of a file, as in struct stat. */
struct fuse_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks; /* 512-byte blocks */
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode; /* S_IF* | permission bits */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags;
};

struct fuse_kstatfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
	uint32_t padding;
	uint32_t spare[6];
};

/* fuse_setattr_in.valid: which fields to change. */
#define FATTR_MODE      (1 << 0)
#define FATTR_UID       (1 << 1)
#define FATTR_GID       (1 << 2)
#define FATTR_SIZE      (1 << 3)
#define FATTR_ATIME     (1 << 4)
#define FATTR_MTIME     (1 << 5)
#define FATTR_FH        (1 << 6)
#define FATTR_ATIME_NOW (1 << 7)
#define FATTR_MTIME_NOW (1 << 8)
#define FATTR_LOCKOWNER (1 << 9)
#define FATTR_CTIME     (1 << 10)

/* fuse_open_out.open_flags: what the server wants for this open file. */
#define FOPEN_DIRECT_IO   (1 << 0) /* bypass the page cache */
#define FOPEN_KEEP_CACHE  (1 << 1) /* keep pages cached by earlier opens */
#define FOPEN_NONSEEKABLE (1 << 2)
#define FOPEN_CACHE_DIR   (1 << 3)
#define FOPEN_STREAM      (1 << 4)

/* fuse_init_in/out.flags: capabilities (the kernel offers, the server
 * takes).  kestrel offers ASYNC_READ and BIG_WRITES (O_TRUNC comes as a
 * SETATTR of size 0 after OPEN). */
#define FUSE_ASYNC_READ      (1 << 0)
#define FUSE_POSIX_LOCKS     (1 << 1)
#define FUSE_FILE_OPS        (1 << 2)
#define FUSE_ATOMIC_O_TRUNC  (1 << 3)
#define FUSE_EXPORT_SUPPORT  (1 << 4)
#define FUSE_BIG_WRITES      (1 << 5)
#define FUSE_DONT_MASK       (1 << 6)
#define FUSE_AUTO_INVAL_DATA (1 << 12)
#define FUSE_DO_READDIRPLUS  (1 << 13)
#define FUSE_WRITEBACK_CACHE (1 << 16)
#define FUSE_PARALLEL_DIROPS (1 << 18)
#define FUSE_MAX_PAGES       (1 << 22)

/* fuse_release_in.release_flags */
#define FUSE_RELEASE_FLUSH (1 << 0)

/* fuse_getattr_in.getattr_flags: fh is valid. */
#define FUSE_GETATTR_FH (1 << 0)

/* fuse_write_in.write_flags */
#define FUSE_WRITE_CACHE     (1 << 0)
#define FUSE_WRITE_LOCKOWNER (1 << 1)

/* fuse_fsync_in.fsync_flags: data only (fdatasync). */
#define FUSE_FSYNC_FDATASYNC (1 << 0)

enum fuse_opcode {
	FUSE_LOOKUP = 1,
	FUSE_FORGET = 2, /* no reply */
	FUSE_GETATTR = 3,
	FUSE_SETATTR = 4,
	FUSE_READLINK = 5,
	FUSE_SYMLINK = 6,
	FUSE_MKNOD = 8,
	FUSE_MKDIR = 9,
	FUSE_UNLINK = 10,
	FUSE_RMDIR = 11,
	FUSE_RENAME = 12,
	FUSE_LINK = 13,
	FUSE_OPEN = 14,
	FUSE_READ = 15,
	FUSE_WRITE = 16,
	FUSE_STATFS = 17,
	FUSE_RELEASE = 18,
	FUSE_FSYNC = 20,
	FUSE_SETXATTR = 21,
	FUSE_GETXATTR = 22,
	FUSE_LISTXATTR = 23,
	FUSE_REMOVEXATTR = 24,
	FUSE_FLUSH = 25,
	FUSE_INIT = 26,
	FUSE_OPENDIR = 27,
	FUSE_READDIR = 28,
	FUSE_RELEASEDIR = 29,
	FUSE_FSYNCDIR = 30,
	FUSE_ACCESS = 34,
	FUSE_CREATE = 35,
	FUSE_INTERRUPT = 36,
	FUSE_DESTROY = 38,
	FUSE_BATCH_FORGET = 42,
	FUSE_RENAME2 = 45,
};

/* Requests: argument after the header, by opcode.  LOOKUP, UNLINK and
 * RMDIR: the name, NUL-terminated; GETATTR: fuse_getattr_in; READDIR:
 * fuse_read_in; OPENDIR: fuse_open_in; RELEASEDIR: fuse_release_in;
 * STATFS: nothing. */

struct fuse_entry_out {
	uint64_t nodeid;      /* 0: a negative entry (the name does not exist) */
	uint64_t generation;  /* nodeid's generation: (nodeid, generation) is unique for life */
	uint64_t entry_valid; /* seconds the name may be cached */
	uint64_t attr_valid;  /* seconds the attributes may be cached */
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct fuse_attr attr;
};

struct fuse_forget_in {
	uint64_t nlookup; /* lookups to drop: the count of LOOKUP replies */
};

struct fuse_getattr_in {
	uint32_t getattr_flags;
	uint32_t dummy;
	uint64_t fh;
};

struct fuse_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct fuse_attr attr;
};

/* MKDIR: this, then the name. */
struct fuse_mkdir_in {
	uint32_t mode;
	uint32_t umask;
};

/* MKNOD: this, then the name. */
struct fuse_mknod_in {
	uint32_t mode;
	uint32_t rdev;
	uint32_t umask;
	uint32_t padding;
};

/* RENAME: this, then the old name, then the new name. */
struct fuse_rename_in {
	uint64_t newdir;
};

/* RENAME2: the same with renameat2's flags. */
struct fuse_rename2_in {
	uint64_t newdir;
	uint32_t flags;
	uint32_t padding;
};

/* SETATTR: reply fuse_attr_out. */
struct fuse_setattr_in {
	uint32_t valid; /* FATTR_* */
	uint32_t padding;
	uint64_t fh;
	uint64_t size;
	uint64_t lock_owner;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t unused4;
	uint32_t uid;
	uint32_t gid;
	uint32_t unused5;
};

/* OPEN and OPENDIR: reply fuse_open_out. */
struct fuse_open_in {
	uint32_t flags; /* open(2)'s, without O_CREAT, O_EXCL, O_NOCTTY */
	uint32_t unused;
};

/* CREATE: this, then the name; reply fuse_entry_out then fuse_open_out. */
struct fuse_create_in {
	uint32_t flags;
	uint32_t mode;
	uint32_t umask;
	uint32_t padding;
};

struct fuse_open_out {
	uint64_t fh;         /* the server's handle, sent back with the file's requests */
	uint32_t open_flags; /* FOPEN_* */
	uint32_t padding;
};

/* RELEASE and RELEASEDIR (which the kernel does not wait for): no reply
 * data. */
struct fuse_release_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t release_flags;
	uint64_t lock_owner;
};

struct fuse_flush_in {
	uint64_t fh;
	uint32_t unused;
	uint32_t padding;
	uint64_t lock_owner;
};

/* READ and READDIR: reply at most size bytes (READDIR: fuse_dirents). */
struct fuse_read_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t read_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

/* WRITE: this, then size bytes of data; reply fuse_write_out. */
struct fuse_write_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t write_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

struct fuse_write_out {
	uint32_t size; /* bytes written */
	uint32_t padding;
};

struct fuse_statfs_out {
	struct fuse_kstatfs st;
};

struct fuse_fsync_in {
	uint64_t fh;
	uint32_t fsync_flags;
	uint32_t padding;
};

/* INIT, the first request of every connection: the versions and what
 * each side can do.  A server whose major differs is refused. */
struct fuse_init_in {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
};

struct fuse_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint16_t max_background;
	uint16_t congestion_threshold;
	uint32_t max_write; /* the most data a WRITE may carry */
	uint32_t time_gran;
	uint16_t max_pages;
	uint16_t map_alignment;
	uint32_t unused[8];
};

/* A reply to INIT from a server of protocol 7.5 to 7.22 stops here. */
#define FUSE_COMPAT_22_INIT_OUT_SIZE 24

struct fuse_in_header {
	uint32_t len; /* bytes of the request, this header included */
	uint32_t opcode;
	uint64_t unique; /* the request's id, given back in the reply */
	uint64_t nodeid; /* the node it is about (FUSE_ROOT_ID: the root) */
	uint32_t uid;
	uint32_t gid;
	uint32_t pid; /* the calling process (0: the kernel itself) */
	uint32_t padding;
};

struct fuse_out_header {
	uint32_t len;  /* bytes of the reply, this header included */
	int32_t error; /* 0, or a negative errno (then nothing follows) */
	uint64_t unique;
};

/* A READDIR reply is a run of these, each padded to FUSE_DIRENT_ALIGN. */
struct fuse_dirent {
	uint64_t ino;
	uint64_t off; /* the directory offset of the entry after this one */
	uint32_t namelen;
	uint32_t type; /* DT_*: st_mode's S_IF* bits >> 12 */
	char name[];
};

#define FUSE_NAME_OFFSET     __builtin_offsetof(struct fuse_dirent, name)
#define FUSE_DIRENT_ALIGN(x) (((x) + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1))
#define FUSE_DIRENT_SIZE(d)  FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + (d)->namelen)

#endif
