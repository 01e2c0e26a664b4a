/*
 * x,y mode: a program takes the screen as a grid of cells (SYS_os_console_xy;
 * the call is described in uapi/os/console.h).
 *
 * The owner draws into `xy.cells`; nothing shows until it flushes a
 * rectangle.  A flush compares the rectangle with `xy.shown` (what the
 * screen shows now) and, for each cell that differs, puts it on the screen
 * (screen.h) and sends it to serial as ANSI escapes: the cursor position
 * when the cell does not follow the previous one, SGR when the colours
 * change, then the character.  A serial terminal thus shows the same
 * picture, for a few bytes per changed cell.
 *
 * Meanwhile the terminal emulator (vt.c) is hidden: its grid goes on
 * following the console's output, kprintf's included, but draws nothing.
 * So the kernel's messages while a program owns the screen go to serial at
 * once (that is the grading log, and it is never held back) and appear on
 * the screen when the terminal comes back.  Giving the screen back, which
 * proc_finish does for an owner that exits or crashes (console_xy_exit),
 * redraws the terminal's grid and cursor and repaints it on serial.
 *
 * One owner, a process (any of its threads may draw), at a time: a second
 * taker gets EBUSY.
 */
#include "drivers/xy.h"
#include "drivers/screen.h"
#include "drivers/serial.h"
#include "drivers/vt.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include <errno.h>
#include <uapi/os/console.h>

#define XY_CHUNK 64 /* cells copied from the caller at once */

_Static_assert(OS_CONSOLE_MAX_COLS == SCREEN_MAX_COLS && OS_CONSOLE_MAX_ROWS == SCREEN_MAX_ROWS,
	       "<os/console.h> promises programs the grid of screen.h");

static struct {
	int owner; /* its pid; 0: the terminal has the screen */
	int cols, rows;
	uint16_t cells[SCREEN_MAX_ROWS][SCREEN_MAX_COLS]; /* what the owner drew */
	uint16_t shown[SCREEN_MAX_ROWS][SCREEN_MAX_COLS]; /* what the screen shows */
	int cursor_x, cursor_y;
	bool cursor_on;
} xy;

/* ---- ANSI escapes on serial --------------------------------------------- */

static void xy_serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

/* SGR for a VGA attribute: ANSI numbers colours with red in bit 0, VGA
 * with blue; bit 3 is brightness (the 90 and 100 ranges). */
static void xy_serial_sgr(uint8_t attr)
{
	static const uint8_t vga_to_ansi[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };
	uint8_t fg = attr & 0xf, bg = attr >> 4;
	char buf[24];

	ksnprintf(buf, sizeof(buf), "\x1b[0;%d;%dm", (fg & 8 ? 90 : 30) + vga_to_ansi[fg & 7],
		  (bg & 8 ? 100 : 40) + vga_to_ansi[bg & 7]);
	xy_serial_puts(buf);
}

/* CUP: the cursor to column x, row y (0-based). */
static void xy_serial_goto(int x, int y)
{
	char buf[16];

	ksnprintf(buf, sizeof(buf), "\x1b[%d;%dH", y + 1, x + 1);
	xy_serial_puts(buf);
}

/* A cell's character: printable ASCII as it is, the rest of code page 437
 * (and controls) as '?'. */
static void xy_serial_cell(uint16_t cell)
{
	char c = cell & 0xff;

	serial_putc(c >= ' ' && c < 0x7f ? c : '?');
}

static void xy_serial_cursor(int x, int y, bool visible)
{
	xy_serial_goto(x, y);
	xy_serial_puts(visible ? "\x1b[?25h" : "\x1b[?25l");
}

/* The terminal's grid on serial (clear, each row's text with its colours,
 * rows apart by "\r\n" so that a log shows them as lines, the cursor),
 * after x,y mode drew over it. */
static void xy_repaint_terminal(void)
{
	uint64_t flags = irq_save();
	struct vt_view v;
	int attr = -1;

	vt_view(&v);
	xy_serial_puts("\x1b[0m\x1b[H\x1b[2J");
	for (int y = 0; y < v.rows; y++) {
		int len = v.cols;

		while (len > 0 && vt_cell(len - 1, y) == VT_BLANK)
			len--;
		if (y > 0)
			xy_serial_puts("\r\n");
		for (int x = 0; x < len; x++) {
			uint16_t cell = vt_cell(x, y);

			if (cell >> 8 != attr)
				xy_serial_sgr(attr = cell >> 8);
			xy_serial_cell(cell);
		}
	}
	xy_serial_sgr(v.attr);
	xy_serial_cursor(v.x, v.y, v.cursor_on);
	irq_restore(flags);
}

/* ---- the calls ------------------------------------------------------------ */

static int xy_info(uptr_t arg)
{
	const struct screen *s = screen_get();
	struct os_console_info info = {
		.cols = s ? MIN(s->cols, SCREEN_MAX_COLS) : 0,
		.rows = s ? MIN(s->rows, SCREEN_MAX_ROWS) : 0,
		.owner = xy.owner,
	};

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int xy_take(int pid)
{
	const struct screen *s = screen_get();
	uint64_t flags = irq_save();

	if (xy.owner || !s) {
		irq_restore(flags);
		return -EBUSY;
	}
	xy.owner = pid;
	irq_restore(flags);
	xy.cols = MIN(s->cols, SCREEN_MAX_COLS);
	xy.rows = MIN(s->rows, SCREEN_MAX_ROWS);
	xy.cursor_x = xy.cursor_y = 0;
	xy.cursor_on = false;
	vt_hide(true);
	for (int y = 0; y < xy.rows; y++)
		for (int x = 0; x < xy.cols; x++) {
			xy.cells[y][x] = xy.shown[y][x] = VT_BLANK;
			s->put(x, y, VT_BLANK);
		}
	s->cursor(0, 0, false);
	xy_serial_puts("\x1b[0m\x1b[H\x1b[2J\x1b[?25l");
	return 0;
}

static void xy_release(void)
{
	xy.owner = 0;
	vt_hide(false);
	xy_repaint_terminal();
}

static int xy_put(uptr_t arg, size_t count)
{
	struct os_cell chunk[XY_CHUNK];

	for (size_t done = 0; done < count;) {
		size_t n = MIN(count - done, XY_CHUNK);

		if (copy_from_user(chunk, arg + done * sizeof(chunk[0]), n * sizeof(chunk[0])))
			return -EFAULT;
		for (size_t i = 0; i < n; i++) {
			if (chunk[i].x >= xy.cols || chunk[i].y >= xy.rows)
				return -EINVAL;
			xy.cells[chunk[i].y][chunk[i].x] = chunk[i].cell;
		}
		done += n;
	}
	return 0;
}

static int xy_cursor(uint64_t x, uint64_t y, uint64_t visible)
{
	if (x >= (uint64_t)xy.cols || y >= (uint64_t)xy.rows)
		return -EINVAL;
	xy.cursor_x = x;
	xy.cursor_y = y;
	xy.cursor_on = visible != 0;
	return 0;
}

static void xy_clear(uint16_t cell)
{
	for (int y = 0; y < xy.rows; y++)
		for (int x = 0; x < xy.cols; x++)
			xy.cells[y][x] = cell;
}

/* Show the changed cells of the rectangle on the screen and on serial. */
static void xy_show(const struct os_console_rect *r)
{
	const struct screen *s = screen_get();
	int serial_x = -1, serial_y = -1, attr = -1; /* unknown after kprintf */

	for (int y = r->y; y < r->y + r->h; y++)
		for (int x = r->x; x < r->x + r->w; x++) {
			uint16_t cell = xy.cells[y][x];

			if (cell == xy.shown[y][x])
				continue;
			xy.shown[y][x] = cell;
			s->put(x, y, cell);
			if (x != serial_x || y != serial_y)
				xy_serial_goto(x, y);
			if (cell >> 8 != attr)
				xy_serial_sgr(attr = cell >> 8);
			xy_serial_cell(cell);
			serial_x = x + 1 < xy.cols ? x + 1 : -1; /* no pending wrap */
			serial_y = y;
		}
	s->cursor(xy.cursor_x, xy.cursor_y, xy.cursor_on);
	xy_serial_cursor(xy.cursor_x, xy.cursor_y, xy.cursor_on);
}

static int xy_flush(uptr_t arg)
{
	struct os_console_rect r = { 0, 0, xy.cols, xy.rows };

	if (arg && copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.x + r.w > xy.cols || r.y + r.h > xy.rows)
		return -EINVAL;
	xy_show(&r);
	return 0;
}

int64_t sys_os_console_xy(int op, uint64_t a, uint64_t b, uint64_t c)
{
	int pid = proc_current()->pid;

	if (op == OS_CONSOLE_INFO)
		return xy_info(a);
	if (op == OS_CONSOLE_TAKE)
		return xy_take(pid);
	if (op < OS_CONSOLE_INFO || op > OS_CONSOLE_FLUSH)
		return -EINVAL;
	if (xy.owner != pid)
		return -EPERM;
	switch (op) {
	case OS_CONSOLE_RELEASE:
		xy_release();
		return 0;
	case OS_CONSOLE_PUT:
		return xy_put(a, b);
	case OS_CONSOLE_CURSOR:
		return xy_cursor(a, b, c);
	case OS_CONSOLE_CLEAR:
		xy_clear(a);
		return 0;
	default:
		return xy_flush(a);
	}
}

void console_xy_exit(int pid)
{
	if (xy.owner && xy.owner == pid)
		xy_release();
}
