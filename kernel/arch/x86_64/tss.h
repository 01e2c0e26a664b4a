/*
 * The task-state segment.  In 64-bit mode it holds no task state, only
 * stack pointers: RSP0, the stack the CPU switches to on an interrupt or
 * exception from user mode, and IST1-IST7, stacks an IDT gate can ask for
 * whatever the privilege level (Intel SDM Vol. 3A, "Task Management in
 * 64-bit Mode").
 */
#ifndef ARCH_X86_64_TSS_H
#define ARCH_X86_64_TSS_H

#include <types.h>

/* IST indexes (1-7; 0 in a gate means "no IST"). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

/* Allocate the IST stacks, fill the TSS, install its descriptor, load TR. */
void tss_init(void);
/* Has tss_init() loaded TR?  (Only then may IDT gates name IST stacks.) */
bool tss_loaded(void);
/*
 * Set RSP0: traps from user mode will push their frame below rsp0.  The
 * scheduler calls it at every switch with the top of the next thread's
 * kernel stack.  Interrupts off (it is per-CPU state).
 */
void tss_set_kernel_stack(uint64_t rsp0);
/* The current RSP0 (for tests and debugging). */
uint64_t tss_kernel_stack(void);

/* Bytes of the I/O permission bitmap: a bit for each of the 65536 ports. */
#define TSS_IOMAP_BYTES (65536 / 8)
/*
 * Copy the I/O permission bitmap bits[0..len) (len <= TSS_IOMAP_BYTES; bit
 * set = port denied, the ports past len denied too) into the TSS and use
 * it; bits NULL: no bitmap, every port denied in user mode.  Interrupts
 * off (per-CPU state); proc/hwaccess.c calls it at a switch.
 */
void tss_set_io_bitmap(const uint8_t *bits, size_t len);
/* Use the bitmap last copied (on) or none (off), without copying. */
void tss_use_io_bitmap(bool on);
/* The top of IST stack ist (1-7), or 0 if there is none. */
uint64_t tss_ist_top(int ist);

#endif
