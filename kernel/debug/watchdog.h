/*
 * The soft-lockup watchdog (see watchdog.c).
 */
#ifndef DEBUG_WATCHDOG_H
#define DEBUG_WATCHDOG_H

#include "arch/x86_64/trap.h"

/* Seconds of CPU a thread may spend in the kernel without going back to
 * user mode, blocking or making another system call. */
#define WATCHDOG_SECONDS 5

/* The timer tick's check; tf is what the tick interrupted.  Interrupts off. */
void watchdog_tick(const struct trapframe *tf);

#endif
