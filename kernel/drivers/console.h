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
/* The longest line the line discipline keeps (longer input is dropped). */
#define CONSOLE_LINE_MAX 255

/* Wait for and return the next input character.  With the line discipline
 * running, characters come a whole line at a time (the line ends in '\n'). */
int console_getc(void);
/* Read a line (without its end) into buf, echoing it; returns its length.
 * May sleep. */
size_t console_readline(char *buf, size_t size);
/* Called with each received character by the serial input path (any
 * context, interrupt handlers included). */
void console_input(char c);
/* Start the line discipline task on the kernel's executor (after
 * sched_init); without an executor, input stays raw. */
void console_start_task(void);
/* Has the line discipline task started? */
bool console_task_running(void);

#endif
