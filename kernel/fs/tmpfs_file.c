/*
 * tmpfs's file data: the pages of regular files (see tmpfs.c for the
 * design, and tmpfs_node.h for what the two files share).
 *
 * A file's pages are frames from frame_alloc (zeroed), named by physical
 * address in n->pages[], 0 for a hole; the array grows (doubling) as
 * writes go further.  It is one block of 8 bytes per page up to the
 * furthest page written, so a sparse write gigabytes out may fail with
 * ENOMEM where Linux's tree of pages would not; a file is at most
 * TMPFS_FILE_MAX bytes (-EFBIG past it).  A read of a hole, or of the part of a page past the
 * end, copies zeros.  Every page counts against its instance's limit
 * (-ENOSPC) and in tmpfs_pages(), which /proc/meminfo shows as Shmem.
 * Reads and writes copy to and from the caller's buffer a page at a time
 * with the instance's lock held, and end short where the buffer faults.
 */
#include "fs/tmpfs.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "fs/tmpfs_node.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"

#define TMPFS_FILE_MAX (1ull << 40) /* bytes a file may have, holes included */

static uint64_t tmpfs_all_pages;
static uint8_t tmpfs_zeros[PAGE_SIZE]; /* what a hole reads */

uint64_t tmpfs_pages(void)
{
	return tmpfs_all_pages;
}

void tmpfs_free_pages(struct tmpfs_node *n, size_t from)
{
	for (size_t i = from; i < n->npages; i++) {
		if (!n->pages[i])
			continue;
		frame_free(n->pages[i]);
		n->pages[i] = 0;
		n->used--;
		n->tm->pages--;
		tmpfs_all_pages--;
	}
}

/* Pages past the new size go, the rest of its last page reads zeros again
 * (a later extension must not show old bytes). */
int tmpfs_truncate(struct tmpfs_node *n, uint64_t size)
{
	size_t keep = (size_t)((size + PAGE_SIZE - 1) / PAGE_SIZE);
	size_t last = (size_t)(size / PAGE_SIZE);

	if (size > TMPFS_FILE_MAX)
		return -EFBIG;
	tmpfs_free_pages(n, keep);
	if (size % PAGE_SIZE && last < n->npages && n->pages[last]) {
		size_t off = size % PAGE_SIZE;

		memset((char *)phys_to_virt(n->pages[last]) + off, 0, PAGE_SIZE - off);
	}
	if (size == 0) {
		kfree(n->pages);
		n->pages = NULL;
		n->npages = 0;
	}
	n->size = size;
	return 0;
}

static int64_t tmpfs_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct tmpfs_node *n = tmpfs_node(f->inode);
	size_t done = 0;
	int err = 0;

	tmpfs_lock(n->tm);
	count = pos < n->size ? MIN(count, (size_t)(n->size - pos)) : 0;
	while (done < count && !err) {
		uint64_t at = pos + done, page = at / PAGE_SIZE;
		size_t in = at % PAGE_SIZE, k = MIN(count - done, PAGE_SIZE - in);
		const uint8_t *src = tmpfs_zeros;

		if (page < n->npages && n->pages[page])
			src = (const uint8_t *)phys_to_virt(n->pages[page]) + in;
		err = vbuf_to(buf, done, src, k);
		if (!err)
			done += k;
	}
	tmpfs_unlock(n->tm);
	return done ? (int64_t)done : err;
}

/* Room in n's array for page index page.  0 or -ENOMEM. */
static int tmpfs_grow(struct tmpfs_node *n, uint64_t page)
{
	size_t cap = MAX((size_t)page + 1, 2 * n->npages);
	uint64_t *pages;

	if (page < n->npages)
		return 0;
	pages = krealloc(n->pages, cap * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	memset(pages + n->npages, 0, (cap - n->npages) * sizeof(*pages));
	n->pages = pages;
	n->npages = cap;
	return 0;
}

/* The page of n at index page, allocated if it is a hole: -ENOSPC past
 * the instance's limit, -ENOMEM without memory. */
static int tmpfs_page(struct tmpfs_node *n, uint64_t page, uint8_t **out)
{
	struct tmpfs *tm = n->tm;
	int err;

	if (page >= n->npages || !n->pages[page]) {
		if (tm->pages >= tm->max_pages)
			return -ENOSPC;
		err = tmpfs_grow(n, page);
		if (err)
			return err;
		n->pages[page] = frame_alloc(); /* zeroed */
		if (!n->pages[page])
			return -ENOMEM;
		n->used++;
		tm->pages++;
		tmpfs_all_pages++;
	}
	*out = phys_to_virt(n->pages[page]);
	return 0;
}

static int64_t tmpfs_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct tmpfs_node *n = tmpfs_node(f->inode);
	size_t done = 0;
	int err = pos >= TMPFS_FILE_MAX ? -EFBIG : 0;

	tmpfs_lock(n->tm);
	count = err ? 0 : MIN(count, TMPFS_FILE_MAX - pos);
	while (done < count && !err) {
		uint64_t at = pos + done;
		size_t in = at % PAGE_SIZE, k = MIN(count - done, PAGE_SIZE - in);
		uint8_t *page;

		err = tmpfs_page(n, at / PAGE_SIZE, &page);
		if (!err)
			err = vbuf_from(buf, done, page + in, k);
		if (!err)
			done += k;
	}
	if (done) {
		n->size = MAX(n->size, pos + done);
		n->mtime = n->ctime = tmpfs_now();
		f->inode->size = n->size;
	}
	tmpfs_unlock(n->tm);
	return done ? (int64_t)done : err;
}

int tmpfs_fsync(struct file *f)
{
	(void)f;
	return 0;
}

const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.fsync = tmpfs_fsync,
	.read_unchecked = true,  /* a fault ends the read short, nothing lost */
	.write_unchecked = true, /* ... and the write */
};
