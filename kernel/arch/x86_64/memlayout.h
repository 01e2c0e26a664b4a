/*
 * The kernel's virtual memory layout.  Safe to include from assembly.
 *
 *   0x0000000000000000 .. 0x00007fffffffffff   user half (per process)
 *   0xffff800000000000 .. +phys_size           direct map of all physical memory
 *   0xffffffff80000000 .. +1 GiB               kernel image (linked here)
 *
 * The kernel image is loaded by GRUB at physical KERNEL_PHYS_BASE and linked at
 * KERNEL_VMA + KERNEL_PHYS_BASE, so for any kernel symbol
 *   physical address = virtual address - KERNEL_VMA.
 * Any other physical address p is reachable at PHYS_MAP_BASE + p.
 */
#ifndef ARCH_X86_64_MEMLAYOUT_H
#define ARCH_X86_64_MEMLAYOUT_H

#define KERNEL_VMA       0xffffffff80000000
#define KERNEL_PHYS_BASE 0x100000
#define PHYS_MAP_BASE    0xffff800000000000

/* The two canonical halves of the 48-bit address space (SDM Vol. 1, 3.3.7.1). */
#define USER_END    0x0000800000000000 /* first address past the user half */
#define KERNEL_HALF 0xffff800000000000 /* first address of the kernel half */

#define PAGE_SIZE       4096
#define HUGE_PAGE_SIZE  0x200000   /* 2 MiB, a page-directory entry */
#define GIANT_PAGE_SIZE 0x40000000 /* 1 GiB, a PDPT entry */

#ifndef __ASSEMBLER__
#include <types.h>

/* Physical address -> its alias in the direct map. */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa + PHYS_MAP_BASE);
}

/* Kernel-image or direct-map address -> physical address. */
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - PHYS_MAP_BASE;
}
#endif

#endif
