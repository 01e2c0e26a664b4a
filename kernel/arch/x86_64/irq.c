/*
 * The IRQ table: one handler per legacy-PIC line, with counters.  trap()
 * sends vectors IRQ_BASE..IRQ_BASE+15 here.  Registration happens at boot or
 * from drivers with interrupts on, so the table is updated under a lock.
 */
#include "arch/x86_64/irq.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/x86.h"
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"

static irq_handler_t handlers[IRQ_COUNT];
static uint64_t counts[IRQ_COUNT];
static uint64_t spurious;
static bool started;
static spinlock_t irq_lock = SPINLOCK_INIT("irq");

void irq_register(int irq, irq_handler_t handler)
{
	if (irq < 0 || irq >= IRQ_COUNT)
		panic("irq_register: no IRQ %d", irq);
	spin_lock(&irq_lock);
	if (handlers[irq] && handlers[irq] != handler)
		panic("irq_register: IRQ %d already has a handler", irq);
	handlers[irq] = handler;
	pic_unmask(irq);
	spin_unlock(&irq_lock);
}

bool irq_register_free(int irq, irq_handler_t handler)
{
	bool taken;

	spin_lock(&irq_lock);
	taken = handlers[irq] != NULL;
	if (!taken) {
		handlers[irq] = handler;
		pic_unmask(irq);
	}
	spin_unlock(&irq_lock);
	return !taken;
}

void irq_unregister(int irq)
{
	spin_lock(&irq_lock);
	pic_mask(irq);
	handlers[irq] = NULL;
	spin_unlock(&irq_lock);
}

void irq_mask(int irq)
{
	uint64_t flags = irq_save();

	pic_mask(irq);
	irq_restore(flags);
}

void irq_unmask(int irq)
{
	uint64_t flags = irq_save();

	pic_unmask(irq);
	irq_restore(flags);
}

void irq_dispatch(struct trapframe *tf)
{
	int irq = tf->vector - IRQ_BASE;

	if (pic_spurious(irq)) {
		spurious++;
		return;
	}
	counts[irq]++;
	pic_eoi(irq);
	if (handlers[irq])
		handlers[irq](tf);
	else
		pic_mask(irq); /* nobody wants it: stop it from coming back */
}

void irq_start(void)
{
	if (!pic_ready()) {
		kprintf("irq: the PIC is not set up; interrupts stay off, input is polled\n");
		return;
	}
	started = true;
	sti();
}

bool irq_started(void)
{
	return started;
}

uint64_t irq_count(int irq)
{
	return irq >= 0 && irq < IRQ_COUNT ? counts[irq] : 0;
}

uint64_t irq_spurious_count(void)
{
	return spurious;
}

void irq_print_stats(void)
{
	for (int i = 0; i < IRQ_COUNT; i++)
		if (handlers[i] || counts[i])
			kprintf("  irq %2d: %lu%s\n", i, counts[i],
				handlers[i] ? "" : " (no handler)");
	kprintf("  spurious: %lu\n", spurious);
}
