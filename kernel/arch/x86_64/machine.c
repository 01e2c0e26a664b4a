/*
 * Stopping the machine.  Tests end the emulator on purpose: QEMU through its
 * isa-debug-exit device (the status tells the grader the verdict), Bochs
 * through its shutdown port.  Everything else halts with interrupts off.
 */
#include "arch/x86_64/machine.h"
#include "arch/x86_64/x86.h"
#include "drivers/serial.h"

#define DEBUG_EXIT_PORT     0xf4   /* QEMU -device isa-debug-exit,iobase=0xf4 */
#define BOCHS_SHUTDOWN_PORT 0x8900 /* Bochs: write "Shutdown" to power off */

void machine_halt(void)
{
	for (;;) {
		cli();
		hlt();
	}
}

void machine_exit(int code)
{
	serial_flush(); /* the last line must reach the grader */
	outl(DEBUG_EXIT_PORT, code);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, *s);
	machine_halt();
}
