/*
 * VGA text mode, a screen for the terminal emulator (screen.h, vt.c):
 * 80x25 cells of (character, attribute) at physical 0xb8000, reached
 * through the direct map.  The hardware cursor is moved through the CRT
 * controller's index/data ports 0x3d4/0x3d5: registers 0x0e/0x0f hold the
 * cursor's cell offset, and bit 5 of register 0x0a (cursor start) turns
 * the cursor off.
 */
#include "drivers/vga.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "drivers/screen.h"
#include "lib/string.h"

#define VGA_PHYS 0xb8000

#define CRTC_INDEX        0x3d4
#define CRTC_DATA         0x3d5
#define CRTC_CURSOR_START 0x0a
#define CRTC_CURSOR_HIGH  0x0e
#define CRTC_CURSOR_LOW   0x0f
#define CURSOR_OFF        0x20
#define CURSOR_SCANLINES  0x0e /* start scan line of the usual underline cursor */

static volatile uint16_t *vga_mem;
static int vga_cursor_on = -1; /* what register 0x0a says; -1: not set yet */

static void vga_crtc(uint8_t reg, uint8_t value)
{
	outb(CRTC_INDEX, reg);
	outb(CRTC_DATA, value);
}

static void vga_put(int x, int y, uint16_t cell)
{
	vga_mem[y * VGA_COLS + x] = cell;
}

static void vga_cursor(int x, int y, bool visible)
{
	uint16_t pos = y * VGA_COLS + x;

	if (vga_cursor_on != visible) { /* rarely: spare the port writes */
		vga_crtc(CRTC_CURSOR_START, visible ? CURSOR_SCANLINES : CURSOR_OFF);
		vga_cursor_on = visible;
	}
	vga_crtc(CRTC_CURSOR_LOW, pos & 0xff);
	vga_crtc(CRTC_CURSOR_HIGH, pos >> 8);
}

static void vga_scroll_up(int top, int bottom, int n, uint16_t blank)
{
	memmove((void *)(vga_mem + top * VGA_COLS), (void *)(vga_mem + (top + n) * VGA_COLS),
		(bottom - top - n) * VGA_COLS * sizeof(uint16_t));
	for (int i = (bottom - n) * VGA_COLS; i < bottom * VGA_COLS; i++)
		vga_mem[i] = blank;
}

static const struct screen vga_screen = {
	.name = "vga",
	.cols = VGA_COLS,
	.rows = VGA_ROWS,
	.put = vga_put,
	.cursor = vga_cursor,
	.scroll_up = vga_scroll_up,
};

const struct screen *vga_init(void)
{
	vga_mem = phys_to_virt(VGA_PHYS);
	return &vga_screen;
}
