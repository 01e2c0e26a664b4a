/*
 * fat_table.c -- the File Allocation Table and the cluster chains in it.
 *
 * The FAT is an array with one entry per cluster (spec "FAT Data Structure"):
 * entry n says what follows cluster n in its file -- the next cluster's
 * number, an end-of-chain mark (EOC), 0 for a free cluster, or the BAD
 * mark.  Entries 0 and 1 are reserved, so data clusters are numbered
 * 2..clusters+1.  FAT12 packs two 12-bit entries in three bytes, FAT16
 * entries are 16 bits, FAT32 entries 32 bits of which the top 4 are
 * reserved and kept as found.  A file or directory is a chain: its first
 * cluster sits in its directory entry, the rest are found by following the
 * FAT.
 *
 * The image comes from outside, so every link is checked before it is used:
 * fat_next gives -EIO for a link to a free, reserved or bad cluster or past
 * the volume, and no walk takes more steps than the caller's index or the
 * volume's cluster count, so a chain that loops cannot hang the server.
 * fat_chain_check finds loops outright with Brent's algorithm (no memory,
 * steps linear in the chain's length), so reading a file whose chain comes
 * back on itself gives -EIO rather than repeated data.
 *
 * Every FAT copy is written on every change (fat_entry_set), so the copies
 * stay identical; reads come from the active copy (FAT 0 unless FAT32's
 * BPB_ExtFlags names another).  Allocation takes the first free cluster at
 * or after v->next_free, wrapping around; the free count is kept exact and
 * written to FSInfo (fat.c) after each allocation or release.
 *
 * Two small caches make sequential access cheap: v->seek remembers the
 * last (chain, index, cluster) a walk reached, so reading a file in order
 * costs one step per cluster in total, and v->sound names the last chain
 * fat_chain_check passed, with its length.  Any change to the FAT drops both, except
 * that growing a chain keeps them (fat_chain_extend) since the links
 * already there do not change.
 */
#include <errno.h>
#include <string.h>

#include "fat_int.h"

static uint8_t *fat_copy(struct fat_volume *v, uint32_t copy)
{
	return v->image + v->fat_offset + (uint64_t)copy * v->fat_bytes;
}

static uint32_t fat_entry_in(struct fat_volume *v, const uint8_t *fat, uint32_t n)
{
	uint32_t x;

	/* BEGIN STAGE ramdisk: read entry n of a FAT12, FAT16 or FAT32 table */
	switch (v->type) {
	case 12:
		/* Entry n starts at byte n + n/2; odd entries use the high 12 bits. */
		x = fat_get16(fat + n + n / 2);
		return n & 1 ? x >> 4 : x & 0xFFF;
	case 16:
		return fat_get16(fat + 2 * (size_t)n);
	default:
		return fat_get32(fat + 4 * (size_t)n) & 0x0FFFFFFF;
	}
	/* STUB
	(void)v, (void)fat, (void)n, (void)x;
	return 0;
	END STAGE ramdisk */
}

/* FAT entry n (0 <= n <= clusters + 1) of the active copy. */
uint32_t fat_entry(struct fat_volume *v, uint32_t n)
{
	return fat_entry_in(v, fat_copy(v, v->active_fat), n);
}

static void fat_entry_put(struct fat_volume *v, uint8_t *fat, uint32_t n, uint32_t value)
{
	uint8_t *p;
	uint32_t x;

	/* BEGIN STAGE ramdisk: write entry n, keeping the other half of a FAT12 byte and FAT32's top bits */
	switch (v->type) {
	case 12:
		p = fat + n + n / 2;
		x = fat_get16(p);
		x = n & 1 ? (x & 0x000F) | (value << 4) : (x & 0xF000) | (value & 0xFFF);
		fat_put16(p, (uint16_t)x);
		break;
	case 16:
		fat_put16(fat + 2 * (size_t)n, (uint16_t)value);
		break;
	default:
		/* The high 4 bits of a FAT32 entry are reserved: keep them. */
		p = fat + 4 * (size_t)n;
		fat_put32(p, (fat_get32(p) & 0xF0000000) | (value & 0x0FFFFFFF));
		break;
	}
	/* STUB
	(void)v, (void)fat, (void)n, (void)value, (void)p, (void)x;
	END STAGE ramdisk */
}

/* Set entry n in every copy; changes to the FAT invalidate the walk caches. */
void fat_entry_set(struct fat_volume *v, uint32_t n, uint32_t value)
{
	/* Entry n's bytes: FAT12 packs two entries in three bytes. */
	uint64_t at = v->type == 12 ? n + n / 2 : (uint64_t)n * (uint32_t)(v->type / 8);

	for (uint32_t i = 0; i < v->fat_count; i++) {
		fat_entry_put(v, fat_copy(v, i), n, value);
		fat_dirty(v, fat_copy(v, i) + at, v->type == 32 ? 4 : 2);
	}
	v->seek.first = 0;
	v->sound.first = 0;
}

/* The end-of-chain value to write, and the least value that reads as EOC. */
static uint32_t fat_eoc(const struct fat_volume *v)
{
	return v->type == 12 ? 0xFFF : v->type == 16 ? 0xFFFF : 0x0FFFFFFF;
}

static uint32_t fat_eoc_min(const struct fat_volume *v)
{
	return fat_eoc(v) - 7;
}

/* The BAD cluster mark, one below the EOC range. */
static uint32_t fat_bad(const struct fat_volume *v)
{
	return fat_eoc(v) - 8;
}

int fat_cluster_valid(const struct fat_volume *v, uint32_t c)
{
	return c >= 2 && c - 2 < v->clusters;
}

uint8_t *fat_cluster_data(struct fat_volume *v, uint32_t c)
{
	return v->image + v->data_offset + (uint64_t)(c - 2) * v->cluster_size;
}

/*
 * What follows cluster c (valid): 0 and *next, 1 when c ends its chain, or
 * -EIO when the entry is free, reserved, BAD, or names no cluster.
 */
int fat_next(struct fat_volume *v, uint32_t c, uint32_t *next)
{
	uint32_t e = fat_entry(v, c);

	if (e >= fat_eoc_min(v))
		return 1;
	if (!fat_cluster_valid(v, e))
		return -EIO;
	*next = e;
	return 0;
}

/*
 * The index-th cluster (from 0) of the chain starting at first: 0 and *c,
 * 1 when the chain is shorter, -EIO when it is broken on the way.
 */
int fat_chain_seek(struct fat_volume *v, uint32_t first, uint32_t index, uint32_t *c)
{
	uint32_t at = first, i = 0;
	int r;

	/* BEGIN STAGE ramdisk: walk to the index-th cluster, resuming from v->seek when it helps */
	if (!fat_cluster_valid(v, first))
		return -EIO;
	if (v->seek.first == first && v->seek.index <= index) {
		at = v->seek.cluster;
		i = v->seek.index;
	}
	for (; i < index; i++) {
		r = fat_next(v, at, &at);
		if (r != 0)
			return r;
	}
	v->seek.first = first;
	v->seek.index = index;
	v->seek.cluster = at;
	*c = at;
	return 0;
	/* STUB
	(void)v, (void)first, (void)index, (void)c, (void)at, (void)i, (void)r;
	return -EIO;
	END STAGE ramdisk */
}

/*
 * Follow the whole chain from first: 0 and its length in *len, or -EIO if a
 * link is bad or the chain loops.  Brent's algorithm: the tortoise jumps to
 * the hare each time the hare has run a power of two steps past it; in a
 * loop the hare meets it within twice the loop's length of entering it.
 */
int fat_chain_check(struct fat_volume *v, uint32_t first, uint32_t *len)
{
	uint32_t tortoise = first, hare = first, n = 1, power = 1, lambda = 1;
	int r;

	/* BEGIN STAGE ramdisk: follow the chain, finding loops with Brent's algorithm */
	if (!fat_cluster_valid(v, first))
		return -EIO;
	if (v->sound.first == first) {
		*len = v->sound.length;
		return 0;
	}
	while ((r = fat_next(v, hare, &hare)) == 0) {
		if (hare == tortoise || ++n > v->clusters)
			return -EIO;
		if (lambda == power) {
			tortoise = hare;
			power *= 2;
			lambda = 0;
		}
		lambda++;
	}
	if (r < 0)
		return r;
	v->sound.first = first;
	v->sound.length = n;
	*len = n;
	return 0;
	/* STUB
	(void)v, (void)first, (void)len, (void)tortoise, (void)hare, (void)n, (void)power,
		(void)lambda, (void)r;
	return -EIO;
	END STAGE ramdisk */
}

/* Take a free cluster: marked EOC, zeroed.  The caller has checked free_clusters. */
static uint32_t fat_alloc(struct fat_volume *v)
{
	uint32_t c = v->next_free;

	for (uint32_t i = 0; i < v->clusters; i++, c++) {
		if (!fat_cluster_valid(v, c))
			c = 2;
		if (fat_entry(v, c) == 0) {
			fat_entry_set(v, c, fat_eoc(v));
			memset(fat_cluster_data(v, c), 0, v->cluster_size);
			fat_dirty(v, fat_cluster_data(v, c), v->cluster_size);
			v->free_clusters--;
			v->next_free = fat_cluster_valid(v, c + 1) ? c + 1 : 2;
			return c;
		}
	}
	return 0;
}

/*
 * Grow the chain at *first from have clusters to want, all or nothing; new
 * clusters read as zeros.  *first may be 0 (no chain yet) and is then set.
 * -ENOSPC when the volume has too few free clusters, -EIO if the chain is
 * broken or the count of free clusters proves wrong.
 */
int fat_chain_extend(struct fat_volume *v, uint32_t *first, uint32_t have, uint32_t want)
{
	int sound = *first == 0 || v->sound.first == *first;
	uint32_t last = 0, c;
	int r;

	/* BEGIN STAGE ramdisk: grow the chain all or nothing, then fix FSInfo and the walk caches */
	if (want <= have)
		return 0;
	if (want - have > v->free_clusters)
		return -ENOSPC;
	if (have > 0) {
		r = fat_chain_seek(v, *first, have - 1, &last);
		if (r != 0)
			return -EIO;
	}
	for (; have < want; have++) {
		c = fat_alloc(v);
		if (c == 0)
			return -EIO;
		if (last)
			fat_entry_set(v, last, c);
		else
			*first = c;
		last = c;
	}
	fat_fsinfo_sync(v);
	v->seek.first = *first;
	v->seek.index = want - 1;
	v->seek.cluster = last;
	if (sound) {
		v->sound.first = *first;
		v->sound.length = want;
	}
	return 0;
	/* STUB
	(void)v, (void)first, (void)have, (void)want, (void)sound, (void)last, (void)c, (void)r,
		(void)fat_alloc;
	return -ENOSPC;
	END STAGE ramdisk */
}

/*
 * Free clusters from c to the end of its chain.  A walk that meets a free
 * or BAD entry (a loop back into what it freed, or a broken chain) stops
 * there with -EIO; BAD clusters stay marked.
 */
static int fat_free_from(struct fat_volume *v, uint32_t c)
{
	uint32_t next = 0, e;
	int r = -EIO;

	for (uint32_t i = 0; i < v->clusters; i++) {
		e = fat_entry(v, c);
		if (e == 0 || e == fat_bad(v))
			break;
		r = fat_next(v, c, &next);
		fat_entry_set(v, c, 0);
		v->free_clusters++;
		if (r != 0)
			break;
		c = next;
	}
	fat_fsinfo_sync(v);
	return r < 0 ? -EIO : 0;
}

/*
 * Keep the first keep clusters of the chain at *first and free the rest;
 * keep = 0 frees it all and sets *first to 0.  A broken chain is freed up
 * to the break, and -EIO returned.
 */
int fat_chain_cut(struct fat_volume *v, uint32_t *first, uint32_t keep)
{
	uint32_t last, rest;
	int r;

	if (*first == 0)
		return 0;
	if (keep == 0) {
		if (!fat_cluster_valid(v, *first))
			return -EIO;
		rest = *first;
		*first = 0;
		return fat_free_from(v, rest);
	}
	r = fat_chain_seek(v, *first, keep - 1, &last);
	if (r != 0)
		return r < 0 ? r : 0;
	r = fat_next(v, last, &rest);
	if (r != 0)
		return r < 0 ? r : 0;
	fat_entry_set(v, last, fat_eoc(v));
	return fat_free_from(v, rest);
}

/* Clusters whose entry is 0 (done once, at mount). */
uint32_t fat_count_free(struct fat_volume *v)
{
	uint32_t n = 0;

	for (uint32_t c = 2; c - 2 < v->clusters; c++)
		n += fat_entry(v, c) == 0;
	return n;
}
