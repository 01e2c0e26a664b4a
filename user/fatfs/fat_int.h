/*
 * fat_int.h -- what the FAT library's files share and its users need not see.
 *
 * The on-disk layouts (offsets into the 32-byte directory entry, attribute
 * bits), little-endian field access, and the functions one file of the
 * library calls in another.  A directory is named inside the library by its
 * first cluster, with 0 standing for the fixed root directory of FAT12/16
 * (on FAT32 the root is a cluster chain like any other, v->root_cluster).
 */
#ifndef FAT_INT_H
#define FAT_INT_H

#include "fat.h"

/* The 32-byte directory entry (spec "FAT Directory Structure"). */
#define DIR_NAME      0 /* 11 bytes: 8 of base name, 3 of extension, space-padded */
#define DIR_ATTR      11
#define DIR_NTRES     12 /* case bits (Windows NT): see NTRES_LOWER_* */
#define DIR_CRT_TENTH 13 /* creation time, 10 ms units 0..199 within 2 s */
#define DIR_CRT_TIME  14
#define DIR_CRT_DATE  16
#define DIR_ACC_DATE  18
#define DIR_CLUS_HI   20 /* FAT32 only: high 16 bits of the first cluster */
#define DIR_WRT_TIME  22
#define DIR_WRT_DATE  24
#define DIR_CLUS_LO   26
#define DIR_SIZE      28
#define DIR_ENTRY     32 /* bytes per entry */

#define ATTR_READ_ONLY 0x01
#define ATTR_HIDDEN    0x02
#define ATTR_SYSTEM    0x04
#define ATTR_VOLUME_ID 0x08
#define ATTR_DIRECTORY 0x10
#define ATTR_ARCHIVE   0x20
#define ATTR_LONG_NAME 0x0F /* READ_ONLY|HIDDEN|SYSTEM|VOLUME_ID marks a long-name slot */
#define ATTR_LONG_MASK 0x3F

/* DIR_Name[0]: a free slot, the end of the directory, a stand-in for 0xE5. */
#define SLOT_FREE     0xE5
#define SLOT_END      0x00
#define SLOT_KANJI_E5 0x05

/*
 * DIR_NTRes: the spec says "reserved for Windows NT"; NT (and Linux, mtools)
 * use two bits of it so that "readme.txt" needs no long name.
 */
#define NTRES_LOWER_BASE 0x08
#define NTRES_LOWER_EXT  0x10

/* A long-name slot (spec "FAT Long Directory Entries"). */
#define LDIR_ORD      0
#define LDIR_NAME1    1 /* 5 UTF-16 units */
#define LDIR_CHKSUM   13
#define LDIR_NAME2    14   /* 6 units */
#define LDIR_NAME3    28   /* 2 units */
#define LDIR_LAST     0x40 /* in LDIR_Ord: the slot holding the name's end */
#define LFN_UNITS     13   /* UTF-16 units per slot */
#define LFN_MAX_SLOTS 20   /* 20 * 13 >= 255 */

/* No directory holds more than 65536 slots (spec "FAT Directory Structure"). */
#define DIR_MAX_SLOTS 65536u
#define FAT_FILE_MAX  0xFFFFFFFFull /* DIR_FileSize is 32 bits */

static inline uint16_t fat_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t fat_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void fat_put16(uint8_t *p, uint16_t x)
{
	p[0] = (uint8_t)x;
	p[1] = (uint8_t)(x >> 8);
}

static inline void fat_put32(uint8_t *p, uint32_t x)
{
	fat_put16(p, (uint16_t)x);
	fat_put16(p + 2, (uint16_t)(x >> 16));
}

/* fat.c */
void fat_fsinfo_sync(struct fat_volume *v);
/* Bytes [p, p + len) of the image were just written: tell v->dirty.  Every
 * write into the image is followed by one of these (bytes outside the
 * image, such as an entry built on the stack, are ignored). */
void fat_dirty(const struct fat_volume *v, const void *p, size_t len);

/* fat_table.c: FAT entries and cluster chains. */
uint32_t fat_entry(struct fat_volume *v, uint32_t n);
void fat_entry_set(struct fat_volume *v, uint32_t n, uint32_t value);
int fat_cluster_valid(const struct fat_volume *v, uint32_t c);
uint8_t *fat_cluster_data(struct fat_volume *v, uint32_t c);
int fat_next(struct fat_volume *v, uint32_t c, uint32_t *next);
int fat_chain_seek(struct fat_volume *v, uint32_t first, uint32_t index, uint32_t *c);
int fat_chain_check(struct fat_volume *v, uint32_t first, uint32_t *len);
int fat_chain_extend(struct fat_volume *v, uint32_t *first, uint32_t have, uint32_t want);
int fat_chain_cut(struct fat_volume *v, uint32_t *first, uint32_t keep);
uint32_t fat_count_free(struct fat_volume *v);

/* fat_name.c: names. */
int fat_name_check(const char *name, size_t *len);
int fat_name_utf16(const char *name, size_t len, uint16_t *units);
void fat_name_utf8(const uint16_t *units, int n, char *out);
int fat_name_equal(const char *a, size_t alen, const char *b);
int fat_name_plain83(const char *name, size_t len, uint8_t raw[11], uint8_t *ntres);
int fat_name_basis(const char *name, size_t len, uint8_t raw[11]);
void fat_name_tail(uint8_t raw[11], const uint8_t basis[11], uint32_t n);
uint8_t fat_name_checksum(const uint8_t raw[11]);
void fat_name_short(const uint8_t *de, char *out, int display);

/* fat_time.c: timestamps. */
int64_t fat_time_encode(int64_t t, uint16_t *date, uint16_t *time);
int64_t fat_time_decode(uint16_t date, uint16_t time);
#define STAMP_CREATE 1
#define STAMP_WRITE  2
#define STAMP_ACCESS 4
void fat_time_stamp(struct fat_volume *v, uint8_t *de, int which);

/* fat_dir.c: directories. */
struct fat_loc {             /* a name found in a directory */
	uint32_t dir;        /* the directory (first cluster; 0: fixed root) */
	uint32_t first_slot; /* its first slot: the first long-name slot, or the 8.3 one */
	uint32_t slot;       /* the 8.3 entry's slot */
	uint8_t *de;         /* the 8.3 entry in the image */
};
uint32_t fat_entry_cluster(const struct fat_volume *v, const uint8_t *de);
void fat_entry_set_cluster(const struct fat_volume *v, uint8_t *de, uint32_t c);
uint32_t fat_dir_root(const struct fat_volume *v);
int fat_dir_check(struct fat_volume *v, uint32_t dir);
int fat_dir_slot(struct fat_volume *v, uint32_t dir, uint32_t index, uint8_t **de);
int fat_dir_next(struct fat_volume *v, uint32_t dir, uint32_t *index, struct fat_loc *loc,
		 char *name);
int fat_dir_find(struct fat_volume *v, uint32_t dir, const char *name, size_t len,
		 struct fat_loc *loc);
int fat_dir_add(struct fat_volume *v, uint32_t dir, const char *name, size_t len,
		const uint8_t *proto, const struct fat_loc *skip, int nskip, struct fat_loc *out);
void fat_dir_remove(struct fat_volume *v, const struct fat_loc *loc);
int fat_dir_empty(struct fat_volume *v, uint32_t dir);
int fat_dir_parent(struct fat_volume *v, uint32_t dir, uint32_t *parent);
int fat_dir_id(struct fat_volume *v, uint32_t dir, uint64_t *id);

/* fat_file.c: nodes. */
struct fat_node {
	uint8_t *de; /* the 8.3 entry; NULL for the root */
	int is_dir;
	uint32_t first; /* first cluster; for a directory, its fat_dir name */
};
int fat_node_get(struct fat_volume *v, uint64_t id, struct fat_node *n);
int fat_node_dir(struct fat_volume *v, uint64_t id, struct fat_node *n);
uint64_t fat_node_id(const struct fat_volume *v, const uint8_t *de);
uint32_t fat_entry_mode(const uint8_t *de);
void fat_node_touch(struct fat_volume *v, const struct fat_node *n);

#endif
