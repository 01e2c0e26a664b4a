/*
 * fatfs -- the FAT server: serves the ramdisk's FAT volume to the kernel.
 *
 *     fatfs --image PHYS:SIZE MOUNTPOINT   serve it over FUSE at MOUNTPOINT
 *     fatfs --image PHYS:SIZE --check      walk it and test writes (check.c)
 *     fatfs --blk DRIVER MOUNTPOINT        serve the disk of a block driver
 *     fatfs --blk DRIVER --check
 *
 * With a MOUNTPOINT, a last argument --background makes the server go on
 * in a child: the command ends once the volume is mounted (status 0) or
 * refused (the child's status), so that init's `wait` entry has /mnt
 * mounted, and its messages printed, before the shell starts.
 *
 * PHYS:SIZE is the image's physical range (hex or decimal, as the kernel
 * prints the GRUB module "ramdisk").  The kernel starts the server at boot
 * as `fatfs --image PHYS:SIZE /` (fs/rootmount.c) and gives it the right to
 * map device memory; the server maps the image with os_physmap(2), so the
 * library works on the ramdisk's own pages: nothing is copied, and what it
 * writes is in the ramdisk (a grader can take the image out of the guest's
 * memory after a run and fsck it).
 *
 * Then fat_mount checks the volume.  An image it refuses ends the server
 * with status 1 and the library's reason:
 *
 *     fatfs: ramdisk refused: <reason>
 *
 * With --blk the volume is a disk instead, which a block driver serves
 * (DRIVER: its pid, or a program such as `ata` to start, see blk.c): the
 * server reads it into memory and writes each change back before it
 * replies.  init mounts the second IDE disk so at /mnt (etc/inittab:
 * `fatfs --blk ata /mnt --background`); a refused disk reads "fatfs: disk
 * refused: ...".
 *
 * The FAT logic is the library's (fat.h, built and tested on the host too);
 * the server adds the FUSE side (ops.c), the nodeid table that keeps
 * nodeids stable across renames (nodes.c) and the check mode of the
 * ramdisk stage (check.c), which needs no VFS.
 */
#include <errno.h>
#include <fcntl.h>
#include <os/os.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "../background.h"
#include "server.h"

static struct fat_volume volume;

static int64_t server_clock(void *arg)
{
	struct timespec ts;

	(void)arg;
	return clock_gettime(CLOCK_REALTIME, &ts) == 0 ? (int64_t)ts.tv_sec : 0;
}

/* "PHYS:SIZE" -> *phys, *size; 0, or -1 if it is not that. */
static int parse_range(const char *s, uint64_t *phys, uint64_t *size)
{
	char *end;

	errno = 0;
	*phys = strtoull(s, &end, 0);
	if (end == s || *end != ':' || errno)
		return -1;
	s = end + 1;
	*size = strtoull(s, &end, 0);
	if (end == s || *end != '\0' || errno || *size == 0)
		return -1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: fatfs --image PHYS:SIZE MOUNTPOINT|--check\n"
			"       fatfs --blk DRIVER MOUNTPOINT [--background] | --check\n");
	return 2;
}

/* Read the disk of the block driver DRIVER and mount it: 0, or 1 (said why). */
static int server_mount_blk(const char *driver)
{
	uint8_t *image;
	size_t size;

	if (blk_open(driver, &image, &size) != 0) {
		blk_close();
		return 1;
	}
	if (fat_mount(&volume, image, size, server_clock, NULL) != 0) {
		printf("fatfs: disk refused: %s\n", volume.error);
		blk_close();
		return 1;
	}
	volume.dirty = blk_dirty;
	printf("fatfs: FAT%d volume on the disk of pid %d: %u clusters of %u bytes, %u free\n",
	       volume.type, blk_driver(), volume.clusters, volume.cluster_size,
	       volume.free_clusters);
	return 0;
}

/* Map the image and mount it: 0, or 1 (said why). */
static int server_mount(uint64_t phys, uint64_t size)
{
	void *image = os_physmap(phys, size, PROT_READ | PROT_WRITE);

	if (image == MAP_FAILED) {
		printf("fatfs: cannot map the image at %#llx (%llu bytes): %s\n",
		       (unsigned long long)phys, (unsigned long long)size, strerror(errno));
		return 1;
	}
	if (fat_mount(&volume, image, size, server_clock, NULL) != 0) {
		printf("fatfs: ramdisk refused: %s\n", volume.error);
		return 1;
	}
	printf("fatfs: FAT%d volume at %#llx: %u clusters of %u bytes, %u free\n", volume.type,
	       (unsigned long long)phys, volume.clusters, volume.cluster_size,
	       volume.free_clusters);
	return 0;
}

void server_ready(void)
{
	if (background_ready() != 0)
		printf("fatfs: cannot tell the parent: %s\n", strerror(errno));
}

int main(int argc, char *argv[])
{
	uint64_t phys, size;
	int err;

	/* Line by line, so the console shows each line as it is printed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[4], "--background") == 0 && strcmp(argv[3], "--check") != 0) {
		/* The pipe is close-on-exec, so the driver started later does not hold it. */
		if (background_start() != 0) {
			printf("fatfs: cannot go to the background: %s\n", strerror(errno));
			exit(1);
		}
		argc = 4;
	}
	if (argc != 4)
		return usage();
	if (strcmp(argv[1], "--blk") == 0)
		err = server_mount_blk(argv[2]);
	else if (strcmp(argv[1], "--image") == 0 && parse_range(argv[2], &phys, &size) == 0)
		err = server_mount(phys, size);
	else
		return usage();
	if (err)
		return err;
	if (strcmp(argv[3], "--check") == 0)
		return check_run(&volume) == 0 ? 0 : 1;
	return serve_run(&volume, argv[3], argc, argv) == 0 ? 0 : 1;
}
