/*
 * The wait primitive before there are threads (see wait.h): sleeping means
 * halting the CPU until an interrupt arrives.
 *
 * `sti; hlt` is atomic with respect to interrupts: STI enables them only
 * after the next instruction (Intel SDM Vol. 2B, STI: "interrupt shadow"),
 * so an interrupt that became pending while wait_event() checked its
 * condition with interrupts off is taken *during* the HLT and wakes it,
 * instead of being handled before the HLT and leaving the CPU asleep.
 */
#include "lib/wait.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/x86.h"

void wait_sleep(struct waitq *wq)
{
	(void)wq;
	if (!irq_started()) {
		pause();        /* no interrupt would end a HLT: poll */
		return;
	}
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

void wait_wake_all(struct waitq *wq)
{
	(void)wq;       /* the interrupt that ran the waker already woke the CPU */
}
