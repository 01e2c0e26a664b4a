/*
 * server.h -- the parts of the FAT server (fatfs) that are not the FAT
 * library: what server.c (start-up), check.c (--check), nodes.c (the
 * nodeid table), blk.c (the disk behind --blk) and ops.c (the FUSE
 * callbacks) share.  See server.c.
 */
#ifndef FATFS_SERVER_H
#define FATFS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "fat.h"

/* CRC-32 (IEEE 802.3, as zlib's crc32) of len bytes, continuing crc
 * (start with 0). */
uint32_t server_crc32(uint32_t crc, const void *buf, size_t len);

/* check.c: walk the volume and test writes, printing what it finds;
 * returns the number of failed checks. */
int check_run(struct fat_volume *v);

/*
 * blk.c: the volume on a disk, through a block driver (<os/blk.h>).
 * blk_open finds or starts DRIVER (a pid, or a program to start) and reads
 * the disk into memory: 0 with *image and *size set, or 1 (said why).
 * blk_dirty is the library's fat_volume.dirty hook; blk_commit writes the
 * dirty sectors back and flushes: 0, or a negative errno (0 at once when
 * there is no disk).  blk_driver is the driver's pid.
 */
int blk_open(const char *driver, uint8_t **image, size_t *size);
/* Stop the driver if blk_open started it (the volume was refused). */
void blk_close(void);
void blk_dirty(void *arg, uint64_t off, size_t len);
int blk_commit(void);
int blk_driver(void);

/* server.c: the volume is mounted (with --background the waiting parent
 * then exits, status 0). */
void server_ready(void);

/* ops.c: serve v over FUSE at mountpoint until unmounted; 0 or -1 (said
 * why on stderr). */
int serve_run(struct fat_volume *v, const char *mountpoint, int argc, char *argv[]);

/*
 * nodes.c: the FUSE nodeids the server hands out, each naming one FAT node
 * id for as long as the kernel holds it.  Nodeid 1 is the root, forever.
 */
/* The node id behind nodeid, or 0 if it is gone (unlinked, or forgotten). */
uint64_t nodes_fat(uint64_t nodeid);
/* The nodeid for FAT node id (a new one, or the one already given out),
 * with its lookup count raised by one: what a LOOKUP reply promises.  0 if
 * memory ran out. */
uint64_t nodes_ref(uint64_t fat, uint64_t *generation);
/* The kernel dropped nlookup lookups of nodeid (FORGET). */
void nodes_forget(uint64_t nodeid, uint64_t nlookup);
/* The nodeid of FAT node id fat if one is out, else 0 (no count taken). */
uint64_t nodes_find(uint64_t fat);
/* FAT node id old moved to id new (a rename); its nodeid stays. */
void nodes_moved(uint64_t old, uint64_t new_id);
/* FAT node id fat was removed: its nodeid now names nothing (ENOENT). */
void nodes_gone(uint64_t fat);

#endif
