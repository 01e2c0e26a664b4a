/*
 * nodes.c -- the nodeid table: stable FUSE nodeids over the FAT library's
 * node ids, which are not stable.
 *
 * The library names a node by where its directory entry lies (fat.h), so a
 * rename gives the node a new id, and a removed node's id may come back for
 * a file created later in the same slot.  The kernel, though, keeps an
 * inode per nodeid for as long as it likes (until FORGET), so the nodeids
 * the server replies with must keep naming the same file across renames
 * and must never start naming another.  Hence this table:
 *
 *   nodeid 1           the root (FUSE_ROOT_ID = FAT_ROOT_ID), never in it
 *   nodeid 2 + i       table[i]: the FAT id it names now (0: removed, so
 *                      requests on it get ENOENT), the lookups the kernel
 *                      holds (LOOKUP, MKDIR and CREATE replies add one,
 *                      FORGET takes some away; at 0 the slot is free) and
 *                      a generation, raised each time the slot is reused
 *
 * A rename updates the entry of the node that moved (nodes_moved) and a
 * removal clears the entry of the node removed (nodes_gone), before the
 * slot can be reused.  A directory's children keep their ids when it
 * moves: their entries live in its clusters, which stay put.
 *
 * Lookups by FAT id scan the table; it holds the nodes the kernel has
 * inodes for (a few hundred at most on the ramdisk).
 */
#include <stdlib.h>
#include "server.h"

struct node {
	uint64_t fat;     /* the library's id, 0 if removed */
	uint64_t nlookup; /* lookups the kernel holds; 0: the slot is free */
	uint64_t generation;
};

static struct node *table;
static size_t table_len, table_cap;

static struct node *slot_of(uint64_t nodeid)
{
	if (nodeid < 2 || nodeid - 2 >= table_len || table[nodeid - 2].nlookup == 0)
		return NULL;
	return &table[nodeid - 2];
}

uint64_t nodes_fat(uint64_t nodeid)
{
	struct node *n = slot_of(nodeid);

	if (nodeid == FAT_ROOT_ID)
		return FAT_ROOT_ID;
	return n ? n->fat : 0;
}

uint64_t nodes_find(uint64_t fat)
{
	if (fat == FAT_ROOT_ID)
		return FAT_ROOT_ID;
	if (fat == 0)
		return 0;
	for (size_t i = 0; i < table_len; i++)
		if (table[i].nlookup && table[i].fat == fat)
			return i + 2;
	return 0;
}

/* A free slot's index, growing the table if there is none; -1 without memory. */
static long free_slot(void)
{
	struct node *bigger;

	for (size_t i = 0; i < table_len; i++)
		if (table[i].nlookup == 0)
			return (long)i;
	if (table_len == table_cap) {
		size_t cap = table_cap ? 2 * table_cap : 64;

		bigger = realloc(table, cap * sizeof(*table));
		if (!bigger)
			return -1;
		table = bigger;
		table_cap = cap;
	}
	table[table_len] = (struct node){ 0, 0, 0 };
	return (long)table_len++;
}

uint64_t nodes_ref(uint64_t fat, uint64_t *generation)
{
	uint64_t nodeid = nodes_find(fat);
	long i;

	*generation = 0;
	if (fat == FAT_ROOT_ID)
		return FAT_ROOT_ID;
	if (nodeid) {
		table[nodeid - 2].nlookup++;
		*generation = table[nodeid - 2].generation;
		return nodeid;
	}
	i = free_slot();
	if (i < 0)
		return 0;
	table[i].fat = fat;
	table[i].nlookup = 1;
	table[i].generation++;
	*generation = table[i].generation;
	return (uint64_t)i + 2;
}

void nodes_forget(uint64_t nodeid, uint64_t nlookup)
{
	struct node *n = slot_of(nodeid);

	if (!n)
		return;
	n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
}

void nodes_moved(uint64_t old, uint64_t new_id)
{
	uint64_t nodeid = nodes_find(old);

	if (nodeid > FAT_ROOT_ID)
		table[nodeid - 2].fat = new_id;
}

void nodes_gone(uint64_t fat)
{
	uint64_t nodeid = nodes_find(fat);

	if (nodeid > FAT_ROOT_ID)
		table[nodeid - 2].fat = 0;
}
