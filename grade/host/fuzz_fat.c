/*
 * fuzz_fat -- a libFuzzer harness over the FAT library of user/fatfs/.
 *
 * The input is a FAT image, or its first bytes: when it is shorter than the
 * volume its boot sector declares (BPB_TotSec16/32 x BPB_BytsPerSec, up to
 * FUZZ_FAT_MAX), the harness pads it with zeros to that size, so that a seed
 * need not carry a FAT32 volume's 32 MiB of empty clusters.  (The refusal of
 * a truncated image is the one check that padding takes away from the
 * fuzzer; grade/test_fatfs.py tests it.)  The copy lies in a buffer of
 * exactly the image's size, so AddressSanitizer sees any read or write past
 * its end.
 *
 * Each run mounts the image and, if the mount succeeds, lists and looks up
 * every name (bounded: a corrupt directory may name its own ancestor), reads
 * every file with fat_read and fat_read_spans, then makes changes: a create,
 * a write past the end, a truncate, times and modes, a mkdir, renames and
 * removals.  What is checked is that nothing trips ASan or UBSan and that
 * every error is a negative errno the library documents; anything else
 * aborts, which libFuzzer reports as a crash.
 *
 * Built by grade/host/fuzzhost.py: with clang -fsanitize=fuzzer for `make
 * fuzz-host`, or with grade/host/fuzz_main.c (run the inputs named on the
 * command line) for `make unit-test`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../user/fatfs/fat.h"

#define FUZZ_FAT_MAX   (64u << 20) /* the largest volume the harness pads to */
#define FUZZ_FAT_NODES 400         /* names visited per run */
#define FUZZ_FAT_DEPTH 10

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_accepted; /* inputs mounted: fuzz_main.c reports it */

static int64_t fuzz_clock(void *arg)
{
	(void)arg;
	return 1704067200; /* 2024-01-01 */
}

/* A result of the library: >= 0, or one of the errnos fat.h names. */
static void fuzz_fat_result(int64_t r, const char *what)
{
	static const int ok[] = { ENOENT,    EIO,    EEXIST,       ENOTDIR, EISDIR, EINVAL,
				  ENOTEMPTY, ENOSPC, ENAMETOOLONG, EFBIG,   EACCES, EPERM };

	if (r >= 0)
		return;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (r == -ok[i])
			return;
	fprintf(stderr, "fuzz_fat: %s returned %lld, not an errno of fat.h\n", what, (long long)r);
	abort();
}

/* The volume size the boot sector declares, or 0. */
static size_t fuzz_fat_declared(const uint8_t *data, size_t size)
{
	uint64_t bps, total;

	if (size < 36)
		return 0;
	bps = (uint64_t)(data[11] | data[12] << 8);
	total = (uint64_t)(data[19] | data[20] << 8);
	if (total == 0)
		total = (uint64_t)data[32] | (uint64_t)data[33] << 8 | (uint64_t)data[34] << 16 |
			(uint64_t)data[35] << 24;
	return bps * total <= FUZZ_FAT_MAX ? (size_t)(bps * total) : 0;
}

static void fuzz_fat_read(struct fat_volume *v, uint64_t id, uint64_t size)
{
	static uint8_t buf[4096];
	struct fat_span spans[8];
	int nspans = 0;
	int64_t n;

	for (uint64_t pos = 0; pos < size && pos < (1u << 20); pos += sizeof(buf)) {
		n = fat_read(v, id, buf, sizeof(buf), pos);
		fuzz_fat_result(n, "fat_read");
		if (n <= 0)
			break;
	}
	n = fat_read_spans(v, id, 3 * v->cluster_size, v->cluster_size / 2, spans, 8, &nspans);
	fuzz_fat_result(n, "fat_read_spans");
	for (int i = 0; n > 0 && i < nspans; i++) {
		/* Each span must lie inside the image. */
		if (spans[i].data < v->image || spans[i].len > v->size ||
		    (size_t)(spans[i].data - v->image) > v->size - spans[i].len) {
			fprintf(stderr, "fuzz_fat: a span of fat_read_spans leaves the image\n");
			abort();
		}
	}
	fuzz_fat_result(fat_accessed(v, id), "fat_accessed");
}

/* List dir, look every name up again, read every file; *budget bounds the walk. */
static void fuzz_fat_walk(struct fat_volume *v, uint64_t dir, int depth, int *budget)
{
	struct fat_dirent d;
	struct fat_attr a;
	uint64_t off = 0, id;
	int r = 0;

	while (--*budget > 0 && (r = fat_readdir(v, dir, off, &d)) == 1) {
		if (d.next <= off) {
			fprintf(stderr, "fuzz_fat: readdir offset %llu did not advance\n",
				(unsigned long long)off);
			abort();
		}
		off = d.next;
		fuzz_fat_result(fat_lookup(v, dir, d.name, &id), "fat_lookup");
		if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0)
			continue;
		r = fat_getattr(v, d.id, &a);
		fuzz_fat_result(r, "fat_getattr");
		if (r < 0)
			continue;
		if (d.mode & FAT_S_IFDIR) {
			if (depth < FUZZ_FAT_DEPTH)
				fuzz_fat_walk(v, d.id, depth + 1, budget);
		} else {
			fuzz_fat_read(v, d.id, a.size);
		}
	}
	if (*budget > 0)
		fuzz_fat_result(r, "fat_readdir");
}

/* The changes a server makes, on whatever the volume holds. */
static void fuzz_fat_change(struct fat_volume *v)
{
	static const uint8_t bytes[3000];
	static const char *const names[] = { "new file with a long name.txt", "NEW.TXT",
					     "\xc3\xa9t\xc3\xa9", "d" };
	struct fat_dirent d;
	struct fat_statfs st;
	uint64_t id, dir = FAT_ROOT_ID;

	for (uint64_t off = 0; fat_readdir(v, FAT_ROOT_ID, off, &d) == 1; off = d.next)
		if ((d.mode & FAT_S_IFDIR) && strcmp(d.name, ".") && strcmp(d.name, ".."))
			dir = d.id;
	fuzz_fat_result(fat_create(v, dir, names[0], 0644, &id), "fat_create");
	if (fat_lookup(v, dir, names[0], &id) == 0) {
		fuzz_fat_result(fat_write(v, id, bytes, sizeof(bytes), 2 * v->cluster_size + 7),
				"fat_write");
		fuzz_fat_result(fat_truncate(v, id, 10), "fat_truncate");
		fuzz_fat_result(fat_set_times(v, id, 0, 1700000000), "fat_set_times");
		fuzz_fat_result(fat_set_mode(v, id, 0444), "fat_set_mode");
	}
	fuzz_fat_result(fat_mkdir(v, FAT_ROOT_ID, names[3], &id), "fat_mkdir");
	fuzz_fat_result(fat_rename(v, dir, names[0], FAT_ROOT_ID, names[2], &id), "fat_rename");
	fuzz_fat_result(fat_rename(v, FAT_ROOT_ID, names[3], dir, names[1], &id), "fat_rename");
	fuzz_fat_result(fat_unlink(v, FAT_ROOT_ID, names[2]), "fat_unlink");
	fuzz_fat_result(fat_rmdir(v, dir, names[1]), "fat_rmdir");
	fat_statfs(v, &st);
	if (st.free_clusters > st.clusters) {
		fprintf(stderr, "fuzz_fat: %llu free clusters of %llu\n",
			(unsigned long long)st.free_clusters, (unsigned long long)st.clusters);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t declared = fuzz_fat_declared(data, size);
	size_t len = declared > size ? declared : size;
	uint8_t *image = calloc(1, len ? len : 1);
	struct fat_volume v;
	uint64_t id;
	int budget = FUZZ_FAT_NODES;

	if (!image)
		return 0;
	memcpy(image, data, size);
	if (fat_mount(&v, image, len, fuzz_clock, NULL) == 0) {
		fuzz_accepted++;
		fuzz_fat_walk(&v, FAT_ROOT_ID, 0, &budget);
		fuzz_fat_result(fat_lookup_path(&v, "//a/../b/./c", &id), "fat_lookup_path");
		fuzz_fat_change(&v);
		budget = FUZZ_FAT_NODES;
		fuzz_fat_walk(&v, FAT_ROOT_ID, 0, &budget);
	} else if (v.error[0] == '\0') {
		fprintf(stderr, "fuzz_fat: fat_mount refused without a reason\n");
		abort();
	}
	free(image);
	return 0;
}
