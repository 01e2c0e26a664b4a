/*
 * The terminal emulator of the console (drivers/vt.c): a grid of cells fed
 * by the console's output stream, ANSI/VT100 escapes interpreted, drawn on
 * the screen in use (drivers/screen.h).
 *
 * All of it runs with interrupts off inside (kprintf may come from any
 * context), and all of it works from the first kprintf on: the grid is
 * static and nothing allocates.
 */
#ifndef DRIVERS_VT_H
#define DRIVERS_VT_H

#include <types.h>
#include "drivers/screen.h"

/* Clear the grid; the console's first step (before screen_set). */
void vt_init(void);
/* One byte of output (after the console's "\n" -> "\r\n"). */
void vt_putc(char c);
/* The attribute of plain text from now on, as SGR would set it (VGA
 * colours: foreground | background << 4). */
void vt_set_attr(uint8_t attr);

/*
 * Hide the terminal: while hidden the grid still follows the output (the
 * kernel's messages, a program's writes) but nothing is drawn, since
 * someone else (x,y mode, xy.c) owns the screen.  Showing it again redraws
 * the grid and the cursor on the screen.
 */
void vt_hide(bool hidden);

/*
 * Send the grid to serial as ANSI escapes (clear, each row's text with its
 * colours, the cursor), so that a terminal on the serial line shows what
 * the VGA screen shows: after x,y mode drew over it.
 */
void vt_repaint_serial(void);

/* ANSI escapes on serial: colours of a VGA attribute (SGR), the cursor
 * to column x, row y (CUP), a cell's character (ASCII; '?' for the rest). */
void vt_serial_sgr(uint8_t attr);
void vt_serial_goto(int x, int y);
void vt_serial_cell(uint16_t cell);

/* The blank cell of the default colours. */
#define VT_BLANK (' ' | 0x07 << 8)

#endif
