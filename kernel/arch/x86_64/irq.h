/*
 * Hardware interrupt routing.  A driver registers a handler for its IRQ line
 * (0-15 on the legacy PIC, e.g. TIMER_IRQ 0, COM1_IRQ 4, keyboard 1):
 *
 *     irq_register(COM1_IRQ, serial_irq);
 *
 * which unmasks the line.  Handlers run in interrupt context: interrupts
 * off, on the interrupted thread's kernel stack; they must be short and
 * must not sleep.  The dispatcher sends the EOI *before* calling the handler,
 * so a handler may switch threads (the scheduler's tick does) without
 * blocking later interrupts of its line.
 */
#ifndef ARCH_X86_64_IRQ_H
#define ARCH_X86_64_IRQ_H

#include <types.h>
#include "arch/x86_64/trap.h"

typedef void (*irq_handler_t)(struct trapframe *tf);

/* Route irq (0-15) to handler and unmask it; one handler per line. */
void irq_register(int irq, irq_handler_t handler);
/* Route irq (0-15) to handler and unmask it if the line has no handler
 * yet: true; false if it has one (nothing changes).  For lines user-mode
 * drivers take (ipc/irqmsg.c). */
bool irq_register_free(int irq, irq_handler_t handler);
/* Mask irq and take its handler away (a driver let go of the line). */
void irq_unregister(int irq);
/* Mask or unmask irq, keeping its handler; any context. */
void irq_mask(int irq);
void irq_unmask(int irq);
/* Called by trap() for vectors IRQ_BASE..IRQ_BASE+15. */
void irq_dispatch(struct trapframe *tf);
/* Turn interrupts on (sti) if the PIC is set up; otherwise leave them off. */
void irq_start(void);
/* Has irq_start() turned interrupts on?  (Then a halted CPU will wake up.) */
bool irq_started(void);
/* How many times irq was delivered (spurious ones not counted). */
uint64_t irq_count(int irq);
/* How many spurious IRQs 7/15 were ignored. */
uint64_t irq_spurious_count(void);
/* Print one line per IRQ that has a handler or was seen. */
void irq_print_stats(void);

#endif
