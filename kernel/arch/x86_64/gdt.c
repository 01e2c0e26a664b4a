/*
 * The kernel's GDT (layout in gdt.h), replacing boot.S's three-entry one.
 *
 * A segment descriptor is 8 bytes (Intel SDM Vol. 3A, "Segment Descriptors"):
 *   bits  0-15 limit 15:0       bits 16-39 base 23:0
 *   bits 40-43 type             bit  44    S (1 = code/data, 0 = system)
 *   bits 45-46 DPL              bit  47    P (present)
 *   bits 48-51 limit 19:16      bit  53    L (64-bit code)
 *   bit  54    D/B (32-bit)     bit  55    G (limit in 4 KiB units)
 *   bits 56-63 base 31:24
 * In 64-bit mode base and limit are ignored for code and data; we still
 * give flat 4 GiB values, as is customary.  Type: 0xb = code, execute/read,
 * accessed; 0x3 = data, read/write, accessed.  (The CPU sets the accessed
 * bit when it loads a segment; setting it here spares it that write, so the
 * GDT could even be read-only.)
 *
 * The TSS descriptor is a 16-byte system descriptor (SDM Vol. 3A, "TSS
 * Descriptor in 64-bit mode"): the same first 8 bytes with S = 0 and type
 * 0x9 (available 64-bit TSS), then base 63:32 and a reserved dword.
 */
#include "arch/x86_64/gdt.h"

#define SEG_TYPE_CODE  0xbull /* execute/read, accessed */
#define SEG_TYPE_DATA  0x3ull /* read/write, accessed */
#define SEG_TYPE_TSS   0x9ull /* available 64-bit TSS */
#define SEG_S          (1ull << 44)
#define SEG_DPL(n)     ((uint64_t)(n) << 45)
#define SEG_P          (1ull << 47)
#define SEG_L          (1ull << 53)
#define SEG_DB         (1ull << 54)
#define SEG_G          (1ull << 55)
#define SEG_FLAT_LIMIT (0xffffull | (0xfull << 48))

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));

/* Load gdt and reload the segment registers: CS with a far return. */
static void gdt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss"
			 :
			 : "m"(gdtr), "i"(GDT_KERNEL_CODE), "i"(GDT_KERNEL_DATA)
			 : "rax", "memory");
}

/* A flat code or data descriptor. */
static uint64_t segment(uint64_t type, int dpl, uint64_t flags)
{
	return SEG_FLAT_LIMIT | type << 40 | SEG_S | SEG_DPL(dpl) | SEG_P | SEG_G | flags;
}

void gdt_init(void)
{
	/* BEGIN STAGE tss: build the kernel and user code/data descriptors, then load */
	gdt[GDT_NULL / 8] = 0;
	gdt[GDT_KERNEL_CODE / 8] = segment(SEG_TYPE_CODE, 0, SEG_L);
	gdt[GDT_KERNEL_DATA / 8] = segment(SEG_TYPE_DATA, 0, SEG_DB);
	gdt[GDT_USER_CODE32 / 8] = segment(SEG_TYPE_CODE, 3, SEG_DB);
	gdt[GDT_USER_DATA / 8] = segment(SEG_TYPE_DATA, 3, SEG_DB);
	gdt[GDT_USER_CODE / 8] = segment(SEG_TYPE_CODE, 3, SEG_L);
	gdt_load();
	/* STUB
	(void)gdt_load;
	(void)segment;
	END STAGE tss */
}

void gdt_set_tss(uint64_t base, uint32_t limit)
{
	/* BEGIN STAGE tss: the 16-byte TSS descriptor in slots 6 and 7 */
	gdt[GDT_TSS / 8] = (limit & 0xffffull) | (base & 0xffffffull) << 16 | SEG_TYPE_TSS << 40 |
			   SEG_P | ((uint64_t)(limit >> 16) & 0xf) << 48 |
			   ((base >> 24) & 0xff) << 56;
	gdt[GDT_TSS / 8 + 1] = base >> 32;
	/* STUB
	(void)base;
	(void)limit;
	END STAGE tss */
}
