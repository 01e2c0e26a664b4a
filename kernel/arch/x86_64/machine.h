/* Stopping the machine: halt forever, or leave the emulator with a status. */
#ifndef ARCH_X86_64_MACHINE_H
#define ARCH_X86_64_MACHINE_H

#include <types.h>

/* Status codes written to QEMU's isa-debug-exit device (port 0xf4); QEMU
 * then exits with (code << 1) | 1, e.g. 33 for MACHINE_EXIT_PASS. */
#define MACHINE_EXIT_PASS  0x10
#define MACHINE_EXIT_FAIL  0x11
#define MACHINE_EXIT_PANIC 0x12

NORETURN void machine_halt(void);
/* Exit QEMU (or shut Bochs down) with code; halts if neither is there. */
NORETURN void machine_exit(int code);

#endif
