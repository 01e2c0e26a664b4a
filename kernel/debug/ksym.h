/*
 * Kernel symbol lookup, for backtraces and fault reports.  The symbols come
 * from a copy of the kernel ELF (without debug information) that GRUB loads
 * as the module named "symbols".
 */
#ifndef DEBUG_KSYM_H
#define DEBUG_KSYM_H

#include <types.h>

void ksym_init(void);
/* The name of the function containing addr and addr's offset in it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
