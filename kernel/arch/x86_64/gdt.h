/*
 * The global descriptor table.  The layout is fixed by SYSCALL/SYSRET (stage
 * syscalls), which derive their selectors from the STAR MSR: SYSCALL loads
 * CS = STAR[47:32] and SS = that + 8; SYSRET to 64-bit mode loads
 * CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8 (Intel SDM Vol. 2B, SYSRET).
 * With STAR[63:48] = 0x18 the user segments must be data at 0x20, code at 0x28.
 *
 * Safe to include from assembly (the selectors only).
 */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#define GDT_NULL        0x00
#define GDT_KERNEL_CODE 0x08 /* 64-bit code, DPL 0 */
#define GDT_KERNEL_DATA 0x10 /* data, DPL 0 */
#define GDT_USER_CODE32 0x18 /* 32-bit user code: unused, SYSRET's base */
#define GDT_USER_DATA   0x20 /* data, DPL 3 */
#define GDT_USER_CODE   0x28 /* 64-bit code, DPL 3 */
#define GDT_TSS         0x30 /* 64-bit TSS, a 16-byte descriptor (two slots) */
#define GDT_ENTRIES     8

/* Selectors as user mode uses them (RPL 3). */
#define USER_DS (GDT_USER_DATA | 3) /* 0x23 */
#define USER_CS (GDT_USER_CODE | 3) /* 0x2b */

#ifndef __ASSEMBLER__
#include <types.h>

/* Build the GDT, load it, reload CS, DS, ES and SS. */
void gdt_init(void);
/* Fill the TSS descriptor (slots 6 and 7) for a TSS at base with this limit. */
void gdt_set_tss(uint64_t base, uint32_t limit);
#endif

#endif
