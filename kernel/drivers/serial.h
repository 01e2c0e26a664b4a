/* The COM1 UART (16550): the grading channel.  Output is polled; input is
 * polled until serial_irq_init() (stage interrupts) turns on the receive
 * interrupt, after which bytes reach console_input() from IRQ 4. */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

#include <types.h>

#define COM1_PORT 0x3f8
#define COM1_IRQ  4

void serial_init(void);
void serial_putc(char c);
/* Wait until every byte written has left the transmitter. */
void serial_flush(void);
/* Returns the next received byte, or -1 if none is waiting. */
int serial_try_getc(void);
/* Enable the "received data available" interrupt (IRQ 4). */
void serial_enable_rx_irq(void);
/* Route COM1 input through IRQ 4 to console_input(). */
void serial_irq_init(void);
/* Does input arrive by interrupt (serial_irq_init done)? */
bool serial_rx_by_irq(void);
/* Receive interrupts taken and bytes they delivered. */
uint64_t serial_rx_irqs(void);
uint64_t serial_rx_irq_bytes(void);

/* Raw reading of COM1 (serial_raw.c, os_serial_read).  Interrupt context:
 * keep c for the raw reader if there is one (true), else false. */
bool serial_raw_input(char c);
/* os_serial_read(buf, len, timeout_ms) for the caller: bytes read, 0 on a
 * timeout, or -EINVAL, -EFAULT, -EINTR, -EBUSY.  May sleep. */
int64_t serial_raw_read(uint64_t buf, size_t len, int timeout_ms);
struct proc;
/* p is ending: it is no longer the raw reader (if it was). */
void serial_raw_release(struct proc *p);

#endif
