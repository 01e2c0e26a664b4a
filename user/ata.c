/*
 * ata -- the block driver of the second IDE disk, in userspace.
 *
 *     ata     find the disk on the primary slave, then serve it
 *
 * The disk is the primary channel's slave (QEMU's `-drive ...,if=ide,
 * index=1`; the master is GRUB's arguments disk).  The driver talks to it
 * by programmed I/O (PIO) on the channel's ports, as the ATA/ATAPI-6
 * standard (T13/1410D, below "ATA-6") describes and OSDev's "ATA PIO Mode"
 * page explains: the command block 0x1f0-0x1f7 and the control register
 * 0x3f6, which the kernel lets it touch through ioperm(2) because it is
 * the program named "ata" (the hardware right of the drivers stage).  It
 * polls the status register and never uses the IRQ (nIEN is set).
 *
 * At start it selects the slave and sends IDENTIFY DEVICE (ATA-6 8.15):
 * a status of 0 (or the floating bus's 0xff) means no device, and the
 * driver says "ata: no disk on the primary slave" and exits with status 1
 * (the FAT server started with `--blk ata` then mounts nothing).  Else
 * words 60-61 of the identify data give the sectors reachable with 28-bit
 * LBA, and it prints
 *
 *     ata: primary slave: N sectors of 512 bytes (M MiB), MODEL
 *
 * Then it serves the block protocol of <os/blk.h> to one client, the
 * first process that sends it a request (the FAT server that started it):
 * a server keeps the disk in memory, so a second writer would corrupt it.
 * Others get -EBUSY while that client lives.  One request at a time, in
 * the order they come:
 * READ SECTORS (0x20), WRITE SECTORS (0x30) and FLUSH CACHE (0xe7), each
 * waited for with a deadline of ATA_TIMEOUT seconds; an error bit, a
 * device fault or the deadline is -EIO.  Each reply goes to the request's
 * sender.  The driver runs until it is killed.
 */
#include <errno.h>
#include <os/blk.h>
#include <signal.h>
#include <os/os.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>

/* The primary channel's command block and control register (ATA-6 7.1). */
#define ATA_DATA    0x1f0
#define ATA_COUNT   0x1f2
#define ATA_LBA_LO  0x1f3
#define ATA_LBA_MID 0x1f4
#define ATA_LBA_HI  0x1f5
#define ATA_DEVICE  0x1f6
#define ATA_STATUS  0x1f7 /* read: status; write: command */
#define ATA_CONTROL 0x3f6 /* read: alternate status; write: device control */

/* Status bits (ATA-6 7.15.6). */
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF  0x20
#define ST_BSY 0x80

#define CTL_NIEN 0x02 /* device control: no interrupts */

/* Device register: LBA addressing, the slave (DEV bit), LBA bits 24-27. */
#define DEV_LBA   0x40
#define DEV_SLAVE 0x10
#define DEV_OBS   0xa0 /* bits 7 and 5: obsolete, set by convention */

#define CMD_READ     0x20
#define CMD_WRITE    0x30
#define CMD_FLUSH    0xe7
#define CMD_IDENTIFY 0xec

#define ATA_TIMEOUT 5.0 /* seconds for the device to answer a step */
#define LBA28_MAX   (1u << 28)

static uint64_t disk_sectors;
static pid_t client; /* whom the driver serves; 0 until the first request */

static double ata_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The 400 ns a device may take to show a new status after a command or
 * a device selection (ATA-6 9.2): four reads of the alternate status. */
static void ata_delay(void)
{
	for (int i = 0; i < 4; i++)
		inb(ATA_CONTROL);
}

/* Wait for BSY to clear, then for DRQ too if want_drq: 0, or -EIO on ERR,
 * DF or the deadline. */
static int ata_wait(bool want_drq)
{
	double deadline = ata_now() + ATA_TIMEOUT;
	uint8_t st;

	for (;;) {
		st = inb(ATA_STATUS);
		if (!(st & ST_BSY)) {
			if (st & (ST_ERR | ST_DF))
				return -EIO;
			if (!want_drq || (st & ST_DRQ))
				return 0;
		}
		if (ata_now() > deadline)
			return -EIO;
	}
}

/* Load the registers for a command on count sectors from lba (28-bit
 * LBA; a count of 256 is written as 0, ATA-6 8.27) and issue it. */
static void ata_command(uint8_t cmd, uint64_t lba, uint32_t count)
{
	outb((uint8_t)(DEV_OBS | DEV_LBA | DEV_SLAVE | (lba >> 24 & 0x0f)), ATA_DEVICE);
	ata_delay();
	outb((uint8_t)count, ATA_COUNT);
	outb((uint8_t)lba, ATA_LBA_LO);
	outb((uint8_t)(lba >> 8), ATA_LBA_MID);
	outb((uint8_t)(lba >> 16), ATA_LBA_HI);
	outb(cmd, ATA_STATUS);
	ata_delay();
}

/* The model name: words 27-46, two ASCII bytes a word, high byte first. */
static void ata_model(const uint16_t *id, char *out, size_t size)
{
	size_t n = 0;

	for (int w = 27; w <= 46 && n + 2 < size; w++) {
		out[n++] = (char)(id[w] >> 8);
		out[n++] = (char)id[w];
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* IDENTIFY DEVICE on the slave: 0 with disk_sectors set, or -ENODEV (no
 * device, or not an ATA disk) or -EIO, said why. */
static int ata_identify(void)
{
	uint16_t id[256];
	char model[41];
	uint8_t st;

	outb(CTL_NIEN, ATA_CONTROL);
	outb(DEV_OBS | DEV_SLAVE, ATA_DEVICE);
	ata_delay();
	outb(0, ATA_COUNT);
	outb(0, ATA_LBA_LO);
	outb(0, ATA_LBA_MID);
	outb(0, ATA_LBA_HI);
	outb(CMD_IDENTIFY, ATA_STATUS);
	ata_delay();
	st = inb(ATA_STATUS);
	if (st == 0 || st == 0xff) {
		printf("ata: no disk on the primary slave\n");
		return -ENODEV;
	}
	/* A packet device (a CD-ROM) aborts IDENTIFY and shows its signature
	 * in the LBA registers (ATA-6 9.12). */
	if (ata_wait(true) != 0 || inb(ATA_LBA_MID) || inb(ATA_LBA_HI)) {
		printf("ata: the primary slave is not an ATA disk (status %#x)\n", inb(ATA_STATUS));
		return -ENODEV;
	}
	insw(ATA_DATA, id, 256);
	disk_sectors = (uint64_t)id[60] | (uint64_t)id[61] << 16;
	if (disk_sectors == 0 || disk_sectors > LBA28_MAX) {
		printf("ata: the primary slave reports %llu LBA28 sectors: refused\n",
		       (unsigned long long)disk_sectors);
		return -ENODEV;
	}
	ata_model(id, model, sizeof(model));
	printf("ata: primary slave: %llu sectors of %d bytes (%llu MiB), %s\n",
	       (unsigned long long)disk_sectors, BLK_SECTOR_SIZE,
	       (unsigned long long)(disk_sectors * BLK_SECTOR_SIZE >> 20), model);
	return 0;
}

/* READ SECTORS into buf, or WRITE SECTORS from it (ATA-6 8.27, 8.62):
 * the device asks for each sector with DRQ; after a write, BSY clears
 * once the last one is taken.  The data register is 16 bits wide, but
 * IDE controllers (QEMU's, Bochs', PCI ones) take 32-bit accesses to it
 * as two words: insl/outsl halve the port accesses, each an exit to the
 * emulator's device model (blktest measures 2.7 times the rate of insw).
 * 0 or -EIO. */
static int ata_transfer(bool write, uint64_t lba, uint32_t count, uint8_t *buf)
{
	int err = 0;

	ata_command(write ? CMD_WRITE : CMD_READ, lba, count);
	for (uint32_t i = 0; i < count && !err; i++, buf += BLK_SECTOR_SIZE) {
		err = ata_wait(true);
		if (err)
			break;
		if (write)
			outsl(ATA_DATA, buf, BLK_SECTOR_SIZE / 4);
		else
			insl(ATA_DATA, buf, BLK_SECTOR_SIZE / 4);
		ata_delay();
	}
	if (!err && write)
		err = ata_wait(false);
	return err;
}

/* FLUSH CACHE (ATA-6 8.14): BSY stays set until the cache is written. */
static int ata_flush(void)
{
	outb(DEV_OBS | DEV_LBA | DEV_SLAVE, ATA_DEVICE);
	ata_delay();
	outb(CMD_FLUSH, ATA_STATUS);
	ata_delay();
	return ata_wait(false);
}

/* Is the request's sector range on the disk and its length right? */
static bool ata_request_ok(const struct blk_msg *rq, size_t len)
{
	size_t data = rq->op == BLK_WRITE ? (size_t)rq->count * BLK_SECTOR_SIZE : 0;

	return rq->count >= 1 && rq->count <= BLK_MAX_SECTORS && rq->lba < disk_sectors &&
	       rq->count <= disk_sectors - rq->lba && len == BLK_DATA + data;
}

/* Send the reply to `to`: the header, and for a READ that was checked
 * (status 0) the count sectors, read from the disk straight into the
 * reply.  A reply that long moves its pages (<os/msg.h>), so each has a
 * buffer of its own, gone after the send. */
static void ata_reply(pid_t to, const struct blk_msg *rq, int status)
{
	struct blk_msg *rp;
	bool data = rq->op == BLK_READ && status == 0;
	size_t size = BLK_DATA + (data ? (size_t)rq->count * BLK_SECTOR_SIZE : 0), len = size;

	rp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rp == MAP_FAILED)
		return; /* the client's wait for a reply ends when it gives up */
	*rp = *rq;
	rp->status = status;
	if (rq->op == BLK_INFO) {
		rp->sector_size = BLK_SECTOR_SIZE;
		rp->sectors = disk_sectors;
	}
	if (data &&
	    (rp->status = ata_transfer(false, rq->lba, rq->count, (uint8_t *)rp + BLK_DATA)) != 0)
		len = BLK_DATA;
	os_send(to, rp, len, 0); /* a client that is gone gets nothing */
	munmap(rp, size);
}

/* Serve one request of len bytes in buf from `from`. */
static void ata_serve(pid_t from, uint8_t *buf, size_t len)
{
	struct blk_msg *rq = (struct blk_msg *)buf;
	int status = 0;

	if (client != from && (client == 0 || (kill(client, 0) != 0 && errno == ESRCH)))
		client = from; /* the first client, or the one after it ended */
	if (len >= BLK_DATA && from != client) {
		ata_reply(from, rq, -EBUSY);
		return;
	}
	if (len < BLK_DATA) {
		struct blk_msg bad = { 0 };

		ata_reply(from, &bad, -EINVAL);
		return;
	}
	switch (rq->op) {
	case BLK_INFO:
		break;
	case BLK_READ:
		status = ata_request_ok(rq, len) ? 0 : -EINVAL;
		break;
	case BLK_WRITE:
		status = ata_request_ok(rq, len)
				 ? ata_transfer(true, rq->lba, rq->count, buf + BLK_DATA)
				 : -EINVAL;
		break;
	case BLK_FLUSH:
		status = ata_flush();
		break;
	default:
		status = -EINVAL;
	}
	ata_reply(from, rq, status);
}

int main(void)
{
	uint8_t *buf;
	pid_t from;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ioperm(ATA_DATA, 8, 1) != 0 || ioperm(ATA_CONTROL, 1, 1) != 0) {
		printf("ata: no access to the disk's ports: %s\n", strerror(errno));
		return 1;
	}
	if (ata_identify() != 0)
		return 1;
	/* Page aligned, so that a large request's pages land here by
	 * remapping; OS_MSG_MAX holds any message, so none stays queued. */
	buf = aligned_alloc(4096, OS_MSG_MAX);
	if (!buf) {
		printf("ata: out of memory\n");
		return 1;
	}
	while ((n = os_recv(OS_MSG_ANY, buf, OS_MSG_MAX, &from, 0)) >= 0 || errno == EINTR)
		if (n >= 0)
			ata_serve(from, buf, (size_t)n);
	printf("ata: receive failed: %s\n", strerror(errno));
	return 1;
}
