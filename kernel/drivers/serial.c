/*
 * COM1 driver for a 16550-compatible UART at I/O port 0x3f8.
 * Register offsets from the port base (see the 16550 datasheet):
 *   0 data (DLAB=0) / divisor low (DLAB=1)   1 interrupt enable / divisor high
 *   2 FIFO control   3 line control   4 modem control   5 line status
 */
#include "drivers/serial.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/x86.h"
#include "drivers/console.h"

#define REG_DATA 0
#define REG_IER  1
#define REG_FCR  2
#define REG_LCR  3
#define REG_MCR  4
#define REG_LSR  5

#define LSR_DATA_READY 0x01
#define LSR_TX_EMPTY   0x20 /* transmit holding register empty */
#define LSR_TX_IDLE    0x40 /* ... and the shift register too */

#define FCR_FIFO_TRIGGER1 0x07 /* FIFOs on and cleared, interrupt at 1 byte */

static bool rx_by_irq;
static uint64_t rx_irqs, rx_irq_bytes;

void serial_init(void)
{
	outb(COM1_PORT + REG_IER, 0x00);  /* no interrupts for now */
	outb(COM1_PORT + REG_LCR, 0x80);  /* DLAB on: set the divisor */
	outb(COM1_PORT + REG_DATA, 0x01); /* 115200 baud */
	outb(COM1_PORT + REG_IER, 0x00);
	outb(COM1_PORT + REG_LCR, 0x03); /* 8 data bits, no parity, 1 stop */
	outb(COM1_PORT + REG_FCR, 0xc7); /* FIFOs on and cleared */
	outb(COM1_PORT + REG_MCR, 0x0b); /* DTR, RTS, OUT2 (routes the IRQ) */
}

void serial_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1_PORT + REG_LSR) & LSR_TX_EMPTY); i++)
		;
	outb(COM1_PORT + REG_DATA, c);
}

void serial_flush(void)
{
	for (int i = 0; i < 100000 && !(inb(COM1_PORT + REG_LSR) & LSR_TX_IDLE); i++)
		;
}

int serial_try_getc(void)
{
	if (!(inb(COM1_PORT + REG_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1_PORT + REG_DATA);
}

void serial_enable_rx_irq(void)
{
	outb(COM1_PORT + REG_IER, 0x01);
}

/*
 * IRQ 4: move every received byte to the console.  Draining the FIFO
 * completely matters: the UART's interrupt line stays up while data is
 * waiting, and the PIC is edge-triggered, so bytes left behind would raise
 * no new interrupt.
 */
static void serial_irq(struct trapframe *tf)
{
	int c;

	(void)tf;
	rx_irqs++;
	while ((c = serial_try_getc()) >= 0) {
		rx_irq_bytes++;
		if (!serial_raw_input((char)c))
			console_input((char)c);
	}
}

void serial_irq_init(void)
{
	/* BEGIN STAGE interrupts: register the IRQ 4 handler, then enable the UART's receive interrupt */
	outb(COM1_PORT + REG_FCR, FCR_FIFO_TRIGGER1); /* interrupt at every byte */
	irq_register(COM1_IRQ, serial_irq);
	serial_enable_rx_irq();
	rx_by_irq = true;
	/* STUB
	(void)serial_irq;
	END STAGE interrupts */
}

bool serial_rx_by_irq(void)
{
	return rx_by_irq;
}

uint64_t serial_rx_irqs(void)
{
	return rx_irqs;
}

uint64_t serial_rx_irq_bytes(void)
{
	return rx_irq_bytes;
}
