/*
 * copy_from_user and friends (see usercopy.h).
 *
 * A copy checks only that the range lies in the user half, then copies
 * through the user address itself (usercopy_asm.S), with interrupts on.
 * Whatever else may be wrong with the address is found by the MMU: a page
 * fault at one of the copy instructions comes to usercopy_fault (from
 * trap.c), which first resolves it as it would a fault of the program
 * itself (a page touched for the first time, copy-on-write, the stack
 * growing: uvm_handle_fault), and else resumes the copy at its fixup, so
 * that it returns what was left undone and the call fails with -EFAULT.
 * This is Linux's exception table: the instructions that may fault on a
 * user address are listed, with where to go instead, in the .extable
 * section (__extable_start..__extable_end).  Compared with checking each
 * page by walking the page tables first, a copy costs nothing per page.
 *
 * SMAP (Intel SDM Vol. 3A, 4.6.1 "Determination of Access Rights"): with
 * CR4.SMAP on, a supervisor access to a user page faults unless RFLAGS.AC
 * is set.  `stac` sets AC around the copy and `clac` clears it again, so
 * these functions are the only kernel code that can touch user memory:
 * any other dereference of a user pointer faults at once (no fixup: a
 * kernel bug), which finds the bug.  stac/clac exist only on CPUs with
 * SMAP, hence the CR4 test.
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

/* usercopy_asm.S */
size_t usercopy_bytes(void *dst, const void *src, size_t n);
int64_t usercopy_string(char *dst, const char *src, size_t n);

struct extable_entry {
	uint64_t insn;  /* an instruction that may fault on a user address */
	uint64_t fixup; /* where it goes on instead */
};

extern const struct extable_entry __extable_start[], __extable_end[];

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
 * direction to_user says.  The one copy every copy goes through.
 */
static int user_copy(uptr_t uaddr, void *kbuf, size_t n, bool to_user)
{
	/* BEGIN STAGE syscalls: check the range is user memory, copy with user access on */
	size_t left;

	if (n == 0)
		return 0;
	if (!current_uvm() || !user_range_ok(uaddr, n))
		return -EFAULT;
	user_access_begin();
	if (to_user)
		left = usercopy_bytes((void *)uaddr, kbuf, n);
	else
		left = usercopy_bytes(kbuf, (const void *)uaddr, n);
	user_access_end();
	return left ? -EFAULT : 0;
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
	int64_t len;

	if (!current_uvm() || size == 0 || usrc >= USER_END)
		return -EFAULT;
	/* What lies beyond USER_END is not read. */
	user_access_begin();
	len = usercopy_string(dst, (const char *)usrc, MIN(size, USER_END - usrc));
	user_access_end();
	if (len < 0)
		return -EFAULT;
	if ((size_t)len < size && (size_t)len < USER_END - usrc)
		return len;
	if ((size_t)len < size)
		return -EFAULT; /* the string runs into the kernel half */
	dst[size - 1] = '\0';
	return -ENAMETOOLONG;
}

/* The fixup of the copy instruction at rip, or 0 if it is none. */
static uint64_t extable_fixup(uint64_t rip)
{
	/* The two symbols are the linker's bounds of one section (kernel.ld),
	 * which cppcheck takes for two arrays. */
	// cppcheck-suppress comparePointers
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

bool usercopy_fault(struct trapframe *tf, uint64_t addr)
{
	uint64_t fixup = extable_fixup(tf->rip);
	struct uvm *uvm = current_uvm();
	unsigned access = uvm_fault_access(tf->error);

	if (!fixup)
		return false;
	/* The copy ran with interrupts on: resolving may sleep (OOM). */
	if (tf->rflags & RFLAGS_IF)
		sti();
	if (!uvm || addr >= USER_END || uvm_handle_fault(uvm, addr, access) != 0)
		tf->rip = fixup;
	cli();
	return true;
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
