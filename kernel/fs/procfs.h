/*
 * procfs: the process filesystem mounted at /proc (fs/procfs.c).
 */
#ifndef FS_PROCFS_H
#define FS_PROCFS_H

/* Once, from vfs_init: register the "proc" type. */
void procfs_init(void);

#endif
