/*
 * devfs: /dev (see devfs.h).
 *
 * The devices are a fixed table (devfs_register appends to it, at boot);
 * device i is inode number i + 2 in every devfs instance, the directory is
 * number 1.  Lookup finds the name in the table and hands out the inode
 * with the device's mode, file operations and priv; readdir lists ".",
 * ".." and the table in order.  Nothing is created or removed at run time.
 *
 * The kernel's devices:
 *   console, tty, ttyS0  the console's terminal on COM1 (drivers/tty.h): reads go through
 *                 its line discipline (a line at a time in canonical mode,
 *                 edited by the user), writes to the screen and serial,
 *                 ioctls are termios's (TCGETS, TIOCSPGRP, TIOCGWINSZ ...).
 *                 It is a stream: lseek is -ESPIPE.  poll: readable once
 *                 a read would not wait, always writable.
 *   null          reads nothing, swallows writes
 *   zero          reads zeros, swallows writes
 *   full          reads zeros, every write is -ENOSPC
 *   random, urandom  reads a xorshift64* sequence seeded from the TSC: not
 *                 for secrets, enough for tests and games
 * (null, zero, full and random never make a reader or writer wait: poll
 * says they are always readable and writable.)
 */
#include "fs/devfs.h"
#include <errno.h>
#include "arch/x86_64/x86.h"
#include "drivers/tty.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/usercopy.h"

#define DEVFS_MAX 16
#define IO_CHUNK  256 /* bytes moved through the kernel stack at a time */

struct devfs_node {
	const char *name;
	uint32_t mode;
	const struct file_ops *fops;
	void *priv;
	uint32_t rdev; /* Linux's device number for the built-in ones, else 0 */
};

static struct devfs_node devices[DEVFS_MAX];
static size_t ndevices;

int devfs_register(const char *name, uint32_t mode, const struct file_ops *fops, void *priv)
{
	for (size_t i = 0; i < ndevices; i++)
		if (strcmp(devices[i].name, name) == 0)
			return -EEXIST;
	if (ndevices == DEVFS_MAX)
		return -ENOMEM;
	devices[ndevices++] = (struct devfs_node){ name, mode, fops, priv, 0 };
	return 0;
}

/* ---- the devices ------------------------------------------------------------- */

/* The console is the terminal (drivers/tty.h). */
static int64_t console_file_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)pos;
	return tty_read(buf, count, f->flags & O_NONBLOCK);
}

static int64_t console_file_write(struct file *f, const struct vbuf *buf, size_t count,
				  uint64_t pos)
{
	(void)f, (void)pos;
	return tty_write(buf, count);
}

static int64_t console_file_ioctl(struct file *f, unsigned long request, uptr_t arg)
{
	(void)f;
	return tty_ioctl(request, arg);
}

static void console_file_release(struct file *f)
{
	(void)f;
	tty_close();
}

static unsigned console_file_poll(struct file *f, struct poll_table *pt)
{
	(void)f;
	return tty_poll(pt);
}

/* null, zero, full, random: a read or write never waits. */
static unsigned never_wait_poll(struct file *f, struct poll_table *pt)
{
	(void)f, (void)pt;
	return POLL_ALWAYS;
}

static int64_t swallow_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)f, (void)buf, (void)pos;
	return (int64_t)count;
}

static int64_t null_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)f, (void)buf, (void)count, (void)pos;
	return 0;
}

static int64_t zero_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	static const char zeros[IO_CHUNK];

	(void)f, (void)pos;
	for (size_t done = 0; done < count; done += sizeof(zeros))
		if (vbuf_to(buf, done, zeros, MIN(count - done, sizeof(zeros))) != 0)
			return done ? (int64_t)done : -EFAULT;
	return (int64_t)count;
}

static int64_t full_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)f, (void)buf, (void)count, (void)pos;
	return -ENOSPC;
}

/* xorshift64* (Vigna), seeded from the TSC at the first read. */
static uint64_t random_next(void)
{
	static uint64_t state;

	if (!state)
		state = rdtsc() | 1;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dull;
}

static int64_t random_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	uint64_t chunk[IO_CHUNK / 8];

	(void)f, (void)pos;
	for (size_t done = 0; done < count; done += sizeof(chunk)) {
		for (size_t i = 0; i < ARRAY_SIZE(chunk); i++)
			chunk[i] = random_next();
		if (vbuf_to(buf, done, chunk, MIN(count - done, sizeof(chunk))) != 0)
			return done ? (int64_t)done : -EFAULT;
	}
	return (int64_t)count;
}

static const struct file_ops console_fops = {
	.read = console_file_read,
	.write = console_file_write,
	.ioctl = console_file_ioctl,
	.release = console_file_release,
	.poll = console_file_poll,
	.stream = true,
};
static const struct file_ops null_fops = {
	.read = null_read,
	.write = swallow_write,
	.poll = never_wait_poll,
};
static const struct file_ops zero_fops = {
	.read = zero_read,
	.write = swallow_write,
	.poll = never_wait_poll,
};
static const struct file_ops full_fops = {
	.read = zero_read,
	.write = full_write,
	.poll = never_wait_poll,
};
static const struct file_ops random_fops = {
	.read = random_read,
	.write = swallow_write,
	.poll = never_wait_poll,
};

/* ---- the filesystem ---------------------------------------------------------- */

static const struct inode_ops devfs_dir_ops, devfs_dev_ops;
static const struct file_ops devfs_dir_fops;

/* A device's attributes: a character device with its number, size 0. */
static int devfs_getattr(struct inode *ino, struct vfs_attr *attr)
{
	*attr = (struct vfs_attr){
		.ino = ino->ino,
		.mode = ino->mode,
		.nlink = 1,
		.blksize = 4096,
		.rdev = devices[ino->ino - 2].rdev,
	};
	return 0;
}

static int devfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
	for (size_t i = 0; i < ndevices; i++) {
		bool is_new;
		struct inode *ino;

		if (strcmp(devices[i].name, name) != 0)
			continue;
		ino = inode_get(dir->fs, i + 2, &is_new);
		if (!ino)
			return -ENOMEM;
		if (is_new) {
			ino->ops = &devfs_dev_ops;
			ino->mode = devices[i].mode;
			ino->fops = devices[i].fops;
			ino->priv = devices[i].priv;
		}
		*out = ino;
		return 0;
	}
	return -ENOENT;
}

static int devfs_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	(void)f;
	for (; *pos < ndevices + 2; (*pos)++) {
		uint64_t i = *pos;
		bool more;

		if (i < 2)
			more = fill(ctx, i ? ".." : ".", 1, S_IFDIR, i + 1);
		else
			more = fill(ctx, devices[i - 2].name, i, devices[i - 2].mode, i + 1);
		if (!more)
			break;
	}
	return 0;
}

/* Opening a device: the terminal counts its open files. */
static int devfs_open(struct inode *ino, struct file *f)
{
	(void)f;
	if (ino->fops == &console_fops)
		tty_open();
	return 0;
}

static const struct inode_ops devfs_dir_ops = { .lookup = devfs_lookup };
static const struct inode_ops devfs_dev_ops = { .getattr = devfs_getattr, .open = devfs_open };
static const struct file_ops devfs_dir_fops = { .readdir = devfs_readdir };

static int devfs_mount(const char *source, const char *data, unsigned long flags, struct fs **out);
static struct fs_type devfs_type = { .name = "devtmpfs", .mount = devfs_mount };

static int devfs_mount(const char *source, const char *data, unsigned long flags, struct fs **out)
{
	struct fs *fs = fs_alloc(&devfs_type);
	bool is_new;

	(void)source, (void)data, (void)flags;
	if (!fs)
		return -ENOMEM;
	fs->root = inode_get(fs, 1, &is_new);
	if (!fs->root) {
		kfree(fs);
		return -ENOMEM;
	}
	fs->root->mode = S_IFDIR | 0755;
	fs->root->ops = &devfs_dir_ops;
	fs->root->fops = &devfs_dir_fops;
	*out = fs;
	return 0;
}

/* Linux's numbers (Documentation/admin-guide/devices.txt), as st_rdev
 * shows them: major << 8 | minor. */
#define DEV(major, minor) ((major) << 8 | (minor))

/* A built-in device, with its number. */
static void devfs_builtin(const char *name, uint32_t mode, const struct file_ops *fops,
			  uint32_t rdev)
{
	if (devfs_register(name, S_IFCHR | mode, fops, NULL) == 0)
		devices[ndevices - 1].rdev = rdev;
}

void devfs_init(void)
{
	devfs_builtin("console", 0600, &console_fops, DEV(5, 1));
	devfs_builtin("tty", 0666, &console_fops, DEV(5, 0));
	devfs_builtin("ttyS0", 0660, &console_fops, DEV(4, 64)); /* COM1: the console's terminal */
	devfs_builtin("null", 0666, &null_fops, DEV(1, 3));
	devfs_builtin("zero", 0666, &zero_fops, DEV(1, 5));
	devfs_builtin("full", 0666, &full_fops, DEV(1, 7));
	devfs_builtin("random", 0666, &random_fops, DEV(1, 8));
	devfs_builtin("urandom", 0666, &random_fops, DEV(1, 9));
	vfs_register_type(&devfs_type);
}
