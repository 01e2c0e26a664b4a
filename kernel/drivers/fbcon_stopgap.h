/*
 * STOPGAP until vt.c is merged (see fbcon_stopgap.c): the console's output
 * on the framebuffer console.
 */
#ifndef DRIVERS_FBCON_STOPGAP_H
#define DRIVERS_FBCON_STOPGAP_H

#include "drivers/screen.h"

/* Show the console's output on s from now on (nothing if s is NULL). */
void fbcon_stopgap_start(const struct screen *s);
/* Show c; false if no screen was started (then the VGA screen shows it). */
bool fbcon_stopgap_putc(char c);

#endif
