/*
 * TEMPORARY page-table code (see vm.h): a 4-level walk that creates the
 * missing tables from frame_alloc and reaches every table through the boot
 * direct map.  Sets NX on non-executable pages only if EFER.NXE is on.
 */
#include "mm/vm.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "mm/frame.h"

#define PTE_P   0x001ull
#define PTE_W   0x002ull
#define PTE_U   0x004ull
#define PTE_PS  0x080ull
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

pte_t *vm_kernel_root(void)
{
	return phys_to_virt(read_cr3() & PTE_ADDR);
}

/* The level-1 entry for va, creating tables if create; NULL if missing. */
static pte_t *walk(pte_t *root, uint64_t va, bool create)
{
	pte_t *table = root;

	for (int shift = 39; shift > 12; shift -= 9) {
		pte_t *e = &table[(va >> shift) & 511];

		if (!(*e & PTE_P)) {
			uint64_t pa;

			if (!create || !(pa = frame_alloc()))
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

int vm_map(pte_t *root, uint64_t va, uint64_t pa, uint64_t page_size, unsigned flags)
{
	pte_t *e;

	if (page_size != PAGE_SIZE || (va | pa) & (PAGE_SIZE - 1))
		return -EINVAL;
	e = walk(root, va, true);
	if (!e)
		return -ENOMEM;
	if (*e & PTE_P)
		return -EEXIST;
	*e = pa | PTE_P | (flags & VM_WRITE ? PTE_W : 0) | (flags & VM_USER ? PTE_U : 0) |
	     (!(flags & VM_EXEC) && (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0);
	invlpg(va);
	return 0;
}

int vm_unmap(pte_t *root, uint64_t va, uint64_t page_size)
{
	pte_t *e;

	if (page_size != PAGE_SIZE)
		return -EINVAL;
	e = walk(root, va, false);
	if (!e || !(*e & PTE_P))
		return -EINVAL;
	*e = 0;
	invlpg(va);
	return 0;
}
