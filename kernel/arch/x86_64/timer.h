/*
 * The periodic timer: the PIT's channel 0 interrupts TIMER_HZ times a
 * second on IRQ 0.  Each tick increments the tick counter, wakes the
 * sleepers of timer_sleep_ticks() and calls the tick hook (the scheduler's
 * time slice accounting), in interrupt context.
 */
#ifndef ARCH_X86_64_TIMER_H
#define ARCH_X86_64_TIMER_H

#include <types.h>
#include "arch/x86_64/trap.h"

#ifndef TIMER_HZ
#define TIMER_HZ 100
#endif
#define TIMER_IRQ 0

/* Program the PIT for TIMER_HZ and register the tick handler on IRQ 0. */
void timer_init(void);
/* Ticks since timer_init (0 until interrupts are on). */
uint64_t timer_ticks(void);
/* Milliseconds since timer_init, from the tick count and the PIT's exact period. */
uint64_t timer_uptime_ms(void);
/*
 * Call fn(tf) at every tick, after the counter is updated and the EOI sent,
 * in interrupt context (interrupts off).  One hook; NULL removes it.  fn may
 * switch threads.
 */
void timer_set_tick_hook(void (*fn)(struct trapframe *tf));
/* Sleep for n ticks (may sleep: see wait.h). */
void timer_sleep_ticks(uint64_t n);

#endif
