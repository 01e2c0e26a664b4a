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

/* What the terminal shows, for x,y mode's repaint of serial: its size,
 * its cursor, the attribute of its text, and the cell at (x, y). */
struct vt_view {
	int cols, rows;
	int x, y;
	bool cursor_on;
	uint8_t attr;
};
void vt_view(struct vt_view *v);
uint16_t vt_cell(int x, int y);

/* The blank cell of the default colours. */
#define VT_BLANK (' ' | 0x07 << 8)

#endif
