/*
 * The physical frame allocator.
 *
 * Physical memory is cut into 4 KiB frames; frame i covers physical
 * addresses [i * PAGE_SIZE, (i + 1) * PAGE_SIZE).  The allocator keeps one
 * byte per frame, from frame 0 up to the end of the highest available region
 * of the multiboot2 memory map (boot_info.mem_top):
 *
 *     owners[i] = the enum frame_owner of frame i
 *
 * FRAME_FREE means "frame_alloc may hand it out"; every other value says who
 * holds it.  One byte per frame is 0.024% of memory (1 MiB for 4 GiB), and
 * the same table answers "is this frame free?" (frame_alloc), "was it ever
 * handed out?" (frame_free's sanity checks) and "who owns it?" (the memory
 * map in memmap.c).  counts[o] is the number of frames owner o holds.
 *
 * A second table, refs[i] (32 bits a frame), counts the references to a
 * frame that user address spaces share: a frame from frame_alloc has one;
 * fork(2) shares a user page between parent and child (frame_ref), a shared
 * mapping holds one per address space plus its object's, and each side that
 * lets go of it calls frame_unref, which frees the frame with its last
 * reference.  Every reference is a page-table entry or an object's slot, so
 * 2^32 of them would need 32 GiB of page tables: the count cannot overflow,
 * however many processes share a page (a byte did: 255 forks of one page).
 *
 * frame_init marks every frame FRAME_RESERVED, then the frames lying wholly
 * inside available regions FRAME_FREE, then takes back what must never be
 * handed out: the low 1 MiB (BIOS data, the VGA window, and 0 is our "no
 * frame" value), the kernel image, the multiboot information and the GRUB
 * modules.  The table itself lives in the first free stretch of RAM big
 * enough for it and is marked FRAME_FRAMEMAP.
 *
 * frame_alloc scans the table upwards from `hint`, the index below which no
 * frame is free: allocation takes the lowest free frame, frame_free lowers
 * the hint again, so a freed frame is the next one handed out.  A scan is
 * short in the common case and at worst one pass over the table.
 * frame_alloc_contig looks for a run of free frames starting at an aligned
 * index (2 MiB pages need 512 frames starting at a multiple of 512).
 *
 * Frames are zeroed when handed out, through the direct map.  Until vm_init
 * maps all of RAM there, only the first 1 GiB (what boot.S maps) can be
 * handed out: `limit` is the first frame index that may not.
 *
 * Callers: vm.c (page tables), heap.c (kmalloc pages), kernel stacks, later
 * processes.  Each operation runs under mm_lock (interrupts off).
 */
#include "mm/frame.h"
#include "arch/x86_64/memlayout.h"
#include "boot/multiboot.h"
#include "debug/failinject.h"
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/mmlock.h"

#define LOW_MEMORY_END    0x100000ull   /* the first 1 MiB stays reserved */
#define BOOT_MAPPED_LIMIT 0x40000000ull /* boot.S maps 1 GiB at PHYS_MAP_BASE */

extern char _kernel_phys_start[], _kernel_phys_end[];

static uint8_t *owners;                /* owners[i]: who holds frame i */
static uint32_t *refs;                 /* refs[i]: references to frame i */
static uint64_t nframes;               /* frames in the table */
static uint64_t limit;                 /* frame_alloc hands out frames < limit */
static uint64_t hint;                  /* no frame below hint is free */
static uint64_t total;                 /* frames that were free after frame_init */
static uint64_t counts[FRAME_NOWNERS]; /* frames per owner */

static const char *const owner_names[FRAME_NOWNERS] = {
	[FRAME_RESERVED] = "reserved",     [FRAME_FREE] = "free",
	[FRAME_KERNEL] = "kernel image",   [FRAME_MODULE] = "modules",
	[FRAME_BOOTINFO] = "boot info",    [FRAME_FRAMEMAP] = "frame table",
	[FRAME_PAGETABLE] = "page tables", [FRAME_HEAP] = "heap",
	[FRAME_STACK] = "stacks",          [FRAME_USED] = "other",
};

const char *frame_owner_name(enum frame_owner owner)
{
	return owner < FRAME_NOWNERS ? owner_names[owner] : "?";
}

/* Frames holding these were handed out by frame_alloc and may be freed. */
static bool owner_is_allocated(enum frame_owner owner)
{
	return owner >= FRAME_PAGETABLE && owner < FRAME_NOWNERS;
}

static void set_owner(uint64_t i, enum frame_owner owner)
{
	counts[owners[i]]--;
	counts[owner]++;
	owners[i] = owner;
}

/* ---- frame_init ---------------------------------------------------------- */

/* Tag every frame that overlaps [start, end) with owner (frame_init only). */
static void mark(uint64_t start, uint64_t end, enum frame_owner owner)
{
	uint64_t first = start / PAGE_SIZE;
	uint64_t last = MIN(ALIGN_UP(end, PAGE_SIZE) / PAGE_SIZE, nframes);

	for (uint64_t i = first; i < last; i++)
		owners[i] = owner;
}

struct range {
	uint64_t start, end;
};

/* What frame_init must not hand out: kernel image, MBI, modules. */
static int boot_ranges(struct range *r)
{
	int n = 0;

	r[n++] = (struct range){ (uint64_t)_kernel_phys_start, (uint64_t)_kernel_phys_end };
	r[n++] = (struct range){ boot_info.mbi_start, boot_info.mbi_end };
	for (int i = 0; i < boot_info.nmodules; i++)
		r[n++] = (struct range){ boot_info.modules[i].start, boot_info.modules[i].end };
	return n;
}

/*
 * The physical address of `size` bytes of available RAM above 1 MiB, inside
 * the boot-mapped first GiB, clear of the kernel, MBI and modules; 0 if none.
 */
static uint64_t find_room(uint64_t size)
{
	struct range busy[MAX_MODULES + 2];
	int nbusy = boot_ranges(busy);

	for (int i = 0; i < boot_info.nregions; i++) {
		const struct memory_region *r = &boot_info.regions[i];
		uint64_t start = MAX(ALIGN_UP(r->base, PAGE_SIZE), LOW_MEMORY_END);
		uint64_t end = MIN(ALIGN_DOWN(r->base + r->length, PAGE_SIZE), BOOT_MAPPED_LIMIT);
		bool moved = true;

		if (r->type != MEMORY_AVAILABLE)
			continue;
		while (moved && start + size <= end) {
			moved = false;
			for (int j = 0; j < nbusy; j++) {
				if (start < busy[j].end && busy[j].start < start + size) {
					start = ALIGN_UP(busy[j].end, PAGE_SIZE);
					moved = true;
				}
			}
		}
		if (start + size <= end)
			return start;
	}
	return 0;
}

void frame_init(void)
{
	struct range busy[MAX_MODULES + 2];
	int nbusy = boot_ranges(busy);
	uint64_t table_size, table_pa;

	nframes = boot_info.mem_top / PAGE_SIZE;
	/* refs[], then owners[]: the 32-bit counts stay aligned. */
	table_size = ALIGN_UP(nframes * (sizeof(*refs) + sizeof(*owners)), PAGE_SIZE);
	table_pa = find_room(table_size);
	if (!table_pa)
		panic("frame_init: no room for a %lu-byte frame table below 1 GiB", table_size);
	refs = phys_to_virt(table_pa);
	memset(refs, 0, nframes * sizeof(*refs));
	owners = (uint8_t *)(refs + nframes);
	memset(owners, FRAME_RESERVED, nframes);

	/* Available frames first; then anything another region touches (the
	 * map may overlap) and what we must keep goes back to its owner. */
	for (int i = 0; i < boot_info.nregions; i++) {
		const struct memory_region *r = &boot_info.regions[i];
		uint64_t start = ALIGN_UP(r->base, PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(r->base + r->length, PAGE_SIZE);

		if (r->type == MEMORY_AVAILABLE && start < end)
			mark(start, end, FRAME_FREE);
	}
	for (int i = 0; i < boot_info.nregions; i++) {
		const struct memory_region *r = &boot_info.regions[i];

		if (r->type != MEMORY_AVAILABLE && r->base < nframes * PAGE_SIZE)
			mark(r->base, r->base + r->length, FRAME_RESERVED);
	}
	mark(0, LOW_MEMORY_END, FRAME_RESERVED);
	/* GRUB may put the boot info in the kernel image's last page: that
	 * frame counts as the kernel's. */
	mark(busy[1].start, busy[1].end, FRAME_BOOTINFO);
	mark(busy[0].start, busy[0].end, FRAME_KERNEL);
	for (int i = 2; i < nbusy; i++)
		mark(busy[i].start, busy[i].end, FRAME_MODULE);
	mark(table_pa, table_pa + table_size, FRAME_FRAMEMAP);

	memset(counts, 0, sizeof(counts));
	for (uint64_t i = 0; i < nframes; i++)
		counts[owners[i]]++;
	total = counts[FRAME_FREE];
	limit = MIN(nframes, BOOT_MAPPED_LIMIT / PAGE_SIZE);
	hint = 0;
}

void frame_set_mapped_limit(uint64_t pa)
{
	uint64_t flags = mm_lock();

	limit = MIN(nframes, pa / PAGE_SIZE);
	hint = MIN(hint, limit);
	mm_unlock(flags);
}

/* ---- allocation ------------------------------------------------------------ */

/* Zero n frames from pa, 8 bytes at a step with `rep stosq` (a step is an
 * instruction under QEMU's -icount: 512 a frame, where memset's byte-wise
 * `rep stosb` takes 4096 and a C loop about 2000). */
static void zero_frames(uint64_t pa, uint64_t n)
{
	void *d = phys_to_virt(pa);
	uint64_t words = n * PAGE_SIZE / 8;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(0ull) : "memory");
}

/* Panic unless pa is a frame that frame_alloc handed out (lock held). */
static void check_allocated(uint64_t pa, const char *who)
{
	uint64_t i = pa / PAGE_SIZE;

	if (pa % PAGE_SIZE)
		panic("%s: 0x%lx is not the address of a frame (not page aligned)", who, pa);
	if (i >= nframes)
		panic("%s: frame 0x%lx is beyond the end of RAM (0x%lx)", who, pa,
		      nframes * PAGE_SIZE);
	if (owners[i] == FRAME_FREE)
		panic("%s: frame 0x%lx is already free (double free?)", who, pa);
	if (!owner_is_allocated(owners[i]))
		panic("%s: frame 0x%lx was never allocated: it belongs to the %s", who, pa,
		      owner_names[owners[i]]);
}

/*
 * The index of the first of n free frames in a row, the first at a multiple
 * of step, all below limit; limit if there is no such run (lock held).
 */
static uint64_t find_free_run(uint64_t n, uint64_t step)
{
	/* BEGIN STAGE paging: scan owners[] from hint for n free frames in a row */
	uint64_t start = ALIGN_UP(hint, step);

	while (start + n <= limit) {
		uint64_t run = 0;

		while (run < n && owners[start + run] == FRAME_FREE)
			run++;
		if (run == n)
			return start;
		/* Frame start + run is taken: no run can include it. */
		start = ALIGN_UP(start + run + 1, step);
	}
	return limit;
	/* STUB
	(void)n, (void)step;
	return limit;
	END STAGE paging */
}

uint64_t frame_alloc_uninit(void)
{
	uint64_t flags, i;

	if (failinject_frame())
		return 0; /* refused on purpose: debug/failinject.h */
	flags = mm_lock();
	/* BEGIN STAGE paging: take the lowest free frame, move the hint past it */
	i = find_free_run(1, 1);
	hint = i;
	if (i == limit) {
		mm_unlock(flags);
		return 0;
	}
	set_owner(i, FRAME_USED);
	hint = i + 1;
	/* STUB
	mm_unlock(flags);
	(void)i;
	return 0;
	END STAGE paging */
	refs[i] = 1;
	mm_unlock(flags);
	return i * PAGE_SIZE;
}

uint64_t frame_alloc(void)
{
	uint64_t pa = frame_alloc_uninit();

	/* The frame is ours now: zero it outside the critical section. */
	if (pa)
		zero_frames(pa, 1);
	return pa;
}

void frame_free(uint64_t pa)
{
	uint64_t flags = mm_lock();

	check_allocated(pa, "frame_free");
	/* BEGIN STAGE paging: mark the frame free and keep the hint's promise */
	set_owner(pa / PAGE_SIZE, FRAME_FREE);
	hint = MIN(hint, pa / PAGE_SIZE);
	/* END STAGE paging */
	refs[pa / PAGE_SIZE] = 0;
	mm_unlock(flags);
}

void frame_ref(uint64_t pa)
{
	uint64_t flags = mm_lock();

	check_allocated(pa, "frame_ref");
	refs[pa / PAGE_SIZE]++; /* cannot overflow: see the top */
	mm_unlock(flags);
}

void frame_unref(uint64_t pa)
{
	uint64_t flags = mm_lock();
	bool last;

	check_allocated(pa, "frame_unref");
	last = --refs[pa / PAGE_SIZE] == 0;
	mm_unlock(flags);
	if (last)
		frame_free(pa);
}

unsigned frame_refs(uint64_t pa)
{
	return pa / PAGE_SIZE < nframes ? refs[pa / PAGE_SIZE] : 0;
}

uint64_t frame_alloc_contig(size_t n, uint64_t align)
{
	uint64_t step = align / PAGE_SIZE;
	uint64_t flags, start;

	if (n == 0 || n > nframes || step == 0 || (step & (step - 1)) != 0 || failinject_frame())
		return 0;
	flags = mm_lock();
	start = find_free_run(n, step);
	if (start == limit) {
		mm_unlock(flags);
		return 0;
	}
	for (uint64_t i = start; i < start + n; i++) {
		set_owner(i, FRAME_USED);
		refs[i] = 1;
	}
	mm_unlock(flags);
	zero_frames(start * PAGE_SIZE, n);
	return start * PAGE_SIZE;
}

void frame_free_contig(uint64_t pa, size_t n)
{
	for (size_t i = 0; i < n; i++)
		frame_free(pa + i * PAGE_SIZE);
}

void frame_set_owner(uint64_t pa, size_t n, enum frame_owner owner)
{
	uint64_t flags = mm_lock();

	if (!owner_is_allocated(owner))
		panic("frame_set_owner: %s frames are not handed out", owner_names[owner]);
	for (size_t i = 0; i < n; i++) {
		check_allocated(pa + i * PAGE_SIZE, "frame_set_owner");
		set_owner(pa / PAGE_SIZE + i, owner);
	}
	mm_unlock(flags);
}

/* ---- statistics ------------------------------------------------------------ */

void frame_get_stats(struct frame_stats *s)
{
	uint64_t flags = mm_lock();

	s->total = total;
	s->free = counts[FRAME_FREE];
	s->used = total - counts[FRAME_FREE];
	mm_unlock(flags);
}

void frame_print_stats(void)
{
	struct frame_stats s;

	frame_get_stats(&s);
	kprintf("frames: %lu total, %lu free, %lu used (%lu KiB free)\n", s.total, s.free, s.used,
		s.free * PAGE_SIZE / 1024);
}

enum frame_owner frame_owner(uint64_t pa)
{
	return pa / PAGE_SIZE < nframes ? owners[pa / PAGE_SIZE] : FRAME_RESERVED;
}

uint64_t frame_count(enum frame_owner owner)
{
	return owner < FRAME_NOWNERS ? counts[owner] : 0;
}

uint64_t frame_span(void)
{
	return nframes;
}
