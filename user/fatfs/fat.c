/*
 * fat.c -- mounting a FAT volume: the boot sector, the BPB, FSInfo, statfs.
 *
 * Sector 0 of a FAT volume holds the BIOS Parameter Block (BPB), which
 * describes the layout (spec "Boot Sector and BPB"):
 *
 *   sector 0                     reserved region (BPB_RsvdSecCnt sectors:
 *                                boot sector, FAT32's FSInfo and backup)
 *   BPB_RsvdSecCnt               FAT copy 0, then copies 1..BPB_NumFATs-1,
 *                                BPB_FATSz16 (or BPB_FATSz32) sectors each
 *   ... + NumFATs * FATSz        FAT12/16 only: the fixed root directory,
 *                                BPB_RootEntCnt 32-byte slots
 *   FirstDataSector              cluster 2, 3, ... up to CountofClusters + 1
 *
 * A ramdisk image comes from outside the server, so fat_mount believes
 * nothing in it: every field that sizes or places a region is checked, the
 * regions must fit in the declared volume and the volume in the image, and
 * the FAT type is the one the spec's "FAT Type Determination" computes from
 * the cluster count -- which must agree with the BPB's own shape (FATSz16 = 0
 * means a FAT32 BPB) and with BS_FilSysType when that names a type.  A
 * refusal is -EINVAL and a sentence in v->error.  What the mount accepts is
 * then safe to index with: the rest of the library checks only clusters
 * and entries, never the geometry again.
 *
 * FAT32 keeps a free-cluster count and an allocation hint in its FSInfo
 * sector (spec "FAT32 FSInfo Sector Structure and Backup Boot Sector").  The
 * count on disk is a hint that may be stale, so fat_mount counts the free
 * clusters itself; fat_fsinfo_sync writes the true values back whenever an
 * operation allocates or frees clusters, so fsck finds them right.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fat_int.h"

/* Boot sector and BPB fields (spec "Boot Sector and BPB"). */
#define BS_JMPBOOT      0
#define BPB_BYTSPERSEC  11
#define BPB_SECPERCLUS  13
#define BPB_RSVDSECCNT  14
#define BPB_NUMFATS     16
#define BPB_ROOTENTCNT  17
#define BPB_TOTSEC16    19
#define BPB_MEDIA       21
#define BPB_FATSZ16     22
#define BPB_TOTSEC32    32
#define BS16_BOOTSIG    38
#define BS16_FILSYSTYPE 54
#define BPB_FATSZ32     36
#define BPB_EXTFLAGS    40
#define BPB_FSVER       42
#define BPB_ROOTCLUS    44
#define BPB_FSINFO      48
#define BS_SIGNATURE    510

/* FSInfo fields (spec "FAT32 FSInfo Sector Structure and Backup Boot Sector"). */
#define FSI_LEADSIG    0
#define FSI_STRUCSIG   484
#define FSI_FREE_COUNT 488
#define FSI_NXT_FREE   492
#define FSI_TRAILSIG   508

/* The cluster counts that separate the types (spec "FAT Type Determination"). */
#define FAT12_MAX_CLUSTERS 4084
#define FAT16_MAX_CLUSTERS 65524
#define FAT32_MAX_CLUSTERS 0x0FFFFFF5u /* cluster numbers must stay below BAD (0x0FFFFFF7) */

static int fat_refuse(struct fat_volume *v, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(v->error, sizeof(v->error), "fat: ");

	va_start(ap, fmt);
	vsnprintf(v->error + n, sizeof(v->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fat_power_of_two(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* The boot sector proper: signature, jump, sector and cluster sizes, counts. */
static int fat_check_boot(struct fat_volume *v, const uint8_t *bs)
{
	uint32_t bps = fat_get16(bs + BPB_BYTSPERSEC);
	uint32_t spc = bs[BPB_SECPERCLUS];
	uint8_t media = bs[BPB_MEDIA];

	/* Spec "Boot Sector and BPB": 0x55 0xAA at offsets 510 and 511. */
	if (bs[BS_SIGNATURE] != 0x55 || bs[BS_SIGNATURE + 1] != 0xAA)
		return fat_refuse(v, "bad boot sector signature %02x %02x (want 55 aa)",
				  bs[BS_SIGNATURE], bs[BS_SIGNATURE + 1]);
	/* BS_jmpBoot: EB xx 90 or E9 xx xx. */
	if (!(bs[BS_JMPBOOT] == 0xEB && bs[BS_JMPBOOT + 2] == 0x90) && bs[BS_JMPBOOT] != 0xE9)
		return fat_refuse(v, "bad jump instruction %02x %02x %02x in the boot sector",
				  bs[0], bs[1], bs[2]);
	if (!fat_power_of_two(bps) || bps < 512 || bps > 4096)
		return fat_refuse(v, "bytes per sector %u is not a power of two in 512..4096", bps);
	if (!fat_power_of_two(spc))
		return fat_refuse(v, "sectors per cluster %u is not a power of two", spc);
	if (fat_get16(bs + BPB_RSVDSECCNT) == 0)
		return fat_refuse(v, "reserved sector count is 0");
	if (bs[BPB_NUMFATS] == 0)
		return fat_refuse(v, "FAT count is 0");
	if (media != 0xF0 && media < 0xF8)
		return fat_refuse(v, "media byte 0x%02x is not F0 or F8..FF", media);
	v->sector_size = bps;
	v->cluster_size = bps * spc;
	v->fat_count = bs[BPB_NUMFATS];
	return 0;
}

static const char *fat_type_name(uint32_t clusters)
{
	if (clusters <= FAT12_MAX_CLUSTERS)
		return "FAT12";
	return clusters <= FAT16_MAX_CLUSTERS ? "FAT16" : "FAT32";
}

/*
 * The FAT type follows from the cluster count alone (spec "FAT Type
 * Determination"); here it must also match the BPB's shape and the label.
 */
static int fat_check_type(struct fat_volume *v, const uint8_t *bs, int fat32_bpb)
{
	const char *by_count = fat_type_name(v->clusters);
	const char *label = (const char *)bs + BS16_FILSYSTYPE;

	if (fat32_bpb && v->clusters <= FAT16_MAX_CLUSTERS)
		return fat_refuse(v, "FAT32 BPB (FATSz16 = 0) but %u clusters, a %s count",
				  v->clusters, by_count);
	if (!fat32_bpb && v->clusters > FAT16_MAX_CLUSTERS)
		return fat_refuse(v, "FAT12/16 BPB but %u clusters, a FAT32 count", v->clusters);
	if (v->clusters > FAT32_MAX_CLUSTERS)
		return fat_refuse(v, "%u clusters is more than FAT32 can number", v->clusters);
	/* BS_FilSysType is informational, but a label that contradicts the count is corrupt. */
	if (!fat32_bpb && bs[BS16_BOOTSIG] == 0x29 &&
	    (memcmp(label, "FAT12   ", 8) == 0 || memcmp(label, "FAT16   ", 8) == 0) &&
	    memcmp(label, by_count, 5) != 0)
		return fat_refuse(v, "declared %.5s but %u clusters, a %s count", label,
				  v->clusters, by_count);
	v->type = fat32_bpb ? 32 : v->clusters <= FAT12_MAX_CLUSTERS ? 12 : 16;
	return 0;
}

/* Bytes a FAT needs for entries 0..clusters+1 (spec "FAT Data Structure"). */
static uint64_t fat_table_need(const struct fat_volume *v)
{
	uint64_t n = (uint64_t)v->clusters + 2;

	if (v->type == 12)
		return (n * 3 + 1) / 2;
	return n * (uint64_t)(v->type / 8);
}

/* The regions: reserved, FATs, fixed root, data; they must fit the volume and the image. */
static int fat_check_layout(struct fat_volume *v, const uint8_t *bs)
{
	uint64_t bps = v->sector_size;
	uint64_t rsvd = fat_get16(bs + BPB_RSVDSECCNT);
	uint64_t fatsz = fat_get16(bs + BPB_FATSZ16);
	uint64_t total = fat_get16(bs + BPB_TOTSEC16);
	uint32_t root_entries = fat_get16(bs + BPB_ROOTENTCNT);
	int fat32_bpb = fatsz == 0;
	uint64_t root_sectors, meta;
	int r;

	if (fat32_bpb)
		fatsz = fat_get32(bs + BPB_FATSZ32);
	if (total == 0)
		total = fat_get32(bs + BPB_TOTSEC32);
	if (fatsz == 0)
		return fat_refuse(v, "FAT size is 0 sectors");
	if (total == 0)
		return fat_refuse(v, "total sector count is 0");
	if (fat32_bpb && root_entries != 0)
		return fat_refuse(v, "FAT32 BPB with %u root entries (must be 0)", root_entries);
	if (!fat32_bpb && root_entries == 0)
		return fat_refuse(v, "FAT12/16 BPB with no root directory entries");
	root_sectors = ((uint64_t)root_entries * DIR_ENTRY + bps - 1) / bps;
	meta = rsvd + v->fat_count * fatsz + root_sectors;
	if (meta >= total)
		return fat_refuse(v,
				  "sizes do not add up: %llu reserved + %u x %llu FAT + %llu "
				  "root sectors leave no data area in %llu sectors",
				  (unsigned long long)rsvd, v->fat_count, (unsigned long long)fatsz,
				  (unsigned long long)root_sectors, (unsigned long long)total);
	if (total * bps > v->size)
		return fat_refuse(v, "image truncated: the volume is %llu bytes, the image %zu",
				  (unsigned long long)(total * bps), v->size);
	v->clusters = (uint32_t)((total - meta) / (v->cluster_size / bps));
	if (v->clusters == 0)
		return fat_refuse(v, "the data area holds no whole cluster");
	r = fat_check_type(v, bs, fat32_bpb);
	if (r < 0)
		return r;
	v->fat_offset = rsvd * bps;
	v->fat_bytes = fatsz * bps;
	v->root_offset = (rsvd + v->fat_count * fatsz) * bps;
	v->root_entries = root_entries;
	v->data_offset = meta * bps;
	if (fat_table_need(v) > v->fat_bytes)
		return fat_refuse(v, "a FAT of %llu sectors cannot hold %u clusters",
				  (unsigned long long)fatsz, v->clusters);
	return 0;
}

/* FAT32's extra fields: version, active FAT, root cluster, FSInfo. */
static int fat_check_fat32(struct fat_volume *v, const uint8_t *bs)
{
	uint16_t flags = fat_get16(bs + BPB_EXTFLAGS);
	uint32_t root = fat_get32(bs + BPB_ROOTCLUS);
	uint32_t fsinfo = fat_get16(bs + BPB_FSINFO);
	const uint8_t *fsi;

	if (fat_get16(bs + BPB_FSVER) != 0)
		return fat_refuse(v, "FAT32 version %04x is not 0.0", fat_get16(bs + BPB_FSVER));
	/* ExtFlags bit 7: mirroring off, bits 0-3 name the one active FAT. */
	if (flags & 0x80) {
		v->active_fat = flags & 0x0F;
		if (v->active_fat >= v->fat_count)
			return fat_refuse(v, "active FAT %u of %u", v->active_fat, v->fat_count);
	}
	if (!fat_cluster_valid(v, root))
		return fat_refuse(v, "root cluster %u out of range 2..%u", root, v->clusters + 1);
	v->root_cluster = root;
	if (fsinfo == 0 || (uint64_t)fsinfo * v->sector_size >= v->fat_offset)
		return 0;
	fsi = v->image + (size_t)fsinfo * v->sector_size;
	if (fat_get32(fsi + FSI_LEADSIG) == 0x41615252 &&
	    fat_get32(fsi + FSI_STRUCSIG) == 0x61417272 &&
	    fat_get32(fsi + FSI_TRAILSIG) == 0xAA550000)
		v->fsinfo_offset = (uint64_t)fsinfo * v->sector_size;
	return 0;
}

/* FAT[0] holds the media byte in its low 8 bits (spec "FAT Data Structure"). */
static int fat_check_media(struct fat_volume *v, const uint8_t *bs)
{
	uint32_t e0 = fat_entry(v, 0);

	if ((e0 & 0xFF) != bs[BPB_MEDIA])
		return fat_refuse(v, "FAT[0] = 0x%x does not carry the media byte 0x%02x", e0,
				  bs[BPB_MEDIA]);
	return 0;
}

int fat_mount(struct fat_volume *v, void *image, size_t size, fat_clock_fn *clock, void *clock_arg)
{
	const uint8_t *bs = image;
	uint32_t hint;
	int r;

	memset(v, 0, sizeof(*v));
	v->image = image;
	v->size = size;
	v->clock = clock;
	v->clock_arg = clock_arg;
	if (size < 512)
		return fat_refuse(v, "image of %zu bytes is smaller than a boot sector", size);
	r = fat_check_boot(v, bs);
	if (r == 0)
		r = fat_check_layout(v, bs);
	if (r == 0 && v->type == 32)
		r = fat_check_fat32(v, bs);
	if (r == 0)
		r = fat_check_media(v, bs);
	if (r < 0)
		return r;
	v->free_clusters = fat_count_free(v);
	hint = v->fsinfo_offset ? fat_get32(v->image + v->fsinfo_offset + FSI_NXT_FREE) : 2;
	v->next_free = fat_cluster_valid(v, hint) ? hint : 2;
	return 0;
}

/* Write the free count and the next-free hint to FSInfo, if the volume has one. */
void fat_fsinfo_sync(struct fat_volume *v)
{
	if (v->fsinfo_offset == 0)
		return;
	fat_put32(v->image + v->fsinfo_offset + FSI_FREE_COUNT, v->free_clusters);
	fat_put32(v->image + v->fsinfo_offset + FSI_NXT_FREE, v->next_free);
	fat_dirty(v, v->image + v->fsinfo_offset + FSI_FREE_COUNT, 8);
}

void fat_dirty(const struct fat_volume *v, const void *p, size_t len)
{
	const uint8_t *b = p;

	/* An entry being built outside the image (fat_new_entry's proto) is no change. */
	if (v->dirty && b >= v->image && b < v->image + v->size)
		v->dirty(v->dirty_arg, (uint64_t)(b - v->image), len);
}

void fat_statfs(struct fat_volume *v, struct fat_statfs *st)
{
	st->cluster_size = v->cluster_size;
	st->clusters = v->clusters;
	st->free_clusters = v->free_clusters;
	st->name_max = FAT_NAME_MAX;
}
