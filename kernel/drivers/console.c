/*
 * Console: fans output out to the VGA screen and COM1, and collects input
 * from COM1.
 *
 * Output to serial turns "\n" into "\r\n".  ANSI escape sequences (ESC [ ...
 * final letter) go to serial untouched, since a terminal understands them,
 * and are skipped on the VGA screen.
 *
 * Input arrives in console_input(), either polled (console_getc before
 * interrupts are on) or from the serial interrupt, into a ring buffer.  Once
 * input comes by interrupt, console_getc() sleeps until there is some.
 */
#include "drivers/console.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/x86.h"
#include "lib/wait.h"

#define INPUT_SIZE 256

static struct {
	char buf[INPUT_SIZE];
	volatile unsigned head, tail;   /* read at tail, written at head */
} input;

static struct waitq input_wait = WAITQ_INIT("console input");

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
	wait_wake_all(&input_wait);
}

int console_getc(void)
{
	if (serial_rx_by_irq() && irq_started())
		wait_event(&input_wait, input.head != input.tail);
	while (input.head == input.tail) {
		int c = serial_try_getc();
		if (c >= 0)
			console_input(c);
		else
			pause();
	}
	return input.buf[input.tail++ % INPUT_SIZE];
}

size_t console_readline(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		char c = console_getc();
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
