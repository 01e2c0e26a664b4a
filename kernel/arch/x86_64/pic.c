/*
 * The legacy PIC: a master 8259A (IRQs 0-7, ports 0x20/0x21) and a slave
 * (IRQs 8-15, ports 0xa0/0xa1) cascaded on the master's IRQ 2.
 *
 * After the BIOS, the master delivers IRQs 0-7 on vectors 8-15, which in
 * protected mode are CPU exceptions (the timer would look like a double
 * fault).  pic_init() reprograms both with the four initialization command
 * words, so IRQ n arrives on vector IRQ_BASE + n, and masks every line; a
 * driver's irq_register() unmasks its line.
 *
 * References: the Intel 8259A datasheet (ICW1-ICW4, OCW2 for EOI, OCW3 to
 * read the in-service register), and the OSDev wiki's "8259 PIC" page.
 *
 * Everything here runs with interrupts off (boot, or inside the trap path),
 * so the cached mask needs no lock.
 */
#include "arch/x86_64/pic.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT 0x10 /* start initialization */
#define ICW1_ICW4 0x01 /* ICW4 follows */
#define ICW4_8086 0x01 /* 8086 mode (not MCS-80/85) */
#define OCW2_EOI  0x20 /* non-specific end of interrupt */
#define OCW3_ISR  0x0b /* the next read of the command port returns the ISR */

#define CASCADE_IRQ 2

static bool remapped;
static uint16_t mask = 0xffff & ~(1u << CASCADE_IRQ); /* bit set = line masked */

/* A short delay between PIC writes, for old hardware: port 0x80 is unused. */
static void io_wait(void)
{
	outb(0x80, 0);
}

static void write_mask(void)
{
	if (!remapped)
		return; /* never unmask lines that still point at exception vectors */
	outb(PIC1_DATA, mask & 0xff);
	outb(PIC2_DATA, mask >> 8);
}

/* Send ICW1-ICW4 to both PICs; true when they deliver on IRQ_BASE..+15. */
static bool pic_remap(void)
{
	/* BEGIN STAGE interrupts: initialize both 8259As with ICW1-ICW4 */
	outb(PIC1_DATA, 0xff); /* mask everything meanwhile */
	outb(PIC2_DATA, 0xff);
	outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	io_wait();
	outb(PIC1_DATA, IRQ_BASE); /* ICW2: vector offset */
	io_wait();
	outb(PIC2_DATA, IRQ_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1u << CASCADE_IRQ); /* ICW3: master has a slave on IRQ 2 */
	io_wait();
	outb(PIC2_DATA, CASCADE_IRQ); /* ICW3: slave's cascade identity */
	io_wait();
	outb(PIC1_DATA, ICW4_8086);
	io_wait();
	outb(PIC2_DATA, ICW4_8086);
	io_wait();
	return true;
	/* STUB
	(void)io_wait;
	return false;
	END STAGE interrupts */
}

void pic_init(void)
{
	remapped = pic_remap();
	write_mask();
}

bool pic_ready(void)
{
	return remapped;
}

void pic_mask(int irq)
{
	mask |= 1u << irq;
	write_mask();
}

void pic_unmask(int irq)
{
	mask &= ~(1u << irq);
	write_mask();
}

void pic_eoi(int irq)
{
	/* BEGIN STAGE interrupts: acknowledge irq (both PICs for a slave IRQ) */
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
	/* STUB
	(void)irq;
	END STAGE interrupts */
}

static uint16_t read_isr(void)
{
	outb(PIC1_CMD, OCW3_ISR);
	outb(PIC2_CMD, OCW3_ISR);
	return inb(PIC1_CMD) | (uint16_t)inb(PIC2_CMD) << 8;
}

/*
 * When an IRQ line drops before the CPU acknowledges it, the 8259A delivers
 * its lowest-priority line instead (IRQ 7, or IRQ 15 on the slave) without
 * setting the in-service bit.  Such a spurious IRQ must not get an EOI from
 * its own PIC (that would end some other, real interrupt); a spurious IRQ 15
 * did go through the master's cascade line, so the master still needs one.
 */
bool pic_spurious(int irq)
{
	/* BEGIN STAGE interrupts: detect spurious IRQ 7/15 from the in-service register */
	if (irq != 7 && irq != 15)
		return false;
	if (read_isr() & (1u << irq))
		return false;
	if (irq == 15)
		outb(PIC1_CMD, OCW2_EOI);
	return true;
	/* STUB
	(void)irq;
	(void)read_isr;
	return false;
	END STAGE interrupts */
}
