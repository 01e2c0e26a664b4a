/*
 * Driver system calls, for processes with the right to touch hardware
 * (proc->hwright, proc/hwaccess.c): os_physmap(2), which maps device
 * memory into a driver process, and the I/O-port calls ioperm(2) and
 * iopl(2), Linux's.
 *
 *     void *os_physmap(uint64_t phys, size_t len, int prot);
 *
 * maps the physical pages [phys, phys + len) (len rounded up to pages)
 * where there is room in the caller's address space, with mmap's PROT_*
 * bits, and returns the address.  The pages are shared with the device (or
 * with whatever else maps them): a write through the mapping is a write to
 * the physical memory, nothing is copied, and the frames are never freed by
 * munmap or the process's exit.  Errors, checked in this order:
 *
 *   EPERM   the caller was not given the right (proc->hwright: the kernel
 *           sets it for the programs drivers= names)
 *   EINVAL  len 0, phys not page aligned, unknown prot bits, or a range
 *           that is not inside one the kernel registered (mm/devmem.h)
 *   ENOMEM  no room in the address space, or no memory for page tables
 *
 *     int ioperm(unsigned long from, unsigned long num, int on);
 *     int iopl(int level);
 *
 * allow (on != 0) or deny the ports [from, from + num), and set the I/O
 * privilege level (3: every port; interrupts stay the kernel's), as Linux
 * >= 5.5 does: EINVAL for ports past 65535 or a level above 3, EPERM for
 * allowing or raising without the right.  A port not allowed faults
 * (#GP): the process gets SIGSEGV.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "mm/devmem.h"
#include "mm/uvm.h"
#include "proc/hwaccess.h"
#include "proc/proc.h"

int64_t sys_os_physmap(uint64_t phys, size_t len, int prot)
{
	struct proc *p = proc_current();
	const struct devmem_range *r;

	/* BEGIN STAGE ramdisk: check the right, the arguments and the range, then map */
	if (!p->hwright)
		return -EPERM;
	if (len == 0 || phys % PAGE_SIZE || (prot & ~(UVM_READ | UVM_WRITE | UVM_EXEC)))
		return -EINVAL;
	/* No registered range is as big as the user half: that bound keeps the
	 * rounding and the sum below from overflowing. */
	if (len > USER_END || phys + ALIGN_UP(len, PAGE_SIZE) < phys)
		return -EINVAL;
	r = devmem_find(phys, ALIGN_UP(len, PAGE_SIZE));
	if (!r)
		return -EINVAL;
	return uvm_map_device(p->uvm, phys, len, (unsigned)prot, !r->ram);
	/* STUB
	(void)p, (void)r, (void)phys, (void)len, (void)prot;
	return -ENOSYS;
	END STAGE ramdisk */
}

int64_t sys_ioperm(uint64_t from, uint64_t num, int on)
{
	return hwaccess_ioperm(from, num, on);
}

int64_t sys_iopl(unsigned level)
{
	return hwaccess_iopl(level);
}
