/*
 * What the boot loader told us, copied out of the multiboot2 information
 * structure (Multiboot2 specification, section 3.6 "Boot information format")
 * into kernel variables, so the rest of the kernel never parses tags and the
 * frames holding the original structure can be reused.
 */
#ifndef BOOT_MULTIBOOT_H
#define BOOT_MULTIBOOT_H

#include <types.h>

#define MB2_BOOT_MAGIC 0x36d76289

#define MAX_MEMORY_REGIONS 64
#define MAX_MODULES        128 /* handouts before fuse load every program as one */

/* Memory map entry types (multiboot2 spec 3.6.8). */
enum memory_type {
	MEMORY_AVAILABLE = 1,
	MEMORY_RESERVED = 2,
	MEMORY_ACPI_RECLAIMABLE = 3,
	MEMORY_NVS = 4,
	MEMORY_BADRAM = 5,
};

struct memory_region {
	uint64_t base;
	uint64_t length;
	uint32_t type;
};

struct boot_module {
	uint64_t start, end; /* physical, end exclusive */
	char name[64];       /* the string after the file in grub.cfg */
};

/* The longest kernel command line kept, with its NUL.  (The args disk GRUB
 * reads holds under 512 bytes of it; a longer line from another loader is
 * cut with a message.) */
#define CMDLINE_MAX 1024

/* Framebuffer types (multiboot2 spec 3.6.12). */
#define MB2_FB_INDEXED  0
#define MB2_FB_RGB      1
#define MB2_FB_EGA_TEXT 2

struct boot_framebuffer {
	uint64_t addr; /* physical; 0 if there is none */
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	/* MB2_FB_RGB: where each colour's bits are in a pixel, from bit 0 */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
	char cmdline[CMDLINE_MAX];
	char loader[64];
	uint64_t mbi_start, mbi_end; /* the multiboot information itself */
	struct memory_region regions[MAX_MEMORY_REGIONS];
	int nregions;
	uint64_t mem_available; /* sum of MEMORY_AVAILABLE lengths */
	uint64_t mem_top;       /* end of the highest available region */
	struct boot_module modules[MAX_MODULES];
	int nmodules;
	struct boot_framebuffer fb;
};

extern struct boot_info boot_info;

/* Parse the multiboot2 information at physical address mbi_phys. */
void multiboot_parse(uint64_t mbi_phys);
/* Print the boot summary: loader, command line, memory map, modules. */
void multiboot_print_summary(void);
/* The module whose grub.cfg string is name, or NULL. */
const struct boot_module *multiboot_find_module(const char *name);
const char *memory_type_name(uint32_t type);

#endif
