/*
 * tmpfs: a filesystem in memory (fs/tmpfs.c), mounted at /tmp at boot and
 * by `mount -t tmpfs tmpfs DIR` (options size=N[k|m|g|%] and mode=OCTAL,
 * as Linux's) anywhere else.
 *
 * Directories, regular files and FIFOs; a file's data is pages from the
 * frame allocator, allocated as writes reach them (a file may have holes)
 * and freed when the file is truncated, or removed and no longer open.
 * Everything is gone at the unmount (at power-off for /tmp).
 */
#ifndef FS_TMPFS_H
#define FS_TMPFS_H

#include <types.h>

/* Once, from vfs_init: the "tmpfs" filesystem type. */
void tmpfs_init(void);

/* Pages holding file data in every tmpfs (/proc/meminfo's Shmem). */
uint64_t tmpfs_pages(void);

#endif
