/*
 * DMA memory for user-mode drivers: os_dma_alloc(2).
 *
 *     void *os_dma_alloc(size_t len, uint64_t *phys);
 *
 * A device that reads and writes memory itself (bus-master DMA: a USB
 * host controller's frame list and transfer descriptors, a disk
 * controller's buffers) is given physical addresses, so its driver needs
 * memory whose physical address it knows and which stays put: physically
 * contiguous frames (a device walks a buffer by adding to its address),
 * below 4 GiB (UHCI, EHCI and most PCI devices take 32-bit pointers),
 * never moved by copy-on-write or paging.  os_dma_alloc takes len bytes
 * (rounded up to pages, at most DMA_MAX) of zeroed frames from
 * frame_alloc_contig, maps them read-write and uncached (PCD|PWT: the
 * driver's stores go to memory as the device reads it; x86 DMA snoops the
 * caches anyway, so this costs speed, not correctness) where there is
 * room, stores the physical address of the first at *phys and returns the
 * virtual one.  Errors, in this order: EPERM without the right
 * (proc->hwright, proc/hwaccess.c), EINVAL for len 0 or above DMA_MAX,
 * ENOMEM with no such run of frames or no room, EFAULT for a bad phys
 * (nothing stays allocated).
 *
 * The memory is an ordinary shared area (mm/mmap.c, uvm_map_dma): munmap,
 * exit and exec free the frames, fork shares them.  What the kernel cannot
 * know is whether the device is still using them.  Without an IOMMU
 * nothing stops a controller the driver left running from writing into
 * frames that went back to the allocator and now hold someone else's page.
 * So before the address space of a process that allocated DMA memory goes
 * (dma_stop, from exit and exec), the kernel turns bus mastering off in
 * the PCI command register of every function on bus 0 (QEMU's pc machine
 * has one bus): the kernel itself does no DMA, and a device without bus
 * mastering cannot reach memory (PCI Local Bus 3.0, 6.2.2).  That is a
 * blunt rule: with two DMA drivers, the end of one stops the other's
 * device too; a kernel that knew which device each driver owns (a PCI
 * call instead of raw configuration ports) could stop only that one.  A
 * driver that munmaps memory its device still uses has the same bug as in
 * any kernel.
 *
 * PCI configuration space is reached through mechanism #1, ports
 * 0xcf8 (address) and 0xcfc (data), which drivers use through ioperm(2).
 * The kernel's own accesses run with interrupts off, so that no driver
 * comes between an address and its data, and put the address register
 * back as they found it: a driver preempted between its two accesses
 * reads the register it asked for.
 */
#include "mm/dma.h"
#include <errno.h>
#include "arch/x86_64/x86.h"
#include "lib/spinlock.h"
#include "mm/frame.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define DMA_MAX            (1024 * 1024)  /* bytes one call may take */
#define DMA_LIMIT          0x100000000ull /* devices with 32-bit addresses */
#define PCI_ADDRESS        0xcf8
#define PCI_DATA           0xcfc
#define PCI_COMMAND        0x04 /* 16 bits; then the 16-bit status */
#define PCI_HEADER         0x0c /* byte 2: header type, bit 7 multi-function */
#define PCI_CMD_BUS_MASTER 0x4

static uint32_t dma_pci_read(int dev, int fn, int reg)
{
	outl(PCI_ADDRESS, 0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)reg);
	return inl(PCI_DATA);
}

static void dma_pci_write(int dev, int fn, int reg, uint32_t v)
{
	outl(PCI_ADDRESS, 0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)reg);
	outl(PCI_DATA, v);
}

/* Bus mastering off for function fn of device dev on bus 0, if present. */
static void dma_pci_stop(int dev, int fn)
{
	uint32_t cmd = dma_pci_read(dev, fn, PCI_COMMAND);

	if ((cmd & 0xffff) == 0xffff || !(cmd & PCI_CMD_BUS_MASTER))
		return; /* no such function, or it cannot reach memory already */
	/* Only the command half: writing ones to the status half clears
	 * its sticky error bits, which are not ours to clear. */
	dma_pci_write(dev, fn, PCI_COMMAND, cmd & 0xffff & ~PCI_CMD_BUS_MASTER);
}

void dma_stop(struct proc *p)
{
	uint64_t flags;
	uint32_t address;

	if (!p->dma_used)
		return;
	p->dma_used = false;
	flags = irq_save();
	address = inl(PCI_ADDRESS);
	for (int dev = 0; dev < 32; dev++) {
		if ((dma_pci_read(dev, 0, 0) & 0xffff) == 0xffff)
			continue; /* no device: vendor 0xffff */
		int nfn = dma_pci_read(dev, 0, PCI_HEADER) & 0x800000 ? 8 : 1;

		for (int fn = 0; fn < nfn; fn++)
			dma_pci_stop(dev, fn);
	}
	outl(PCI_ADDRESS, address);
	irq_restore(flags);
}

int64_t sys_os_dma_alloc(size_t len, uptr_t uphys)
{
	struct proc *p = proc_current();
	uint64_t pa;
	int64_t va;

	if (!p->hwright)
		return -EPERM;
	if (len == 0 || len > DMA_MAX)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	/* The lowest run comes first, so only a full low 4 GiB fails. */
	pa = frame_alloc_contig(len / PAGE_SIZE, PAGE_SIZE);
	if (!pa)
		return -ENOMEM;
	if (pa + len > DMA_LIMIT) {
		frame_free_contig(pa, len / PAGE_SIZE);
		return -ENOMEM;
	}
	va = uvm_map_dma(p->uvm, pa, len);
	if (va < 0)
		return va;
	if (copy_to_user(uphys, &pa, sizeof(pa))) {
		uvm_munmap(p->uvm, (uint64_t)va, len);
		return -EFAULT;
	}
	p->dma_used = true;
	return va;
}
