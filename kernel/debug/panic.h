/*
 * panic() is for broken kernel invariants only: it prints the message, the
 * registers it knows and a backtrace, then stops the machine.  In test runs
 * (see ktest.h, or `panic=exit` on the command line) it exits QEMU with
 * MACHINE_EXIT_PANIC so the grader learns at once.
 */
#ifndef DEBUG_PANIC_H
#define DEBUG_PANIC_H

#include <types.h>
#include "lib/kprintf.h"

NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Print "backtrace:" and one line per frame: rip first (the faulting
 * instruction; 0 for none), then the return addresses found by following
 * the frame-pointer chain that starts at rbp. */
void backtrace_print(uint64_t rip, uint64_t rbp);
/* Print one backtrace line: "  #N 0xADDR symbol+0xOFF". */
void backtrace_print_frame(int depth, uint64_t addr);
/* Exit the emulator on panic instead of halting (set for self-tests). */
void panic_set_exit(bool exit_on_panic);
/* Stop after a panic report printed by someone else (the trap handler). */
NORETURN void panic_stop(void);

#define assert(cond)                                                                       \
	do {                                                                               \
		if (!(cond))                                                               \
			panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
