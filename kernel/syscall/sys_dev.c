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
 *
 *     int os_irq_attach(int irq, int flags);
 *     int os_irq_ack(int irq);
 *
 * take an IRQ line, whose interrupts then come as messages from pid 0,
 * and unmask it after one (ipc/irqmsg.c, <os/irq.h>).
 *
 *     ssize_t os_console_input(const void *buf, size_t len);
 *
 * puts len bytes into the console's input as if typed on COM1 (through
 * the terminal's line discipline: echo, editing, Ctrl-C), for a keyboard
 * driver: len, or EPERM without the right, EFAULT.
 *
 *     ssize_t os_serial_read(void *buf, size_t len, int timeout_ms);
 *
 * reads COM1 raw, for anyone (drivers/serial_raw.c).
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "mm/devmem.h"
#include "drivers/console.h"
#include "drivers/serial.h"
#include "ipc/irqmsg.h"
#include "mm/usercopy.h"
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

int64_t sys_os_irq_attach(int irq, int flags)
{
	return irqmsg_attach(irq, flags);
}

int64_t sys_os_irq_ack(int irq)
{
	return irqmsg_ack(irq);
}

int64_t sys_os_console_input(uptr_t ubuf, size_t len)
{
	char kbuf[64];

	if (!proc_current()->hwright)
		return -EPERM;
	for (size_t done = 0; done < len;) {
		size_t n = MIN(len - done, sizeof(kbuf));

		if (copy_from_user(kbuf, ubuf + done, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			console_input(kbuf[i]);
		done += n;
	}
	return (int64_t)len;
}

int64_t sys_os_serial_read(uptr_t buf, size_t len, int timeout_ms)
{
	return serial_raw_read(buf, len, timeout_ms);
}
