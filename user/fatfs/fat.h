/*
 * fat.h -- the FAT filesystem library of the ramdisk server.
 *
 * The library works on a FAT12, FAT16 or FAT32 volume held whole in memory:
 * a pointer and a size, which in the OS are the ramdisk's pages mapped into
 * the server and on the host a file read into a buffer.  It never allocates
 * memory and has no state outside struct fat_volume, so one program may
 * mount several volumes; it is not thread-safe (one caller at a time per
 * volume, as a FUSE server's request loop is).  Every function that can fail
 * returns a negative Linux errno (-ENOENT, -EIO, ...), the values FUSE
 * replies carry.
 *
 * The on-disk format is Microsoft's "FAT: General Overview of On-Disk
 * Format", version 1.03 (below "the spec", cited by section).  The files:
 *
 *   fat.c        mount: boot sector and BPB validation, FSInfo, statfs
 *   fat_table.c  FAT entries and cluster chains (follow, check, allocate, free)
 *   fat_name.c   names: UTF-8/UTF-16, long-name checks, 8.3 names and tails
 *   fat_time.c   FAT dates and times to and from seconds since the epoch
 *   fat_dir.c    directory slots, long-name assembly, lookup, adding entries
 *   fat_file.c   node ids, attributes, read, write, truncate
 *   fat_ops.c    create, mkdir, unlink, rmdir, rename, readdir
 *
 * Node ids (the FUSE nodeid of a file or directory):
 *
 *   - the root directory is FAT_ROOT_ID (1), as FUSE_ROOT_ID is in FUSE;
 *   - any other node is named by where its 8.3 directory entry lies in the
 *     image: id = (byte offset of the 32-byte entry) / 32.  The boot sector
 *     fills the first 512 bytes, so such ids are at least 16 and never 0 or 1.
 *
 * An id stays valid while its entry stays put: reads, writes, truncates and
 * attribute changes never move an entry, and creating or removing other
 * names leaves it alone.  Two things end or change an id: unlink/rmdir (the
 * id then gives -ENOENT, until a later create may reuse the slot) and rename,
 * which writes the entry at its new place and returns the new id; a server
 * that promised the kernel stable nodeids keeps its own nodeid -> fat id
 * table and updates it there.  Ids are not checked for having come from the
 * library beyond "is there a live entry at that place": pass only ids the
 * library returned.
 *
 * Times are seconds since the Unix epoch; FAT stores local date and time
 * fields (spec "Date and Time Formats"), which the library treats as UTC.
 * The current time comes from the clock given to fat_mount, so tests are
 * deterministic.
 */
#ifndef FAT_H
#define FAT_H

#include <stddef.h>
#include <stdint.h>

#define FAT_ROOT_ID  1
#define FAT_NAME_MAX 255                    /* UTF-16 units in a long name */
#define FAT_NAME_BUF (FAT_NAME_MAX * 3 + 1) /* the same name in UTF-8, with NUL */

/* File types and permission bits in fat_attr.mode, as Linux's st_mode. */
#define FAT_S_IFMT  0170000
#define FAT_S_IFDIR 0040000
#define FAT_S_IFREG 0100000

/* The current time in seconds since the epoch; arg is fat_mount's clock_arg. */
typedef int64_t fat_clock_fn(void *arg);

struct fat_volume {
	uint8_t *image;         /* the whole volume, sector 0 first */
	size_t size;            /* bytes of image (at least the volume's size) */
	int type;               /* 12, 16 or 32 */
	uint32_t sector_size;   /* BPB_BytsPerSec */
	uint32_t cluster_size;  /* bytes per cluster */
	uint32_t fat_count;     /* BPB_NumFATs */
	uint32_t active_fat;    /* the copy reads come from (BPB_ExtFlags) */
	uint64_t fat_offset;    /* byte offset of FAT copy 0 */
	uint64_t fat_bytes;     /* bytes of one FAT copy */
	uint64_t root_offset;   /* FAT12/16: byte offset of the fixed root directory */
	uint32_t root_entries;  /* FAT12/16: its number of 32-byte slots */
	uint32_t root_cluster;  /* FAT32: the root directory's first cluster */
	uint64_t data_offset;   /* byte offset of cluster 2 */
	uint32_t clusters;      /* CountofClusters: valid clusters are 2..clusters+1 */
	uint32_t free_clusters; /* clusters whose FAT entry is 0 */
	uint32_t next_free;     /* where the next allocation starts looking */
	uint64_t fsinfo_offset; /* FAT32: byte offset of a valid FSInfo sector, or 0 */
	fat_clock_fn *clock;
	void *clock_arg;
	struct { /* the last place fat_chain_seek reached */
		uint32_t first, index, cluster;
	} seek;
	struct { /* the last chain fat_chain_check found sound */
		uint32_t first, length;
	} sound;
	char error[160]; /* why fat_mount refused the image */
	/*
	 * Told of every change: the library calls dirty(dirty_arg, off, len)
	 * for each byte range [off, off + len) of the image it writes, after
	 * writing it, so that a server holding the image for a disk knows
	 * which sectors to write back.  NULL (fat_mount's default): no one
	 * listens.  Set it after fat_mount.
	 */
	void (*dirty)(void *arg, uint64_t off, size_t len);
	void *dirty_arg;
};

/* What fat_getattr reports, in the shape of struct stat / fuse_attr. */
struct fat_attr {
	uint64_t id;
	uint64_t size;    /* files: bytes; directories: their clusters' bytes */
	uint64_t blocks;  /* 512-byte blocks allocated */
	uint32_t mode;    /* FAT_S_IFDIR | 0755 or FAT_S_IFREG | 0644 (0555/0444 read-only) */
	uint32_t nlink;   /* 1 for files, 2 + subdirectories for directories */
	uint32_t blksize; /* the cluster size */
	int64_t atime;    /* last access: a date, so midnight */
	int64_t mtime;    /* last write */
	int64_t ctime;    /* creation (FAT keeps no change time), as Linux vfat */
};

/* One name in a directory, from fat_readdir. */
struct fat_dirent {
	uint64_t id;             /* the node (for "." and "..", the directory and its parent) */
	uint64_t next;           /* the offset to pass to fat_readdir for the next name */
	uint32_t mode;           /* FAT_S_IFDIR or FAT_S_IFREG, with permission bits */
	char name[FAT_NAME_BUF]; /* the long name, or else the 8.3 name, UTF-8 */
	char short_name[13];     /* the 8.3 name as stored: "NAME.EXT", upper case */
};

struct fat_statfs {
	uint32_t cluster_size;  /* f_bsize */
	uint64_t clusters;      /* f_blocks */
	uint64_t free_clusters; /* f_bfree and f_bavail */
	uint32_t name_max;      /* f_namelen, in UTF-16 units */
};

/*
 * Mount the volume in image[0..size).  Checks the boot sector and BPB as the
 * spec's "Boot Sector and BPB" and "FAT Type Determination" sections define
 * them, and that the volume fits in size; counts the free clusters.  Returns
 * 0, or -EINVAL with a one-line reason in v->error.  The library keeps
 * pointers into image for the life of v; nothing is written until an
 * operation changes the volume.  clock may be NULL (every time is then the
 * FAT epoch, 1980-01-01).
 */
int fat_mount(struct fat_volume *v, void *image, size_t size, fat_clock_fn *clock, void *clock_arg);

/* Free and total clusters; never fails. */
void fat_statfs(struct fat_volume *v, struct fat_statfs *st);

/*
 * Look name (one path component) up in directory dir: "." is dir itself,
 * ".." its parent; other names match long and 8.3 names regardless of ASCII
 * case.  *id gets the node.  -ENOENT, -ENOTDIR (dir is a file), -EIO,
 * -ENAMETOOLONG.
 */
int fat_lookup(struct fat_volume *v, uint64_t dir, const char *name, uint64_t *id);

/* Walk an absolute path ("/", "/etc/motd"; repeated slashes allowed). */
int fat_lookup_path(struct fat_volume *v, const char *path, uint64_t *id);

int fat_getattr(struct fat_volume *v, uint64_t id, struct fat_attr *attr);

/*
 * Read up to len bytes at offset off of file id into buf.  Returns the bytes
 * read (0 at or past the end), -EISDIR, -ENOENT, or -EIO when the file's
 * cluster chain is broken (leaves the volume, loops, ends before the size).
 * The access date is fat_accessed's (a read asks no clock).
 */
int64_t fat_read(struct fat_volume *v, uint64_t id, void *buf, size_t len, uint64_t off);

/* Record today as the access date of file id (a server calls it when a
 * file is opened for reading): 0, -EISDIR or -ENOENT. */
int fat_accessed(struct fat_volume *v, uint64_t id);

/* A run of a file's bytes in the image, clusters that follow each other. */
struct fat_span {
	const uint8_t *data;
	size_t len;
};

/*
 * fat_read without the copy: where the bytes lie in the image, as up to
 * max spans in order (*nspans of them), so that a server can send them
 * from there.  Returns the bytes the spans cover (short at the end of the
 * file, or when max spans were not enough) or what fat_read returns.  The
 * spans stay valid until the volume is written.
 */
int64_t fat_read_spans(struct fat_volume *v, uint64_t id, size_t len, uint64_t off,
		       struct fat_span *spans, int max, int *nspans);

/*
 * Write len bytes at offset off, extending the file (a gap is read back as
 * zeros) and allocating clusters as needed; all or nothing: -ENOSPC leaves
 * the file as it was.  Returns len, or -EISDIR, -EFBIG (past 4 GiB - 1),
 * -ENOSPC, -EIO.  Sets the modification time and the archive bit.
 */
int64_t fat_write(struct fat_volume *v, uint64_t id, const void *buf, size_t len, uint64_t off);

/* Set a file's size: shrinking frees clusters, growing reads back zeros. */
int fat_truncate(struct fat_volume *v, uint64_t id, uint64_t size);

/* Set access and modification times; a negative time leaves that one alone. */
int fat_set_times(struct fat_volume *v, uint64_t id, int64_t atime, int64_t mtime);

/* chmod: without the owner's write bit (0200) the node becomes read-only. */
int fat_set_mode(struct fat_volume *v, uint64_t id, uint32_t mode);

/*
 * Create an empty file name in dir (mode as for fat_set_mode).  The name is
 * kept as given (case included) in a long-name entry unless it is a plain
 * 8.3 name; trailing dots are dropped, as Linux's vfat does.  -EEXIST,
 * -EINVAL (a character FAT forbids, trailing space, empty), -ENAMETOOLONG,
 * -ENOSPC (no room in a full fixed root directory or on the volume).
 */
int fat_create(struct fat_volume *v, uint64_t dir, const char *name, uint32_t mode, uint64_t *id);

/* Make a directory holding "." and "..".  Errors as fat_create. */
int fat_mkdir(struct fat_volume *v, uint64_t dir, const char *name, uint64_t *id);

/* Remove a file and free its clusters.  -EISDIR for a directory. */
int fat_unlink(struct fat_volume *v, uint64_t dir, const char *name);

/* Remove an empty directory.  -ENOTDIR, -ENOTEMPTY (also for ".."), -EINVAL for ".". */
int fat_rmdir(struct fat_volume *v, uint64_t dir, const char *name);

/*
 * POSIX rename: move olddir/oldname to newdir/newname, replacing a file by a
 * file or an empty directory by a directory (-EISDIR, -ENOTDIR, -ENOTEMPTY
 * otherwise), refusing to move a directory into itself (-EINVAL).  A moved
 * directory's ".." is pointed at its new parent.  *id (if not NULL) gets the
 * node's new id; the old one is then gone.
 */
int fat_rename(struct fat_volume *v, uint64_t olddir, const char *oldname, uint64_t newdir,
	       const char *newname, uint64_t *id);

/*
 * The name at offset off of directory dir (0 is the first; every directory,
 * the root included, starts with "." and ".."; then d->next is the offset of
 * the name after).  Returns 1 with *d filled, 0 at the end, or an error.
 * Offsets stay valid while names are added and removed.
 */
int fat_readdir(struct fat_volume *v, uint64_t dir, uint64_t off, struct fat_dirent *d);

#endif
