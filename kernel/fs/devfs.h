/*
 * devfs: the device filesystem mounted at /dev (fs/devfs.c).
 *
 * /dev is a flat directory of devices, each a name, a mode (S_IFCHR | 0666)
 * and the file operations its open files use.  The kernel's own are
 * console (and tty, the same device), null, zero, full, random and
 * urandom; other subsystems add theirs with devfs_register (FUSE:
 * /dev/fuse).
 */
#ifndef FS_DEVFS_H
#define FS_DEVFS_H

#include <types.h>

struct file_ops;

/* Once, from vfs_init: the built-in devices and the "devtmpfs" type. */
void devfs_init(void);

/* Add /dev/name: its inodes get mode, fops and priv (inode->priv).  0,
 * -EEXIST or -ENOMEM.  At boot, before or after /dev is mounted. */
int devfs_register(const char *name, uint32_t mode, const struct file_ops *fops, void *priv);

#endif
