/*
 * The soft-lockup watchdog's self-test (debug/watchdog.c), graded in stage
 * syscalls next to the fuzzer, whose hangs it names.
 *
 * The boot thread spins in the kernel, interrupts on, for a second more
 * than the watchdog allows: it must say so once, naming this function.
 * Then it spins as long again in stretches of a second with a sleep
 * between (each sleep is a switch: progress), which may not be reported.  The grader reads the lines; the test itself only
 * checks that the ticks came.
 */
#include "test/ktest.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "debug/watchdog.h"
#include "sched/thread.h"

static void watchdog_spin(uint64_t ticks)
{
	uint64_t start = timer_ticks();

	while (timer_ticks() - start < ticks)
		__asm__ volatile("pause");
}

KTEST(watchdog)
{
	uint64_t start = timer_ticks();
	uint64_t stretch = (WATCHDOG_SECONDS + 1) * TIMER_HZ;

	kprintf("watchdog test: %d s in the kernel\n", WATCHDOG_SECONDS + 1);
	watchdog_spin(stretch);
	kprintf("watchdog test: as long in stretches of 1 s, sleeping between\n");
	for (int i = 0; i <= WATCHDOG_SECONDS; i++) {
		watchdog_spin(TIMER_HZ);
		thread_sleep(1);
	}
	KTEST_ASSERT(timer_ticks() - start >= 2 * stretch);
	kprintf("watchdog test: done\n");
}
