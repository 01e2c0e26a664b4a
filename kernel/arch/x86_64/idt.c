/*
 * The IDT (Intel SDM Vol. 3A, "Interrupt Descriptor Table (IDT)" and
 * "64-Bit Mode Exception and Interrupt Handling"): 256 16-byte gate
 * descriptors.  Every vector gets an interrupt gate (the CPU clears IF on
 * entry, so handlers start with interrupts off) to its stub in trapentry.S,
 * in the kernel code segment.
 *
 * Gate DPL: user code may reach a vector with `int n` only if the gate's DPL
 * is 3; we allow that for int3 and into (debuggers, overflow checks), and
 * any other `int n` from user mode is a #GP.
 *
 * IST: a gate with a nonzero IST index makes the CPU switch to that stack of
 * the TSS whatever the current one is.  The double fault, NMI and machine
 * check use it, so they run on a known-good stack even when the kernel stack
 * has overflowed.  That needs a loaded TSS: until tss_init() has run, the IST
 * fields stay 0.
 */
#include "arch/x86_64/idt.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tss.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;       /* bits 0-2: IST index, 0 = none */
	uint8_t type_attr; /* P, DPL, 0, type (0xe = 64-bit interrupt gate) */
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} PACKED;

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gates are 16 bytes");

#define GATE_PRESENT   0x80
#define GATE_INTERRUPT 0x0e
#define GATE_DPL(n)    ((n) << 5)

static struct idt_gate idt[NVECTORS] __attribute__((aligned(16)));

static void idt_set_gate(int vector, uint64_t handler, int dpl, int ist)
{
	struct idt_gate *g = &idt[vector];

	g->offset_low = handler & 0xffff;
	g->selector = GDT_KERNEL_CODE;
	g->ist = ist;
	g->type_attr = GATE_PRESENT | GATE_DPL(dpl) | GATE_INTERRUPT;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_high = handler >> 32;
	g->reserved = 0;
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED idtr = { sizeof(idt) - 1, (uint64_t)idt };
	bool ist = tss_loaded();

	for (int v = 0; v < NVECTORS; v++)
		idt_set_gate(v, trap_stubs[v], 0, 0);
	idt_set_gate(T_BREAKPOINT, trap_stubs[T_BREAKPOINT], 3, 0);
	idt_set_gate(T_OVERFLOW, trap_stubs[T_OVERFLOW], 3, 0);
	idt_set_gate(T_DOUBLE_FAULT, trap_stubs[T_DOUBLE_FAULT], 0, ist ? IST_DOUBLE_FAULT : 0);
	idt_set_gate(T_NMI, trap_stubs[T_NMI], 0, ist ? IST_NMI : 0);
	idt_set_gate(T_MACHINE_CHECK, trap_stubs[T_MACHINE_CHECK], 0, ist ? IST_MACHINE_CHECK : 0);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}
