/*
 * The memory map picture.  The frames 0 .. frame_span() are cut into at
 * most MAP_ROWS x MAP_COLS cells of 2^k frames each.  A cell holding frames
 * of several owners shows the first of them in `priority`: small, important
 * regions (the kernel, modules, boot information) stay visible however big
 * the cells, and a cell shows "free" or "reserved" only if nothing in it is
 * in use.  The legend gives the exact totals; `mem regions` the exact runs.
 * Each owner has a letter (for serial) and a colour (for the VGA screen):
 * the letter goes through the console like any text, with the VGA colour
 * switched around it.
 */
#include "mm/memmap.h"
#include "arch/x86_64/memlayout.h"
#include "drivers/console.h"
#include "drivers/vga.h"
#include "drivers/vt.h"
#include "lib/kprintf.h"
#include "mm/frame.h"

#define MAP_ROWS     16
#define MAP_COLS     64
#define ATTR(fg, bg) ((fg) | ((bg) << 4))
#define DEFAULT_ATTR ATTR(VGA_LIGHT_GREY, VGA_BLACK)

static const struct {
	char letter;
	uint8_t attr;
} looks[FRAME_NOWNERS] = {
	[FRAME_RESERVED] = { '#', ATTR(VGA_DARK_GREY, VGA_BLACK) },
	[FRAME_FREE] = { '.', ATTR(VGA_GREEN, VGA_BLACK) },
	[FRAME_KERNEL] = { 'K', ATTR(VGA_WHITE, VGA_BLUE) },
	[FRAME_MODULE] = { 'M', ATTR(VGA_WHITE, VGA_MAGENTA) },
	[FRAME_BOOTINFO] = { 'B', ATTR(VGA_WHITE, VGA_RED) },
	[FRAME_FRAMEMAP] = { 'F', ATTR(VGA_BLACK, VGA_LIGHT_GREY) },
	[FRAME_PAGETABLE] = { 'P', ATTR(VGA_BLACK, VGA_CYAN) },
	[FRAME_HEAP] = { 'H', ATTR(VGA_BLACK, VGA_BROWN) },
	[FRAME_STACK] = { 'S', ATTR(VGA_BLACK, VGA_GREEN) },
	[FRAME_USED] = { 'U', ATTR(VGA_BLACK, VGA_LIGHT_RED) },
};

static void put_owner(enum frame_owner o)
{
	vt_set_attr(looks[o].attr);
	console_putc(looks[o].letter);
	vt_set_attr(DEFAULT_ATTR);
}

/* Which owner a cell shows when it holds frames of several: the rare,
 * important ones first, free and reserved last. */
static const enum frame_owner priority[FRAME_NOWNERS] = {
	FRAME_KERNEL,    FRAME_MODULE, FRAME_BOOTINFO, FRAME_FRAMEMAP, FRAME_STACK,
	FRAME_PAGETABLE, FRAME_HEAP,   FRAME_USED,     FRAME_FREE,     FRAME_RESERVED,
};

/* The owner a cell of n frames from frame `first` shows. */
static enum frame_owner cell_owner(uint64_t first, uint64_t n)
{
	bool present[FRAME_NOWNERS] = { false };

	for (uint64_t i = first; i < first + n && i < frame_span(); i++)
		present[frame_owner(i * PAGE_SIZE)] = true;
	for (int i = 0; i < FRAME_NOWNERS; i++)
		if (present[priority[i]])
			return priority[i];
	return FRAME_RESERVED;
}

void memmap_show(void)
{
	uint64_t span = frame_span();
	uint64_t per_cell = 1;
	int shown = 0;

	while (per_cell * MAP_ROWS * MAP_COLS < span)
		per_cell *= 2;
	kprintf("memmap: physical memory 0-0x%lx, one cell = %lu frames (%lu KiB)\n",
		span * PAGE_SIZE, per_cell, per_cell * PAGE_SIZE / 1024);
	for (uint64_t row = 0; row * MAP_COLS * per_cell < span; row++) {
		uint64_t first = row * MAP_COLS * per_cell;

		kprintf("0x%09lx ", first * PAGE_SIZE);
		for (uint64_t col = 0; col < MAP_COLS && first + col * per_cell < span; col++)
			put_owner(cell_owner(first + col * per_cell, per_cell));
		kprintf("\n");
	}
	for (int o = 0; o < FRAME_NOWNERS; o++) {
		/* Three entries of 25 characters and two gaps fit in 80 columns. */
		if (shown % 3)
			kprintf("  ");
		put_owner(o);
		kprintf(" %-12s%7lu KiB", frame_owner_name(o), frame_count(o) * PAGE_SIZE / 1024);
		if (++shown % 3 == 0)
			kprintf("\n");
	}
	if (shown % 3)
		kprintf("\n");
}

void memmap_print_regions(void)
{
	uint64_t span = frame_span();
	uint64_t start = 0;

	for (uint64_t i = 1; i <= span; i++) {
		enum frame_owner o = frame_owner(start * PAGE_SIZE);

		if (i < span && frame_owner(i * PAGE_SIZE) == o)
			continue;
		kprintf("memmap: 0x%09lx-0x%09lx %9lu KiB %s\n", start * PAGE_SIZE,
			i * PAGE_SIZE - 1, (i - start) * PAGE_SIZE / 1024, frame_owner_name(o));
		start = i;
	}
}
