/*
 * The FUSE filesystem type (fs/fuse.c): registered with the VFS at boot.
 */
#ifndef FS_FUSE_H
#define FS_FUSE_H

/* Once at boot, from vfs_init: register the "fuse" type and /dev/fuse. */
void fuse_init(void);

#endif
