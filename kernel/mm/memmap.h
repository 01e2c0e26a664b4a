/*
 * A picture of physical memory for people: which owner (kernel image, page
 * tables, heap, modules, free, reserved, ...) holds each part of RAM, drawn
 * from the frame allocator's table.  Shown at boot with the `mem` command
 * line option and by the monitor's `mem` command.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

/* One screen: a map with one character per cell of frames (coloured on the
 * VGA screen, plain letters on serial), a legend with each owner's total. */
void memmap_show(void);
/* Every run of frames with the same owner, one line each. */
void memmap_print_regions(void);

#endif
