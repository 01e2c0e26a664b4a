/*
 * TEMPORARY stand-in for the memory engineer's frame allocator (stage
 * paging), with the same interface, so that the tss/interrupts branch can be
 * developed and tested alone.  Dropped when the real mm/frame.{c,h} merge.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include <types.h>

/* A zeroed 4 KiB frame: its physical address, or 0 if none is left. */
uint64_t frame_alloc(void);
void frame_free(uint64_t pa);

#endif
