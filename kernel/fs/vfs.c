/*
 * The VFS's setup and small common parts (see vfs.h for the design).
 *
 * vfs_init registers the filesystem types the kernel has (devtmpfs, proc,
 * tmpfs and, through fuse_init, fuse), makes the stand-in root directory
 * that "/" is until a filesystem is mounted there (mount.c), and mounts
 * /dev, /proc and /tmp (a tmpfs, over the ramdisk's empty /tmp once the FAT
 * server mounts "/").  It runs once, when the first process is made (proc_spawn) or the
 * kernel first needs a file, not at boot: the kernel's self-tests of the
 * early stages find the heap as empty as they left it, and a handout whose
 * heap is not written yet still boots.  The type list only grows, then.  vbuf_to and vbuf_from are how filesystems reach a caller's buffer
 * without knowing whether it is a user's or the kernel's.
 */
#include "fs/vfs.h"
#include <errno.h>
#include "fs/devfs.h"
#include "fs/fuse.h"
#include "fs/procfs.h"
#include "fs/tmpfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/usercopy.h"

static struct list fs_types = LIST_INIT(fs_types);
static uint32_t fs_next_dev = 1;

void vfs_register_type(struct fs_type *type)
{
	list_push_back(&fs_types, &type->node);
}

const struct fs_type *vfs_find_type(const char *name)
{
	list_for_each(n, &fs_types) {
		struct fs_type *t = list_entry(n, struct fs_type, node);

		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

struct fs *fs_alloc(const struct fs_type *type)
{
	struct fs *fs = kcalloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->type = type;
	fs->dev = fs_next_dev++;
	list_init(&fs->inodes);
	return fs;
}

/* Make an instance of the type called name and mount it at path. */
static void vfs_mount_boot(const char *type_name, const char *path)
{
	const struct fs_type *type = vfs_find_type(type_name);
	struct fs *fs;
	int err = type ? type->mount(type_name, "", 0, &fs) : -ENODEV;

	if (err == 0) {
		strlcpy(fs->source, type_name, sizeof(fs->source));
		err = vfs_mount(fs, path);
	}
	if (err)
		kprintf("vfs: cannot mount %s at %s: error %d\n", type_name, path, err);
}

void vfs_init(void)
{
	static bool ready;

	if (ready)
		return;
	ready = true;
	devfs_init();
	procfs_init();
	tmpfs_init();
	fuse_init();
	mount_init();
	vfs_mount_boot("devtmpfs", "/dev");
	vfs_mount_boot("proc", "/proc");
	vfs_mount_boot("tmpfs", "/tmp");
}

/* A vector's share of a copy: each segment's part of [off, off + n). */
static int vbuf_segs_copy(const struct vbuf *b, size_t off, void *kbuf, size_t n, bool to)
{
	uint8_t *k = kbuf;

	for (int i = 0; i < b->nsegs && n > 0; i++) {
		const struct vbuf_seg *s = &b->segs[i];
		size_t chunk;
		int err;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		chunk = MIN(n, s->len - off);
		err = to ? copy_to_user(s->base + off, k, chunk)
			 : copy_from_user(k, s->base + off, chunk);
		if (err)
			return err;
		k += chunk;
		n -= chunk;
		off = 0;
	}
	return n ? -EFAULT : 0;
}

/* The rest of vbuf_to and vbuf_from: kernel buffers and vectors. */
int vbuf_copy(const struct vbuf *b, size_t off, void *kbuf, size_t n, bool to)
{
	if (b->nsegs)
		return vbuf_segs_copy(b, off, kbuf, n, to);
	if (to)
		memcpy((char *)b->addr + off, kbuf, n);
	else
		memcpy(kbuf, (const char *)b->addr + off, n);
	return 0;
}
