/*
 * fat_ops.c -- the operations on names: lookup, create, mkdir, unlink,
 * rmdir, rename, readdir.
 *
 * Each takes a directory's node id and one name, as FUSE requests do, and
 * works through fat_dir.c.  The order of the steps keeps the volume
 * consistent if a step fails: space is found (the directory grown, a
 * cluster taken for mkdir) before any name is written, and a rename writes
 * the new entry before it removes the old one, so an error leaves the old
 * name in place.  A directory whose names change gets a new modification
 * time.
 *
 * mkdir writes the two entries every subdirectory starts with (spec "FAT
 * Directory Structure"): "." with the directory's own cluster and ".." with
 * its parent's, 0 when the parent is the root, also on FAT32.  Moving a
 * directory to another parent rewrites its "..".
 *
 * Renaming over an existing name follows POSIX: a file may replace a
 * file, a directory an empty directory; the replaced node's clusters are
 * freed.  A directory may not move into itself or below itself, which
 * fat_dir_within finds by climbing ".." entries from the target directory
 * (bounded, so a corrupt ".." loop gives -EIO).
 */
#include <errno.h>
#include <string.h>

#include "fat_int.h"

static int fat_is_dot_name(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* A name to look for: its length without trailing dots; -ENAMETOOLONG, -ENOENT (empty). */
static int fat_name_arg(const char *name, size_t *len)
{
	size_t n = strlen(name);

	if (n >= FAT_NAME_BUF)
		return -ENAMETOOLONG;
	while (n > 0 && name[n - 1] == '.')
		n--;
	*len = n;
	return n == 0 || memchr(name, '/', n) ? -ENOENT : 0;
}

/* Find name in directory node d. */
static int fat_find(struct fat_volume *v, const struct fat_node *d, const char *name,
		    struct fat_loc *loc)
{
	size_t len;
	int r = fat_name_arg(name, &len);

	return r < 0 ? r : fat_dir_find(v, d->first, name, len, loc);
}

int fat_lookup(struct fat_volume *v, uint64_t dir, const char *name, uint64_t *id)
{
	struct fat_node d;
	struct fat_loc loc;
	uint32_t parent;
	int r = fat_node_dir(v, dir, &d);

	if (r < 0)
		return r;
	if (strcmp(name, ".") == 0) {
		*id = dir;
		return 0;
	}
	if (strcmp(name, "..") == 0) {
		if (d.de == NULL) {
			*id = FAT_ROOT_ID;
			return 0;
		}
		r = fat_dir_parent(v, d.first, &parent);
		return r < 0 ? r : fat_dir_id(v, parent, id);
	}
	r = fat_find(v, &d, name, &loc);
	if (r == 0)
		*id = fat_node_id(v, loc.de);
	return r;
}

int fat_lookup_path(struct fat_volume *v, const char *path, uint64_t *id)
{
	char part[FAT_NAME_BUF];
	size_t n;
	int r;

	*id = FAT_ROOT_ID;
	for (;;) {
		while (*path == '/')
			path++;
		if (*path == '\0')
			return 0;
		n = strcspn(path, "/");
		if (n >= sizeof(part))
			return -ENAMETOOLONG;
		memcpy(part, path, n);
		part[n] = '\0';
		path += n;
		r = fat_lookup(v, *id, part, id);
		if (r < 0)
			return r;
	}
}

/*
 * Add a new entry with attributes attr and first cluster c under name in
 * directory node dir: 0 with *d (the directory) and *loc, or an error.
 */
static int fat_new_entry(struct fat_volume *v, uint64_t dir, const char *name, uint8_t attr,
			 uint32_t c, struct fat_node *d, struct fat_loc *loc)
{
	uint8_t proto[DIR_ENTRY];
	size_t len;
	int r = fat_node_dir(v, dir, d);

	if (r < 0)
		return r;
	r = fat_name_check(name, &len);
	if (r < 0)
		return r;
	r = fat_dir_find(v, d->first, name, len, loc);
	if (r != -ENOENT)
		return r == 0 ? -EEXIST : r;
	memset(proto, 0, sizeof(proto));
	proto[DIR_ATTR] = attr;
	fat_entry_set_cluster(v, proto, c);
	fat_time_stamp(v, proto, STAMP_CREATE | STAMP_WRITE | STAMP_ACCESS);
	r = fat_dir_add(v, d->first, name, len, proto, NULL, 0, loc);
	if (r == 0)
		fat_node_touch(v, d);
	return r;
}

int fat_create(struct fat_volume *v, uint64_t dir, const char *name, uint32_t mode, uint64_t *id)
{
	struct fat_node d;
	struct fat_loc loc;
	uint8_t attr = ATTR_ARCHIVE | (mode & 0200 ? 0 : ATTR_READ_ONLY);
	int r = fat_new_entry(v, dir, name, attr, 0, &d, &loc);

	if (r == 0)
		*id = fat_node_id(v, loc.de);
	return r;
}

/* Write "." and ".." into the new directory whose entry is de, child of d. */
static void fat_dir_dots(struct fat_volume *v, const uint8_t *de, const struct fat_node *d)
{
	uint32_t c = fat_entry_cluster(v, de);
	uint8_t *dot = fat_cluster_data(v, c);

	memcpy(dot, de, DIR_ENTRY);
	memcpy(dot + DIR_NAME, ".          ", 11);
	dot[DIR_NTRES] = 0;
	memcpy(dot + DIR_ENTRY, dot, DIR_ENTRY);
	memcpy(dot + DIR_ENTRY + DIR_NAME, "..         ", 11);
	fat_entry_set_cluster(v, dot + DIR_ENTRY, d->de ? d->first : 0);
	fat_dirty(v, dot, 2 * DIR_ENTRY);
}

int fat_mkdir(struct fat_volume *v, uint64_t dir, const char *name, uint64_t *id)
{
	struct fat_node d;
	struct fat_loc loc;
	uint32_t c = 0;
	int r = fat_chain_extend(v, &c, 0, 1);

	if (r < 0)
		return r;
	r = fat_new_entry(v, dir, name, ATTR_DIRECTORY, c, &d, &loc);
	if (r < 0) {
		fat_chain_cut(v, &c, 0);
		return r;
	}
	fat_dir_dots(v, loc.de, &d);
	*id = fat_node_id(v, loc.de);
	return 0;
}

/* Remove the name at loc in directory d and free its clusters. */
static void fat_remove(struct fat_volume *v, const struct fat_node *d, const struct fat_loc *loc)
{
	uint32_t c = fat_entry_cluster(v, loc->de);

	fat_dir_remove(v, loc);
	/* A broken chain is freed as far as it goes; the name is gone either way. */
	fat_chain_cut(v, &c, 0);
	fat_node_touch(v, d);
}

int fat_unlink(struct fat_volume *v, uint64_t dir, const char *name)
{
	struct fat_node d;
	struct fat_loc loc;
	int r = fat_node_dir(v, dir, &d);

	if (r < 0)
		return r;
	if (fat_is_dot_name(name))
		return -EISDIR;
	r = fat_find(v, &d, name, &loc);
	if (r < 0)
		return r;
	if (loc.de[DIR_ATTR] & ATTR_DIRECTORY)
		return -EISDIR;
	fat_remove(v, &d, &loc);
	return 0;
}

int fat_rmdir(struct fat_volume *v, uint64_t dir, const char *name)
{
	struct fat_node d;
	struct fat_loc loc;
	uint32_t c;
	int r = fat_node_dir(v, dir, &d);

	if (r < 0)
		return r;
	if (fat_is_dot_name(name))
		return strcmp(name, ".") == 0 ? -EINVAL : -ENOTEMPTY;
	r = fat_find(v, &d, name, &loc);
	if (r < 0)
		return r;
	if (!(loc.de[DIR_ATTR] & ATTR_DIRECTORY))
		return -ENOTDIR;
	c = fat_entry_cluster(v, loc.de);
	r = fat_cluster_valid(v, c) ? fat_dir_empty(v, c) : -EIO;
	if (r <= 0)
		return r < 0 ? r : -ENOTEMPTY;
	fat_remove(v, &d, &loc);
	return 0;
}

/* 1 if directory dir is anc or lies below it, 0 if not, -EIO for a ".." loop. */
static int fat_dir_within(struct fat_volume *v, uint32_t dir, uint32_t anc)
{
	int r;

	for (uint32_t depth = 0; depth <= v->clusters; depth++) {
		if (dir == anc)
			return 1;
		if (dir == fat_dir_root(v))
			return 0;
		r = fat_dir_parent(v, dir, &dir);
		if (r < 0)
			return r;
	}
	return -EIO;
}

/* May the node at src replace the one at dst (POSIX rename)?  0 or the error. */
static int fat_can_replace(struct fat_volume *v, const uint8_t *src, const uint8_t *dst)
{
	int src_dir = (src[DIR_ATTR] & ATTR_DIRECTORY) != 0;
	int dst_dir = (dst[DIR_ATTR] & ATTR_DIRECTORY) != 0;
	uint32_t c = fat_entry_cluster(v, dst);
	int r;

	if (src_dir != dst_dir)
		return src_dir ? -ENOTDIR : -EISDIR;
	if (!dst_dir)
		return 0;
	r = fat_cluster_valid(v, c) ? fat_dir_empty(v, c) : -EIO;
	return r < 0 ? r : r ? 0 : -ENOTEMPTY;
}

/* Is the name at loc spelt exactly name[0..len)? */
static int fat_same_spelling(struct fat_volume *v, const struct fat_loc *loc, const char *name,
			     size_t len)
{
	char now[FAT_NAME_BUF];
	struct fat_loc again;
	uint32_t i = loc->first_slot;

	return fat_dir_next(v, loc->dir, &i, &again, now) == 1 && strlen(now) == len &&
	       memcmp(now, name, len) == 0;
}

/* Point the ".." of directory dir at its new parent p. */
static void fat_dir_reparent(struct fat_volume *v, uint32_t dir, const struct fat_node *p)
{
	uint8_t *de;

	if (fat_dir_slot(v, dir, 1, &de) == 0 && memcmp(de, "..         ", 11) == 0)
		fat_entry_set_cluster(v, de, p->de ? p->first : 0);
}

/*
 * The checks of a rename, before anything is written: finds the source
 * (*src) and any other entry the new name already names (*dst, then
 * *has_dst).  Returns 0 to go on, 1 when the rename would change nothing,
 * or an error.
 */
static int fat_rename_check(struct fat_volume *v, const struct fat_node *op, const char *oldname,
			    const struct fat_node *np, const char *newname, size_t len,
			    struct fat_loc *src, struct fat_loc *dst, int *has_dst)
{
	int r;

	if (fat_is_dot_name(oldname) || fat_is_dot_name(newname))
		return -EINVAL;
	r = fat_find(v, op, oldname, src);
	if (r < 0)
		return r;
	r = fat_dir_find(v, np->first, newname, len, dst);
	if (r < 0 && r != -ENOENT)
		return r;
	*has_dst = r == 0 && dst->de != src->de;
	/* The same entry: nothing to do, unless the spelling (case) changes. */
	if (r == 0 && !*has_dst && fat_same_spelling(v, src, newname, len))
		return 1;
	if (*has_dst && (r = fat_can_replace(v, src->de, dst->de)) < 0)
		return r;
	if ((src->de[DIR_ATTR] & ATTR_DIRECTORY) && op->first != np->first) {
		r = fat_dir_within(v, np->first, fat_entry_cluster(v, src->de));
		if (r != 0)
			return r < 0 ? r : -EINVAL;
	}
	return 0;
}

int fat_rename(struct fat_volume *v, uint64_t olddir, const char *oldname, uint64_t newdir,
	       const char *newname, uint64_t *id)
{
	struct fat_node op, np;
	struct fat_loc src, dst, skip[2], out;
	uint8_t proto[DIR_ENTRY];
	uint32_t c, dc;
	size_t len;
	int r, has_dst = 0;

	if ((r = fat_node_dir(v, olddir, &op)) < 0 || (r = fat_node_dir(v, newdir, &np)) < 0)
		return r;
	r = fat_name_check(newname, &len);
	if (r >= 0)
		r = fat_rename_check(v, &op, oldname, &np, newname, len, &src, &dst, &has_dst);
	if (r != 0) {
		if (r == 1 && id)
			*id = fat_node_id(v, src.de);
		return r < 0 ? r : 0;
	}
	/* The new entry first, a copy of the old one; then the old names go. */
	memcpy(proto, src.de, DIR_ENTRY);
	skip[0] = src;
	if (has_dst)
		skip[1] = dst;
	r = fat_dir_add(v, np.first, newname, len, proto, skip, has_dst ? 2 : 1, &out);
	if (r < 0)
		return r;
	if (has_dst) {
		dc = fat_entry_cluster(v, dst.de);
		fat_dir_remove(v, &dst);
		fat_chain_cut(v, &dc, 0);
	}
	fat_dir_remove(v, &src);
	c = fat_entry_cluster(v, proto);
	if ((proto[DIR_ATTR] & ATTR_DIRECTORY) && op.first != np.first)
		fat_dir_reparent(v, c, &np);
	fat_node_touch(v, &op);
	fat_node_touch(v, &np);
	if (id)
		*id = fat_node_id(v, out.de);
	return 0;
}

/* readdir's "." and "..": the root has no such entries, so they are made up for it. */
static int fat_readdir_dot(uint64_t dir, uint64_t off, struct fat_dirent *d)
{
	strcpy(d->name, off == 0 ? "." : "..");
	strcpy(d->short_name, d->name);
	d->id = dir;
	d->mode = FAT_S_IFDIR | 0755;
	d->next = off + 1;
	return 1;
}

int fat_readdir(struct fat_volume *v, uint64_t dir, uint64_t off, struct fat_dirent *d)
{
	struct fat_node n;
	struct fat_loc loc;
	uint32_t base, i;
	int r = fat_node_dir(v, dir, &n);

	if (r < 0)
		return r;
	base = n.de == NULL ? 2 : 0;
	if (off < base)
		return fat_readdir_dot(dir, off, d);
	if (off - base >= DIR_MAX_SLOTS)
		return 0;
	i = (uint32_t)(off - base);
	r = fat_dir_next(v, n.first, &i, &loc, d->name);
	if (r <= 0)
		return r;
	d->next = i + base;
	d->mode = fat_entry_mode(loc.de);
	fat_name_short(loc.de, d->short_name, 0);
	if (strcmp(d->name, ".") == 0)
		d->id = dir;
	else if (strcmp(d->name, "..") == 0)
		return fat_lookup(v, dir, "..", &d->id) < 0 ? -EIO : 1;
	else
		d->id = fat_node_id(v, loc.de);
	return 1;
}
