/*
 * The kernel's own page tables, built once at boot by vm_init with the
 * page-table API of vm.c.
 *
 * vm_init replaces boot.S's tables with the kernel's own: the kernel image
 * at KERNEL_VMA with 4 KiB pages and per-section permissions (text RX,
 * rodata R, data and bss RW; no identity map; the boot stack's guard page
 * left unmapped), and the direct map of all RAM (at least the first 4 GiB,
 * which hold the devices' memory) with 1 GiB pages where the CPU has them,
 * else 2 MiB pages (map_direct, in vm.c).  The direct map is writable and
 * NX.  Memory-mapped device ranges in it are write-back in the page tables,
 * but the firmware's MTRRs make them uncacheable, and UC wins (SDM
 * 11.5.2.2).  Before it switches CR3, vm_init checks that the new tables map
 * what the kernel needs at that instant (tables_ok); if anything is wrong
 * it says so and keeps the boot tables.
 */
#include "mm/vm.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "boot/multiboot.h"
#include "lib/kprintf.h"
#include "main.h"
#include "mm/frame.h"
#include "mm/vm_internal.h"

#define DIRECT_MAP_MIN 0x100000000ull /* map at least the first 4 GiB */

extern char _text[], _etext[], _erodata[], _end[];
extern char _kernel_phys_start[], _kernel_phys_end[];
extern char boot_stack_guard[];

/* The permissions of the kernel-image page at va (linker symbols). */
static unsigned image_flags(uint64_t va)
{
	if (va < (uint64_t)_text)
		return VM_WRITE; /* .boot: boot GDT and boot page tables */
	if (va < (uint64_t)_etext)
		return VM_EXEC; /* .text */
	if (va < (uint64_t)_erodata)
		return 0; /* .rodata */
	return VM_WRITE;  /* .data, .bss */
}

/* Map the kernel image at KERNEL_VMA with 4 KiB pages, leaving out the boot
 * stack's guard page so that a stack overflow faults. */
static int map_kernel_image(pte_t *root)
{
	uint64_t start = (uint64_t)_kernel_phys_start, end = (uint64_t)_kernel_phys_end;

	for (uint64_t pa = start; pa < end; pa += PAGE_SIZE) {
		uint64_t va = KERNEL_VMA + pa;
		int err;

		if (va == (uint64_t)boot_stack_guard)
			continue;
		err = vm_map(root, va, pa, PAGE_SIZE, image_flags(va));
		if (err)
			return err;
	}
	return 0;
}

/* Does va translate to pa in root?  Print what is wrong if not. */
static bool expect_mapping(pte_t *root, const char *what, uint64_t va, uint64_t pa)
{
	uint64_t got;

	if (vm_translate(root, va, &got, NULL, NULL) == 0 && got == pa)
		return true;
	kprintf("vm: the new tables do not map the %s (0x%lx -> 0x%lx)\n", what, va, pa);
	return false;
}

/* Check what the kernel needs the moment CR3 changes. */
static bool tables_ok(pte_t *root, uint64_t direct_map_end)
{
	uint64_t rsp;
	bool ok = true;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	ok &= expect_mapping(root, "kernel text", (uint64_t)kmain, virt_to_phys(kmain));
	ok &= expect_mapping(root, "kernel data", (uint64_t)&boot_info, virt_to_phys(&boot_info));
	ok &= expect_mapping(root, "stack", rsp, virt_to_phys((void *)rsp));
	ok &= expect_mapping(root, "VGA screen", (uint64_t)phys_to_virt(0xb8000), 0xb8000);
	ok &= expect_mapping(root, "top of RAM", (uint64_t)phys_to_virt(direct_map_end - 1),
			     direct_map_end - 1);
	ok &= expect_mapping(root, "page tables", (uint64_t)root, virt_to_phys(root));
	if (vm_translate(root, (uint64_t)boot_stack_guard, NULL, NULL, NULL) != -EFAULT) {
		kprintf("vm: the boot stack's guard page is mapped\n");
		ok = false;
	}
	return ok;
}

static const char *page_size_name(void)
{
	return vm_has_giant_pages() ? "1 GiB" : "2 MiB";
}

void vm_init(void)
{
	uint64_t root_pa, end;
	pte_t *root;
	int err;

	/* NXE now, so that bit 63 is valid in any table from here on (it is
	 * reserved without it); WP so that the kernel too is stopped by
	 * read-only pages (SDM 4.6.1). */
	vm_detect_cpu();
	if (vm_has_nx())
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	end = ALIGN_UP(MAX(boot_info.mem_top, DIRECT_MAP_MIN), GIANT_PAGE_SIZE);
	root_pa = vm_root_alloc();
	if (!root_pa) {
		kprintf("vm: frame_alloc gave no frame for a PML4; staying on the boot page tables\n");
		return;
	}
	root = phys_to_virt(root_pa);
	err = vm_make_kernel_half(root);
	if (!err)
		err = map_direct(root, end);
	if (!err)
		err = map_kernel_image(root);
	if (err || !tables_ok(root, end)) {
		kprintf("vm: building the kernel page tables failed (error %d); staying on the "
			"boot page tables\n",
			err);
		vm_free_tables(root, 4);
		return;
	}

	/* PGE after the switch: from then on the kernel's (global) entries
	 * survive CR3 loads. */
	write_cr3(root_pa);
	if (vm_has_global_pages())
		write_cr4(read_cr4() | CR4_PGE);
	vm_set_kernel_tables(root, end);
	frame_set_mapped_limit(end);
	kprintf("vm: kernel page tables at 0x%lx; direct map of %lu GiB with %s pages; NX %s, "
		"global pages %s\n",
		root_pa, end / GIANT_PAGE_SIZE, page_size_name(),
		vm_has_nx() ? "on" : "not supported",
		vm_has_global_pages() ? "on" : "not supported");
}
