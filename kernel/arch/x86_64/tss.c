/*
 * The one TSS (one CPU).  tss_init() allocates the three IST stacks with
 * kstack_alloc(), so each has an unmapped guard page below it like any
 * kernel stack, points RSP0 at the boot stack until the scheduler sets it
 * per thread, installs the TSS descriptor in the GDT at GDT_TSS and loads
 * the task register with `ltr`.
 *
 * `ltr` marks the descriptor busy (type 0x9 -> 0xb).
 *
 * The I/O permission bitmap (Intel SDM Vol. 1, 19.5.2 "I/O Permission Bit
 * Map"): at CPL 3 (above IOPL, which is always 0 here) an in or out of
 * port p is allowed only if bit p of the bitmap at iomap_base is clear,
 * and every bit of a multi-byte access must be; a bit beyond the TSS limit
 * counts as set.  The bitmap lives right after the TSS, inside the
 * descriptor's limit, with the terminating 0xff byte the SDM asks for (the
 * CPU reads two bytes at a time).  A process that used ioperm(2) or
 * iopl(2) has its own bitmap (proc/hwaccess.c), copied here when it is
 * switched in; for everyone else iomap_base points past the limit, so no
 * port is theirs.  Only the first `iomap_dirty` bytes may differ from 0xff:
 * a copy restores the tail the previous bitmap used.
 */
#include "arch/x86_64/tss.h"
#include "arch/x86_64/gdt.h"
#include "debug/panic.h"
#include "lib/string.h"
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

/* The TSS and its I/O bitmap, as the descriptor's limit covers them. */
struct tss_area {
	struct tss tss;
	uint8_t iomap[TSS_IOMAP_BYTES + 1]; /* bit set = port denied; then 0xff */
} PACKED;

/* iomap_base for "no bitmap": past the limit. */
#define IOMAP_NONE sizeof(struct tss_area)

static struct tss_area cpu_tss __attribute__((aligned(16)));
static size_t iomap_dirty; /* bytes of cpu_tss.iomap that may not be 0xff */
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
		cpu_tss.tss.ist[i - 1] = top;
	}
	cpu_tss.tss.rsp[0] = (uint64_t)boot_stack_top64;
	memset(cpu_tss.iomap, 0xff, sizeof(cpu_tss.iomap));
	cpu_tss.tss.iomap_base = IOMAP_NONE;
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
	cpu_tss.tss.rsp[0] = rsp0;
}

uint64_t tss_kernel_stack(void)
{
	return cpu_tss.tss.rsp[0];
}

uint64_t tss_ist_top(int ist)
{
	return ist >= 1 && ist <= 7 ? cpu_tss.tss.ist[ist - 1] : 0;
}

void tss_set_io_bitmap(const uint8_t *bits, size_t len)
{
	if (!bits) {
		cpu_tss.tss.iomap_base = IOMAP_NONE;
		return;
	}
	memcpy(cpu_tss.iomap, bits, len);
	if (iomap_dirty > len)
		memset(cpu_tss.iomap + len, 0xff, iomap_dirty - len);
	iomap_dirty = len;
	cpu_tss.tss.iomap_base = __builtin_offsetof(struct tss_area, iomap);
}

void tss_use_io_bitmap(bool on)
{
	cpu_tss.tss.iomap_base = on ? __builtin_offsetof(struct tss_area, iomap) : IOMAP_NONE;
}
