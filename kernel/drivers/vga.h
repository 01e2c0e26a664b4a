/* The 80x25 VGA text screen at physical 0xb8000: a screen (screen.h) for
 * the terminal emulator (vt.c). */
#ifndef DRIVERS_VGA_H
#define DRIVERS_VGA_H

#include <types.h>

#define VGA_COLS 80
#define VGA_ROWS 25

/* Colours: the low nibble is the foreground, the high nibble the background. */
enum vga_color {
	VGA_BLACK,
	VGA_BLUE,
	VGA_GREEN,
	VGA_CYAN,
	VGA_RED,
	VGA_MAGENTA,
	VGA_BROWN,
	VGA_LIGHT_GREY,
	VGA_DARK_GREY,
	VGA_LIGHT_BLUE,
	VGA_LIGHT_GREEN,
	VGA_LIGHT_CYAN,
	VGA_LIGHT_RED,
	VGA_LIGHT_MAGENTA,
	VGA_YELLOW,
	VGA_WHITE,
};

struct screen;

/* Find the text buffer; returns the screen to hand to screen_set. */
const struct screen *vga_init(void);

#endif
