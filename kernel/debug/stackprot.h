/*
 * The kernel's stack protector.  The kernel is compiled with
 * -fstack-protector-strong -mstack-protector-guard=global: every function
 * with a local array (or a local whose address it takes) keeps a copy of
 * the guard word __stack_chk_guard between its locals and its saved frame
 * pointer and return address, and checks it before returning; a mismatch
 * (a buffer on the stack written past its end) calls __stack_chk_fail,
 * which panics with "stack smashing detected in FUNCTION".
 */
#ifndef DEBUG_STACKPROT_H
#define DEBUG_STACKPROT_H

#include <types.h>

/* For a function whose frame outlives a change of the guard (kmain, which
 * calls stackprot_init): it gets no canary. */
#define STACKPROT_OFF __attribute__((no_stack_protector))

/* The guard word compiled in; stackprot_init replaces it. */
#define STACKPROT_LINK_GUARD 0x00000aff0a0d0000ull

/*
 * Give the guard a value of this boot: RDRAND where the CPU has it, else
 * the time stamp counter, with its low byte 0 (a string copy that runs past
 * a buffer stops at the canary's NUL instead of reproducing it).  Call
 * first in kmain: a function that stored the old guard and returns after
 * the change would report a smash that did not happen.
 */
void stackprot_init(void);

#endif
