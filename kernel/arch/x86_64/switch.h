/* The context switch (switch.S): save the callee-saved registers and rsp of
 * the running thread into *save_rsp, continue the thread whose stack
 * pointer is load_rsp.  Interrupts off.  Only schedule() calls it. */
#ifndef ARCH_X86_64_SWITCH_H
#define ARCH_X86_64_SWITCH_H

#include <types.h>

void context_switch(uint64_t *save_rsp, uint64_t load_rsp);

#endif
