/*
 * The 8253/8254 programmable interval timer (PIT).  Its input clock runs at
 * 1.193182 MHz; channel 0, wired to IRQ 0, divides it by a 16-bit divisor.
 * In mode 2 ("rate generator") it raises IRQ 0 once per divisor input
 * cycles, forever.  With TIMER_HZ = 100 the divisor is 11932, so a tick is
 * 11932 / 1193182 s = 10.0002 ms.
 *
 * Ports: 0x40 channel 0 data, 0x43 mode/command.  Command byte: bits 7-6
 * channel, bits 5-4 access mode (3 = low byte then high byte), bits 3-1
 * operating mode, bit 0 BCD.  (Intel 8254 datasheet; OSDev wiki "PIT".)
 */
#include "arch/x86_64/timer.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/x86.h"
#include "lib/wait.h"

#define PIT_FREQ              1193182u
#define PIT_CHANNEL0          0x40
#define PIT_COMMAND           0x43
#define PIT_CMD_CH0_LOHI_RATE 0x34 /* channel 0, lo/hi byte, mode 2, binary */

#define PIT_DIVISOR ((PIT_FREQ + TIMER_HZ / 2) / TIMER_HZ)

_Static_assert(PIT_DIVISOR >= 2 && PIT_DIVISOR <= 65535, "TIMER_HZ out of the PIT's range");

static volatile uint64_t ticks;
static void (*tick_hook)(struct trapframe *tf);
static struct waitq tick_wait = WAITQ_INIT("timer tick");

/* Start channel 0 in rate-generator mode with the given divisor. */
static void pit_start(uint32_t divisor)
{
	/* BEGIN STAGE interrupts: program PIT channel 0 as a rate generator */
	outb(PIT_COMMAND, PIT_CMD_CH0_LOHI_RATE);
	outb(PIT_CHANNEL0, divisor & 0xff);
	outb(PIT_CHANNEL0, divisor >> 8);
	/* STUB
	(void)divisor;
	END STAGE interrupts */
}

/* IRQ 0. */
static void timer_tick(struct trapframe *tf)
{
	/* BEGIN STAGE interrupts: count the tick, wake sleepers, call the hook */
	ticks++;
	wait_wake_all(&tick_wait);
	if (tick_hook)
		tick_hook(tf);
	/* STUB
	(void)tf;
	(void)tick_wait;
	END STAGE interrupts */
}

void timer_init(void)
{
	pit_start(PIT_DIVISOR);
	irq_register(TIMER_IRQ, timer_tick);
}

uint64_t timer_ticks(void)
{
	return ticks;
}

uint64_t timer_uptime_ms(void)
{
	return ticks * PIT_DIVISOR * 1000 / PIT_FREQ;
}

void timer_set_tick_hook(void (*fn)(struct trapframe *tf))
{
	tick_hook = fn;
}

void timer_sleep_ticks(uint64_t n)
{
	uint64_t end = ticks + n;

	wait_event(&tick_wait, ticks >= end);
}
