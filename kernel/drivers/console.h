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
/* Wait for and return the next input character. */
int console_getc(void);
/* Read a line (without its end) into buf, echoing it; returns its length. */
size_t console_readline(char *buf, size_t size);
/* Called with each received character by the serial input path. */
void console_input(char c);

#endif
