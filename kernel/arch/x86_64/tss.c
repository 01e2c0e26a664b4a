/*
 * The one TSS (one CPU).  tss_init() allocates the three IST stacks with
 * kstack_alloc(), so each has an unmapped guard page below it like any
 * kernel stack, points RSP0 at the boot stack until the scheduler sets it
 * per thread, installs the TSS descriptor in the GDT at GDT_TSS and loads
 * the task register with `ltr`.
 *
 * The I/O permission bitmap offset points past the end of the TSS: no
 * bitmap, so user mode may use no I/O port (stage drivers adds a bitmap
 * for ioperm()).  `ltr` marks the descriptor busy (type 0x9 -> 0xb).
 */
#include "arch/x86_64/tss.h"
#include "arch/x86_64/gdt.h"
#include "debug/panic.h"
#include "mm/kstack.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* RSP0-RSP2: stacks for entries from a lower privilege */
	uint64_t reserved1;
	uint64_t ist[7]; /* IST1-IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* offset of the I/O permission bitmap */
} PACKED;

_Static_assert(sizeof(struct tss) == 104, "the 64-bit TSS is 104 bytes");

static struct tss cpu_tss __attribute__((aligned(16)));
static bool loaded;

extern char boot_stack_top64[];

static const char *const ist_owners[] = {
	[IST_DOUBLE_FAULT] = "ist1-double-fault",
	[IST_NMI] = "ist2-nmi",
	[IST_MACHINE_CHECK] = "ist3-machine-check",
};

void tss_init(void)
{
	/* BEGIN STAGE tss: IST stacks, RSP0, the TSS descriptor, then ltr */
	for (int i = IST_DOUBLE_FAULT; i <= IST_MACHINE_CHECK; i++) {
		uint64_t top = kstack_alloc(ist_owners[i]);

		if (!top)
			panic("tss_init: no memory for the %s stack", ist_owners[i]);
		cpu_tss.ist[i - 1] = top;
	}
	cpu_tss.rsp[0] = (uint64_t)boot_stack_top64;
	cpu_tss.iomap_base = sizeof(cpu_tss);
	gdt_set_tss((uint64_t)&cpu_tss, sizeof(cpu_tss) - 1);
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
	loaded = true;
	/* STUB
	(void)ist_owners;
	(void)boot_stack_top64;
	END STAGE tss */
}

bool tss_loaded(void)
{
	return loaded;
}

void tss_set_kernel_stack(uint64_t rsp0)
{
	cpu_tss.rsp[0] = rsp0;
}

uint64_t tss_kernel_stack(void)
{
	return cpu_tss.rsp[0];
}

uint64_t tss_ist_top(int ist)
{
	return ist >= 1 && ist <= 7 ? cpu_tss.ist[ist - 1] : 0;
}
