/* kmon, the kernel monitor: a tiny command line on the console for looking
 * inside the running kernel (memory map, threads, ...).  It runs when the
 * command line names nothing else to do. */
#ifndef MONITOR_H
#define MONITOR_H

NORETURN void monitor_run(void);

#endif
