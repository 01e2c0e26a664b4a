/* The interrupt descriptor table: one gate per vector, all to trapentry.S. */
#ifndef ARCH_X86_64_IDT_H
#define ARCH_X86_64_IDT_H

#include <types.h>

/* Fill all 256 gates and load the IDT.  IST stacks are used only if the TSS is loaded. */
void idt_init(void);

#endif
