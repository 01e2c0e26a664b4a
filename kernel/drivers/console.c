/*
 * Console: fans output out to the VGA screen and COM1, and collects input
 * from COM1.
 *
 * Output to serial turns "\n" into "\r\n".  ANSI escape sequences (ESC [ ...
 * final letter) go to serial untouched, since a terminal understands them,
 * and are skipped on the VGA screen.
 *
 * Input arrives in console_input(), either polled (console_getc before
 * interrupts are on) or from the serial interrupt, into the raw ring.
 *
 * Line discipline.  Once the scheduler runs, a task of the kernel's executor
 * (console_task_poll, an async state machine: see sched/executor.h) turns
 * raw input into lines, like a terminal in canonical mode: it echoes what
 * is typed, handles backspace, and when Enter comes, moves the finished
 * line into the cooked ring and wakes the threads waiting in
 * console_readline().  It edits a line only for a reader that waits for
 * one (lines < readers), so input typed ahead stays in the raw ring and is
 * echoed when it is read, after the reader's prompt, never in the middle of
 * other output.  Its wakers: the serial interrupt (input), a reader that
 * starts waiting, a reader that took a line (room in the cooked ring).
 *
 * Without the executor (early boot, or a handout whose scheduler is not
 * written yet), console_readline() reads the raw ring itself and echoes, as
 * before; console_getc() then returns raw characters, sleeping until some
 * come by interrupt or polling the UART before interrupts are on.
 */
#include "drivers/console.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/x86.h"
#include "lib/kprintf.h"
#include "lib/wait.h"
#include "sched/executor.h"

#define INPUT_SIZE 256

static struct {
	char buf[INPUT_SIZE];
	volatile unsigned head, tail; /* read at tail, written at head */
} input;

static struct waitq input_wait = WAITQ_INIT("console input");

#define COOKED_SIZE 1024

/* The line discipline: the task, the line being edited, finished lines. */
static struct {
	struct task task;
	bool running; /* the task has been polled: use it */
	char edit[CONSOLE_LINE_MAX];
	unsigned len;
	char cooked[COOKED_SIZE]; /* finished lines, each ending in '\n' */
	unsigned cooked_head, cooked_tail;
	unsigned lines;   /* complete lines in cooked */
	unsigned readers; /* threads waiting for a line */
} ldisc;

static struct waitq lines_wait = WAITQ_INIT("console lines");

static enum { PLAIN, ESCAPE, CSI } vga_escape;

void console_init(void)
{
	serial_init();
	vga_init();
}

/* Feed one character to the screen, skipping escape sequences. */
static void vga_feed(char c)
{
	switch (vga_escape) {
	case PLAIN:
		if (c == '\x1b')
			vga_escape = ESCAPE;
		else
			vga_putc(c);
		break;
	case ESCAPE:
		vga_escape = c == '[' ? CSI : PLAIN;
		break;
	case CSI:
		if (c >= 0x40 && c <= 0x7e)
			vga_escape = PLAIN;
		break;
	}
}

void console_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	serial_putc(c);
	vga_feed(c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}

void console_input(char c)
{
	if (input.head - input.tail < INPUT_SIZE)
		input.buf[input.head++ % INPUT_SIZE] = c;
	if (ldisc.task.executor)
		executor_wake(&ldisc.task);
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

/* ---- the line discipline task ------------------------------------------- */

static unsigned cooked_room(void)
{
	return COOKED_SIZE - (ldisc.cooked_head - ldisc.cooked_tail);
}

static void cooked_put(char c)
{
	ldisc.cooked[ldisc.cooked_head++ % COOKED_SIZE] = c;
}

/* Edit the line being typed with one raw character. */
static void ldisc_feed(char c)
{
	if (c == '\r' || c == '\n') {
		uint64_t flags;

		console_putc('\n');
		for (unsigned i = 0; i < ldisc.len; i++)
			cooked_put(ldisc.edit[i]);
		cooked_put('\n');
		ldisc.len = 0;
		flags = irq_save(); /* readers count lines down with interrupts off */
		ldisc.lines++;
		irq_restore(flags);
		wait_wake_all(&lines_wait);
	} else if (c == '\b' || c == 0x7f) {
		if (ldisc.len > 0) {
			ldisc.len--;
			console_write("\b \b", 3);
		}
	} else if (c >= ' ' && ldisc.len < CONSOLE_LINE_MAX) {
		ldisc.edit[ldisc.len++] = c;
		console_putc(c);
	}
}

/* Is a reader waiting for a line that is not cooked yet, and is there
 * room for it? */
static bool line_wanted(void)
{
	return ldisc.lines < ldisc.readers && cooked_room() > CONSOLE_LINE_MAX;
}

/*
 * Wait until there is raw input and a reader wants a line; feed the input
 * to the line editor until it has made the lines wanted; repeat.  Never
 * finishes.
 */
static enum poll console_task_poll(struct task *task)
{
	TASK_BEGIN(task);
	ldisc.running = true;
	for (;;) {
		TASK_AWAIT(task, raw_pending() && line_wanted());
		while (raw_pending() && line_wanted())
			ldisc_feed(raw_take());
	}
	TASK_END(task);
}

void console_start_task(void)
{
	struct executor *ex = executor_kernel();

	if (!ex)
		return; /* no scheduler: console_readline reads raw input */
	task_init(&ldisc.task, "console", console_task_poll);
	executor_spawn(ex, &ldisc.task);
}

bool console_task_running(void)
{
	return ldisc.running;
}

/* ---- readers ----------------------------------------------------------- */

/* Wait until a line is cooked, asking the task for one.  Interrupts off. */
static void wait_for_line(void)
{
	if (ldisc.lines > 0)
		return;
	ldisc.readers++;
	executor_wake(&ldisc.task);
	while (ldisc.lines == 0)
		wait_sleep(&lines_wait);
	ldisc.readers--;
}

/*
 * A line from the cooked ring, without its '\n', truncated to size - 1.
 * The wait and the taking are one section with interrupts off, so two
 * readers never take the same line.
 */
static size_t readline_cooked(char *buf, size_t size)
{
	uint64_t flags = irq_save();
	size_t n = 0;
	char c;

	wait_for_line();
	while ((c = ldisc.cooked[ldisc.cooked_tail++ % COOKED_SIZE]) != '\n') {
		if (n + 1 < size)
			buf[n++] = c;
	}
	ldisc.lines--;
	irq_restore(flags);
	buf[n] = '\0';
	executor_wake(&ldisc.task); /* there is room again */
	return n;
}

/* The next raw character, echoing nothing (no line discipline running). */
static int getc_raw(void)
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

/* Read and edit a line from raw input, echoing: without the task. */
static size_t readline_raw(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		char c = getc_raw();
		if (c == '\r' || c == '\n') {
			console_putc('\n');
			break;
		}
		if ((c == '\b' || c == 0x7f)) {
			if (n > 0) {
				n--;
				console_write("\b \b", 3);
			}
			continue;
		}
		if (n + 1 < size && c >= ' ') {
			buf[n++] = c;
			console_putc(c);
		}
	}
	buf[n] = '\0';
	return n;
}

int console_getc(void)
{
	uint64_t flags;
	char c;

	if (!ldisc.running)
		return getc_raw();
	flags = irq_save();
	wait_for_line();
	c = ldisc.cooked[ldisc.cooked_tail++ % COOKED_SIZE];
	if (c == '\n')
		ldisc.lines--;
	irq_restore(flags);
	if (c == '\n')
		executor_wake(&ldisc.task);
	return c;
}

size_t console_readline(char *buf, size_t size)
{
	if (ldisc.running)
		return readline_cooked(buf, size);
	return readline_raw(buf, size);
}
