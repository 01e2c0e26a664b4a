/*
 * The physical frame allocator: hands out and takes back 4 KiB frames of
 * RAM, found in the multiboot2 memory map.  See frame.c for the design.
 *
 * Every function may be called with interrupts on or off, from any context
 * (it disables interrupts while it works).  Frames are named by their
 * physical address; reach their contents through phys_to_virt().
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include <types.h>

/*
 * Who owns a frame.  The allocator keeps one of these per frame: it is how
 * it knows a frame is free, refuses to free what it never handed out, and
 * draws the memory map (memmap.c).  Frames handed out by frame_alloc start
 * as FRAME_USED; their new owner may retag them with frame_set_owner().
 */
enum frame_owner {
	FRAME_RESERVED,  /* not RAM, firmware's, or the low 1 MiB */
	FRAME_FREE,      /* available to frame_alloc */
	FRAME_KERNEL,    /* the kernel image (_kernel_phys_start.._end) */
	FRAME_MODULE,    /* a GRUB module */
	FRAME_BOOTINFO,  /* the multiboot2 information structure */
	FRAME_FRAMEMAP,  /* this allocator's own per-frame table */
	FRAME_PAGETABLE, /* a page-table page (vm.c) */
	FRAME_HEAP,      /* a kmalloc page (heap.c) */
	FRAME_STACK,     /* a kernel stack */
	FRAME_USED,      /* allocated, owner not more specific */
	FRAME_NOWNERS
};

struct frame_stats {
	uint64_t total; /* frames the allocator manages (free + used) */
	uint64_t free;
	uint64_t used;
};

/* Read boot_info's memory map and build the frame table; prints nothing.
 * Excludes the low 1 MiB, the kernel image, the multiboot information, the
 * GRUB modules and every region the map does not call available. */
void frame_init(void);

/* The physical address of a zeroed 4 KiB frame, or 0 if none is left. */
uint64_t frame_alloc(void);
/* The same, not zeroed (it holds what its last owner left): for a caller
 * that overwrites all of it at once, such as a copy-on-write copy. */
uint64_t frame_alloc_uninit(void);
/* Give back a frame from frame_alloc (or one frame of a contiguous run).
 * Panics if the frame is free or was never allocatable: a kernel bug. */
void frame_free(uint64_t pa);

/* User pages shared by address spaces (fork): frame_ref adds a reference
 * to an allocated frame (frame_alloc gives the first), frame_unref drops
 * one and frees the frame with the last.  frame_refs: how many it has. */
void frame_ref(uint64_t pa);
void frame_unref(uint64_t pa);
unsigned frame_refs(uint64_t pa);

/* nframes physically contiguous, zeroed frames whose first frame is aligned
 * to align bytes (a power of two, at least PAGE_SIZE), e.g. (512,
 * HUGE_PAGE_SIZE) for a 2 MiB page.  0 if there is no such run. */
uint64_t frame_alloc_contig(size_t nframes, uint64_t align);
void frame_free_contig(uint64_t pa, size_t nframes);

void frame_get_stats(struct frame_stats *s);
/* Print "frames: N total, N free, N used (N KiB free)". */
void frame_print_stats(void);

/* Retag nframes allocated frames from pa on (e.g. FRAME_PAGETABLE), so that
 * the memory map can say who uses them.  Panics if one is not allocated. */
void frame_set_owner(uint64_t pa, size_t nframes, enum frame_owner owner);
/* The owner of the frame holding physical address pa (FRAME_RESERVED beyond
 * the end of RAM). */
enum frame_owner frame_owner(uint64_t pa);
/* How many frames owner holds (FRAME_FREE: the free count). */
uint64_t frame_count(enum frame_owner owner);
/* Number of frames the table covers: physical 0 .. frame_span() * PAGE_SIZE. */
uint64_t frame_span(void);
/* A short name for an owner ("kernel image", "page tables", ...). */
const char *frame_owner_name(enum frame_owner owner);

/* Let frame_alloc hand out frames below physical address pa.  frame_alloc
 * zeroes a frame through the direct map, so at first only frames the boot
 * page tables map (the first 1 GiB) are handed out; vm_init raises the limit
 * once its direct map covers all of RAM. */
void frame_set_mapped_limit(uint64_t pa);

#endif
