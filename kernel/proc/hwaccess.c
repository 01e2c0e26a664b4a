/*
 * Hardware access of user-mode drivers: the right, and I/O ports.
 *
 * The right.  A process may touch hardware (ioperm, iopl, os_physmap,
 * os_irq_attach) only if the kernel gave it the right, proc->hwright.  The
 * right goes with the program: a process gets it when it starts a program
 * (proc_spawn, or execve) whose name the kernel command line lists in
 * drivers=NAME,... (by default HW_DRIVERS_DEFAULT; the older devmem= is
 * read when drivers= is absent), and fork copies it.  Whoever lacks it
 * gets EPERM.
 *
 * I/O ports, as Linux >= 5.5 does them.  ioperm(from, num, on) allows or
 * denies the ports [from, from + num) through the TSS I/O permission bitmap
 * (arch/x86_64/tss.c): the first ioperm gives the process a bitmap of its
 * own (all denied), which fork copies and execve keeps, as on Linux.
 * iopl(3) does not raise IOPL (that would let the process disable
 * interrupts): it allows all 65536 ports through the bitmap, keeping what
 * ioperm set for the day iopl(0) drops the level again.  Denying needs no
 * right; allowing does.
 *
 * At a switch into a process (hwaccess_switch_in) its bitmap is copied
 * into the TSS unless it is the one already there; only the bytes up to the
 * highest port it ever allowed are copied.  A process that never asked
 * runs with no bitmap at all.  The bitmaps change only by their own
 * process, with interrupts off around the TSS update, so no lock is needed.
 *
 * When a process ends, hwaccess_exit gives back all the hardware it held:
 * its devices' bus mastering if it had DMA memory (mm/dma.c), its IRQ
 * lines (ipc/irqmsg.c, masked and freed), the raw serial reader's place
 * (drivers/serial_raw.c) and its ports.
 */
#include "proc/hwaccess.h"
#include <errno.h>
#include "arch/x86_64/tss.h"
#include "boot/cmdline.h"
#include "drivers/serial.h"
#include "ipc/irqmsg.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/dma.h"
#include "mm/heap.h"
#include "proc/proc.h"

#define HW_DRIVERS_DEFAULT "fatfs,ps2kbd,ata,usbkbd"
#define HW_PORTS           65536

struct iobitmap {
	uint8_t bits[TSS_IOMAP_BYTES]; /* bit set = port denied, as the CPU reads it */
	size_t len;                    /* bytes that may hold a clear bit */
};

/* iopl(3): every port allowed. */
static const struct iobitmap all_ports = { .len = TSS_IOMAP_BYTES };

/* The bitmap in the TSS now (NULL: none copied yet, or it was freed). */
static const struct iobitmap *loaded;

bool hwaccess_allowed(const char *name)
{
	const char *list = cmdline_get("drivers");

	if (!list)
		list = cmdline_get("devmem");
	return cmdline_list_has(list ? list : HW_DRIVERS_DEFAULT, name);
}

/* The bitmap p's ports are checked against now, or NULL for none. */
static const struct iobitmap *hwaccess_bitmap_of(struct proc *p)
{
	return p->iopl == 3 ? &all_ports : p->iobitmap;
}

void hwaccess_switch_in(struct proc *p)
{
	const struct iobitmap *b = hwaccess_bitmap_of(p);

	/* BEGIN STAGE drivers: no bitmap: none in the TSS; the one there: use it; else copy it in */
	if (!b) {
		tss_use_io_bitmap(false);
		return;
	}
	if (b == loaded) {
		tss_use_io_bitmap(true);
		return;
	}
	tss_set_io_bitmap(b->bits, b->len);
	loaded = b;
	/* STUB
	(void)b;
	tss_use_io_bitmap(false);
	END STAGE drivers */
}

/* After a change of the caller's bitmap or level: the TSS follows. */
static void hwaccess_reload(struct proc *p)
{
	uint64_t flags = irq_save();

	loaded = NULL;
	hwaccess_switch_in(p);
	irq_restore(flags);
}

static struct iobitmap *hwaccess_bitmap_new(void)
{
	struct iobitmap *b = kmalloc(sizeof(*b));

	if (b) {
		memset(b->bits, 0xff, sizeof(b->bits));
		b->len = 0;
	}
	return b;
}

int hwaccess_ioperm(uint64_t from, uint64_t num, int on)
{
	struct proc *p = proc_current();
	struct iobitmap *b = p->iobitmap;

	if (from + num <= from || from + num > HW_PORTS)
		return -EINVAL;
	if (on && !p->hwright)
		return -EPERM;
	if (!b && !on)
		return 0; /* nothing was allowed */
	if (!b && !(b = p->iobitmap = hwaccess_bitmap_new()))
		return -ENOMEM;
	/* BEGIN STAGE drivers: clear (on) or set the bits of ports [from, from + num); len covers them */
	for (uint64_t port = from; port < from + num; port++) {
		if (on)
			b->bits[port / 8] &= (uint8_t) ~(1u << (port % 8));
		else
			b->bits[port / 8] |= (uint8_t)(1u << (port % 8));
	}
	if (on && (from + num + 7) / 8 > b->len)
		b->len = (from + num + 7) / 8;
	/* STUB
	return -ENOSYS;
	END STAGE drivers */
	hwaccess_reload(p);
	return 0;
}

int hwaccess_iopl(unsigned level)
{
	struct proc *p = proc_current();

	if (level > 3)
		return -EINVAL;
	if (level > p->iopl && !p->hwright)
		return -EPERM;
	p->iopl = level;
	hwaccess_reload(p);
	return 0;
}

int hwaccess_fork(struct proc *child, struct proc *parent)
{
	child->hwright = parent->hwright;
	child->iopl = parent->iopl;
	if (!parent->iobitmap)
		return 0;
	child->iobitmap = kmalloc(sizeof(*child->iobitmap));
	if (!child->iobitmap)
		return -ENOMEM;
	memcpy(child->iobitmap, parent->iobitmap, sizeof(*child->iobitmap));
	return 0;
}

void hwaccess_exit(struct proc *p)
{
	uint64_t flags;

	dma_stop(p); /* before its DMA frames are freed */
	irqmsg_release(p);
	serial_raw_release(p);
	flags = irq_save();
	if (loaded == p->iobitmap)
		loaded = NULL;
	if (proc_current() == p)
		tss_use_io_bitmap(false);
	irq_restore(flags);
	kfree(p->iobitmap);
	p->iobitmap = NULL;
	p->iopl = 0;
}
