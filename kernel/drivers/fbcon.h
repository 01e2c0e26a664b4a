/*
 * The framebuffer console: a screen (screen.h) whose cells are drawn with
 * an 8x16 bitmap font on the framebuffer (fb.h).  See fbcon.c.
 */
#ifndef DRIVERS_FBCON_H
#define DRIVERS_FBCON_H

#include "drivers/screen.h"

/* The glyphs of the 256 code page 437 characters, 16 rows of 8 pixels
 * (bit 7 leftmost): build/gen/fbcon_font.c, from conf/psffont.py. */
extern const uint8_t fbcon_font[256][16];

/* Once at boot, after fb_init: if there is a framebuffer, the console
 * draws on it from now on (screen_set) and says so. */
void fbcon_start(void);

#endif
