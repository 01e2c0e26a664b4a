/*
 * Interrupts as messages: a user-mode driver owns an IRQ line.
 *
 *     os_irq_attach(irq, 0)   take the line: 0, or EPERM (no right),
 *                             EINVAL (no such line, flags not 0),
 *                             EBUSY (the kernel or a process has it)
 *     os_irq_ack(irq)         the interrupt is handled: unmask the line
 *
 * An attach preallocates all an interrupt needs: the owner's mailbox,
 * held by the line (ipc/msg.c).  irqmsg_interrupt, the line's handler,
 * masks the line (the PIC has had its EOI from irq_dispatch), counts the
 * interrupt and sets the line's pending bit in the mailbox, waking the
 * driver in os_recv; nothing is allocated in interrupt context.  The line
 * stays masked until os_irq_ack, so the driver sees one message per
 * interrupt it acknowledges, never a flood.  The kernel's own lines (the
 * timer, COM1) have handlers and so are EBUSY; the cascade line 2 is none
 * of anyone's.
 *
 * When the owner ends (hwaccess_exit calls irqmsg_release), its lines are
 * masked, their handlers removed and the mailbox let go: a driver that
 * dies takes nothing down, and another process may attach the line.
 * lines[] changes with interrupts off.
 */
#include "ipc/irqmsg.h"
#include <errno.h>
#include <uapi/os/irq.h>
#include "arch/x86_64/irq.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "ipc/msg.h"
#include "lib/spinlock.h"
#include "proc/proc.h"

#define IRQ_CASCADE 2

struct irq_line {
	struct proc *owner; /* the attached driver, or NULL */
	struct mailbox *mb; /* its mailbox, held */
	uint64_t count;     /* interrupts since the attach */
	bool masked;        /* delivered, not yet acknowledged */
};

static struct irq_line lines[OS_IRQ_LINES];

/* The handler of every attached line: interrupt context. */
static void irqmsg_interrupt(struct trapframe *tf)
{
	uint64_t tsc = rdtsc();
	int irq = (int)tf->vector - IRQ_BASE;
	struct irq_line *l = &lines[irq];

	/* BEGIN STAGE drivers: mask the line until the ack, then post the interrupt to the owner */
	irq_mask(irq);
	if (!l->owner)
		return;
	l->masked = true;
	msg_post_irq(l->mb, irq, ++l->count, tsc);
	/* STUB
	(void)l;
	(void)tsc;
	END STAGE drivers */
}

int irqmsg_attach(int irq, int flags)
{
	struct proc *p = proc_current();
	struct mailbox *mb;
	int err = 0;
	uint64_t irqf;

	if (irq < 0 || irq >= OS_IRQ_LINES || irq == IRQ_CASCADE || flags)
		return -EINVAL;
	if (!p->hwright)
		return -EPERM;
	mb = msg_mailbox_hold(&err);
	if (!mb)
		return err;
	irqf = irq_save();
	if (lines[irq].owner || !irq_register_free(irq, irqmsg_interrupt)) {
		irq_restore(irqf);
		msg_mailbox_put(mb);
		return -EBUSY;
	}
	lines[irq] = (struct irq_line){ p, mb, 0, false };
	irq_restore(irqf);
	return 0;
}

int irqmsg_ack(int irq)
{
	struct proc *p = proc_current();
	uint64_t flags;
	int err = 0;

	if (irq < 0 || irq >= OS_IRQ_LINES)
		return -EINVAL;
	flags = irq_save();
	if (lines[irq].owner != p)
		err = -EINVAL;
	else if (lines[irq].masked) {
		/* BEGIN STAGE drivers: the interrupt is handled: the line may interrupt again */
		lines[irq].masked = false;
		irq_unmask(irq);
		/* END STAGE drivers */
	}
	irq_restore(flags);
	return err;
}

void irqmsg_release(struct proc *p)
{
	for (int irq = 0; irq < OS_IRQ_LINES; irq++) {
		uint64_t flags = irq_save();
		struct mailbox *mb = NULL;

		if (lines[irq].owner == p) {
			irq_unregister(irq);
			mb = lines[irq].mb;
			lines[irq] = (struct irq_line){ 0 };
		}
		irq_restore(flags);
		if (mb)
			msg_mailbox_put(mb);
	}
}
