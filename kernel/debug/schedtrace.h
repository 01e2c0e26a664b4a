/*
 * The scheduler's trace (schedtrace.c): with `schedtrace` on the command
 * line, every context switch and wake-up is recorded, and printed when the
 * kernel exits, for conf/pictures.py's timeline.
 */
#ifndef DEBUG_SCHEDTRACE_H
#define DEBUG_SCHEDTRACE_H

#include "sched/thread.h"

/* Allocate the buffer if the command line asks for a trace. */
void schedtrace_init(void);
/* The CPU goes from prev to next (interrupts off). */
void schedtrace_switch(const struct thread *prev, const struct thread *next);
/* t became ready to run (interrupts off). */
void schedtrace_wake(const struct thread *t);
/* Print the trace, if there is one: "schedtrace: ..." lines. */
void schedtrace_dump(void);

#endif
