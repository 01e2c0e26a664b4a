/*
 * fattool -- drive the FAT library on the host, for grade/test_fatfs.py.
 *
 *     fattool IMAGE < script
 *
 * reads IMAGE into memory, mounts it with fat_mount, runs the commands of
 * the script (one per line, fields separated by tabs, paths absolute in the
 * volume), and writes the image back if a command changed it: only the
 * 512-byte sectors the library said it wrote (fat_volume.dirty), over the
 * file's old bytes, as fatfs --blk writes a disk back.  So every check of
 * the written image (fsck.fat, mtools) also checks that the library
 * reports each change it makes.  Each command
 * prints one line "ok ..." or "err N" (N a negative errno), or several for
 * listings; a mount refusal prints "refused: <reason>" and exits 2.  The
 * clock is a counter set by the "time" command, so every run is repeatable.
 *
 *   time T                      the clock now reads T (seconds since the epoch)
 *   tree [HOSTDIR]              list every node below /: "node PATH TYPE SIZE SHORT
 *                               MTIME"; with HOSTDIR copy the tree there (a file
 *                               that cannot be read gives "bad PATH ERR")
 *   ls PATH                     readdir of PATH: "entry NAME SHORT MODE ID NEXT"
 *   readdir PATH OFF            one fat_readdir at offset OFF: "entry ..." or "end"
 *   stat PATH                   "ok SIZE MODE NLINK ATIME MTIME CTIME BLOCKS"
 *   statid ID                   the same for a node id
 *   get PATH HOSTFILE           copy a file out
 *   put HOSTFILE PATH CHUNK     create (or empty) PATH, write HOSTFILE in CHUNK-byte writes
 *   write PATH OFF HOSTFILE     pwrite HOSTFILE's bytes at OFF
 *   read PATH OFF LEN           "ok N HEX" (LEN at most 4096); stamps the access
 *                               date first, as the server does at OPEN
 *   trunc PATH SIZE, create PATH, mkdir PATH, rm PATH, rmdir PATH, mv OLD NEW
 *   lookup DIR NAME             "ok ID": one fat_lookup (NAME may be "." or "..")
 *   times PATH ATIME MTIME, chmod PATH MODE
 *   statfs                      "ok CLUSTERS FREE CLUSTER_SIZE"
 *
 * Host-only code (stdio, files) lives here, never in the library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../fat.h"

#define MAX_FIELDS 5

static struct fat_volume vol;
static int64_t now = 1704067200; /* 2024-01-01 00:00:00 */
static int changed;
static uint8_t *disk;         /* the file's bytes, as a disk would still hold them */
static uint8_t *dirty_sector; /* one byte per 512-byte sector: written since */

#define TOOL_SECTOR 512

static void tool_dirty(void *arg, uint64_t off, size_t len)
{
	(void)arg;
	for (uint64_t s = off / TOOL_SECTOR; s <= (off + len - 1) / TOOL_SECTOR; s++)
		dirty_sector[s] = 1;
}

/* The disk after the write-back of the dirty sectors of image. */
static void tool_write_back(const uint8_t *image, size_t size)
{
	for (size_t s = 0; s * TOOL_SECTOR < size; s++) {
		size_t at = s * TOOL_SECTOR, n = size - at < TOOL_SECTOR ? size - at : TOOL_SECTOR;

		if (dirty_sector[s])
			memcpy(disk + at, image + at, n);
	}
}

static int64_t tool_clock(void *arg)
{
	(void)arg;
	return now;
}

static uint8_t *tool_slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*size = (size_t)n;
	}
	fclose(f);
	return buf;
}

static int tool_spit(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, n, f) == n;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -EIO;
}

/* Split /a/b/c into the parent's id and "c". */
static int tool_parent(const char *path, uint64_t *dir, const char **name)
{
	static char parent[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL || (n = (size_t)(slash - path)) >= sizeof(parent))
		return -EINVAL;
	memcpy(parent, path, n);
	parent[n] = '\0';
	*name = slash + 1;
	return fat_lookup_path(&vol, parent, dir);
}

static void tool_status(int r)
{
	if (r < 0)
		printf("err %d\n", r);
	else
		printf("ok\n");
}

static int tool_get(uint64_t id, const char *host)
{
	struct fat_attr a;
	uint8_t *buf;
	int64_t n;
	int r = fat_getattr(&vol, id, &a);

	if (r < 0)
		return r;
	buf = malloc(a.size + 1);
	if (buf == NULL)
		return -ENOMEM;
	n = fat_read(&vol, id, buf, a.size, 0);
	r = n < 0 ? (int)n : n != (int64_t)a.size ? -EIO : host ? tool_spit(host, buf, a.size) : 0;
	free(buf);
	return r;
}

/* List dir (at path) and everything below it; copy files under host if not NULL. */
static void tool_tree(uint64_t dir, const char *path, const char *host)
{
	struct fat_dirent *d = malloc(sizeof(*d));
	struct fat_attr a;
	char sub[4096], out[4096];
	uint64_t off = 0;
	int r;

	while (d && (r = fat_readdir(&vol, dir, off, d)) == 1) {
		off = d->next;
		if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, d->name);
		snprintf(out, sizeof(out), "%s/%s", host ? host : "", d->name);
		r = fat_getattr(&vol, d->id, &a);
		if (r < 0) {
			printf("bad\t%s\t%d\n", sub, r);
			continue;
		}
		printf("node\t%s\t%c\t%llu\t%s\t%lld\n", sub, d->mode & FAT_S_IFDIR ? 'd' : 'f',
		       (unsigned long long)a.size, d->short_name, (long long)a.mtime);
		if (d->mode & FAT_S_IFDIR) {
			if (host && mkdir(out, 0755) != 0)
				printf("bad\t%s\tmkdir\n", sub);
			tool_tree(d->id, sub, host ? out : NULL);
		} else {
			r = tool_get(d->id, host ? out : NULL);
			if (r < 0)
				printf("bad\t%s\t%d\n", sub, r);
		}
	}
	if (d == NULL || r < 0)
		printf("bad\t%s/\t%d\n", path, d ? r : -ENOMEM);
	free(d);
}

/* readdir of path from offset off: every entry, or only one if once. */
static int tool_ls(const char *path, uint64_t off, int once)
{
	struct fat_dirent d;
	uint64_t id;
	int r = fat_lookup_path(&vol, path, &id);

	if (r < 0)
		return r;
	while ((r = fat_readdir(&vol, id, off, &d)) == 1) {
		printf("entry\t%s\t%s\t%o\t%llu\t%llu\n", d.name, d.short_name, d.mode,
		       (unsigned long long)d.id, (unsigned long long)d.next);
		off = d.next;
		if (once)
			return 1;
	}
	if (r == 0 && once)
		printf("end\n");
	return r < 0 || !once ? r : 1;
}

static int tool_stat(const char *path, uint64_t id)
{
	struct fat_attr a;
	int r = path ? fat_lookup_path(&vol, path, &id) : 0;

	if (r == 0)
		r = fat_getattr(&vol, id, &a);
	if (r < 0)
		return r;
	printf("ok\t%llu\t%o\t%u\t%lld\t%lld\t%lld\t%llu\n", (unsigned long long)a.size, a.mode,
	       a.nlink, (long long)a.atime, (long long)a.mtime, (long long)a.ctime,
	       (unsigned long long)a.blocks);
	return 1;
}

/* Create or empty path, then write the host file into it chunk bytes at a time. */
static int tool_put(const char *host, const char *path, size_t chunk)
{
	const char *name;
	uint64_t dir, id;
	size_t size, off;
	uint8_t *buf = tool_slurp(host, &size);
	int64_t n = 0;
	int r;

	if (buf == NULL)
		return -ENOENT;
	r = tool_parent(path, &dir, &name);
	if (r == 0) {
		r = fat_lookup(&vol, dir, name, &id);
		if (r == 0)
			r = fat_truncate(&vol, id, 0);
		else if (r == -ENOENT)
			r = fat_create(&vol, dir, name, 0644, &id);
	}
	for (off = 0; r == 0 && off < size; off += (size_t)n) {
		n = fat_write(&vol, id, buf + off, size - off < chunk ? size - off : chunk, off);
		if (n < 0)
			r = (int)n;
	}
	free(buf);
	return r;
}

static int tool_pwrite(const char *path, uint64_t off, const char *host)
{
	size_t size;
	uint64_t id;
	uint8_t *buf = tool_slurp(host, &size);
	int64_t n;
	int r = buf ? fat_lookup_path(&vol, path, &id) : -ENOENT;

	if (r == 0) {
		n = fat_write(&vol, id, buf, size, off);
		r = n < 0 ? (int)n : 0;
	}
	free(buf);
	return r;
}

static int tool_read(const char *path, uint64_t off, size_t len)
{
	uint8_t buf[4096];
	uint64_t id;
	int64_t n;
	int r = fat_lookup_path(&vol, path, &id);

	if (r < 0)
		return r;
	r = fat_accessed(&vol, id); /* as the server does when it opens the file */
	if (r < 0)
		return r;
	n = fat_read(&vol, id, buf, len < sizeof(buf) ? len : sizeof(buf), off);
	if (n < 0)
		return (int)n;
	printf("ok\t%lld\t", (long long)n);
	for (int64_t i = 0; i < n; i++)
		printf("%02x", buf[i]);
	printf("\n");
	return 1;
}

static int tool_on_path(const char *cmd, char **f)
{
	const char *name;
	uint64_t dir, id;
	int r = tool_parent(f[1], &dir, &name);

	if (r < 0)
		return r;
	if (strcmp(cmd, "create") == 0)
		return fat_create(&vol, dir, name, 0644, &id);
	if (strcmp(cmd, "mkdir") == 0)
		return fat_mkdir(&vol, dir, name, &id);
	if (strcmp(cmd, "rm") == 0)
		return fat_unlink(&vol, dir, name);
	if (strcmp(cmd, "rmdir") == 0)
		return fat_rmdir(&vol, dir, name);
	r = fat_lookup(&vol, dir, name, &id);
	if (r < 0)
		return r;
	if (strcmp(cmd, "trunc") == 0)
		return fat_truncate(&vol, id, strtoull(f[2], NULL, 0));
	if (strcmp(cmd, "times") == 0)
		return fat_set_times(&vol, id, strtoll(f[2], NULL, 0), strtoll(f[3], NULL, 0));
	if (strcmp(cmd, "chmod") == 0)
		return fat_set_mode(&vol, id, (uint32_t)strtoul(f[2], NULL, 8));
	return -ENOSYS;
}

static int tool_mv(const char *from, const char *to)
{
	const char *a, *b;
	uint64_t da, db, id;
	int r = tool_parent(from, &da, &a);

	if (r < 0)
		return r;
	r = tool_parent(to, &db, &b);
	if (r < 0)
		return r;
	return fat_rename(&vol, da, a, db, b, &id);
}

static int tool_lookup(const char *path, const char *name)
{
	uint64_t dir, id;
	int r = fat_lookup_path(&vol, path, &dir);

	if (r == 0)
		r = fat_lookup(&vol, dir, name, &id);
	if (r == 0)
		printf("ok\t%llu\n", (unsigned long long)id);
	return r < 0 ? r : 1;
}

static int tool_statfs(void)
{
	struct fat_statfs st;

	fat_statfs(&vol, &st);
	printf("ok\t%llu\t%llu\t%u\n", (unsigned long long)st.clusters,
	       (unsigned long long)st.free_clusters, st.cluster_size);
	return 1;
}

static int tool_get_path(const char *path, const char *host)
{
	uint64_t id;
	int r = fat_lookup_path(&vol, path, &id);

	return r < 0 ? r : tool_get(id, host);
}

/* Commands that change the image, so that it is written back. */
static int tool_changes(const char *c)
{
	static const char *const changing[] = { "put",   "write", "mv",    "trunc", "create",
						"mkdir", "rm",    "rmdir", "times", "chmod" };

	for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
		if (strcmp(c, changing[i]) == 0)
			return 1;
	return 0;
}

/* Run one command; returns < 0 (error), 0 (print "ok") or 1 (printed already). */
static int tool_command(char **f, int n)
{
	const char *c = f[0];

	changed |= tool_changes(c);
	if (strcmp(c, "time") == 0 && n == 2)
		now = strtoll(f[1], NULL, 0);
	else if (strcmp(c, "tree") == 0)
		tool_tree(FAT_ROOT_ID, "", n > 1 ? f[1] : NULL);
	else if (strcmp(c, "ls") == 0 && n == 2)
		return tool_ls(f[1], 0, 0);
	else if (strcmp(c, "readdir") == 0 && n == 3)
		return tool_ls(f[1], strtoull(f[2], NULL, 0), 1);
	else if (strcmp(c, "stat") == 0 && n == 2)
		return tool_stat(f[1], 0);
	else if (strcmp(c, "statid") == 0 && n == 2)
		return tool_stat(NULL, strtoull(f[1], NULL, 0));
	else if (strcmp(c, "statfs") == 0)
		return tool_statfs();
	else if (strcmp(c, "get") == 0 && n == 3)
		return tool_get_path(f[1], f[2]);
	else if (strcmp(c, "put") == 0 && n == 4)
		return tool_put(f[1], f[2], strtoul(f[3], NULL, 0));
	else if (strcmp(c, "write") == 0 && n == 4)
		return tool_pwrite(f[1], strtoull(f[2], NULL, 0), f[3]);
	else if (strcmp(c, "read") == 0 && n == 4)
		return tool_read(f[1], strtoull(f[2], NULL, 0), strtoul(f[3], NULL, 0));
	else if (strcmp(c, "mv") == 0 && n == 3)
		return tool_mv(f[1], f[2]);
	else if (strcmp(c, "lookup") == 0 && n == 3)
		return tool_lookup(f[1], f[2]);
	else if (tool_changes(c) && n >= 2)
		return tool_on_path(c, f);
	else
		return -ENOSYS;
	return 0;
}

int main(int argc, char **argv)
{
	char line[8192], *f[MAX_FIELDS];
	size_t size;
	uint8_t *image;
	int n, r;

	if (argc != 2) {
		fprintf(stderr, "usage: fattool IMAGE < script\n");
		return 1;
	}
	image = tool_slurp(argv[1], &size);
	if (image == NULL) {
		perror(argv[1]);
		return 1;
	}
	if (fat_mount(&vol, image, size, tool_clock, NULL) < 0) {
		printf("refused: %s\n", vol.error);
		free(image);
		return 2;
	}
	disk = malloc(size + 1);
	dirty_sector = calloc(size / TOOL_SECTOR + 1, 1);
	if (!disk || !dirty_sector) {
		perror("fattool");
		return 1;
	}
	memcpy(disk, image, size);
	vol.dirty = tool_dirty;
	printf("mounted FAT%d\n", vol.type);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		n = 0;
		for (char *p = strtok(line, "\t"); p && n < MAX_FIELDS; p = strtok(NULL, "\t"))
			f[n++] = p;
		if (n == 0)
			continue;
		r = tool_command(f, n);
		if (r <= 0)
			tool_status(r);
		fflush(stdout);
	}
	tool_write_back(image, size);
	r = changed ? tool_spit(argv[1], disk, size) : 0;
	free(image);
	free(disk);
	free(dirty_sector);
	return r < 0 ? 1 : 0;
}
