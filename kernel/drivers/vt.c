/*
 * The terminal emulator: turns the console's output stream into cells on a
 * screen, the way a VT100 (and xterm, and Linux's console) does, so that a
 * program printing ANSI escapes looks the same on the VGA screen as on the
 * terminal at the other end of the serial line, which gets the same bytes
 * untouched (console.c).
 *
 * The emulator owns the grid: SCREEN_MAX_ROWS x SCREEN_MAX_COLS cells
 * (static, so kprintf works before any allocation), of which the screen in
 * use (screen.h: VGA text, or the framebuffer console) shows cols x rows.
 * Every change goes to the grid and, unless the terminal is hidden (x,y
 * mode owns the screen: xy.c), to the screen.  screen_set() redraws the
 * grid on a new screen and sizes the terminal (TIOCGWINSZ) from it.  The
 * serial line needs nothing: the same bytes went there (console.c).
 *
 * The byte stream is parsed by a small state machine (ECMA-48):
 *
 *     PLAIN --ESC--> ESCAPE --'['--> CSI --final byte 0x40..0x7e--> PLAIN
 *
 * What it understands (n defaults to 1; rows and columns count from 1):
 *   controls   CR, LF/VT/FF (down one, scrolling the region), BS, TAB
 *   ESC 7 / 8  DECSC / DECRC: save / restore cursor and colours
 *   ESC D M E  index, reverse index, next line;  ESC c  reset
 *   CSI n A B C D    cursor up / down / forward / back (CUU CUD CUF CUB)
 *   CSI n E F        next / previous line;  CSI n G, `  column;  CSI n d  row
 *   CSI r ; c H, f   cursor position (CUP, HVP)
 *   CSI n J, K       erase in display / line (ED, EL: 0 to end, 1 from
 *                    start, 2 all)
 *   CSI n L M @ P X  insert / delete lines, insert / delete / erase chars
 *   CSI ... m        SGR: 0 reset, 1 bold (bright foreground), 22, 7
 *                    reverse, 27, 30-37 39 40-47 49 colours, 90-97 100-107
 *                    bright colours
 *   CSI t ; b r      DECSTBM scroll region (cursor goes home)
 *   CSI s / u        save / restore cursor (as ESC 7 / 8)
 *   CSI ? 25 h / l   show / hide the cursor
 * Anything else is consumed and ignored.
 *
 * The cursor may sit one past the last column (a character was just put
 * there): the next printable character first wraps to a new line, as
 * xterm's and pyte's "pending wrap" does, so a full-width line followed by
 * "\r\n" does not leave an empty line.
 */
#include "drivers/vt.h"
#include "drivers/tty.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define VT_PARAMS 16

enum vt_state { VT_PLAIN, VT_ESCAPE, VT_CSI };

struct vt_pen {
	int x, y;
	uint8_t fg, bg; /* VGA colours before bold and reverse */
	bool bold, reverse;
};

static struct {
	const struct screen *screen;
	uint16_t grid[SCREEN_MAX_ROWS][SCREEN_MAX_COLS];
	int cols, rows;
	struct vt_pen pen; /* pen.x == cols: wrap pending */
	struct vt_pen saved;
	int top, bottom; /* the scroll region: rows top..bottom, inclusive */
	bool cursor_on;
	bool hidden; /* x,y mode owns the screen */
	enum vt_state state;
	int params[VT_PARAMS];
	int nparams;
	bool private_mode; /* CSI ? ... */
	bool ignore;       /* an intermediate byte: a sequence we do not know */
} vt = {
	.cols = 80,
	.rows = 25,
	.pen = { .fg = 7 },
	.saved = { .fg = 7 },
	.bottom = 24,
	.cursor_on = true,
};

/* ANSI colour numbers (black red green yellow blue magenta cyan white) as
 * VGA colours: VGA puts blue in bit 0, ANSI red.  Swapping bits 0 and 2 is
 * its own inverse, so the same table maps VGA colours to ANSI ones. */
static const uint8_t ansi_to_vga[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

/* ---- drawing ----------------------------------------------------------- */

static uint8_t vt_attr(void)
{
	uint8_t fg = vt.pen.fg | (vt.pen.bold ? 8 : 0);

	return vt.pen.reverse ? (uint8_t)(vt.pen.bg | fg << 4) : (uint8_t)(fg | vt.pen.bg << 4);
}

static uint16_t vt_blank(void)
{
	return ' ' | vt_attr() << 8;
}

static bool vt_drawing(void)
{
	return vt.screen && !vt.hidden;
}

static void vt_put(int x, int y, uint16_t cell)
{
	vt.grid[y][x] = cell;
	if (vt_drawing())
		vt.screen->put(x, y, cell);
}

static void vt_draw_rows(int from, int to)
{
	if (!vt_drawing())
		return;
	for (int y = from; y < to; y++)
		for (int x = 0; x < vt.cols; x++)
			vt.screen->put(x, y, vt.grid[y][x]);
}

static void vt_draw_cursor(void)
{
	if (vt_drawing())
		vt.screen->cursor(MIN(vt.pen.x, vt.cols - 1), vt.pen.y, vt.cursor_on);
}

static void vt_fill(int y, int from, int to, uint16_t cell)
{
	for (int x = from; x < to; x++)
		vt_put(x, y, cell);
}

/* Move rows [top + n, bottom] up to top (n > 0) or rows [top, bottom - n]
 * down (n < 0) inside rows top..bottom, filling the freed rows with blank. */
static void vt_scroll(int top, int bottom, int n, uint16_t blank)
{
	int height = bottom - top + 1;
	int k = MIN(n < 0 ? -n : n, height);
	size_t row = sizeof(vt.grid[0]);

	if (n > 0) {
		memmove(vt.grid[top], vt.grid[top + k], (height - k) * row);
		for (int y = bottom - k + 1; y <= bottom; y++)
			for (int x = 0; x < vt.cols; x++)
				vt.grid[y][x] = blank;
		if (vt_drawing() && vt.screen->scroll_up) {
			vt.screen->scroll_up(top, bottom + 1, k, blank);
			return;
		}
	} else {
		memmove(vt.grid[top + k], vt.grid[top], (height - k) * row);
		for (int y = top; y < top + k; y++)
			for (int x = 0; x < vt.cols; x++)
				vt.grid[y][x] = blank;
	}
	vt_draw_rows(top, bottom + 1);
}

/* ---- the cursor -------------------------------------------------------- */

static int vt_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void vt_goto(int x, int y)
{
	vt.pen.x = vt_clamp(x, 0, vt.cols - 1);
	vt.pen.y = vt_clamp(y, 0, vt.rows - 1);
}

/* Down one row; at the bottom of the scroll region the region scrolls. */
static void vt_index(void)
{
	if (vt.pen.y == vt.bottom)
		vt_scroll(vt.top, vt.bottom, 1, VT_BLANK);
	else if (vt.pen.y < vt.rows - 1)
		vt.pen.y++;
}

static void vt_reverse_index(void)
{
	if (vt.pen.y == vt.top)
		vt_scroll(vt.top, vt.bottom, -1, VT_BLANK);
	else if (vt.pen.y > 0)
		vt.pen.y--;
}

/* Up (dy < 0) or down, stopping at the scroll region's edge if the cursor
 * is inside it, else at the screen's. */
static void vt_move_rows(int dy)
{
	int y = vt.pen.y;
	int lo = y >= vt.top ? vt.top : 0;
	int hi = y <= vt.bottom ? vt.bottom : vt.rows - 1;

	vt.pen.y = vt_clamp(y + dy, lo, hi);
	vt.pen.x = MIN(vt.pen.x, vt.cols - 1);
}

static void vt_save(void)
{
	vt.saved = vt.pen;
}

static void vt_restore(void)
{
	vt.pen = vt.saved;
	vt_goto(vt.pen.x, vt.pen.y);
}

static void vt_reset(void)
{
	vt.pen = (struct vt_pen){ .fg = 7 };
	vt.saved = vt.pen;
	vt.top = 0;
	vt.bottom = vt.rows - 1;
	vt.cursor_on = true;
	for (int y = 0; y < vt.rows; y++)
		vt_fill(y, 0, vt.cols, VT_BLANK);
}

/* ---- plain characters -------------------------------------------------- */

static void vt_print(char c)
{
	if (vt.pen.x >= vt.cols) { /* the pending wrap */
		vt.pen.x = 0;
		vt_index();
	}
	vt_put(vt.pen.x, vt.pen.y, (uint8_t)c | vt_attr() << 8);
	vt.pen.x++;
}

/* A C0 control character; false if c is not one we act on. */
static bool vt_control(char c)
{
	switch (c) {
	case '\r':
		vt.pen.x = 0;
		return true;
	case '\n':
	case '\v':
	case '\f':
		vt.pen.x = MIN(vt.pen.x, vt.cols - 1);
		vt_index();
		return true;
	case '\b':
		vt.pen.x = MIN(vt.pen.x, vt.cols - 1);
		if (vt.pen.x > 0)
			vt.pen.x--;
		return true;
	case '\t':
		vt.pen.x = MIN((vt.pen.x + 8) & ~7, vt.cols - 1);
		return true;
	case '\a':
		return true;
	}
	return false;
}

/* ---- escape sequences -------------------------------------------------- */

/* Parameter i, or def if it is missing or 0. */
static int vt_param(int i, int def)
{
	return i < vt.nparams && vt.params[i] > 0 ? vt.params[i] : def;
}

/* ED and EL: mode 0 from the cursor on, 1 up to it, 2 all. */
static void vt_erase_line(int mode)
{
	int x = MIN(vt.pen.x, vt.cols - 1);
	int from = mode == 0 ? x : 0;
	int to = mode == 1 ? x + 1 : vt.cols;

	vt_fill(vt.pen.y, from, to, vt_blank());
}

static void vt_erase_display(int mode)
{
	int from = 0, to = vt.rows;

	if (mode == 0) {
		vt_erase_line(0);
		from = vt.pen.y + 1;
	} else if (mode == 1) {
		vt_erase_line(1);
		to = vt.pen.y;
	}
	for (int y = from; y < to; y++)
		vt_fill(y, 0, vt.cols, vt_blank());
}

/* DL (n > 0) and IL (n < 0): lines at the cursor, inside the scroll
 * region only. */
static void vt_delete_lines(int n)
{
	if (vt.pen.y < vt.top || vt.pen.y > vt.bottom)
		return;
	vt_scroll(vt.pen.y, vt.bottom, n, vt_blank());
	vt.pen.x = 0;
}

/* ICH (n > 0) and DCH (n < 0): characters at the cursor, in its row. */
static void vt_shift_chars(int n)
{
	int x = MIN(vt.pen.x, vt.cols - 1), y = vt.pen.y;
	uint16_t *row = vt.grid[y];
	int k = MIN(n < 0 ? -n : n, vt.cols - x);

	if (n > 0) {
		memmove(&row[x + k], &row[x], (vt.cols - x - k) * sizeof(*row));
		for (int i = x; i < x + k; i++)
			row[i] = vt_blank();
	} else {
		memmove(&row[x], &row[x + k], (vt.cols - x - k) * sizeof(*row));
		for (int i = vt.cols - k; i < vt.cols; i++)
			row[i] = vt_blank();
	}
	for (int i = x; i < vt.cols; i++)
		vt_put(i, y, row[i]);
}

static void vt_sgr_one(int p)
{
	if (p == 0)
		vt.pen.fg = 7, vt.pen.bg = 0, vt.pen.bold = vt.pen.reverse = false;
	else if (p == 1)
		vt.pen.bold = true;
	else if (p == 22)
		vt.pen.bold = false;
	else if (p == 7)
		vt.pen.reverse = true;
	else if (p == 27)
		vt.pen.reverse = false;
	else if (p >= 30 && p <= 37)
		vt.pen.fg = ansi_to_vga[p - 30];
	else if (p == 39)
		vt.pen.fg = 7;
	else if (p >= 40 && p <= 47)
		vt.pen.bg = ansi_to_vga[p - 40];
	else if (p == 49)
		vt.pen.bg = 0;
	else if (p >= 90 && p <= 97)
		vt.pen.fg = ansi_to_vga[p - 90] | 8;
	else if (p >= 100 && p <= 107)
		vt.pen.bg = ansi_to_vga[p - 100] | 8;
}

static void vt_sgr(void)
{
	if (vt.nparams == 0)
		vt_sgr_one(0);
	for (int i = 0; i < vt.nparams; i++) {
		int p = vt.params[i];

		if (p == 38 || p == 48) { /* 256 or RGB colours: skip them */
			i += i + 1 < vt.nparams && vt.params[i + 1] == 2 ? 4 : 2;
			continue;
		}
		vt_sgr_one(p);
	}
}

static void vt_margins(void)
{
	int top = vt_param(0, 1) - 1, bottom = vt_param(1, vt.rows) - 1;

	if (top >= bottom || bottom >= vt.rows)
		return;
	vt.top = top;
	vt.bottom = bottom;
	vt_goto(0, 0);
}

/* CSI ? n h / l: DEC private modes; only the cursor's visibility (25). */
static void vt_private(char final)
{
	for (int i = 0; i < vt.nparams; i++)
		if (vt.params[i] == 25 && (final == 'h' || final == 'l'))
			vt.cursor_on = final == 'h';
}

static void vt_csi(char final)
{
	int n = vt_param(0, 1);
	int x = MIN(vt.pen.x, vt.cols - 1);

	if (vt.private_mode) {
		vt_private(final);
		return;
	}
	switch (final) {
	case 'A':
		vt_move_rows(-n);
		break;
	case 'B':
		vt_move_rows(n);
		break;
	case 'C':
		vt_goto(x + n, vt.pen.y);
		break;
	case 'D':
		vt_goto(x - n, vt.pen.y);
		break;
	case 'E':
	case 'F':
		vt_move_rows(final == 'E' ? n : -n);
		vt.pen.x = 0;
		break;
	case 'G':
	case '`':
		vt_goto(n - 1, vt.pen.y);
		break;
	case 'd':
		vt_goto(x, n - 1);
		break;
	case 'H':
	case 'f':
		vt_goto(vt_param(1, 1) - 1, n - 1);
		break;
	case 'J':
		vt_erase_display(vt_param(0, 0));
		break;
	case 'K':
		vt_erase_line(vt_param(0, 0));
		break;
	case 'L':
		vt_delete_lines(-n);
		break;
	case 'M':
		vt_delete_lines(n);
		break;
	case '@':
		vt_shift_chars(n);
		break;
	case 'P':
		vt_shift_chars(-n);
		break;
	case 'X':
		vt_fill(vt.pen.y, x, MIN(x + n, vt.cols), vt_blank());
		break;
	case 'm':
		vt_sgr();
		break;
	case 'r':
		vt_margins();
		break;
	case 's':
		vt_save();
		break;
	case 'u':
		vt_restore();
		break;
	}
}

/* The byte after ESC. */
static void vt_escape(char c)
{
	vt.state = VT_PLAIN;
	switch (c) {
	case '[':
		vt.state = VT_CSI;
		vt.nparams = 0;
		vt.params[0] = 0;
		vt.private_mode = vt.ignore = false;
		break;
	case '7':
		vt_save();
		break;
	case '8':
		vt_restore();
		break;
	case 'D':
		vt_index();
		break;
	case 'M':
		vt_reverse_index();
		break;
	case 'E':
		vt.pen.x = 0;
		vt_index();
		break;
	case 'c':
		vt_reset();
		break;
	}
}

/* A byte inside CSI: parameters, intermediates, or the final byte. */
static void vt_csi_byte(char c)
{
	if (c >= '0' && c <= '9') {
		if (vt.nparams == 0)
			vt.nparams = 1;
		int *p = &vt.params[vt.nparams - 1];
		*p = MIN(*p * 10 + (c - '0'), 9999);
	} else if (c == ';') {
		if (vt.nparams == 0)
			vt.nparams = 1;
		if (vt.nparams < VT_PARAMS)
			vt.params[vt.nparams++] = 0;
	} else if (c == '?' && vt.nparams == 0) {
		vt.private_mode = true;
	} else if (c >= 0x40 && c <= 0x7e) { /* the final byte */
		vt.state = VT_PLAIN;
		if (!vt.ignore)
			vt_csi(c);
	} else {
		vt.ignore = true; /* intermediates, '<' '=' '>' ':' */
	}
}

static void vt_feed(char c)
{
	if (c == '\x1b') {
		vt.state = VT_ESCAPE;
		return;
	}
	if (vt_control(c))
		return;
	switch (vt.state) {
	case VT_PLAIN:
		if ((uint8_t)c >= ' ' && c != 0x7f)
			vt_print(c);
		break;
	case VT_ESCAPE:
		vt_escape(c);
		break;
	case VT_CSI:
		vt_csi_byte(c);
		break;
	}
}

void vt_putc(char c)
{
	uint64_t flags = irq_save();

	vt_feed(c);
	vt_draw_cursor();
	irq_restore(flags);
}

void vt_set_attr(uint8_t attr)
{
	vt.pen.fg = attr & 0xf;
	vt.pen.bg = attr >> 4;
	vt.pen.bold = vt.pen.reverse = false;
}

/* ---- screens ----------------------------------------------------------- */

void vt_init(void)
{
	for (int y = 0; y < SCREEN_MAX_ROWS; y++)
		for (int x = 0; x < SCREEN_MAX_COLS; x++)
			vt.grid[y][x] = VT_BLANK;
}

void screen_set(const struct screen *s)
{
	uint64_t flags = irq_save();

	vt.screen = s;
	vt.cols = MIN(s->cols, SCREEN_MAX_COLS);
	vt.rows = MIN(s->rows, SCREEN_MAX_ROWS);
	vt.top = 0;
	vt.bottom = vt.rows - 1;
	vt_goto(vt.pen.x, vt.pen.y);
	vt_draw_rows(0, vt.rows);
	vt_draw_cursor();
	irq_restore(flags);
	tty_set_screen_size(vt.cols, vt.rows);
}

const struct screen *screen_get(void)
{
	return vt.screen;
}

void vt_hide(bool hidden)
{
	uint64_t flags = irq_save();

	vt.hidden = hidden;
	vt_draw_rows(0, vt.rows);
	vt_draw_cursor();
	irq_restore(flags);
}

uint16_t vt_cell(int x, int y)
{
	return vt.grid[y][x];
}

void vt_view(struct vt_view *v)
{
	*v = (struct vt_view){
		.cols = vt.cols,
		.rows = vt.rows,
		.x = MIN(vt.pen.x, vt.cols - 1),
		.y = vt.pen.y,
		.cursor_on = vt.cursor_on,
		.attr = vt_attr(),
	};
}
