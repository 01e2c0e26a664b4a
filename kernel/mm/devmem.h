/*
 * Device memory: the physical ranges a driver process may map into its
 * address space with os_physmap(2) (syscall/sys_dev.c).  See devmem.c.
 */
#ifndef MM_DEVMEM_H
#define MM_DEVMEM_H

#include <types.h>

#define DEVMEM_MAX      8  /* ranges the table holds */
#define DEVMEM_NAME_MAX 32 /* bytes of a range's name, NUL included */

struct devmem_range {
	uint64_t start, end; /* physical, page aligned, end exclusive */
	bool ram;            /* RAM the kernel keeps out of the frame allocator */
	char name[DEVMEM_NAME_MAX];
};

/* Once at boot, after frame_init: register the GRUB module "ramdisk" (if
 * there is one) as device memory. */
void devmem_init(void);

/*
 * Allow [phys, phys + len) to be mapped by drivers, under name.  phys must
 * be page aligned; the range is rounded up to whole pages, so the last
 * page's tail is mapped too (a GRUB module's frames are its own to the end
 * of the page).  Returns 0, -EINVAL (unaligned, empty, overflowing, or
 * overlapping a range already registered), or -ENOSPC (the table is full).
 * Says so on the console.
 */
int devmem_register(uint64_t phys, uint64_t len, const char *name);

/* The registered range holding all of [phys, phys + len), or NULL. */
const struct devmem_range *devmem_find(uint64_t phys, uint64_t len);

#endif
