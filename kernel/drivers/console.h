/*
 * The console: one output stream shown on the VGA screen and sent to COM1,
 * and one input stream from COM1.  Everything kprintf prints goes here.
 */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <types.h>

void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t n);
/* The same without turning "\n" into "\r\n" on serial (a terminal's
 * output with OPOST or ONLCR off). */
void console_write_raw(const char *s, size_t n);

/* Wait for and return the next raw input character (what the terminal's
 * line discipline is fed; see console_task_running). */
int console_getc(void);
/* Read a line from the terminal (tty.h) without its end into buf,
 * truncated to size - 1 bytes; returns its length.  May sleep. */
size_t console_readline(char *buf, size_t size);
/* Called with each received character by the serial input path (any
 * context, interrupt handlers included). */
void console_input(char c);
/* Start the task that feeds input to the terminal on the kernel's
 * executor (after sched_init); without an executor, the terminal's
 * readers pull input themselves with console_getc. */
void console_start_task(void);
/* Has that task started? */
bool console_task_running(void);

#endif
