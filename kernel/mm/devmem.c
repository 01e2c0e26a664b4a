/*
 * Device memory: which physical pages user-mode drivers may map.
 *
 * Some processes drive hardware or serve a filesystem from memory the
 * kernel did not allocate: the FAT server works on the ramdisk's pages,
 * which GRUB loaded as a module, and later drivers will map a device's
 * registers (MMIO).  os_physmap(2) maps such pages into the caller, without
 * copying, for a process the kernel gave the right (proc->hwright,
 * proc/hwaccess.c: the FAT server, the drivers, or those the command line
 * names) and only inside a range registered here.  A range is a table
 * entry: start and end
 * (page aligned), a name for messages, and whether it is RAM.
 *
 * The frames of a range are never the frame allocator's: a GRUB module's
 * frames are marked FRAME_MODULE by frame_init and MMIO is not RAM at all.
 * So the page tables mark these mappings VM_DEVICE and the address space
 * never frees their frames (uvm.c), at munmap or at exit.  RAM is mapped
 * with normal caching; anything else uncached (VM_NOCACHE), as registers
 * must be (Intel SDM Vol. 3A, 11.3 "Methods of Caching Available").
 *
 * The table is written at boot (devmem_init) and by drivers' set-up, with
 * interrupts off; it only grows.
 */
#include "mm/devmem.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "boot/multiboot.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"

static struct devmem_range ranges[DEVMEM_MAX];
static int nranges;

void devmem_init(void)
{
	const struct boot_module *rd = multiboot_find_module("ramdisk");

	if (rd)
		devmem_register(rd->start, rd->end - rd->start, "ramdisk");
}

static bool overlaps(uint64_t start, uint64_t end)
{
	for (int i = 0; i < nranges; i++)
		if (start < ranges[i].end && ranges[i].start < end)
			return true;
	return false;
}

int devmem_register(uint64_t phys, uint64_t len, const char *name)
{
	uint64_t end = ALIGN_UP(phys + len, PAGE_SIZE), flags;
	int err = 0;

	if (phys % PAGE_SIZE || len == 0 || phys + len < phys || end < phys + len)
		err = -EINVAL;
	flags = irq_save();
	if (!err && overlaps(phys, end))
		err = -EINVAL;
	if (!err && nranges == DEVMEM_MAX)
		err = -ENOSPC;
	if (!err) {
		struct devmem_range *r = &ranges[nranges++];

		r->start = phys;
		r->end = end;
		r->ram = frame_owner(phys) != FRAME_RESERVED;
		strlcpy(r->name, name, sizeof(r->name));
	}
	irq_restore(flags);
	if (err)
		kprintf("devmem: %s at %lx (%lu bytes) refused: %s\n", name, phys, len,
			err == -ENOSPC ? "the table is full" : "a bad range");
	else
		kprintf("devmem: %s at %lx-%lx may be mapped by drivers\n", name, phys, end);
	return err;
}

const struct devmem_range *devmem_find(uint64_t phys, uint64_t len)
{
	for (int i = 0; i < nranges; i++)
		if (phys >= ranges[i].start && phys < ranges[i].end && len <= ranges[i].end - phys)
			return &ranges[i];
	return NULL;
}
