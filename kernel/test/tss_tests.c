/*
 * Self-tests of stage tss.  The grader (grade/stage_tss.py) checks what they
 * print against what it knows itself: the descriptor encodings from the
 * Intel SDM, symbol addresses from `nm build/kernel.elf`, the kernel-stack
 * region's layout.
 */
#include <errno.h>
#include "test/ktest.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tss.h"
#include "mm/frame.h"
#include "mm/kstack.h"

struct PACKED descriptor_table_register {
	uint16_t limit;
	uint64_t base;
};

/* The registers the CPU really uses, read back with sgdt, sidt, str, mov. */
static void print_cpu_state(struct descriptor_table_register *gdtr)
{
	uint16_t tr, cs, ds, es, ss;

	__asm__ volatile("sgdt %0" : "=m"(*gdtr));
	__asm__ volatile("str %0" : "=r"(tr));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	__asm__ volatile("mov %%es, %0" : "=r"(es));
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	kprintf("gdtr: base=0x%lx limit=0x%x\n", gdtr->base, gdtr->limit);
	kprintf("segments: cs=0x%02x ds=0x%02x es=0x%02x ss=0x%02x tr=0x%02x\n", cs, ds, es, ss,
		tr);
}

/* Read back the TSS through the descriptor the CPU loaded, not through tss.c. */
static const uint8_t *print_tss_descriptor(const uint64_t *gdt, int entries)
{
	uint64_t lo, hi, base;
	uint32_t limit;

	KTEST_ASSERT(entries > GDT_TSS / 8 + 1);
	lo = gdt[GDT_TSS / 8];
	hi = gdt[GDT_TSS / 8 + 1];
	base = ((lo >> 16) & 0xffffff) | ((lo >> 56) & 0xff) << 24 | (hi & 0xffffffff) << 32;
	limit = (lo & 0xffff) | ((lo >> 48) & 0xf) << 16;
	kprintf("tss descriptor: base=0x%lx limit=0x%x type=0x%lx present=%lu dpl=%lu\n", base,
		limit, (lo >> 40) & 0xf, (lo >> 47) & 1, (lo >> 45) & 3);
	return (const uint8_t *)base;
}

/* The IST field of each gate the CPU would use, read back with sidt. */
static void print_ist_gates(void)
{
	struct descriptor_table_register idtr;
	const uint8_t *idt;
	static const int vectors[] = { T_DIVIDE,     T_NMI,           T_DOUBLE_FAULT,
				       T_PAGE_FAULT, T_MACHINE_CHECK, IRQ_BASE };

	__asm__ volatile("sidt %0" : "=m"(idtr));
	idt = (const uint8_t *)idtr.base;
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++)
		kprintf("idt: vector %d ist=%d\n", vectors[i], idt[vectors[i] * 16 + 4] & 7);
}

/*
 * Check that [top - KSTACK_SIZE, top) is readable, that the page below it
 * is not, and that the page below is known as owner's guard.
 */
static void check_guarded_stack(const char *what, uint64_t top, const char *owner)
{
	uint64_t guard = top - KSTACK_SIZE - PAGE_SIZE;
	const char *found = kstack_owner_of_guard(guard + 8);
	int low = probe_read((void *)(top - KSTACK_SIZE));
	int high = probe_read((void *)(top - 1));
	int g = probe_read((void *)(guard + PAGE_SIZE - 1));

	kprintf("%s: top=0x%lx stack %s, guard page 0x%lx %s, guard owner '%s'\n", what, top,
		low == 0 && high == 0 ? "mapped" : "NOT MAPPED", guard,
		g == -EFAULT ? "unmapped" : "MAPPED", found ? found : "(none)");
	KTEST_ASSERT(low == 0 && high == 0);
	KTEST_ASSERT(g == -EFAULT);
	KTEST_ASSERT(found && owner && __builtin_strcmp(found, owner) == 0);
	KTEST_ASSERT(kstack_owner_of_guard(top - 8) == NULL);
}

KTEST(gdt_tss)
{
	static const char *const ist_owner[] = { NULL, "ist1-double-fault", "ist2-nmi",
						 "ist3-machine-check" };
	struct descriptor_table_register gdtr;
	const uint64_t *gdt;
	const uint8_t *tss;
	int entries;
	uint64_t saved, rsp0;

	print_cpu_state(&gdtr);
	gdt = (const uint64_t *)gdtr.base;
	entries = (gdtr.limit + 1) / 8;
	for (int i = 0; i < entries; i++)
		kprintf("gdt: [0x%02x] %016lx\n", i * 8, gdt[i]);
	tss = print_tss_descriptor(gdt, entries);

	/* The TSS's fields (Intel SDM Vol. 3A, "64-bit TSS"): RSP0 at 4, IST1 at 36. */
	for (int i = 1; i <= 3; i++) {
		uint64_t top = *(const uint64_t *)(tss + 36 + 8 * (i - 1));

		KTEST_ASSERT(top == tss_ist_top(i));
		kprintf("ist%d: ", i);
		check_guarded_stack("stack", top, ist_owner[i]);
	}
	kprintf("tss: iomap_base=0x%x\n", *(const uint16_t *)(tss + 102));
	kprintf("tss: rsp0=0x%lx while the boot thread runs\n", *(const uint64_t *)(tss + 4));
	print_ist_gates();

	/* tss_set_kernel_stack must change the RSP0 the CPU reads. */
	saved = tss_kernel_stack();
	tss_set_kernel_stack(0xffffff0000123450);
	rsp0 = *(const uint64_t *)(tss + 4);
	kprintf("tss: rsp0 after tss_set_kernel_stack(0xffffff0000123450) = 0x%lx\n", rsp0);
	tss_set_kernel_stack(saved);
}

extern char boot_stack_guard[];

/* Take every free frame but `left`; returns the chain (linked through the frames). */
static uint64_t hoard_frames(uint64_t left)
{
	struct frame_stats s;
	uint64_t head = 0;

	for (frame_get_stats(&s); s.free > left; frame_get_stats(&s)) {
		uint64_t pa = frame_alloc();

		KTEST_ASSERT(pa);
		*(uint64_t *)phys_to_virt(pa) = head;
		head = pa;
	}
	return head;
}

static void release_frames(uint64_t head)
{
	while (head) {
		uint64_t next = *(uint64_t *)phys_to_virt(head);

		frame_free(head);
		head = next;
	}
}

/* kstack_alloc with too few frames fails and leaves nothing behind. */
static void kstack_out_of_frames(void)
{
	uint64_t t = kstack_alloc("kstack-probe"), hoard, doomed, again;
	const char *owner;

	KTEST_ASSERT(t);
	kstack_free(t); /* t's slot is the next one handed out */
	hoard = hoard_frames(KSTACK_PAGES / 2);
	doomed = kstack_alloc("kstack-doomed");
	release_frames(hoard);
	owner = kstack_owner_of_guard(t - KSTACK_SIZE - 8);
	kprintf("kstack: with %d frames left kstack_alloc returned 0x%lx; its slot's stack is %s, "
		"guard owner '%s'\n",
		KSTACK_PAGES / 2, doomed,
		probe_read((void *)(t - KSTACK_SIZE)) == -EFAULT &&
				probe_read((void *)(t - 8)) == -EFAULT
			? "unmapped"
			: "STILL MAPPED",
		owner ? owner : "(none)");
	again = kstack_alloc("kstack-again");
	kprintf("kstack: the next kstack_alloc reuses that slot: %s\n", again == t ? "yes" : "no");
	KTEST_ASSERT(doomed == 0 && owner == NULL && again == t);
	kstack_free(again);
}

/* Allocate, check, free and reallocate kernel stacks. */
KTEST(kstack)
{
	struct frame_stats before, after;
	uint64_t a, b, c;
	const char *owner;

	frame_get_stats(&before);
	a = kstack_alloc("kstack-a");
	b = kstack_alloc("kstack-b-with-a-long-name-that-is-cut");

	KTEST_ASSERT(a && b && a != b);
	kprintf("kstack: a=0x%lx b=0x%lx size=0x%x slot=0x%x\n", a, b, KSTACK_SIZE,
		KSTACK_SLOT_SIZE);
	check_guarded_stack("kstack a", a, "kstack-a");
	check_guarded_stack("kstack b", b, "kstack-b-with-a-long-name-that-");
	/* The whole stack is usable. */
	for (uint64_t p = a - KSTACK_SIZE; p < a; p += 8)
		*(volatile uint64_t *)p = p;
	kstack_free(a);
	kprintf("kstack: after free, a's stack is %s\n",
		probe_read((void *)(a - 8)) == -EFAULT ? "unmapped" : "STILL MAPPED");
	KTEST_ASSERT(probe_read((void *)(a - 8)) == -EFAULT);
	KTEST_ASSERT(kstack_owner_of_guard(a - KSTACK_SIZE - 8) == NULL);
	c = kstack_alloc("kstack-c");
	kprintf("kstack: c=0x%lx reuses a's slot: %s\n", c, c == a ? "yes" : "no");
	check_guarded_stack("kstack c", c, "kstack-c");
	kstack_free(b);
	kstack_free(c);
	frame_get_stats(&after);
	kprintf("kstack: free frames before %lu, after freeing them all %lu\n", before.free,
		after.free);
	KTEST_ASSERT(before.free == after.free);

	owner = kstack_owner_of_guard((uint64_t)boot_stack_guard + 8);
	kprintf("kstack: boot stack guard 0x%lx owner '%s'\n", (uint64_t)boot_stack_guard,
		owner ? owner : "(none)");
	owner = kstack_owner_of_guard(KSTACK_REGION_BASE + KSTACK_MAX * KSTACK_SLOT_SIZE + 8);
	kprintf("kstack: just past the last slot, guard owner '%s'\n", owner ? owner : "(none)");
	kstack_out_of_frames();
}

void call_on_stack(uint64_t top, void (*fn)(void *), void *arg);
NOINLINE void stack_hog_recurse(void *arg);

/* Recurse forever, each frame holding a little buffer (well under a page). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion" /* that is the point */
void stack_hog_recurse(void *arg)
{
	volatile char buf[200];
	uint64_t depth = (uint64_t)arg;

	buf[0] = depth;
	if (depth % 16 == 0)
		kprintf("stack_overflow: depth %lu, rsp near 0x%lx\n", depth, (uint64_t)buf);
	stack_hog_recurse((void *)(depth + 1));
	buf[1] = 0; /* not a tail call */
}
#pragma GCC diagnostic pop

/*
 * Overflow a fresh kernel stack: the push into its guard page page-faults,
 * the page fault's own frame cannot be pushed, so the CPU raises a double
 * fault, which runs on IST1 and reports the overflow naming the stack's
 * owner.  The grader expects that panic (exit status 37), not a reboot.
 */
KTEST(stack_overflow)
{
	uint64_t top = kstack_alloc("stack_hog");

	KTEST_ASSERT(top);
	kprintf("stack_overflow: stack 'stack_hog' top=0x%lx guard=0x%lx\n", top,
		top - KSTACK_SIZE - PAGE_SIZE);
	call_on_stack(top, stack_hog_recurse, (void *)1);
	ktest_fail("the recursion returned");
}
