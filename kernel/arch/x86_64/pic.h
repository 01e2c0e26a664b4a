/*
 * The two cascaded 8259A programmable interrupt controllers of the PC
 * ("the legacy PIC"): 16 IRQ lines, remapped to vectors IRQ_BASE..+15.
 * Only irq.c needs this interface; drivers use irq_register().
 */
#ifndef ARCH_X86_64_PIC_H
#define ARCH_X86_64_PIC_H

#include <types.h>

/* Remap both PICs to IRQ_BASE and mask every line (but the cascade). */
void pic_init(void);
/* Did pic_init() remap the PICs?  Until it has, interrupts must stay off. */
bool pic_ready(void);
void pic_mask(int irq);
void pic_unmask(int irq);
/* Tell the PIC(s) the handling of irq is done, so it can raise the next one. */
void pic_eoi(int irq);
/* Is this IRQ 7 or 15 spurious (its in-service bit clear)?  Takes care of the EOI it needs. */
bool pic_spurious(int irq);

#endif
