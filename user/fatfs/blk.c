/*
 * blk.c -- the FAT server's block backend: the volume on a disk that a
 * block driver in userspace serves (fatfs --blk DRIVER, the protocol of
 * <os/blk.h>; user/ata.c is the driver of the second IDE disk).
 *
 * DRIVER is a pid (a driver already running) or a program, a path or a
 * name in /bin, that the server starts as its child; either way requests
 * go to that one pid, and only its replies are taken (os_recv from it),
 * so a driver that dies ends every wait with ESRCH, never a hang.
 *
 * The library works on a volume held whole in memory (fat.h), so at mount
 * the server reads the disk, at most BLK_DISK_MAX bytes, into an anonymous
 * mapping.  The library then reports every byte range it writes
 * (fat_volume.dirty -> blk_dirty), which marks those sectors dirty, and
 * ops.c calls blk_commit before it replies to a request that may have
 * changed the volume: the dirty sectors go to the driver in runs of
 * consecutive sectors (BLK_WRITE), then BLK_FLUSH, so the reply comes
 * only once the change is on the medium.  A sector stays dirty until a
 * write of it succeeded.
 */
#include <errno.h>
#include <os/blk.h>
#include <os/os.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "server.h"

#define BLK_DISK_MAX   (16u << 20) /* bytes of disk the server holds in memory */
#define BLK_REPLY_SECS 30          /* how long a request may take the driver */

static pid_t blk_pid;      /* the driver; 0 while there is none */
static bool blk_started;   /* by us, as our child */
static uint8_t *blk_image; /* the disk's first blk_size bytes */
static size_t blk_size;
static uint8_t *blk_dirty_map; /* a byte per sector: written since the last commit */
static uint64_t blk_tag;       /* of the last request */
static uint8_t *blk_reply;     /* page aligned, BLK_MSG_MAX bytes */

/* Start the driver program as a child; its pid, or 0 (said why). */
static pid_t blk_start(const char *program)
{
	char path[256];
	pid_t pid;

	snprintf(path, sizeof(path), "%s%s", strchr(program, '/') ? "" : "/bin/", program);
	pid = fork();
	if (pid == 0) {
		execl(path, program, (char *)NULL);
		printf("fatfs: cannot start the driver %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		printf("fatfs: cannot start the driver %s: %s\n", path, strerror(errno));
	return pid < 0 ? 0 : pid;
}

/*
 * Send request rq (with data_len bytes of data for a write) to the driver
 * and wait for its reply; the reply's data (a read's) is then at
 * blk_reply + BLK_DATA.  Returns the reply's status, or -EIO when the
 * driver is gone, did not answer in time, or answered nonsense.
 */
static int blk_call(struct blk_msg *rq, const void *data, size_t data_len)
{
	struct timespec limit = { BLK_REPLY_SECS, 0 };
	size_t len = BLK_DATA + data_len;
	const struct blk_msg *rp = (const struct blk_msg *)blk_reply;
	uint8_t *msg;
	ssize_t n;
	int err;

	if (!blk_pid)
		return -EIO;
	/* A message over OS_MSG_INLINE_MAX moves its pages: a buffer of its own. */
	msg = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (msg == MAP_FAILED)
		return -ENOMEM;
	rq->tag = ++blk_tag;
	memcpy(msg, rq, sizeof(*rq));
	if (data_len)
		memcpy(msg + BLK_DATA, data, data_len);
	err = os_send(blk_pid, msg, len, 0);
	munmap(msg, len);
	if (err != 0)
		return -EIO;
	do /* a late reply to an earlier request that timed out is dropped */
		n = os_recv_timeout(blk_pid, blk_reply, BLK_MSG_MAX, NULL, 0, &limit);
	while ((n >= (ssize_t)BLK_DATA && rp->tag != rq->tag) || (n < 0 && errno == EINTR));
	if (n < (ssize_t)BLK_DATA || rp->op != rq->op)
		return -EIO;
	if (rp->status == 0 && rq->op == BLK_READ &&
	    (size_t)n != BLK_DATA + (size_t)rq->count * BLK_SECTOR_SIZE)
		return -EIO;
	return rp->status;
}

/* Read sectors [lba, lba + count) into the image. */
static int blk_read(uint64_t lba, uint32_t count)
{
	struct blk_msg rq = { .op = BLK_READ, .lba = lba, .count = count };
	int err = blk_call(&rq, NULL, 0);

	if (!err)
		memcpy(blk_image + lba * BLK_SECTOR_SIZE, blk_reply + BLK_DATA,
		       (size_t)count * BLK_SECTOR_SIZE);
	return err;
}

/* Write sectors [lba, lba + count) of the image to the disk. */
static int blk_write(uint64_t lba, uint32_t count)
{
	struct blk_msg rq = { .op = BLK_WRITE, .lba = lba, .count = count };

	return blk_call(&rq, blk_image + lba * BLK_SECTOR_SIZE, (size_t)count * BLK_SECTOR_SIZE);
}

/* The disk's size from BLK_INFO: 0, or 1 (said why). */
static int blk_info(uint64_t *sectors)
{
	struct blk_msg rq = { .op = BLK_INFO };
	int err = blk_call(&rq, NULL, 0);
	const struct blk_msg *rp = (const struct blk_msg *)blk_reply;

	if (err) {
		printf("fatfs: no disk from the block driver (pid %d): %s\n", (int)blk_pid,
		       strerror(-err));
		return 1;
	}
	if (rp->sector_size != BLK_SECTOR_SIZE || rp->sectors == 0) {
		printf("fatfs: the disk has %llu sectors of %u bytes: refused\n",
		       (unsigned long long)rp->sectors, rp->sector_size);
		return 1;
	}
	*sectors = rp->sectors;
	return 0;
}

int blk_open(const char *driver, uint8_t **image, size_t *size)
{
	char *end;
	long pid = strtol(driver, &end, 10);
	uint64_t sectors;

	blk_started = !(*end == '\0' && pid > 0);
	blk_pid = blk_started ? blk_start(driver) : (pid_t)pid;
	blk_reply = aligned_alloc(4096, BLK_MSG_MAX);
	if (!blk_pid || !blk_reply || blk_info(&sectors))
		return 1;
	if (sectors * BLK_SECTOR_SIZE > BLK_DISK_MAX) {
		printf("fatfs: the disk's %llu MiB are more than the %u MiB this server holds: "
		       "refused\n",
		       (unsigned long long)(sectors * BLK_SECTOR_SIZE >> 20), BLK_DISK_MAX >> 20);
		return 1;
	}
	blk_size = sectors * BLK_SECTOR_SIZE;
	blk_image =
		mmap(NULL, blk_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	blk_dirty_map = calloc(sectors, 1);
	if (blk_image == MAP_FAILED || !blk_dirty_map) {
		printf("fatfs: no memory for the disk's %zu bytes\n", blk_size);
		return 1;
	}
	for (uint64_t lba = 0; lba < sectors; lba += BLK_MAX_SECTORS) {
		uint32_t n = sectors - lba < BLK_MAX_SECTORS ? (uint32_t)(sectors - lba)
							     : BLK_MAX_SECTORS;
		int err = blk_read(lba, n);

		if (err) {
			printf("fatfs: reading the disk at sector %llu: %s\n",
			       (unsigned long long)lba, strerror(-err));
			return 1;
		}
	}
	*image = blk_image;
	*size = blk_size;
	return 0;
}

void blk_close(void)
{
	if (blk_started && blk_pid)
		kill(blk_pid, SIGKILL);
	blk_pid = 0;
}

int blk_driver(void)
{
	return blk_pid;
}

void blk_dirty(void *arg, uint64_t off, size_t len)
{
	(void)arg;
	if (len == 0 || off >= blk_size)
		return;
	for (uint64_t s = off / BLK_SECTOR_SIZE; s <= (off + len - 1) / BLK_SECTOR_SIZE; s++)
		blk_dirty_map[s] = 1;
}

int blk_commit(void)
{
	uint64_t sectors = blk_size / BLK_SECTOR_SIZE, lba = 0;
	bool wrote = false;

	while (lba < sectors) {
		uint32_t n = 0;
		int err;

		if (!blk_dirty_map[lba]) {
			lba++;
			continue;
		}
		while (lba + n < sectors && n < BLK_MAX_SECTORS && blk_dirty_map[lba + n])
			n++;
		err = blk_write(lba, n);
		if (err)
			return err;
		memset(blk_dirty_map + lba, 0, n);
		wrote = true;
		lba += n;
	}
	if (wrote) {
		struct blk_msg rq = { .op = BLK_FLUSH };

		return blk_call(&rq, NULL, 0);
	}
	return 0;
}
