/*
 * fat_dir.c -- directories: slots, long names, lookup, adding and removing.
 *
 * A directory is an array of 32-byte slots (spec "FAT Directory
 * Structure"): the fixed root region of FAT12/16, or the clusters of a
 * chain, at most 65536 slots.  A slot is free (DIR_Name[0] = 0xE5), the end
 * of the directory (0x00: it and all after it are free), an 8.3 entry, or a
 * long-name slot (attribute 0x0F).  A name with a long form occupies a run
 * of slots (spec "FAT Long Directory Entries"):
 *
 *   slot s       ord 0x40|n   units 13(n-1) .. 13n-1   checksum of the 8.3 name
 *   ...
 *   slot s+n-1   ord 1        units 0 .. 12
 *   slot s+n     the 8.3 entry: attributes, first cluster, size, times
 *
 * The name ends with a 0x0000 unit (if room) and 0xFFFF padding.  Reading,
 * fat_dir_next collects long-name slots while their ordinals count down
 * and their checksums agree, and gives the long name only if the run ends
 * at 1 right before an 8.3 entry with that checksum; anything else (an
 * orphan left by an old DOS, a broken run) is ignored and the 8.3 name used.
 *
 * Inside the library a directory is named by its first cluster (0: the
 * fixed root) and a slot by its index from 0; fat_dir_slot turns the pair
 * into a pointer into the image.  Every slot a walk reads is inside the
 * image (fat_cluster_valid) and no walk goes past 65536 slots, so a
 * directory whose chain loops gives -EIO at worst.
 *
 * fat_dir_add writes a new name: it chooses the 8.3 name (plain, or a basis
 * with the first numeric tail "~n" no other entry uses), finds a run of free
 * slots, growing the directory by zeroed clusters when it has none (the
 * fixed root cannot grow: -ENOSPC), and writes the long-name slots and the
 * entry.  fat_dir_remove frees a name's slots by marking each 0xE5.
 */
#include <errno.h>
#include <string.h>

#include "fat_int.h"

struct fat_lfn {        /* long-name slots collected so far */
	int ord;        /* ordinal of the last slot taken; 0: none */
	int slots;      /* slots in the run */
	uint8_t sum;    /* their checksum */
	uint32_t first; /* slot index of the run's first slot */
	uint16_t units[LFN_MAX_SLOTS * LFN_UNITS];
};

uint32_t fat_entry_cluster(const struct fat_volume *v, const uint8_t *de)
{
	uint32_t hi = v->type == 32 ? fat_get16(de + DIR_CLUS_HI) : 0;

	return hi << 16 | fat_get16(de + DIR_CLUS_LO);
}

void fat_entry_set_cluster(const struct fat_volume *v, uint8_t *de, uint32_t c)
{
	fat_put16(de + DIR_CLUS_HI, v->type == 32 ? (uint16_t)(c >> 16) : 0);
	fat_put16(de + DIR_CLUS_LO, (uint16_t)c);
	fat_dirty(v, de, DIR_ENTRY);
}

/* The root directory's name inside the library. */
uint32_t fat_dir_root(const struct fat_volume *v)
{
	return v->type == 32 ? v->root_cluster : 0;
}

/*
 * Slot index of directory dir: 0 and *de, 1 past the directory's end, -EIO
 * for a broken chain or one longer than 65536 slots.
 */
int fat_dir_slot(struct fat_volume *v, uint32_t dir, uint32_t index, uint8_t **de)
{
	uint32_t per = v->cluster_size / DIR_ENTRY, c;
	int r;

	if (dir == 0) {
		if (index >= v->root_entries)
			return 1;
		*de = v->image + v->root_offset + (uint64_t)index * DIR_ENTRY;
		return 0;
	}
	r = fat_chain_seek(v, dir, index / per, &c);
	if (r != 0)
		return r;
	if (index >= DIR_MAX_SLOTS)
		return -EIO;
	*de = fat_cluster_data(v, c) + (index % per) * DIR_ENTRY;
	return 0;
}

/*
 * A directory's chain is sound, loop-free and at most 65536 slots long:
 * 0, or -EIO.  A directory that fails is unusable as a whole, even where
 * its names before the damage could be read.
 */
int fat_dir_check(struct fat_volume *v, uint32_t dir)
{
	uint32_t len;
	int r;

	if (dir == 0)
		return 0;
	r = fat_chain_check(v, dir, &len);
	if (r < 0)
		return r;
	return (uint64_t)len * (v->cluster_size / DIR_ENTRY) > DIR_MAX_SLOTS ? -EIO : 0;
}

/* Units 0..12 of long-name slot de into the run at position (ord - 1) * 13. */
static void fat_lfn_units(struct fat_lfn *l, const uint8_t *de, int ord)
{
	uint16_t *u = l->units + (ord - 1) * LFN_UNITS;

	for (int i = 0; i < 5; i++)
		*u++ = fat_get16(de + LDIR_NAME1 + 2 * i);
	for (int i = 0; i < 6; i++)
		*u++ = fat_get16(de + LDIR_NAME2 + 2 * i);
	for (int i = 0; i < 2; i++)
		*u++ = fat_get16(de + LDIR_NAME3 + 2 * i);
}

/* Take long-name slot de (at index i) into the run, or drop the run. */
static void fat_lfn_take(struct fat_lfn *l, const uint8_t *de, uint32_t i)
{
	/* BEGIN STAGE ramdisk: start a run at a LAST slot, extend it while ordinals count down and checksums agree */
	int ord = de[LDIR_ORD] & ~LDIR_LAST;

	if (de[LDIR_ORD] & LDIR_LAST) {
		l->ord = ord >= 1 && ord <= LFN_MAX_SLOTS ? ord : 0;
		l->slots = ord;
		l->sum = de[LDIR_CHKSUM];
		l->first = i;
	} else if (l->ord > 1 && ord == l->ord - 1 && de[LDIR_CHKSUM] == l->sum) {
		l->ord = ord;
	} else {
		l->ord = 0;
	}
	if (l->ord)
		fat_lfn_units(l, de, l->ord);
	/* STUB
	(void)l, (void)de, (void)i, (void)fat_lfn_units;
	l->ord = 0;
	END STAGE ramdisk */
}

/* The run's name, if complete and belonging to the 8.3 entry de: its length, else 0. */
static int fat_lfn_length(const struct fat_lfn *l, const uint8_t *de)
{
	int n = 0;

	/* BEGIN STAGE ramdisk: a complete run whose checksum is the 8.3 name's: count its units */
	if (l->ord != 1 || l->sum != fat_name_checksum(de))
		return 0;
	while (n < l->slots * LFN_UNITS && l->units[n] != 0x0000 && l->units[n] != 0xFFFF)
		n++;
	return n <= FAT_NAME_MAX ? n : 0;
	/* STUB
	(void)l, (void)de, (void)n;
	return 0;
	END STAGE ramdisk */
}

/*
 * The next name at or after slot *index of dir: 1 with *loc and the name
 * (UTF-8, FAT_NAME_BUF bytes; may be NULL), *index moved past it; 0 at the
 * end; -EIO.  Volume labels and free slots are skipped; "." and ".." are
 * names like others.
 */
int fat_dir_next(struct fat_volume *v, uint32_t dir, uint32_t *index, struct fat_loc *loc,
		 char *name)
{
	struct fat_lfn lfn;
	uint8_t *de;
	uint32_t i;
	int r, n;

	lfn.ord = 0;
	for (;; ++*index) {
		i = *index;
		r = fat_dir_slot(v, dir, i, &de);
		if (r != 0)
			return r < 0 ? r : 0;
		if (de[0] == SLOT_END)
			return 0;
		if (de[0] == SLOT_FREE) {
			lfn.ord = 0;
		} else if ((de[DIR_ATTR] & ATTR_LONG_MASK) == ATTR_LONG_NAME) {
			fat_lfn_take(&lfn, de, i);
		} else if (de[DIR_ATTR] & ATTR_VOLUME_ID) {
			lfn.ord = 0;
		} else {
			break;
		}
	}
	++*index;
	n = fat_lfn_length(&lfn, de);
	loc->dir = dir;
	loc->slot = i;
	loc->first_slot = n ? lfn.first : i;
	loc->de = de;
	if (name && n)
		fat_name_utf8(lfn.units, n, name);
	else if (name)
		fat_name_short(de, name, 1);
	return 1;
}

static int fat_is_dot(const uint8_t *de)
{
	return de[0] == '.';
}

/*
 * Find name[0..len) in dir, comparing with long and 8.3 names regardless of
 * ASCII case.  0 and *loc, -ENOENT, -EIO.  "." and ".." are not found here.
 */
int fat_dir_find(struct fat_volume *v, uint32_t dir, const char *name, size_t len,
		 struct fat_loc *loc)
{
	char found[FAT_NAME_BUF], alias[13];
	uint32_t i = 0;
	int r;

	while ((r = fat_dir_next(v, dir, &i, loc, found)) == 1) {
		if (fat_is_dot(loc->de))
			continue;
		fat_name_short(loc->de, alias, 0);
		if (fat_name_equal(name, len, found) || fat_name_equal(name, len, alias))
			return 0;
	}
	return r < 0 ? r : -ENOENT;
}

static int fat_skipped(const uint8_t *de, const struct fat_loc *skip, int nskip)
{
	for (int k = 0; k < nskip; k++)
		if (skip[k].de == de)
			return 1;
	return 0;
}

/*
 * Mark in used[] (bit n - lo) each tail n in lo..lo+1023 that some 8.3
 * entry of dir shows with this basis, skipping the entries in skip.
 */
static int fat_tails_used(struct fat_volume *v, uint32_t dir, const uint8_t basis[11], uint32_t lo,
			  uint8_t used[128], const struct fat_loc *skip, int nskip)
{
	uint8_t cand[11], *de;
	uint32_t n;
	int r, k;

	memset(used, 0, 128);
	for (uint32_t i = 0; (r = fat_dir_slot(v, dir, i, &de)) == 0 && de[0] != SLOT_END; i++) {
		if (de[0] == SLOT_FREE || (de[DIR_ATTR] & ATTR_LONG_MASK) == ATTR_LONG_NAME ||
		    fat_skipped(de, skip, nskip))
			continue;
		for (k = 0; k < 8 && de[k] != '~'; k++)
			;
		for (n = 0, k++; k < 8 && de[k] >= '0' && de[k] <= '9' && n < 1000000; k++)
			n = n * 10 + (uint32_t)(de[k] - '0');
		if (n < lo || n - lo >= 1024)
			continue;
		fat_name_tail(cand, basis, n);
		if (memcmp(cand, de, 11) == 0)
			used[(n - lo) / 8] |= (uint8_t)(1 << (n - lo) % 8);
	}
	return r < 0 ? r : 0;
}

/*
 * raw = basis with the least numeric tail no entry of dir has (spec "The
 * Numeric-Tail Generation Algorithm"), in windows of 1024 tails so that the
 * directory is scanned once for each; 65536 slots cannot fill 64 windows.
 */
static int fat_pick_tail(struct fat_volume *v, uint32_t dir, const uint8_t basis[11],
			 uint8_t raw[11], const struct fat_loc *skip, int nskip)
{
	uint8_t used[128];
	int r;

	for (uint32_t lo = 1; lo <= 999999; lo += 1024) {
		r = fat_tails_used(v, dir, basis, lo, used, skip, nskip);
		if (r < 0)
			return r;
		for (uint32_t n = lo; n < lo + 1024 && n <= 999999; n++) {
			if (!(used[(n - lo) / 8] & (1 << (n - lo) % 8))) {
				fat_name_tail(raw, basis, n);
				return 0;
			}
		}
	}
	return -ENOSPC;
}

/* Does an 8.3 entry of dir other than those in skip have the name raw? */
static int fat_short_taken(struct fat_volume *v, uint32_t dir, const uint8_t raw[11],
			   const struct fat_loc *skip, int nskip)
{
	uint8_t *de;
	int r;

	for (uint32_t i = 0; (r = fat_dir_slot(v, dir, i, &de)) == 0 && de[0] != SLOT_END; i++)
		if (de[0] != SLOT_FREE && (de[DIR_ATTR] & ATTR_LONG_MASK) != ATTR_LONG_NAME &&
		    !fat_skipped(de, skip, nskip) && memcmp(de, raw, 11) == 0)
			return 1;
	return r < 0 ? r : 0;
}

/*
 * The 8.3 name for a new name[0..len): 0 if it is stored alone (raw, case
 * bits *ntres), 1 if it needs long-name slots, or an error.
 */
static int fat_choose_short(struct fat_volume *v, uint32_t dir, const char *name, size_t len,
			    uint8_t raw[11], uint8_t *ntres, const struct fat_loc *skip, int nskip)
{
	uint8_t basis[11];
	int r;

	if (fat_name_plain83(name, len, raw, ntres)) {
		r = fat_short_taken(v, dir, raw, skip, nskip);
		if (r <= 0)
			return r;
	}
	*ntres = 0;
	if (!fat_name_basis(name, len, basis)) {
		r = fat_short_taken(v, dir, basis, skip, nskip);
		if (r < 0)
			return r;
		if (r == 0) {
			memcpy(raw, basis, 11);
			return 1;
		}
	}
	r = fat_pick_tail(v, dir, basis, raw, skip, nskip);
	return r < 0 ? r : 1;
}

/*
 * A run of need free slots in dir: 0 and *start, growing the directory by
 * zeroed clusters if it has none; -ENOSPC when it cannot grow.
 */
static int fat_free_run(struct fat_volume *v, uint32_t dir, uint32_t need, uint32_t *start)
{
	uint32_t per = v->cluster_size / DIR_ENTRY, run = 0, first = 0, i;
	uint8_t *de;
	int r;

	for (i = 0; (r = fat_dir_slot(v, dir, i, &de)) == 0; i++) {
		if (de[0] != SLOT_END && de[0] != SLOT_FREE) {
			run = 0;
			continue;
		}
		if (run++ == 0)
			first = i;
		if (run == need) {
			*start = first;
			return 0;
		}
	}
	if (r < 0)
		return r;
	if (run == 0)
		first = i;
	if (dir == 0 || first + need > DIR_MAX_SLOTS)
		return -ENOSPC;
	*start = first;
	return fat_chain_extend(v, &dir, i / per, (first + need + per - 1) / per);
}

/* Write long-name slot ord (1..slots) of units[0..n) with checksum sum into de. */
static void fat_lfn_write(const struct fat_volume *v, uint8_t *de, const uint16_t *units, int n,
			  int ord, int slots, uint8_t sum)
{
	static const uint8_t at[LFN_UNITS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

	memset(de, 0, DIR_ENTRY);
	de[LDIR_ORD] = (uint8_t)(ord | (ord == slots ? LDIR_LAST : 0));
	de[DIR_ATTR] = ATTR_LONG_NAME;
	de[LDIR_CHKSUM] = sum;
	for (int k = 0; k < LFN_UNITS; k++) {
		int u = (ord - 1) * LFN_UNITS + k;
		fat_put16(de + at[k], u < n ? units[u] : u == n ? 0x0000 : 0xFFFF);
	}
	fat_dirty(v, de, DIR_ENTRY);
}

/*
 * Add name[0..len) (checked by fat_name_check) to dir as a copy of the 8.3
 * entry proto (attributes, cluster, size, times).  Entries in skip are
 * about to go (rename) and may lend their 8.3 names.  0 and *out, -ENOSPC,
 * -EIO.  The caller has made sure the name is not in dir.
 */
int fat_dir_add(struct fat_volume *v, uint32_t dir, const char *name, size_t len,
		const uint8_t *proto, const struct fat_loc *skip, int nskip, struct fat_loc *out)
{
	uint16_t units[FAT_NAME_MAX];
	uint8_t raw[11], ntres, *de = NULL;
	uint32_t start, slots = 1;
	int n = fat_name_utf16(name, len, units), lfn, r;

	if (n < 0)
		return n;
	lfn = fat_choose_short(v, dir, name, len, raw, &ntres, skip, nskip);
	if (lfn < 0)
		return lfn;
	if (lfn)
		slots += (uint32_t)(n + LFN_UNITS - 1) / LFN_UNITS;
	r = fat_free_run(v, dir, slots, &start);
	if (r < 0)
		return r;
	for (uint32_t k = 0; k < slots; k++) {
		if (fat_dir_slot(v, dir, start + k, &de) != 0)
			return -EIO;
		if (k + 1 < slots)
			fat_lfn_write(v, de, units, n, (int)(slots - 1 - k), (int)slots - 1,
				      fat_name_checksum(raw));
	}
	memcpy(de, proto, DIR_ENTRY);
	memcpy(de + DIR_NAME, raw, 11);
	de[DIR_NTRES] = ntres;
	fat_dirty(v, de, DIR_ENTRY);
	out->dir = dir;
	out->first_slot = start;
	out->slot = start + slots - 1;
	out->de = de;
	return 0;
}

/* Free the slots of a name found by fat_dir_next or fat_dir_find. */
void fat_dir_remove(struct fat_volume *v, const struct fat_loc *loc)
{
	uint8_t *de;

	for (uint32_t i = loc->first_slot; i <= loc->slot; i++)
		if (fat_dir_slot(v, loc->dir, i, &de) == 0) {
			de[0] = SLOT_FREE;
			fat_dirty(v, de, 1);
		}
}

/* 1 if dir holds no name but "." and "..", 0 if it does, or -EIO. */
int fat_dir_empty(struct fat_volume *v, uint32_t dir)
{
	struct fat_loc loc;
	uint32_t i = 0;
	int r;

	while ((r = fat_dir_next(v, dir, &i, &loc, NULL)) == 1)
		if (!fat_is_dot(loc.de))
			return 0;
	return r < 0 ? r : 1;
}

/* The parent of directory dir (not the root), from its ".." entry. */
int fat_dir_parent(struct fat_volume *v, uint32_t dir, uint32_t *parent)
{
	uint8_t *de;
	uint32_t c;

	if (fat_dir_slot(v, dir, 1, &de) != 0 || memcmp(de, "..         ", 11) != 0 ||
	    !(de[DIR_ATTR] & ATTR_DIRECTORY))
		return -EIO;
	c = fat_entry_cluster(v, de);
	if (c == 0) {
		*parent = fat_dir_root(v);
		return 0;
	}
	if (!fat_cluster_valid(v, c))
		return -EIO;
	*parent = c;
	return 0;
}

/* The node id of directory dir: 1 for the root, else where its entry lies in its parent. */
int fat_dir_id(struct fat_volume *v, uint32_t dir, uint64_t *id)
{
	struct fat_loc loc;
	uint32_t parent, i = 0;
	int r;

	if (dir == fat_dir_root(v)) {
		*id = FAT_ROOT_ID;
		return 0;
	}
	r = fat_dir_parent(v, dir, &parent);
	if (r < 0)
		return r;
	while ((r = fat_dir_next(v, parent, &i, &loc, NULL)) == 1) {
		if (!fat_is_dot(loc.de) && (loc.de[DIR_ATTR] & ATTR_DIRECTORY) &&
		    fat_entry_cluster(v, loc.de) == dir) {
			*id = fat_node_id(v, loc.de);
			return 0;
		}
	}
	return -EIO;
}
