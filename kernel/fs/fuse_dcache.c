/*
 * The FUSE name cache.  A LOOKUP reply's name is trusted for its entry_valid:
 * (parent nodeid, name) -> nodeid, in a small hash table of the
 * connection, so that the next lookup of the name costs no request.  A hit
 * sends nothing, so it counts no lookup: it only finds the inode the VFS
 * still holds, or the one retained (unforgotten), and misses otherwise.
 * An entry goes when it expires, when its name is unlinked, removed or
 * renamed, when its nodeid is forgotten, and when the table is full (then
 * all go).
 */
#include "fs/fuse_node.h"
#include "arch/x86_64/timer.h"
#include "lib/string.h"
#include "mm/heap.h"

#define FUSE_DCACHE_MAX 256

struct fuse_dentry {
	struct fuse_dentry *next;
	uint64_t parent, nodeid;
	uint64_t expires; /* timer tick */
	char name[];
};

static size_t fuse_dcache_hash(uint64_t parent, const char *name)
{
	size_t h = (size_t)parent * 31;

	while (*name)
		h = h * 31 + (unsigned char)*name++;
	return h % FUSE_DCACHE_BUCKETS;
}

/* Drop the entries for which drop(entry, arg) holds (interrupts off). */
static void fuse_dcache_drop_if(struct fuse_conn *c,
				bool (*drop)(const struct fuse_dentry *d, const void *arg),
				const void *arg)
{
	for (size_t b = 0; b < FUSE_DCACHE_BUCKETS; b++) {
		struct fuse_dentry **link = &c->dcache[b];

		while (*link) {
			struct fuse_dentry *d = *link;

			if (drop(d, arg)) {
				*link = d->next;
				c->ndentries--;
				kfree(d);
			} else {
				link = &d->next;
			}
		}
	}
}

static bool fuse_dentry_any(const struct fuse_dentry *d, const void *arg)
{
	(void)d, (void)arg;
	return true;
}

static bool fuse_dentry_of_node(const struct fuse_dentry *d, const void *arg)
{
	return d->nodeid == *(const uint64_t *)arg;
}

/* The cached nodeid of parent's name, or 0. */
uint64_t fuse_dcache_find(struct fuse_conn *c, uint64_t parent, const char *name)
{
	uint64_t flags = irq_save(), nodeid = 0;

	for (struct fuse_dentry *d = c->dcache[fuse_dcache_hash(parent, name)]; d; d = d->next) {
		if (d->parent == parent && strcmp(d->name, name) == 0) {
			if (timer_ticks() < d->expires)
				nodeid = d->nodeid;
			break;
		}
	}
	irq_restore(flags);
	return nodeid;
}

/* Forget parent's name (it was unlinked, removed or renamed). */
void fuse_dcache_forget(struct fuse_conn *c, uint64_t parent, const char *name)
{
	uint64_t flags = irq_save();
	struct fuse_dentry **link = &c->dcache[fuse_dcache_hash(parent, name)];

	while (*link) {
		struct fuse_dentry *d = *link;

		if (d->parent == parent && strcmp(d->name, name) == 0) {
			*link = d->next;
			c->ndentries--;
			kfree(d);
		} else {
			link = &d->next;
		}
	}
	irq_restore(flags);
}

void fuse_dcache_add(struct fuse_conn *c, uint64_t parent, const char *name,
		     const struct fuse_entry_out *e)
{
	size_t len = strlen(name) + 1;
	struct fuse_dentry *d;
	uint64_t flags;

	if (e->entry_valid == 0 && e->entry_valid_nsec == 0)
		return;
	fuse_dcache_forget(c, parent, name);
	d = kmalloc(sizeof(*d) + len);
	if (!d)
		return;
	d->parent = parent;
	d->nodeid = e->nodeid;
	d->expires = fuse_expiry(e->entry_valid, e->entry_valid_nsec);
	memcpy(d->name, name, len);
	flags = irq_save();
	if (c->ndentries >= FUSE_DCACHE_MAX)
		fuse_dcache_drop_if(c, fuse_dentry_any, NULL);
	d->next = c->dcache[fuse_dcache_hash(parent, name)];
	c->dcache[fuse_dcache_hash(parent, name)] = d;
	c->ndentries++;
	irq_restore(flags);
}

void fuse_dcache_drop_node(struct fuse_conn *c, uint64_t nodeid)
{
	fuse_dcache_drop_if(c, fuse_dentry_of_node, &nodeid);
}

void fuse_dcache_drop_all(struct fuse_conn *c)
{
	fuse_dcache_drop_if(c, fuse_dentry_any, NULL);
}
