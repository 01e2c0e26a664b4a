/*
 * A screen: what the console's terminal emulator (vt.c) draws on.  The
 * emulator keeps the grid of cells, interprets the ANSI escapes and decides
 * what changes; a screen only shows cells.  Two kinds exist: the VGA text
 * screen (vga.c, 80x25 cells at 0xb8000) and the framebuffer console
 * (fbcon.c, cells drawn with a bitmap font), chosen at boot.
 *
 * A cell is a character (code page 437) and a VGA attribute byte: the low
 * nibble the foreground colour, the high nibble the background (vga.h's
 * enum vga_color), as the VGA text buffer stores it:
 *
 *     cell = ch | attr << 8
 */
#ifndef DRIVERS_SCREEN_H
#define DRIVERS_SCREEN_H

#include <types.h>

#define SCREEN_MAX_COLS 160 /* the largest screen the emulator's grid holds */
#define SCREEN_MAX_ROWS 64

struct screen {
	const char *name; /* "vga", "fb" */
	int cols, rows;   /* at most SCREEN_MAX_COLS x SCREEN_MAX_ROWS */
	/* Show cell at column x, row y (0-based). */
	void (*put)(int x, int y, uint16_t cell);
	/* Put the hardware cursor at (x, y), or hide it. */
	void (*cursor)(int x, int y, bool visible);
	/* Move rows [top + n, bottom) up to row top and fill the n rows freed
	 * at the bottom with blank; faster than putting every cell again.  May
	 * be NULL: the emulator then puts the moved cells itself. */
	void (*scroll_up)(int top, int bottom, int n, uint16_t blank);
};

/* Draw on s from now on (the emulator redraws its grid there), e.g. when
 * the framebuffer console takes over from the VGA text screen at boot. */
void screen_set(const struct screen *s);
/* The screen in use. */
const struct screen *screen_get(void);

#endif
