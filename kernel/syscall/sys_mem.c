/*
 * Memory system calls: brk, mmap and munmap (anonymous memory, private or
 * shared, and devices such as /dev/fb0), mprotect, madvise.  The address-space work is in
 * mm/uvm.c; here are the argument checks, in the order Linux makes them,
 * so that a program sees the same errno on both.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "mm/uvm.h"
#include "proc/proc.h"

#define PROT_MASK           (UVM_READ | UVM_WRITE | UVM_EXEC)
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE            0x0f
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000

#define MADV_NORMAL          0
#define MADV_DONTNEED        4
#define MADV_FREE            8
#define MADV_DONTNEED_LOCKED 24
#define MADV_COLLAPSE        25
#define MADV_HWPOISON        100
#define MADV_SOFT_OFFLINE    101

static struct uvm *current_uvm(void)
{
	return proc_current()->uvm;
}

/* brk(2) never fails with an errno: it returns the break, moved or not
 * (musl's malloc then falls back to mmap). */
int64_t sys_brk(uptr_t addr)
{
	return (int64_t)uvm_brk(current_uvm(), addr);
}

/*
 * mmap(2) of a file: only devices with pages of their own (file_ops's
 * mmap_phys: /dev/fb0) can be mapped, shared with the device whether
 * MAP_SHARED or MAP_PRIVATE, where there is room (an address hint and
 * MAP_FIXED are not supported: EINVAL).  The checks and errnos are
 * Linux's: a file that cannot be mapped is ENODEV, one not open for
 * reading (or, shared and writable, for writing) EACCES.
 */
static int64_t mmap_file(struct uvm *uvm, size_t len, int prot, int flags, int fd, int64_t offset)
{
	struct file *f = fd_get(fd);
	unsigned mode;
	uint64_t phys;
	bool nocache;
	int64_t ret;

	if (!f)
		return -EBADF;
	mode = f->flags & O_ACCMODE;
	if (len == 0 || (flags & MAP_TYPE) < MAP_SHARED ||
	    (flags & MAP_TYPE) > MAP_SHARED_VALIDATE || (prot & ~PROT_MASK) || offset < 0)
		ret = -EINVAL;
	else if (!f->ops || !f->ops->mmap_phys)
		ret = -ENODEV;
	else if (mode == O_WRONLY ||
		 ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & UVM_WRITE) && mode != O_RDWR))
		ret = -EACCES;
	else if (len > USER_END)
		ret = -ENOMEM;
	else if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		ret = -EINVAL;
	else
		ret = f->ops->mmap_phys(f, (uint64_t)offset, ALIGN_UP(len, PAGE_SIZE), &phys,
					&nocache);
	if (ret == 0)
		ret = uvm_map_device(uvm, phys, len, (unsigned)prot, nocache);
	file_put(f);
	return ret;
}

int64_t sys_mmap(uptr_t addr, size_t len, int prot, int flags, int fd, int64_t offset)
{
	struct uvm *uvm = current_uvm();
	unsigned how = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) ? UVM_MAP_FIXED : 0) |
		       ((flags & MAP_TYPE) != MAP_PRIVATE ? UVM_MAP_SHARED : 0);

	if (offset % PAGE_SIZE)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return mmap_file(uvm, len, prot, flags, fd, offset);
	if (len == 0)
		return -EINVAL;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (flags & MAP_TYPE) != MAP_SHARED &&
	    (flags & MAP_TYPE) != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (prot & ~PROT_MASK)
		return -EINVAL;
	if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && addr % PAGE_SIZE == 0 &&
	    len <= USER_END && addr <= USER_END - len &&
	    !uvm_range_free(uvm, addr, ALIGN_UP(len, PAGE_SIZE)))
		return -EEXIST;
	return uvm_mmap(uvm, addr, len, (unsigned)prot, how);
}

/* As Linux: an unaligned address is EINVAL, a range with a hole ENOMEM. */
int64_t sys_mprotect(uptr_t addr, size_t len, int prot)
{
	size_t rounded = ALIGN_UP(len, PAGE_SIZE);

	if (addr % PAGE_SIZE || prot & ~PROT_MASK || (len && !rounded))
		return -EINVAL;
	if (rounded == 0)
		return 0;
	if (addr >= USER_END || rounded > USER_END - addr)
		return -ENOMEM;
	return uvm_mprotect(current_uvm(), addr, rounded, (unsigned)prot);
}

int64_t sys_munmap(uptr_t addr, size_t len)
{
	return uvm_munmap(current_uvm(), addr, len);
}

/* The advice values Linux 6.1 accepts (the rest get EINVAL). */
static bool madvise_known(int advice)
{
	return (advice >= MADV_NORMAL && advice <= MADV_DONTNEED) ||
	       (advice >= MADV_FREE && advice <= MADV_COLLAPSE) || advice == MADV_HWPOISON ||
	       advice == MADV_SOFT_OFFLINE;
}

/*
 * Advice may be ignored, except MADV_DONTNEED: the pages read as zero after.
 * As in Linux, a range with unmapped pages in it gets ENOMEM, after the
 * advice has been applied to the pages that are mapped.
 */
int64_t sys_madvise(uptr_t addr, size_t len, int advice)
{
	struct uvm *uvm = current_uvm();
	size_t rounded = ALIGN_UP(len, PAGE_SIZE);

	if (!madvise_known(advice) || addr % PAGE_SIZE || (len && !rounded) ||
	    addr + rounded < addr)
		return -EINVAL;
	if (rounded == 0)
		return 0;
	if (addr >= USER_END || rounded > USER_END - addr)
		return -ENOMEM;
	if ((advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED) &&
	    uvm_discard(uvm, addr, rounded) != 0)
		return -EINVAL;
	return uvm_range_mapped(uvm, addr, rounded) ? 0 : -ENOMEM;
}
