/*
 * VGA text mode: 80x25 cells of (character, attribute) at physical 0xb8000,
 * reached through the direct map.  The hardware cursor is moved through the
 * CRT controller's index/data ports 0x3d4/0x3d5 (registers 0x0e and 0x0f).
 */
#include "drivers/vga.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"

#define VGA_PHYS 0xb8000

static volatile uint16_t *screen;
static int cur_x, cur_y;
static uint8_t color = VGA_LIGHT_GREY | (VGA_BLACK << 4);

static void move_cursor(void)
{
	uint16_t pos = cur_y * VGA_COLS + cur_x;

	outb(0x3d4, 0x0f);
	outb(0x3d5, pos & 0xff);
	outb(0x3d4, 0x0e);
	outb(0x3d5, pos >> 8);
}

void vga_clear(void)
{
	for (int i = 0; i < VGA_COLS * VGA_ROWS; i++)
		screen[i] = ' ' | (color << 8);
	cur_x = cur_y = 0;
	move_cursor();
}

void vga_init(void)
{
	screen = phys_to_virt(VGA_PHYS);
	vga_clear();
}

void vga_set_color(uint8_t attr)
{
	color = attr;
}

static void scroll(void)
{
	memmove((void *)screen, (void *)(screen + VGA_COLS),
		(VGA_ROWS - 1) * VGA_COLS * sizeof(uint16_t));
	for (int x = 0; x < VGA_COLS; x++)
		screen[(VGA_ROWS - 1) * VGA_COLS + x] = ' ' | (color << 8);
	cur_y = VGA_ROWS - 1;
}

void vga_putc(char c)
{
	if (!screen)
		return;
	switch (c) {
	case '\n':
		cur_x = 0;
		cur_y++;
		break;
	case '\r':
		cur_x = 0;
		break;
	case '\b':
		if (cur_x > 0)
			cur_x--;
		break;
	case '\t':
		cur_x = (cur_x + 8) & ~7;
		break;
	default:
		screen[cur_y * VGA_COLS + cur_x] = (uint8_t)c | (color << 8);
		cur_x++;
	}
	if (cur_x >= VGA_COLS) {
		cur_x = 0;
		cur_y++;
	}
	if (cur_y >= VGA_ROWS)
		scroll();
	move_cursor();
}
