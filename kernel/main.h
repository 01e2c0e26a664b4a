/*
 * The kernel's C entry point (main.c).  boot.S's kernel_entry64 calls it
 * once, on the boot stack with interrupts off, with the multiboot2 magic
 * (MB2_BOOT_MAGIC) and the physical address of GRUB's boot information.
 * The paging code and its self-tests also use its address as a known
 * location in the kernel's text.
 */
#ifndef MAIN_H
#define MAIN_H

#include <types.h>

void kmain(uint32_t magic, uint64_t mbi_phys);

#endif
