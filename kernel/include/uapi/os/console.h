/*
 * uapi/os/console.h -- the console's x,y mode (SYS_os_console_xy), shared
 * by the kernel and the C library (installed as <os/console.h>).
 *
 * A program takes the screen as a grid of cells, draws cells at x,y,
 * moves or hides the cursor, and flushes: the kernel shows what changed on
 * the screen and sends it to serial as ANSI escapes (cursor position,
 * colours, characters: only the cells that differ from what the last flush
 * showed).  Releasing the screen, exiting or crashing gives the terminal
 * back as it was: its grid, cursor and colours.  One owner at a time.
 * Meanwhile the terminal still takes output (the owner's own writes to
 * stdout, the kernel's messages): it goes to serial at once and into the
 * terminal's grid, which the screen shows again on release.
 *
 * A cell is a code page 437 character and a VGA attribute, the
 * foreground colour in the low nibble and the background in the high one:
 *
 *     cell = ch | (fg | bg << 4) << 8
 *
 * One call, multiplexed by op:  syscall(SYS_os_console_xy, op, a, b, c)
 *
 *   OS_CONSOLE_INFO    a = struct os_console_info *   -> 0 (anyone may ask)
 *   OS_CONSOLE_TAKE                                    -> 0; EBUSY if owned
 *   OS_CONSOLE_RELEASE                                 -> 0
 *   OS_CONSOLE_PUT     a = const struct os_cell *, b = count -> 0
 *   OS_CONSOLE_CURSOR  a = x, b = y, c = visible       -> 0
 *   OS_CONSOLE_CLEAR   a = cell (every cell takes it)  -> 0
 *   OS_CONSOLE_FLUSH   a = const struct os_console_rect *, or 0 for all
 *
 * Errors: EPERM (the caller does not own the screen), EINVAL (unknown op,
 * a cell or the cursor outside the grid: the cells before it are put, a
 * rectangle not inside it), EFAULT (a bad pointer).
 */
#ifndef UAPI_OS_CONSOLE_H
#define UAPI_OS_CONSOLE_H

#define OS_CONSOLE_INFO    0
#define OS_CONSOLE_TAKE    1
#define OS_CONSOLE_RELEASE 2
#define OS_CONSOLE_PUT     3
#define OS_CONSOLE_CURSOR  4
#define OS_CONSOLE_CLEAR   5
#define OS_CONSOLE_FLUSH   6

/* Cells of at most these sizes (larger screens are cut). */
#define OS_CONSOLE_MAX_COLS 160
#define OS_CONSOLE_MAX_ROWS 64

struct os_console_info {
	unsigned short cols, rows;
	int owner; /* pid of the program in x,y mode, 0 if none */
};

struct os_cell {
	unsigned short x, y;
	unsigned short cell;
};

struct os_console_rect {
	unsigned short x, y, w, h;
};

/* Cells, by colour (the VGA palette). */
#define OS_CELL(ch, fg, bg) ((unsigned short)((unsigned char)(ch) | ((fg) | (bg) << 4) << 8))

#endif /* UAPI_OS_CONSOLE_H */
