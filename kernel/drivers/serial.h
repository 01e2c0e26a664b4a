/* The COM1 UART (16550): the grading channel.  Output is polled; input is
 * polled until the interrupts stage turns on the receive interrupt. */
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

#endif
