/*
 * check.c -- fatfs --check: the ramdisk stage's test of the server, before
 * there is a VFS to reach it through.
 *
 * It works on the mapped ramdisk through the library, as the FUSE side
 * does, and prints lines that grade/stage_ramdisk.py compares with the
 * build tree (build/ramdisk-root) and then with the image it takes out of
 * the guest's memory after the run:
 *
 *   1. The whole tree, depth first in directory order, one line per node:
 *          check: dir PATH
 *          check: file SIZE CRC32 PATH      (CRC32 as zlib's, 8 hex digits)
 *          check: bad ERRNO PATH            (a file that cannot be read)
 *      and "check: N files, M directories, B bytes".
 *   2. A write test under /var/tmp, one line per step:
 *          write: STEP: ok
 *          write: STEP: FAILED (what went wrong)
 *      creating, writing (across clusters, in unaligned pieces), reading
 *      back, renaming across directories (a file and a directory),
 *      truncating (down and up: the new part reads as zeros), unlinking,
 *      mkdir and rmdir (also of a directory that is not empty), and the
 *      free-cluster count coming back after a removal.  What it leaves:
 *          /var/tmp/check/Moved Across.txt   TRUNC_UP bytes: the first
 *                                        TRUNC_DOWN of the pattern, then zeros
 *          /var/tmp/check/dir-b/             an empty directory
 *      The pattern is byte i = (i * 31 + 7) % 251.
 *   3. "check: done, F failed" (F failed steps); the status is 1 if F > 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "server.h"

#define PATH_BUF   4096
#define CHUNK      65536
#define WRITE_SIZE 20000 /* crosses clusters of every size mkramdisk uses */
#define PIECE      3001  /* written in pieces of this many bytes */
#define TRUNC_DOWN 1000
#define TRUNC_UP   3000

static uint8_t chunk[CHUNK];
static int failures;
static uint64_t nfiles, ndirs, nbytes;

uint32_t server_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = buf;

	if (table[1] == 0) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* CRC32 of file id's size bytes into *crc: 0 or a negative errno. */
static int file_crc(struct fat_volume *v, uint64_t id, uint64_t size, uint32_t *crc)
{
	uint64_t off = 0;

	*crc = 0;
	while (off < size) {
		int64_t n = fat_read(v, id, chunk, CHUNK, off);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO; /* shorter than its size */
		*crc = server_crc32(*crc, chunk, (size_t)n);
		off += (uint64_t)n;
	}
	return 0;
}

/* One node of the walk (not the root). */
static void walk_node(struct fat_volume *v, const char *prefix, const struct fat_dirent *d,
		      char *path);

static void walk(struct fat_volume *v, const char *prefix, uint64_t dir, const char *path)
{
	struct fat_dirent *d = malloc(sizeof(*d));
	char *sub = malloc(PATH_BUF);
	uint64_t off = 0;
	int r;

	if (!d || !sub) {
		printf("%s: bad %d %s\n", prefix, -ENOMEM, path);
		failures++;
		free(d);
		free(sub);
		return;
	}
	while ((r = fat_readdir(v, dir, off, d)) == 1) {
		off = d->next;
		if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
			continue;
		snprintf(sub, PATH_BUF, "%s/%s", strcmp(path, "/") == 0 ? "" : path, d->name);
		walk_node(v, prefix, d, sub);
	}
	if (r < 0) {
		printf("%s: bad %d %s\n", prefix, r, path);
		failures++;
	}
	free(sub);
	free(d);
}

static void walk_node(struct fat_volume *v, const char *prefix, const struct fat_dirent *d,
		      char *path)
{
	struct fat_attr a;
	uint32_t crc = 0;
	int r = fat_getattr(v, d->id, &a);

	if (r == 0 && (a.mode & FAT_S_IFMT) == FAT_S_IFDIR) {
		printf("%s: dir %s\n", prefix, path);
		ndirs++;
		walk(v, prefix, d->id, path);
		return;
	}
	if (r == 0)
		r = file_crc(v, d->id, a.size, &crc);
	if (r < 0) {
		printf("%s: bad %d %s\n", prefix, r, path);
		failures++;
		return;
	}
	printf("%s: file %llu %08x %s\n", prefix, (unsigned long long)a.size, crc, path);
	nfiles++;
	nbytes += a.size;
}

/* ---- the write test ------------------------------------------------------- */

static uint8_t pattern_byte(uint64_t i)
{
	return (uint8_t)((i * 31 + 7) % 251);
}

/* Print one step's result; ok is the check, detail says what went wrong. */
static void step(const char *name, int ok, const char *detail)
{
	if (ok) {
		printf("write: %s: ok\n", name);
	} else {
		printf("write: %s: FAILED (%s)\n", name, detail);
		failures++;
	}
}

/* A step whose check is a library result: 0 (or want) is right. */
static void step_err(const char *name, int64_t got, int64_t want)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "got %lld, expected %lld", (long long)got,
		 (long long)want);
	step(name, got == want, detail);
}

static uint64_t path_id(struct fat_volume *v, const char *path)
{
	uint64_t id;

	return fat_lookup_path(v, path, &id) == 0 ? id : 0;
}

/* Does file id hold the pattern for [0, plen) and zeros for [plen, size)? */
static int holds(struct fat_volume *v, uint64_t id, uint64_t plen, uint64_t size)
{
	struct fat_attr a;
	int64_t n;

	if (fat_getattr(v, id, &a) != 0 || a.size != size || size > CHUNK)
		return 0;
	n = fat_read(v, id, chunk, CHUNK, 0);
	if (n != (int64_t)size)
		return 0;
	for (uint64_t i = 0; i < size; i++)
		if (chunk[i] != (i < plen ? pattern_byte(i) : 0))
			return 0;
	return 1;
}

static int write_pattern(struct fat_volume *v, uint64_t id)
{
	static uint8_t buf[WRITE_SIZE];

	for (uint64_t i = 0; i < WRITE_SIZE; i++)
		buf[i] = pattern_byte(i);
	for (uint64_t off = 0; off < WRITE_SIZE; off += PIECE) {
		size_t n = WRITE_SIZE - off < PIECE ? WRITE_SIZE - off : PIECE;

		if (fat_write(v, id, buf + off, n, off) != (int64_t)n)
			return 0;
	}
	return 1;
}

static uint64_t free_clusters(struct fat_volume *v)
{
	struct fat_statfs st;

	fat_statfs(v, &st);
	return st.free_clusters;
}

/* Create, write, read back, rename across directories, truncate. */
static void test_file(struct fat_volume *v, uint64_t tmp, uint64_t dir)
{
	uint64_t id = 0, moved = 0;

	step_err("create /var/tmp/Check File.TXT", fat_create(v, tmp, "Check File.TXT", 0644, &id),
		 0);
	step("write 20000 bytes in pieces", id && write_pattern(v, id), "short write");
	step("read back", id && holds(v, id, WRITE_SIZE, WRITE_SIZE), "different bytes");
	step("lookup ignores case", id && path_id(v, "/VAR/TMP/check file.txt") == id, "not found");
	step_err("rename to /var/tmp/check/Moved Across.txt",
		 fat_rename(v, tmp, "Check File.TXT", dir, "Moved Across.txt", &moved), 0);
	step("old name gone", path_id(v, "/var/tmp/Check File.TXT") == 0, "still there");
	step("new name found", moved && path_id(v, "/var/tmp/check/Moved Across.txt") == moved,
	     "not found");
	step("moved file intact", moved && holds(v, moved, WRITE_SIZE, WRITE_SIZE),
	     "different bytes");
	step_err("truncate to 1000", moved ? fat_truncate(v, moved, TRUNC_DOWN) : -1, 0);
	step("truncated file", moved && holds(v, moved, TRUNC_DOWN, TRUNC_DOWN), "wrong bytes");
	step_err("extend to 3000", moved ? fat_truncate(v, moved, TRUNC_UP) : -1, 0);
	step("extension reads zeros", moved && holds(v, moved, TRUNC_DOWN, TRUNC_UP),
	     "wrong bytes");
}

/* Unlink and rmdir give back what they took; a directory moves. */
static void test_remove(struct fat_volume *v, uint64_t tmp, uint64_t dir)
{
	uint64_t before = free_clusters(v), id = 0, sub = 0;

	step_err("create /var/tmp/check/gone.txt", fat_create(v, dir, "gone.txt", 0644, &id), 0);
	step("write gone.txt", id && write_pattern(v, id), "short write");
	step_err("unlink gone.txt", fat_unlink(v, dir, "gone.txt"), 0);
	step("gone.txt gone", path_id(v, "/var/tmp/check/gone.txt") == 0, "still there");
	step("free clusters back after unlink", free_clusters(v) == before, "a leak");
	step_err("mkdir /var/tmp/check/sub", fat_mkdir(v, dir, "sub", &sub), 0);
	step_err("rmdir /var/tmp/check (not empty)", fat_rmdir(v, tmp, "check"), -ENOTEMPTY);
	step_err("rmdir /var/tmp/check/sub", fat_rmdir(v, dir, "sub"), 0);
	step("sub gone", path_id(v, "/var/tmp/check/sub") == 0, "still there");
	step("free clusters back after rmdir", free_clusters(v) == before, "a leak");
	step_err("mkdir /var/tmp/dir-a", fat_mkdir(v, tmp, "dir-a", &sub), 0);
	step_err("rename /var/tmp/dir-a to /var/tmp/check/dir-b",
		 fat_rename(v, tmp, "dir-a", dir, "dir-b", NULL), 0);
	step("dir-b's .. is /var/tmp/check", path_id(v, "/var/tmp/check/dir-b/..") == dir,
	     "wrong parent");
	step("dir-a gone", path_id(v, "/var/tmp/dir-a") == 0, "still there");
}

static void test_writes(struct fat_volume *v)
{
	uint64_t tmp = path_id(v, "/var/tmp"), dir = 0;

	step("/var/tmp exists", tmp != 0, "no /var/tmp in the image");
	if (!tmp)
		return;
	step_err("mkdir /var/tmp/check", fat_mkdir(v, tmp, "check", &dir), 0);
	if (!dir)
		return;
	test_file(v, tmp, dir);
	test_remove(v, tmp, dir);
}

int check_run(struct fat_volume *v)
{
	walk(v, "check", FAT_ROOT_ID, "/");
	printf("check: %llu files, %llu directories, %llu bytes\n", (unsigned long long)nfiles,
	       (unsigned long long)ndirs, (unsigned long long)nbytes);
	test_writes(v);
	walk(v, "after", path_id(v, "/var/tmp"), "/var/tmp");
	printf("check: done, %d failed\n", failures);
	return failures;
}
