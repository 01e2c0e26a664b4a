/*
 * Console: fans output out to the screen and COM1, and collects input
 * from COM1 for the terminal (tty.c).
 *
 * Output turns "\n" into "\r\n" (console_write: what kprintf and a
 * terminal with OPOST | ONLCR print), or goes as it is
 * (console_write_raw).  The same bytes go to serial untouched, ANSI escapes
 * included, since the terminal at the other end understands them, and to
 * the terminal emulator (vt.c), which interprets them on the screen: a
 * program looks the same on both.
 *
 * Input arrives in console_input(), either polled (console_getc before
 * interrupts are on) or from the serial interrupt, into the raw ring.
 * Once the scheduler runs, a task of the kernel's executor
 * (console_task_poll, an async state machine: see sched/executor.h) hands
 * every raw byte to the terminal's line discipline (tty_receive), which
 * echoes, edits lines and sends Ctrl-C's signal at once, whether or not
 * anyone reads; its one waker is the serial interrupt.  Without the
 * executor (early boot, or a handout whose scheduler is not written yet)
 * a reader of the terminal pulls raw bytes with console_getc and feeds
 * them in itself.
 */
#include "drivers/console.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "drivers/vt.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/x86.h"
#include "drivers/tty.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/wait.h"
#include "sched/executor.h"

#define INPUT_SIZE 256

static struct {
	char buf[INPUT_SIZE];
	volatile unsigned head, tail; /* read at tail, written at head */
} input;

static struct waitq input_wait = WAITQ_INIT("console input");

/* The task that feeds input to the terminal (tty.c). */
static struct {
	struct task task;
	bool running; /* the task has been polled: use it */
} feeder;

void console_init(void)
{
	serial_init();
	vt_init();
	screen_set(vga_init());
}

static void console_out(char c)
{
	serial_putc(c);
	vt_putc(c);
}

void console_putc(char c)
{
	if (c == '\n')
		console_out('\r');
	console_out(c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}

void console_write_raw(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_out(s[i]);
}

void console_input(char c)
{
	if (input.head - input.tail < INPUT_SIZE)
		input.buf[input.head++ % INPUT_SIZE] = c;
	if (feeder.task.executor)
		executor_wake(&feeder.task);
	wait_wake_all(&input_wait);
}

static bool raw_pending(void)
{
	return input.head != input.tail;
}

/* The next raw character; raw_pending() must hold. */
static char raw_take(void)
{
	return input.buf[input.tail++ % INPUT_SIZE];
}

/* ---- the task that feeds the terminal ---------------------------------- */

/* Wait until there is raw input; hand all of it to the terminal; repeat.
 * Never finishes. */
static enum poll console_task_poll(struct task *task)
{
	TASK_BEGIN(task);
	feeder.running = true;
	for (;;) {
		TASK_AWAIT(task, raw_pending());
		while (raw_pending())
			tty_receive(raw_take());
	}
	TASK_END(task);
}

void console_start_task(void)
{
	struct executor *ex = executor_kernel();

	if (!ex)
		return; /* no scheduler: readers pull input themselves */
	task_init(&feeder.task, "console", console_task_poll);
	executor_spawn(ex, &feeder.task);
}

bool console_task_running(void)
{
	return feeder.running;
}

/* ---- readers ----------------------------------------------------------- */

int console_getc(void)
{
	if (serial_rx_by_irq() && irq_started())
		wait_event(&input_wait, raw_pending());
	while (!raw_pending()) {
		int c = serial_try_getc();
		if (c >= 0)
			console_input(c);
		else
			pause();
	}
	return raw_take();
}

size_t console_readline(char *buf, size_t size)
{
	size_t n = 0;
	char c = 0;
	struct vbuf one = { .addr = (uintptr_t)&c, .user = false };

	/* A byte at a time: keep the first size - 1 of the line, drop the
	 * rest, stop at its end (or at the end of input, VEOF). */
	while (tty_read(&one, 1, false) == 1 && c != '\n') {
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return n;
}
