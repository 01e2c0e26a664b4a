/*
 * copy_from_user and friends (see usercopy.h).
 *
 * Each copy goes page by page.  For each page, with interrupts off:
 *   1. uvm_user_page() walks the current process's page tables and says
 *      whether user mode could make this access (present, user, writable
 *      for a write); a stack page never touched is mapped now;
 *   2. the bytes are copied through the user address itself.
 * With interrupts off and one CPU nothing can unmap the page between 1 and
 * 2, so step 2 cannot fault.  (With several CPUs, or threads sharing an
 * address space, that takes a lock or a fault fixup; Linux uses the
 * latter: an exception table entry for each user access.)
 *
 * SMAP (Intel SDM Vol. 3A, 4.6.1 "Determination of Access Rights"): with
 * CR4.SMAP on, a supervisor access to a user page faults unless RFLAGS.AC
 * is set.  `stac` sets AC around step 2 and `clac` clears it again, so
 * these functions are the only kernel code that can touch user memory:
 * any other dereference of a user pointer faults at once, which finds the
 * bug.  stac/clac exist only on CPUs with SMAP, hence the CR4 test.
 */
#include "mm/usercopy.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/uvm.h"
#include "proc/proc.h"

#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)

static bool smap_on;

void usercopy_init(void)
{
	uint32_t a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 7)
		return;
	cpuid(7, 0, &a, &b, &c, &d);
	if (b & CPUID7_EBX_SMEP)
		write_cr4(read_cr4() | CR4_SMEP);
	if (b & CPUID7_EBX_SMAP) {
		write_cr4(read_cr4() | CR4_SMAP);
		smap_on = true;
	}
	kprintf("usercopy: SMEP %s, SMAP %s\n", b & CPUID7_EBX_SMEP ? "on" : "not available",
		smap_on ? "on" : "not available");
}

static inline void user_access_begin(void)
{
	if (smap_on)
		__asm__ volatile("stac" : : : "memory");
}

static inline void user_access_end(void)
{
	if (smap_on)
		__asm__ volatile("clac" : : : "memory");
}

void usercopy_trap_entry(void)
{
	user_access_end();
}

bool user_range_ok(uptr_t uaddr, size_t n)
{
	return uaddr <= USER_END && n <= USER_END - uaddr;
}

static struct uvm *current_uvm(void)
{
	struct proc *p = proc_current();

	return p ? p->uvm : NULL;
}

/*
 * Copy n bytes between user address uaddr and kernel buffer kbuf, in the
 * direction to_user says.  The one loop every copy goes through.
 */
static int user_copy(uptr_t uaddr, void *kbuf, size_t n, bool to_user)
{
	/* BEGIN STAGE syscalls: check each user page by walking the tables, then copy it */
	struct uvm *uvm = current_uvm();
	uint8_t *k = kbuf;

	if (n == 0)
		return 0;
	if (!uvm || !user_range_ok(uaddr, n))
		return -EFAULT;
	while (n > 0) {
		size_t chunk = MIN(n, PAGE_SIZE - uaddr % PAGE_SIZE);
		uint64_t flags = irq_save();

		if (!uvm_user_page(uvm, uaddr, to_user)) {
			irq_restore(flags);
			return -EFAULT;
		}
		user_access_begin();
		if (to_user)
			memcpy((void *)uaddr, k, chunk);
		else
			memcpy(k, (const void *)uaddr, chunk);
		user_access_end();
		irq_restore(flags);
		uaddr += chunk;
		k += chunk;
		n -= chunk;
	}
	return 0;
	/* STUB
	(void)uaddr, (void)kbuf, (void)n, (void)to_user, (void)current_uvm;
	return -EFAULT;
	END STAGE syscalls */
}

int copy_from_user(void *dst, uptr_t usrc, size_t n)
{
	return user_copy(usrc, dst, n, false);
}

int copy_to_user(uptr_t udst, const void *src, size_t n)
{
	return user_copy(udst, (void *)src, n, true);
}

int64_t strncpy_from_user(char *dst, uptr_t usrc, size_t size)
{
	struct uvm *uvm = current_uvm();
	size_t len = 0;

	if (!uvm || size == 0)
		return -EFAULT;
	while (len < size) {
		size_t chunk = MIN(size - len, PAGE_SIZE - (usrc + len) % PAGE_SIZE);
		uint64_t flags = irq_save();
		const char *src = (const char *)(usrc + len);
		size_t n;

		if (usrc + len >= USER_END || !uvm_user_page(uvm, usrc + len, false)) {
			irq_restore(flags);
			return -EFAULT;
		}
		user_access_begin();
		n = strnlen(src, chunk);
		memcpy(dst + len, src, n < chunk ? n + 1 : n);
		user_access_end();
		irq_restore(flags);
		if (n < chunk)
			return (int64_t)(len + n);
		len += n;
	}
	dst[size - 1] = '\0';
	return -ENAMETOOLONG;
}

int user_access_check(uptr_t uaddr, size_t n, bool write)
{
	struct uvm *uvm = current_uvm();
	uint64_t end;

	if (n == 0)
		return 0;
	if (!uvm || !user_range_ok(uaddr, n))
		return -EFAULT;
	end = uaddr + n;
	for (uptr_t va = ALIGN_DOWN(uaddr, PAGE_SIZE); va < end; va += PAGE_SIZE) {
		uint64_t flags = irq_save();
		bool ok = uvm_user_page(uvm, va, write) != 0;

		irq_restore(flags);
		if (!ok)
			return -EFAULT;
	}
	return 0;
}
