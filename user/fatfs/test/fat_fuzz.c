/*
 * fat_fuzz -- feed the FAT library corrupt copies of a good image, on the host.
 *
 *     fat_fuzz IMAGE SEED RUNS
 *
 * mounts IMAGE once to learn where its metadata lives (boot sector, FATs,
 * FSInfo, the root directory, every directory's clusters), then RUNS times:
 * copies the image, damages 1 to 6 places in that metadata (random bytes,
 * or values chosen to hurt: 0, 0xFF, 0xE5, a long-name attribute, FAT
 * links to themselves, to cluster 1, past the volume, BAD, EOC), mounts the
 * copy and, if the mount succeeds, walks the whole tree reading every file,
 * then creates, writes, truncates, renames and removes a few names.  The
 * walk is bounded (depth and node count), since a corrupt directory may
 * name its own ancestor.
 *
 * What is checked is that nothing crashes, trips AddressSanitizer or
 * UndefinedBehaviorSanitizer, or hangs (the driver's timeout), and that
 * every error is a negative errno.  The last line is "fat_fuzz: R runs,
 * M mounted, F refused, E errors, B bad errnos"; the exit status is 0 only
 * if B is 0.  The PRNG is seeded, so a failing run repeats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fat_int.h"

struct region {
	uint64_t off, len;
};

static struct region regions[4096];
static int nregions;
static uint64_t rng_state;
static long runs, mounted, refused, errors, bad_errnos;

static uint64_t fuzz_rand(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint64_t fuzz_below(uint64_t n)
{
	return n ? fuzz_rand() % n : 0;
}

static int64_t fuzz_clock(void *arg)
{
	(void)arg;
	return 1704067200;
}

/* Count an operation's result: an error must be one of the library's errnos. */
static void fuzz_result(int64_t r)
{
	static const int ok[] = { ENOENT, EIO,       EEXIST, ENOTDIR,      EISDIR,
				  EINVAL, ENOTEMPTY, ENOSPC, ENAMETOOLONG, EFBIG };

	if (r >= 0)
		return;
	errors++;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (r == -ok[i])
			return;
	bad_errnos++;
	printf("bad errno %lld\n", (long long)r);
}

static void fuzz_add(uint64_t off, uint64_t len)
{
	if (nregions < (int)(sizeof(regions) / sizeof(regions[0])) && len > 0)
		regions[nregions++] = (struct region){ off, len };
}

/* Record the clusters of every directory below dir (bounded) as places to damage. */
static void fuzz_learn(struct fat_volume *v, uint64_t dir, int depth)
{
	struct fat_dirent d;
	struct fat_node n;
	uint32_t c;
	uint64_t off = 0;

	if (depth > 8 || fat_node_get(v, dir, &n) < 0)
		return;
	for (uint32_t i = 0; n.first && i < 64 && fat_chain_seek(v, n.first, i, &c) == 0; i++)
		fuzz_add((uint64_t)(fat_cluster_data(v, c) - v->image), v->cluster_size);
	while (fat_readdir(v, dir, off, &d) == 1) {
		off = d.next;
		if ((d.mode & FAT_S_IFDIR) && strcmp(d.name, ".") && strcmp(d.name, ".."))
			fuzz_learn(v, d.id, depth + 1);
	}
}

/* Damage one byte or two: in the boot sector one time in 20, else in other metadata. */
static void fuzz_damage(uint8_t *img)
{
	static const uint8_t hurt[] = { 0x00, 0xFF, 0xE5, 0x0F, 0x10, '.', 0x05, 0x40, 0x41, 0x7F };
	const struct region *r = fuzz_below(20) == 0
					 ? &regions[fuzz_below(2)]
					 : &regions[2 + fuzz_below((uint64_t)nregions - 2)];
	uint64_t at = r->off + fuzz_below(r->len);
	uint32_t x = (uint32_t)fuzz_rand();

	switch (fuzz_below(4)) {
	case 0:
		img[at] = (uint8_t)x;
		break;
	case 1:
		img[at] = hurt[x % sizeof(hurt)];
		break;
	case 2: /* a 16-bit field: FAT16 links, cluster numbers, sizes */
		img[at & ~1ull] = (uint8_t)x;
		img[(at & ~1ull) + 1] = (uint8_t)(x >> 8);
		break;
	default: /* a small number: links to nearby clusters, ordinals, counts */
		img[at] = (uint8_t)(x % 8);
		break;
	}
}

/* Read every file and list every directory below dir; *budget bounds the walk. */
static void fuzz_walk(struct fat_volume *v, uint64_t dir, int depth, int *budget)
{
	static uint8_t buf[8192];
	struct fat_dirent d;
	struct fat_attr a;
	uint64_t off = 0, id;
	int r = 0;

	while (--*budget > 0 && (r = fat_readdir(v, dir, off, &d)) == 1) {
		off = d.next;
		if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0) {
			fuzz_result(fat_lookup(v, dir, d.name, &id));
			continue;
		}
		fuzz_result(fat_lookup(v, dir, d.name, &id));
		r = fat_getattr(v, d.id, &a);
		fuzz_result(r);
		if (r < 0)
			continue;
		if (d.mode & FAT_S_IFDIR) {
			if (depth < 12)
				fuzz_walk(v, d.id, depth + 1, budget);
			continue;
		}
		for (uint64_t pos = 0; pos < a.size && --*budget > 0; pos += sizeof(buf)) {
			int64_t n = fat_read(v, d.id, buf, sizeof(buf), pos);
			fuzz_result(n);
			if (n <= 0)
				break;
		}
	}
	if (*budget > 0)
		fuzz_result(r);
}

/* Changes: new names, data, renames, removals, also of what the walk found. */
static void fuzz_change(struct fat_volume *v)
{
	static const uint8_t data[5000];
	struct fat_dirent d;
	struct fat_statfs st;
	uint64_t id, dir = FAT_ROOT_ID, off = 0;
	int k = 0;

	d.name[0] = '\0';
	fuzz_result(fat_create(v, FAT_ROOT_ID, "fuzz file with a long name.txt", 0644, &id));
	if (fat_lookup(v, FAT_ROOT_ID, "fuzz file with a long name.txt", &id) == 0) {
		fuzz_result(fat_write(v, id, data, sizeof(data), 3 * v->cluster_size));
		fuzz_result(fat_truncate(v, id, 100));
	}
	fuzz_result(fat_mkdir(v, FAT_ROOT_ID, "FUZZDIR", &id));
	/* Pick a directory entry from the root and do things to it. */
	while (fat_readdir(v, FAT_ROOT_ID, off, &d) == 1 && k++ < 40) {
		off = d.next;
		if ((d.mode & FAT_S_IFDIR) && strcmp(d.name, ".") && strcmp(d.name, ".."))
			dir = d.id;
	}
	fuzz_result(fat_create(v, dir, "inner.bin", 0644, &id));
	fuzz_result(
		fat_rename(v, FAT_ROOT_ID, "fuzz file with a long name.txt", dir, "moved", &id));
	fuzz_result(fat_rename(v, FAT_ROOT_ID, "FUZZDIR", dir, "FUZZDIR", &id));
	fuzz_result(fat_rename(v, FAT_ROOT_ID, d.name, dir, "x", &id));
	fuzz_result(fat_unlink(v, dir, "moved"));
	fuzz_result(fat_rmdir(v, dir, "FUZZDIR"));
	fuzz_result(fat_unlink(v, FAT_ROOT_ID, d.name));
	fuzz_result(fat_rmdir(v, FAT_ROOT_ID, d.name));
	fat_statfs(v, &st);
	if (st.free_clusters > st.clusters)
		bad_errnos++,
			printf("free %llu of %llu clusters\n", (unsigned long long)st.free_clusters,
			       (unsigned long long)st.clusters);
}

/* The metadata: boot sector fields and signature first, then the used part of the FAT, ... */
static void fuzz_regions(struct fat_volume *v)
{
	uint32_t last = 2;

	for (uint32_t c = 2; c - 2 < v->clusters; c++)
		if (fat_entry(v, c) != 0)
			last = c;
	fuzz_add(0, 90);
	fuzz_add(510, 2);
	fuzz_add(v->fat_offset, ((uint64_t)last + 2) * (uint64_t)v->type / 8);
	if (v->fsinfo_offset)
		fuzz_add(v->fsinfo_offset + 484, 28);
	if (v->type != 32)
		fuzz_add(v->root_offset, (uint64_t)v->root_entries * DIR_ENTRY);
	fuzz_learn(v, FAT_ROOT_ID, 0);
}

int main(int argc, char **argv)
{
	struct fat_volume v;
	uint8_t *orig, *img;
	long size, count;
	FILE *f;

	if (argc != 4 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: fat_fuzz IMAGE SEED RUNS\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	orig = malloc((size_t)size);
	img = malloc((size_t)size);
	if (!orig || !img || fread(orig, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "fat_fuzz: cannot read %s\n", argv[1]);
		fclose(f);
		free(orig);
		free(img);
		return 2;
	}
	fclose(f);
	rng_state = strtoull(argv[2], NULL, 0) * 0x9E3779B97F4A7C15ull + 1;
	count = strtol(argv[3], NULL, 0);
	memcpy(img, orig, (size_t)size);
	if (fat_mount(&v, img, (size_t)size, fuzz_clock, NULL) < 0) {
		printf("%s\n", v.error);
		free(orig);
		free(img);
		return 2;
	}
	fuzz_regions(&v);
	for (runs = 0; runs < count; runs++) {
		int budget = 20000;
		memcpy(img, orig, (size_t)size);
		for (uint64_t n = 1 + fuzz_below(6); n > 0; n--)
			fuzz_damage(img);
		if (fat_mount(&v, img, (size_t)size, fuzz_clock, NULL) < 0) {
			refused++;
			continue;
		}
		mounted++;
		fuzz_walk(&v, FAT_ROOT_ID, 0, &budget);
		fuzz_change(&v);
		budget = 20000;
		fuzz_walk(&v, FAT_ROOT_ID, 0, &budget);
	}
	printf("fat_fuzz: %ld runs, %ld mounted, %ld refused, %ld errors, %ld bad errnos\n", runs,
	       mounted, refused, errors, bad_errnos);
	free(orig);
	free(img);
	return bad_errnos != 0;
}
