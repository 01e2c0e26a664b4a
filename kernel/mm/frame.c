/*
 * TEMPORARY frame allocator (see frame.h): a bump pointer over the available
 * memory above the kernel image, the boot modules and the multiboot
 * information, below 1 GiB (all the boot direct map covers), plus a free
 * list of returned frames threaded through the frames themselves.
 */
#include "mm/frame.h"
#include "arch/x86_64/memlayout.h"
#include "boot/multiboot.h"
#include "lib/string.h"

extern char _kernel_phys_end[];

static uint64_t next, limit;
static uint64_t free_list;

static void frame_setup(void)
{
	uint64_t start = (uint64_t)_kernel_phys_end;

	for (int i = 0; i < boot_info.nmodules; i++)
		start = MAX(start, boot_info.modules[i].end);
	start = MAX(start, boot_info.mbi_end);
	start = ALIGN_UP(start, PAGE_SIZE);
	for (int i = 0; i < boot_info.nregions; i++) {
		const struct memory_region *r = &boot_info.regions[i];

		if (r->type == MEMORY_AVAILABLE && r->base <= start && start < r->base + r->length) {
			limit = MIN(ALIGN_DOWN(r->base + r->length, PAGE_SIZE), GIANT_PAGE_SIZE);
			break;
		}
	}
	next = start;
}

uint64_t frame_alloc(void)
{
	uint64_t pa;

	if (!next)
		frame_setup();
	if (free_list) {
		pa = free_list;
		free_list = *(uint64_t *)phys_to_virt(pa);
	} else if (next < limit) {
		pa = next;
		next += PAGE_SIZE;
	} else {
		return 0;
	}
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

void frame_free(uint64_t pa)
{
	*(uint64_t *)phys_to_virt(pa) = free_list;
	free_list = pa;
}
