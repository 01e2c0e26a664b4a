/*
 * uapi/os/irq.h -- interrupts delivered as messages (<os/irq.h>).
 *
 * A driver with the right attaches an IRQ line with os_irq_attach(irq, 0);
 * from then on each interrupt of the line masks it and posts a message to
 * the driver's mailbox, from pid 0 (the kernel), whose body is a struct
 * os_irq_msg.  The line stays masked until the driver calls
 * os_irq_ack(irq), so one message at most is pending per line: os_recv
 * with OS_MSG_ANY (or a poll of os_msgfd's descriptor) sees it.
 * Shared, word for word, by the kernel and the C library: plain C only.
 */
#ifndef UAPI_OS_IRQ_H
#define UAPI_OS_IRQ_H

#define OS_IRQ_LINES 16 /* the legacy PIC's lines: 0-15 */

struct os_irq_msg {
	unsigned int irq;         /* the line, 0-15 */
	unsigned int reserved;    /* 0 */
	unsigned long long count; /* interrupts of the line since the attach, this one included */
};

#endif /* UAPI_OS_IRQ_H */
