/*
 * uapi/os/blk.h -- the block driver protocol: what a client (the FAT
 * server's block backend, user/fatfs/blk.c) and a block driver in
 * userspace (user/ata.c) say to each other by message (os_send/os_recv,
 * <os/msg.h>).
 *
 * The kernel does not read these messages; the header lives with the
 * other uapi headers so that the C library installs it as <os/blk.h> for
 * every driver and client.  Only <stdint.h> types.
 *
 * A request is a struct blk_msg, for BLK_WRITE followed by the sectors'
 * bytes (count * BLK_SECTOR_SIZE of them, at BLK_DATA).  The driver
 * answers each request, in order, with a message to its sender: the same
 * header (op, tag and lba as asked) with status 0 or a negative Linux
 * errno, for BLK_READ followed by the sectors' bytes.  A driver serves one
 * client at a time (the first to ask); others get -EBUSY while it lives.
 *
 *   BLK_INFO   -> sector_size, sectors: the disk's geometry
 *   BLK_READ   lba, count -> the count sectors from lba
 *   BLK_WRITE  lba, count, data -> written (not yet durable: see FLUSH)
 *   BLK_FLUSH  -> every sector written before is on the medium
 *
 * Errors: -EINVAL (an unknown op, count 0 or over BLK_MAX_SECTORS, a
 * range past the disk's end, a BLK_WRITE whose length is not its count's),
 * -EIO (the device reported an error or did not answer in time).  The
 * data follows the header at BLK_DATA, a whole cache line in, so that a
 * buffer of BLK_DATA + BLK_MAX_SECTORS * BLK_SECTOR_SIZE bytes holds any
 * message.  A message that long moves pages (<os/msg.h>): its sender's
 * buffer is page aligned and is gone after the send.
 */
#ifndef UAPI_OS_BLK_H
#define UAPI_OS_BLK_H

#include <stdint.h>

#define BLK_INFO  1
#define BLK_READ  2
#define BLK_WRITE 3
#define BLK_FLUSH 4

#define BLK_SECTOR_SIZE 512
#define BLK_MAX_SECTORS 256 /* per request: 128 KiB, ATA's most for one command */
#define BLK_DATA        64  /* the data's offset in a message */
#define BLK_MSG_MAX     (BLK_DATA + BLK_MAX_SECTORS * BLK_SECTOR_SIZE)

struct blk_msg {
	uint32_t op;          /* BLK_INFO, ... */
	int32_t status;       /* replies: 0 or a negative errno */
	uint64_t tag;         /* the client's, copied into the reply */
	uint64_t lba;         /* READ, WRITE: the first sector */
	uint32_t count;       /* READ, WRITE: sectors, 1..BLK_MAX_SECTORS */
	uint32_t sector_size; /* INFO's reply: bytes per sector */
	uint64_t sectors;     /* INFO's reply: sectors on the disk */
};

#endif /* UAPI_OS_BLK_H */
