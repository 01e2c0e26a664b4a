/*
 * fat_file.c -- nodes: ids, attributes, and the data of files.
 *
 * A node id (fat.h) is 1 for the root or the position of a node's 8.3
 * entry; fat_node_get turns it back into the entry, refusing ids that do
 * not point at a live entry in the root region or the data area.  The
 * entry is the node's whole inode: attributes, first cluster, size (32
 * bits, so no file reaches 4 GiB) and times (fat_time.c).
 *
 * A file of size s uses the first ceil(s / cluster_size) clusters of its
 * chain, and an empty file has first cluster 0 (spec "FAT Directory
 * Structure").  Before a file's data is touched its chain is checked
 * (fat_file_chain): sound, no loop, long enough for the size; otherwise
 * the operation fails with -EIO and the file stays as it was.
 *
 * Bytes past the size inside the last cluster may hold anything (a file
 * shrunk by truncate leaves them), so growing a file zeroes them; clusters
 * are zeroed when allocated (fat_table.c).  Reads past the end of a file
 * that was grown, by write past the end or truncate, thus see zeros, as
 * POSIX requires.  Growth is all or nothing: fat_chain_extend fails before
 * taking any cluster when too few are free.
 */
#include <errno.h>
#include <string.h>

#include "fat_int.h"

uint64_t fat_node_id(const struct fat_volume *v, const uint8_t *de)
{
	return (uint64_t)(de - v->image) / DIR_ENTRY;
}

/*
 * The node id names: 0 and *n, -ENOENT if no live entry is there, -EIO if
 * it is unusable (a directory whose chain is broken or loops).
 */
int fat_node_get(struct fat_volume *v, uint64_t id, struct fat_node *n)
{
	uint64_t end = v->data_offset + (uint64_t)v->clusters * v->cluster_size;
	uint8_t *de;

	if (id == FAT_ROOT_ID) {
		n->de = NULL;
		n->is_dir = 1;
		n->first = fat_dir_root(v);
		return fat_dir_check(v, n->first);
	}
	if (id < v->root_offset / DIR_ENTRY || id >= end / DIR_ENTRY)
		return -ENOENT;
	de = v->image + id * DIR_ENTRY;
	if (de[0] == SLOT_END || de[0] == SLOT_FREE || de[0] == '.' ||
	    (de[DIR_ATTR] & ATTR_LONG_MASK) == ATTR_LONG_NAME || (de[DIR_ATTR] & ATTR_VOLUME_ID))
		return -ENOENT;
	n->de = de;
	n->is_dir = (de[DIR_ATTR] & ATTR_DIRECTORY) != 0;
	n->first = fat_entry_cluster(v, de);
	if (n->is_dir)
		return fat_cluster_valid(v, n->first) ? fat_dir_check(v, n->first) : -EIO;
	return 0;
}

/* fat_node_get for a directory: -ENOTDIR for a file. */
int fat_node_dir(struct fat_volume *v, uint64_t id, struct fat_node *n)
{
	int r = fat_node_get(v, id, n);

	if (r == 0 && !n->is_dir)
		return -ENOTDIR;
	return r;
}

/* A directory's entries changed: its modification time is now (the root has none). */
void fat_node_touch(struct fat_volume *v, const struct fat_node *n)
{
	if (n->de)
		fat_time_stamp(v, n->de, STAMP_WRITE);
}

static uint32_t fat_clusters_for(const struct fat_volume *v, uint64_t bytes)
{
	return (uint32_t)((bytes + v->cluster_size - 1) / v->cluster_size);
}

/*
 * The number of clusters in file n's chain, checked to be sound and to
 * cover size bytes: 0 and *have, or -EIO.
 */
static int fat_file_chain(struct fat_volume *v, const struct fat_node *n, uint64_t size,
			  uint32_t *have)
{
	int r;

	*have = 0;
	if (n->first == 0)
		return size == 0 ? 0 : -EIO;
	r = fat_chain_check(v, n->first, have);
	if (r < 0)
		return r;
	return *have >= fat_clusters_for(v, size) ? 0 : -EIO;
}

/* The file node id; -EISDIR for a directory. */
static int fat_file_get(struct fat_volume *v, uint64_t id, struct fat_node *n)
{
	int r = fat_node_get(v, id, n);

	if (r == 0 && n->is_dir)
		return -EISDIR;
	return r;
}

/*
 * Bytes [off, off + len) of the chain at first (which covers them): copied
 * to `to`, or else written from `from`, or else (both NULL) zeroed.
 */
static int fat_file_copy(struct fat_volume *v, uint32_t first, uint64_t off, size_t len,
			 uint8_t *to, const uint8_t *from)
{
	uint32_t cs = v->cluster_size, c;
	size_t done = 0, chunk, at;
	uint8_t *data;

	while (done < len) {
		if (fat_chain_seek(v, first, (uint32_t)((off + done) / cs), &c) != 0)
			return -EIO;
		at = (size_t)((off + done) % cs);
		chunk = len - done < cs - at ? len - done : cs - at;
		data = fat_cluster_data(v, c) + at;
		if (to)
			memcpy(to + done, data, chunk);
		else if (from)
			memcpy(data, from + done, chunk);
		else
			memset(data, 0, chunk);
		if (!to)
			fat_dirty(v, data, chunk);
		done += chunk;
	}
	return 0;
}

/*
 * Grow file n from size to at least new_size bytes (have clusters now):
 * zero the slack of its last cluster, add zeroed clusters.  Updates n->first
 * and the entry's cluster, not its size.
 */
static int fat_file_grow(struct fat_volume *v, struct fat_node *n, uint64_t size, uint64_t new_size,
			 uint32_t have)
{
	uint64_t slack_end = (uint64_t)have * v->cluster_size;
	int r;

	r = fat_chain_extend(v, &n->first, have, fat_clusters_for(v, new_size));
	if (r < 0)
		return r;
	fat_entry_set_cluster(v, n->de, n->first);
	if (new_size < slack_end)
		slack_end = new_size;
	if (size < slack_end)
		return fat_file_copy(v, n->first, size, (size_t)(slack_end - size), NULL, NULL);
	return 0;
}

/* st_mode of entry de: type, 0755/0644, less the write bits if read-only. */
uint32_t fat_entry_mode(const uint8_t *de)
{
	uint32_t mode = de[DIR_ATTR] & ATTR_DIRECTORY ? FAT_S_IFDIR | 0755 : FAT_S_IFREG | 0644;

	return de[DIR_ATTR] & ATTR_READ_ONLY ? mode & ~0222u : mode;
}

/* Directory attributes: size from its chain (or the fixed root), nlink from its subdirectories. */
static int fat_dir_attr(struct fat_volume *v, const struct fat_node *n, struct fat_attr *a)
{
	struct fat_loc loc;
	uint32_t len, i = 0;
	int r;

	a->nlink = 2;
	if (n->first == 0) {
		a->size = (uint64_t)v->root_entries * DIR_ENTRY;
	} else {
		r = fat_chain_check(v, n->first, &len);
		if (r < 0)
			return r;
		a->size = (uint64_t)len * v->cluster_size;
	}
	a->blocks = a->size / 512;
	while ((r = fat_dir_next(v, n->first, &i, &loc, NULL)) == 1)
		if ((loc.de[DIR_ATTR] & ATTR_DIRECTORY) && loc.de[0] != '.')
			a->nlink++;
	return r;
}

int fat_getattr(struct fat_volume *v, uint64_t id, struct fat_attr *a)
{
	struct fat_node n;
	const uint8_t *de;
	int r = fat_node_get(v, id, &n);

	if (r < 0)
		return r;
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->blksize = v->cluster_size;
	de = n.de;
	if (de == NULL) {
		/* The root has no entry and so no times: say the FAT epoch. */
		a->mode = FAT_S_IFDIR | 0755;
		a->atime = a->mtime = a->ctime = fat_time_decode(0x21, 0);
		return fat_dir_attr(v, &n, a);
	}
	a->mode = fat_entry_mode(de);
	a->mtime = fat_time_decode(fat_get16(de + DIR_WRT_DATE), fat_get16(de + DIR_WRT_TIME));
	a->atime = fat_time_decode(fat_get16(de + DIR_ACC_DATE), 0);
	a->ctime = fat_time_decode(fat_get16(de + DIR_CRT_DATE), fat_get16(de + DIR_CRT_TIME)) +
		   de[DIR_CRT_TENTH] / 100;
	if (n.is_dir)
		return fat_dir_attr(v, &n, a);
	a->nlink = 1;
	a->size = fat_get32(de + DIR_SIZE);
	a->blocks = (uint64_t)fat_clusters_for(v, a->size) * (v->cluster_size / 512);
	return 0;
}

/* Bytes [off, off + len) of the chain at first (which covers them) as up
 * to max spans; the bytes they cover. */
static int64_t fat_file_spans(struct fat_volume *v, uint32_t first, uint64_t off, size_t len,
			      struct fat_span *spans, int max, int *nspans)
{
	uint32_t cs = v->cluster_size, c;
	size_t done = 0, chunk, at;
	int n = 0;

	while (done < len) {
		const uint8_t *data;

		if (fat_chain_seek(v, first, (uint32_t)((off + done) / cs), &c) != 0)
			return -EIO;
		at = (size_t)((off + done) % cs);
		chunk = len - done < cs - at ? len - done : cs - at;
		data = fat_cluster_data(v, c) + at;
		if (n > 0 && spans[n - 1].data + spans[n - 1].len == data) {
			spans[n - 1].len += chunk; /* the next cluster in the image too */
		} else if (n < max) {
			spans[n++] = (struct fat_span){ data, chunk };
		} else {
			break;
		}
		done += chunk;
	}
	*nspans = n;
	return (int64_t)done;
}

int64_t fat_read_spans(struct fat_volume *v, uint64_t id, size_t len, uint64_t off,
		       struct fat_span *spans, int max, int *nspans)
{
	struct fat_node n;
	uint32_t size, have;
	int r = fat_file_get(v, id, &n);

	*nspans = 0;
	if (r < 0)
		return r;
	size = fat_get32(n.de + DIR_SIZE);
	r = fat_file_chain(v, &n, size, &have);
	if (r < 0)
		return r;
	if (off >= size || len == 0 || max <= 0)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	return fat_file_spans(v, n.first, off, len, spans, max, nspans);
}

int fat_accessed(struct fat_volume *v, uint64_t id)
{
	struct fat_node n;
	int r = fat_file_get(v, id, &n);

	if (r == 0)
		fat_time_stamp(v, n.de, STAMP_ACCESS);
	return r;
}

int64_t fat_read(struct fat_volume *v, uint64_t id, void *buf, size_t len, uint64_t off)
{
	struct fat_span spans[16];
	uint8_t *to = buf;
	size_t done = 0;

	if (buf == NULL)
		return -EFAULT;
	while (done < len) {
		int n;
		int64_t got = fat_read_spans(v, id, len - done, off + done, spans, 16, &n);

		if (got < 0)
			return got;
		if (got == 0)
			break;
		for (int i = 0; i < n; i++) {
			memcpy(to + done, spans[i].data, spans[i].len);
			done += spans[i].len;
		}
	}
	return (int64_t)done;
}

/* The entry's data changed: new size, modification time, archive bit (spec "FAT Directory Structure"). */
static void fat_file_changed(struct fat_volume *v, uint8_t *de, uint32_t size)
{
	fat_put32(de + DIR_SIZE, size);
	de[DIR_ATTR] |= ATTR_ARCHIVE;
	fat_dirty(v, de, DIR_ENTRY);
	fat_time_stamp(v, de, STAMP_WRITE | STAMP_ACCESS);
}

int64_t fat_write(struct fat_volume *v, uint64_t id, const void *buf, size_t len, uint64_t off)
{
	struct fat_node n;
	uint32_t size, have;
	uint64_t end;
	int r = fat_file_get(v, id, &n);

	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	if (buf == NULL)
		return -EFAULT;
	if (off > FAT_FILE_MAX || len > FAT_FILE_MAX - off)
		return -EFBIG;
	end = off + len;
	size = fat_get32(n.de + DIR_SIZE);
	r = fat_file_chain(v, &n, size, &have);
	if (r == 0 && end > size)
		r = fat_file_grow(v, &n, size, end, have);
	if (r == 0)
		r = fat_file_copy(v, n.first, off, len, NULL, buf);
	if (r < 0)
		return r;
	fat_file_changed(v, n.de, end > size ? (uint32_t)end : size);
	return (int64_t)len;
}

int fat_truncate(struct fat_volume *v, uint64_t id, uint64_t new_size)
{
	struct fat_node n;
	uint32_t size, have;
	int r = fat_file_get(v, id, &n);

	if (r < 0)
		return r;
	if (new_size > FAT_FILE_MAX)
		return -EFBIG;
	size = fat_get32(n.de + DIR_SIZE);
	if (new_size == size)
		return 0;
	r = fat_file_chain(v, &n, size, &have);
	if (r < 0)
		return r;
	if (new_size > size) {
		r = fat_file_grow(v, &n, size, new_size, have);
	} else {
		r = fat_chain_cut(v, &n.first, fat_clusters_for(v, new_size));
		fat_entry_set_cluster(v, n.de, n.first);
	}
	if (r < 0)
		return r;
	fat_file_changed(v, n.de, (uint32_t)new_size);
	return 0;
}

int fat_set_times(struct fat_volume *v, uint64_t id, int64_t atime, int64_t mtime)
{
	struct fat_node n;
	uint16_t date, time;
	int r = fat_node_get(v, id, &n);

	if (r < 0 || n.de == NULL)
		return r;
	if (atime >= 0) {
		fat_time_encode(atime, &date, &time);
		fat_put16(n.de + DIR_ACC_DATE, date);
	}
	if (mtime >= 0) {
		fat_time_encode(mtime, &date, &time);
		fat_put16(n.de + DIR_WRT_DATE, date);
		fat_put16(n.de + DIR_WRT_TIME, time);
	}
	fat_dirty(v, n.de, DIR_ENTRY);
	return 0;
}

int fat_set_mode(struct fat_volume *v, uint64_t id, uint32_t mode)
{
	struct fat_node n;
	int r = fat_node_get(v, id, &n);

	if (r < 0 || n.de == NULL)
		return r;
	if (mode & 0200)
		n.de[DIR_ATTR] &= (uint8_t)~ATTR_READ_ONLY;
	else
		n.de[DIR_ATTR] |= ATTR_READ_ONLY;
	fat_dirty(v, n.de, DIR_ENTRY);
	return 0;
}
