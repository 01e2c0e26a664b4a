/*
 * The framebuffer console: the screen (screen.h) of a graphics mode.  Each
 * cell is 8x16 pixels, drawn from fbcon_font (code page 437, converted at
 * build time from a Linux console font by conf/psffont.py) in the 16 VGA
 * colours of its attribute; the grid is as many whole cells as the mode
 * holds (128x48 at 1024x768), at most SCREEN_MAX_COLS x SCREEN_MAX_ROWS,
 * from the top left corner.
 *
 * fbcon keeps a copy of the cells it shows (cells[]), because it draws the
 * cursor itself: the cell under the cursor is drawn with its colours
 * swapped (a block cursor, as VGA's can be), and moving the cursor redraws
 * the cell it leaves from the copy.  scroll_up moves whole rows of pixels
 * with one memmove (the framebuffer is memory: no need to draw the glyphs
 * again) and the copy with them.
 *
 * The pixels are 32 bits with the colour fields where fb.h says; a colour
 * is turned into a pixel value once, at fbcon_init (palette[]).  The
 * terminal emulator (vt.c) calls put, cursor and scroll_up with interrupts
 * off, one at a time.
 */
#include "drivers/fbcon.h"
#include "drivers/fb.h"
#include "drivers/vga.h"
#include "lib/kprintf.h"
#include "lib/string.h"

#define FBCON_GLYPH_W 8
#define FBCON_GLYPH_H 16

/* The VGA palette (the text mode's 16 colours, vga.h's enum vga_color) as
 * 8-bit red, green, blue. */
static const uint8_t vga_rgb[16][3] = {
	{ 0x00, 0x00, 0x00 }, { 0x00, 0x00, 0xaa }, { 0x00, 0xaa, 0x00 }, { 0x00, 0xaa, 0xaa },
	{ 0xaa, 0x00, 0x00 }, { 0xaa, 0x00, 0xaa }, { 0xaa, 0x55, 0x00 }, { 0xaa, 0xaa, 0xaa },
	{ 0x55, 0x55, 0x55 }, { 0x55, 0x55, 0xff }, { 0x55, 0xff, 0x55 }, { 0x55, 0xff, 0xff },
	{ 0xff, 0x55, 0x55 }, { 0xff, 0x55, 0xff }, { 0xff, 0xff, 0x55 }, { 0xff, 0xff, 0xff },
};

static const struct fb *fb;
static uint32_t palette[16]; /* vga_rgb as pixel values */
static uint16_t cells[SCREEN_MAX_ROWS][SCREEN_MAX_COLS];
static struct {
	int x, y;
	bool shown;
} cursor;

static void fbcon_put(int x, int y, uint16_t cell);
static void fbcon_cursor(int x, int y, bool visible);
static void fbcon_scroll_up(int top, int bottom, int n, uint16_t blank);

static struct screen fbcon_screen = {
	.name = "fb",
	.put = fbcon_put,
	.cursor = fbcon_cursor,
	.scroll_up = fbcon_scroll_up,
};

/* The first pixel of cell (x, y). */
static uint32_t *cell_pixels(int x, int y)
{
	uint8_t *row = (uint8_t *)fb->pixels + (uint64_t)y * FBCON_GLYPH_H * fb->pitch;

	return (uint32_t *)row + x * FBCON_GLYPH_W;
}

/* Draw cell (x, y) from cells[], with its colours swapped if inverse. */
static void draw_cell(int x, int y, bool inverse)
{
	uint16_t cell = cells[y][x];
	const uint8_t *glyph = fbcon_font[cell & 0xff];
	uint32_t fg = palette[(cell >> 8) & 0xf], bg = palette[(cell >> 12) & 0xf];
	uint32_t *p = cell_pixels(x, y);

	if (inverse) {
		uint32_t t = fg;
		fg = bg;
		bg = t;
	}
	for (int row = 0; row < FBCON_GLYPH_H; row++) {
		uint8_t bits = glyph[row];

		for (int col = 0; col < FBCON_GLYPH_W; col++)
			p[col] = bits & (0x80 >> col) ? fg : bg;
		p = (uint32_t *)((uint8_t *)p + fb->pitch);
	}
}

static bool under_cursor(int x, int y)
{
	return cursor.shown && cursor.x == x && cursor.y == y;
}

static void fbcon_put(int x, int y, uint16_t cell)
{
	if (x < 0 || y < 0 || x >= fbcon_screen.cols || y >= fbcon_screen.rows)
		return;
	cells[y][x] = cell;
	draw_cell(x, y, under_cursor(x, y));
}

static void fbcon_cursor(int x, int y, bool visible)
{
	if (cursor.shown)
		draw_cell(cursor.x, cursor.y, false);
	cursor.shown =
		visible && x >= 0 && y >= 0 && x < fbcon_screen.cols && y < fbcon_screen.rows;
	cursor.x = x;
	cursor.y = y;
	if (cursor.shown)
		draw_cell(x, y, true);
}

static void fbcon_scroll_up(int top, int bottom, int n, uint16_t blank)
{
	bool shown = cursor.shown;
	int cols = fbcon_screen.cols;

	if (top < 0 || bottom > fbcon_screen.rows || top >= bottom || n <= 0)
		return;
	if (n > bottom - top)
		n = bottom - top;
	fbcon_cursor(cursor.x, cursor.y, false);
	if (n < bottom - top) {
		uint64_t row_bytes = (uint64_t)FBCON_GLYPH_H * fb->pitch;

		memmove(cell_pixels(0, top), cell_pixels(0, top + n),
			(uint64_t)(bottom - top - n) * row_bytes);
		memmove(cells[top], cells[top + n], (size_t)(bottom - top - n) * sizeof(cells[0]));
	}
	for (int y = bottom - n; y < bottom; y++)
		for (int x = 0; x < cols; x++)
			fbcon_put(x, y, blank);
	fbcon_cursor(cursor.x, cursor.y, shown);
}

static const struct screen *fbcon_init(void)
{
	uint16_t blank = ' ' | (VGA_LIGHT_GREY | VGA_BLACK << 4) << 8;

	fb = fb_get();
	if (!fb)
		return NULL;
	for (int i = 0; i < 16; i++)
		palette[i] = fb_rgb(fb, vga_rgb[i][0], vga_rgb[i][1], vga_rgb[i][2]);
	fbcon_screen.cols = MIN(fb->width / FBCON_GLYPH_W, SCREEN_MAX_COLS);
	fbcon_screen.rows = MIN(fb->height / FBCON_GLYPH_H, SCREEN_MAX_ROWS);
	/* The whole screen black, margins too, then the blank grid. */
	for (uint32_t y = 0; y < fb->height; y++)
		memset((uint8_t *)fb->pixels + (uint64_t)y * fb->pitch, 0, fb->width * 4u);
	for (int y = 0; y < fbcon_screen.rows; y++)
		for (int x = 0; x < fbcon_screen.cols; x++)
			fbcon_put(x, y, blank);
	return &fbcon_screen;
}

void fbcon_start(void)
{
	const struct screen *s = fbcon_init();

	if (!s)
		return;
	screen_set(s); /* the terminal emulator redraws its grid here */
	kprintf("fbcon: %dx%d cells of 8x16 on the framebuffer\n", s->cols, s->rows);
}
