/*
 * Memory system calls: brk, mmap and munmap (anonymous memory only until
 * there are files to map, private or shared), mprotect, madvise.  The address-space work is in
 * mm/uvm.c; here are the argument checks, in the order Linux makes them,
 * so that a program sees the same errno on both.
 */
#include "syscall/syscall.h"
#include <errno.h>
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

int64_t sys_mmap(uptr_t addr, size_t len, int prot, int flags, int fd, int64_t offset)
{
	struct uvm *uvm = current_uvm();
	unsigned how = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) ? UVM_MAP_FIXED : 0) |
		       ((flags & MAP_TYPE) != MAP_PRIVATE ? UVM_MAP_SHARED : 0);

	if (offset % PAGE_SIZE)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return fd >= 0 && fd < 3 ? -ENODEV : -EBADF; /* no mappable files yet */
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
