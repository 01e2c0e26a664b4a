/*
 * The virtual filesystem: one tree of names over several filesystems.
 *
 * A filesystem instance (struct fs) is mounted at a path; the mount table
 * maps canonical absolute paths ("/", "/dev", "/proc", "/mnt/hello") to the
 * root inodes of their filesystems.  Four kinds exist:
 *
 *   devfs  (fs/devfs.c)   in the kernel: /dev/console, null, zero, fuse, ...
 *   procfs (fs/procfs.c)  in the kernel: /proc/meminfo, /proc/<pid>/status ...
 *   tmpfs  (fs/tmpfs.c)   in the kernel: files in memory, /tmp
 *   fuse   (fs/fuse*.c)   a user-mode server answers requests (the FAT
 *                         server for "/", hellofs, ...)
 *
 * Path resolution (fs/path.c).  There are no symbolic links, so a path can
 * be made canonical by text alone: the process's cwd (a canonical path) is
 * put in front of a relative path, "." components are dropped and ".."
 * removes the component before it ("/.." is "/").  The longest mount path
 * that is a prefix of the result, at a component boundary, names the
 * filesystem; the rest is walked inside it one component at a time with
 * inode_ops.lookup.  A mount needs no directory under it to exist, but
 * mount(2) checks that its target is a directory, as Linux does.
 *
 * Inodes (struct inode) are the VFS's handle on one file or directory of a
 * filesystem: the filesystem's own number for it (the FUSE nodeid), its
 * type and size as last seen, and operations.  Each fs keeps the inodes it
 * has handed out in a list, so one file is one inode however it is reached
 * (inode_get); an inode lives while references to it exist (an open file, a
 * cwd, a mount, a lookup in progress) and ops->evict runs when the last one
 * goes (FUSE then sends FORGET).
 *
 * Open file descriptions (struct file) hold an inode, the open flags, the
 * offset and the file operations; descriptors in a process's table
 * (fs/fdtable.c) point at them, and dup(2) and (later) fork(2) share one
 * description, offset included.  file_ops.release runs when the last
 * descriptor goes.
 *
 * FIFOs: an inode of type S_IFIFO, whatever its filesystem, opens as a
 * pipe (fs/pipe.c: pipe_open) and not through inode_ops.open; the pipe
 * hangs off inode->pipe while the FIFO is open.  Readiness for poll(2)
 * and select(2) is file_ops.poll (fs/poll.h).
 *
 * Concurrency: one CPU; the VFS's own lists (mounts, each fs's inodes,
 * reference counts) change with interrupts off, never across a call that
 * may sleep.  Operations of filesystems may sleep (a FUSE request waits for
 * its server), so no VFS lock is held across them: a server can make system
 * calls, on its own files or anyone's, while a request of its is pending.
 *
 * Errors are negative Linux errno values throughout.
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <types.h>
#include "lib/list.h"
#include "mm/usercopy.h" /* uptr_t */

struct file;
struct fs;
struct inode;
struct pipe;
struct poll_table;

#define PATH_MAX 4096 /* bytes of a path, NUL included (Linux's) */
#define NAME_MAX 255  /* bytes of one component */

/* st_mode bits, as Linux's <sys/stat.h>. */
#define S_IFMT      0170000
#define S_IFDIR     0040000
#define S_IFCHR     0020000
#define S_IFREG     0100000
#define S_IFIFO     0010000
#define S_IFBLK     0060000
#define S_IFLNK     0120000
#define S_IFSOCK    0140000
#define S_ISDIR(m)  (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m)  (((m)&S_IFMT) == S_IFREG)
#define S_ISCHR(m)  (((m)&S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)

/* open(2) flags, Linux x86_64 values. */
#define O_ACCMODE   0003
#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define O_PATH      010000000

struct vfs_time {
	int64_t sec;
	int64_t nsec;
};

/* What getattr reports: the fields of Linux's struct stat the VFS fills. */
struct vfs_attr {
	uint64_t ino;
	uint32_t mode; /* S_IF* | permission bits */
	uint32_t nlink;
	uint64_t size;
	uint64_t blocks; /* 512-byte blocks */
	uint32_t blksize;
	uint32_t rdev;
	struct vfs_time atime, mtime, ctime;
};

/* What setattr changes: the fields whose VFS_SET_* bit is in valid. */
#define VFS_SET_MODE  (1u << 0)
#define VFS_SET_SIZE  (1u << 3)
#define VFS_SET_ATIME (1u << 4)
#define VFS_SET_MTIME (1u << 5)

struct vfs_setattr {
	uint32_t valid;
	uint32_t mode;
	uint64_t size;
	struct vfs_time atime, mtime;
};

/* statfs(2)'s numbers. */
struct vfs_statfs {
	uint64_t type; /* f_type: a magic number (FUSE_SUPER_MAGIC, ...) */
	uint64_t bsize;
	uint64_t blocks, bfree, bavail;
	uint64_t files, ffree;
	uint64_t namelen;
	uint64_t frsize;
};

/*
 * A buffer a read or write moves bytes to or from: a user address (checked
 * and copied with usercopy.h) or a kernel one (the kernel reading a program
 * from the filesystem), or, for readv/writev of a file_ops.whole_vector
 * file, the user buffers of an iovec array one after the other (nsegs of
 * them at segs; addr unused).  Filesystems never touch addr themselves.
 */
struct vbuf_seg {
	uint64_t base, len; /* Linux's struct iovec */
};

struct vbuf {
	uintptr_t addr;
	bool user;
	int nsegs;
	const struct vbuf_seg *segs;
};

/* Copy n bytes to/from the buffer at offset off: 0 or -EFAULT.  (Inline:
 * every read from the page cache goes through vbuf_to.) */
int vbuf_copy(const struct vbuf *b, size_t off, void *kbuf, size_t n, bool to);
static inline int vbuf_to(const struct vbuf *b, size_t off, const void *src, size_t n)
{
	if (b->user && !b->nsegs)
		return copy_to_user(b->addr + off, src, n);
	return vbuf_copy(b, off, (void *)src, n, true);
}
static inline int vbuf_from(const struct vbuf *b, size_t off, void *dst, size_t n)
{
	if (b->user && !b->nsegs)
		return copy_from_user(dst, b->addr + off, n);
	return vbuf_copy(b, off, dst, n, false);
}

/*
 * readdir's callback: one name for getdents64.  next is the directory
 * offset just past this entry (what readdir is called with to go on).
 * Returns false when the caller's buffer is full: the entry was not taken,
 * and readdir stops there (the file's position then stays at this entry).
 */
typedef bool vfs_filldir_fn(void *ctx, const char *name, uint64_t ino, uint32_t mode,
			    uint64_t next);

/*
 * Operations on inodes.  Any may be NULL (then -EPERM for changes, -ENOTDIR
 * for lookup, a minimal stat for getattr).  Names are single components,
 * never "." or ".." (the VFS handles those by text), at most NAME_MAX bytes.
 * Every inode returned through *out holds a reference for the caller.
 */
struct inode_ops {
	int (*lookup)(struct inode *dir, const char *name, struct inode **out);
	int (*getattr)(struct inode *ino, struct vfs_attr *attr);
	int (*setattr)(struct inode *ino, const struct vfs_setattr *set, struct file *f);
	/* Open: f->inode, f->flags are set; fills f->ops (default: the
	 * inode's fops) and f->priv. */
	int (*open)(struct inode *ino, struct file *f);
	/* Create and open a regular file (O_CREAT of a missing name): fills
	 * *out and opens f as open would. */
	int (*create)(struct inode *dir, const char *name, uint32_t mode, struct file *f,
		      struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, uint32_t mode);
	/* Make a special file: mode is S_IFIFO | permissions (mknod(2) makes
	 * regular files with create, and refuses devices). */
	int (*mknod)(struct inode *dir, const char *name, uint32_t mode);
	int (*unlink)(struct inode *dir, const char *name);
	int (*rmdir)(struct inode *dir, const char *name);
	/* Both directories are on the same fs (the VFS checks: -EXDEV). */
	int (*rename)(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
		      unsigned int flags);
	int (*statfs)(struct inode *ino, struct vfs_statfs *st);
	/* The last reference is gone: forget the inode (it is freed after). */
	void (*evict)(struct inode *ino);
};

/*
 * Operations on open files.  read and write get the file position to use
 * (the VFS keeps f->pos and moves it, or uses pread's offset) and return
 * bytes moved or -errno.  Any may be NULL: -EINVAL for read/write (-EISDIR
 * on directories), -ENOTTY for ioctl, -EINVAL for fsync (Linux's answer for
 * a file that cannot be synced), success for flush and release, always
 * readable and writable for poll (regular files, as on Linux).
 */
struct file_ops {
	int64_t (*read)(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos);
	int64_t (*write)(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos);
	/* Directories: call fill for each name from position *pos on, moving
	 * *pos past every name fill took; 0 at the end or when fill said
	 * full, -errno otherwise. */
	int (*readdir)(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx);
	int64_t (*ioctl)(struct file *f, unsigned long request, uptr_t arg);
	int (*flush)(struct file *f); /* at every close(2) of a descriptor */
	int (*fsync)(struct file *f);
	void (*release)(struct file *f); /* the last reference is gone */
	/* The events (POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL as Linux)
	 * ready now; if pt is not NULL, also register the caller on the wait
	 * queues whose wake-up may change them (poll_wait(pt, wq)). */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
	/* Devices that mmap(2) maps: the physical address of [offset, offset
	 * + len) of the device in *phys (page aligned), and whether to map it
	 * uncached; 0 or -errno (-EINVAL for a range past the device). */
	int (*mmap_phys)(struct file *f, uint64_t offset, uint64_t len, uint64_t *phys,
			 bool *nocache);
	/* A stream (a terminal): no position, so lseek, pread64 and pwrite64
	 * are -ESPIPE. */
	bool stream;
	/* read copies into the buffer as it goes and ends short (or with
	 * -EFAULT, at the start) where the buffer faults, with nothing lost:
	 * read(2) need not check the whole buffer first (sys_io.c). */
	bool read_unchecked;
	/* The same for write: it copies from the buffer as it goes and ends
	 * short (or with -EFAULT) where the buffer faults (pipes). */
	bool write_unchecked;
	/* readv and writev hand the whole vector to one read or write (a
	 * vbuf of segments) instead of one call per buffer: the FUSE device,
	 * where one write(2) is one reply. */
	bool whole_vector;
};

struct inode {
	struct fs *fs;
	uint64_t ino;  /* the filesystem's number for it (FUSE: the nodeid) */
	uint32_t mode; /* S_IF* | permissions, as last seen */
	uint64_t size; /* regular files: as last seen (the page cache's bound) */
	int refs;
	const struct inode_ops *ops;
	const struct file_ops *fops; /* for open without ops->open (devfs) */
	void *priv;                  /* the filesystem's */
	struct pipe *pipe;           /* a FIFO's, while it is open (fs/pipe.c) */
	struct list_node fs_node;    /* in fs->inodes */
};

struct file {
	struct inode *inode; /* holds a reference */
	int refs;            /* descriptors and kernel users */
	unsigned int flags;  /* O_ACCMODE | O_APPEND | O_NONBLOCK (F_SETFL changes the last two) */
	uint64_t pos;
	const struct file_ops *ops;
	void *priv; /* the filesystem's (FUSE: the server's file handle) */
	char *path; /* directories: the canonical path (fchdir), else NULL */
};

/* A type of filesystem that mount(2) can make instances of. */
struct fs_type {
	const char *name; /* mount(2)'s fstype: "fuse", "devtmpfs", "proc" */
	/* Make an instance from mount(2)'s source and data strings. */
	int (*mount)(const char *source, const char *data, unsigned long flags, struct fs **out);
	struct list_node node;
};

/* A filesystem instance. */
struct fs {
	const struct fs_type *type;
	char source[64];    /* mount(2)'s source, for /proc/mounts ("" if none) */
	uint32_t dev;       /* st_dev of its files: a number per instance */
	struct inode *root; /* holds a reference while mounted */
	void *priv;         /* the filesystem's */
	struct list inodes; /* of struct inode, by fs_node */
	int mounts;         /* times it is mounted (umount drops the instance at 0) */
	/* The last mount is gone: release what the instance holds (the VFS
	 * then drops root and frees the struct). */
	void (*kill)(struct fs *fs);
};

/* ---- setup (fs/vfs.c) ---------------------------------------------------- */

/* The filesystem types, "/" (a stand-in), /dev, /proc and /tmp mounted.  Runs
 * once, from the first proc_spawn or before the kernel's first use of a
 * path (rootmount); later calls return at once.  Not at boot: the early
 * stages' self-tests want an empty heap. */
void vfs_init(void);
void vfs_register_type(struct fs_type *type);

/* Make an fs of type with no inodes yet (the caller sets root with
 * inode_get); NULL if out of memory. */
struct fs *fs_alloc(const struct fs_type *type);
/* The registered type called name ("fuse"), or NULL. */
const struct fs_type *vfs_find_type(const char *name);

/* ---- inodes (fs/inode.c) ------------------------------------------------- */

/*
 * The inode of fs numbered ino, with a reference: the one already handed
 * out, or a new one (ino, fs set, mode 0, refs 1, everything else 0) with
 * *is_new true for the caller to fill.  NULL if out of memory.
 */
struct inode *inode_get(struct fs *fs, uint64_t ino, bool *is_new);
void inode_hold(struct inode *ino);
void inode_put(struct inode *ino);
/* ops->getattr, or what the inode says for a filesystem without one. */
int inode_getattr(struct inode *ino, struct vfs_attr *attr);

/* ---- names (fs/path.c) --------------------------------------------------- */

/*
 * Make path canonical against the current process's cwd (or "/" in a
 * kernel thread) into out[PATH_MAX].  -ENOENT for "", -ENAMETOOLONG.
 */
int path_canonical(const char *path, char *out);
/* The same against base (a canonical directory path) instead of the cwd. */
int path_canonical_from(const char *base, const char *path, char *out);
/* A PATH_MAX-byte buffer for a path, and giving it back: from a small pool
 * (a stat must not cost a page from the frame allocator), else the heap.
 * NULL if out of memory.  Any context but interrupt handlers. */
char *path_buf_get(void);
void path_buf_put(char *buf);

/*
 * The inode at path (canonical or not), with a reference.  -ENOENT,
 * -ENOTDIR (a component before the last is not a directory), -EIO, ...
 */
int vfs_lookup(const char *path, struct inode **out);
/*
 * The directory that would hold path's last component, with a reference,
 * and that component in name[NAME_MAX + 1].  -EEXIST... as Linux for "/"
 * (which has no parent here: -EBUSY for rmdir/rename, -EEXIST for mkdir;
 * the callers say which).
 */
int vfs_lookup_parent(const char *path, struct inode **dir, char *name);

/* ---- the mount table (fs/mount.c) ---------------------------------------- */

/* Once, from vfs_init: the stand-in root directory. */
void mount_init(void);
/* Mount fs at the canonical path: -EBUSY if something is mounted there. */
int vfs_mount(struct fs *fs, const char *path);
/* Unmount what is at path: -EINVAL if it is not a mount point, -EBUSY if
 * files of it are open or a cwd is in it (unless MNT_DETACH). */
int vfs_umount(const char *path, int flags);
/*
 * The filesystem holding the canonical path: its root with a reference in
 * *root, and in *rest what follows the mount path ("" for the mount point
 * itself).  Until something is mounted at "/", paths no mount covers are
 * in a stand-in root directory that lists the mount points.  0 or -errno.
 */
int mount_find(const char *path, struct inode **root, const char **rest);
/* Is something mounted at the canonical path "/"?  (Boot waits for it.) */
bool vfs_root_mounted(void);
/* One line per mount, as /proc/mounts: "fatfs / fuse rw 0 0\n".  Writes
 * at most size bytes of it into buf; returns the full length. */
size_t vfs_mounts_text(char *buf, size_t size);

/* ---- open files (fs/file.c) ---------------------------------------------- */

/* Open path with open(2)'s flags and mode: a file with one reference. */
int vfs_open(const char *path, unsigned int flags, uint32_t mode, struct file **out);
/* Open inode ino (a reference is taken) with flags, as vfs_open does after
 * the lookup (devfs and the kernel use it for files without a path). */
int vfs_open_inode(struct inode *ino, unsigned int flags, struct file **out);
void file_hold(struct file *f);
/* Drop a reference; the last one releases the file and its inode. */
void file_put(struct file *f);

/* Read or write at *pos (f->pos for read(2), the offset for pread64),
 * advancing *pos: bytes moved or -errno (-EBADF for the wrong mode). */
int64_t file_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t *pos);
int64_t file_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t *pos);

/*
 * Read the whole regular file at path into a kmalloc'd buffer (the kernel
 * loading a program): *data (kfree it) and *size.  -EISDIR, -EFBIG past
 * max bytes, -ENOMEM, or the error of the open or a read.
 */
int vfs_read_file(const char *path, size_t max, void **data, size_t *size);

#endif
