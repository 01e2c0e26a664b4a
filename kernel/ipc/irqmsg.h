/*
 * Interrupts as messages for user-mode drivers (os_irq_attach,
 * os_irq_ack; <os/irq.h>).  See irqmsg.c.
 */
#ifndef IPC_IRQMSG_H
#define IPC_IRQMSG_H

#include <types.h>

struct proc;

/* os_irq_attach for the caller: 0, -EINVAL, -EPERM, -EBUSY, -ENOMEM. */
int irqmsg_attach(int irq, int flags);
/* os_irq_ack for the caller: 0 (the line unmasked), or -EINVAL (not a
 * line the caller attached). */
int irqmsg_ack(int irq);
/* p is ending: mask and free every line it attached.  May be called
 * again (it then finds none). */
void irqmsg_release(struct proc *p);

#endif
