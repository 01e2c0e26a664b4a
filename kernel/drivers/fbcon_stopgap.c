/*
 * STOPGAP, to be deleted when the console's terminal emulator (vt.c, the
 * console helper's) is merged: fbcon_start (fbcon.c) then calls
 * screen_set(s) instead of fbcon_stopgap_start(s), and console.c calls
 * fbcon_stopgap_putc no more.
 *
 * Until then this is the smallest terminal that shows the console's output
 * on a struct screen: vga_putc's rules (\n, \r, \b, \t, wrap at the last
 * column, scroll at the bottom), light grey on black, and the cursor after
 * the last character.  Its names say "stopgap" so that nothing else comes
 * to depend on them.
 */
#include "drivers/fbcon_stopgap.h"
#include "drivers/vga.h"

static const struct screen *stopgap_screen;
static int stopgap_x, stopgap_y;

#define STOPGAP_ATTR (VGA_LIGHT_GREY | VGA_BLACK << 4)

void fbcon_stopgap_start(const struct screen *s)
{
	if (!s)
		return;
	stopgap_screen = s;
	s->cursor(0, 0, true);
}

bool fbcon_stopgap_putc(char c)
{
	const struct screen *s = stopgap_screen;

	if (!s)
		return false;
	switch (c) {
	case '\n':
		stopgap_x = 0;
		stopgap_y++;
		break;
	case '\r':
		stopgap_x = 0;
		break;
	case '\b':
		if (stopgap_x > 0)
			stopgap_x--;
		break;
	case '\t':
		stopgap_x = (stopgap_x + 8) & ~7;
		break;
	default:
		s->put(stopgap_x++, stopgap_y, (uint8_t)c | STOPGAP_ATTR << 8);
	}
	if (stopgap_x >= s->cols) {
		stopgap_x = 0;
		stopgap_y++;
	}
	if (stopgap_y >= s->rows) {
		s->scroll_up(0, s->rows, 1, ' ' | STOPGAP_ATTR << 8);
		stopgap_y = s->rows - 1;
	}
	s->cursor(stopgap_x, stopgap_y, true);
	return true;
}
