/*
 * Page tables.
 *
 * x86_64 4-level paging (Intel SDM Vol. 3A, chapter 4, "Paging", 4.5) turns
 * a 48-bit virtual address into a physical one through four tables of 512
 * 8-byte entries, each table one 4 KiB frame:
 *
 *     47    39 38    30 29    21 20    12 11         0
 *     | PML4  |  PDPT  |   PD   |   PT   |  offset   |
 *     level 4  level 3  level 2  level 1
 *
 * An entry holds the physical address of the next table (or of the page)
 * and permission bits (vm.h).  A PDPT entry with PS set maps a 1 GiB page,
 * a PD entry with PS set a 2 MiB page: the walk stops there.  We reach every
 * table through the direct map (phys_to_virt), so the tables can live in any
 * frame.
 *
 * The rules this file keeps:
 *  - Intermediate entries are permissive (present, writable, and user for a
 *    user address); the leaf decides what is allowed.  The CPU combines all
 *    levels (SDM 4.6), so vm_translate reports the combination.
 *  - Tables are created on demand by walk() and freed by prune() when the
 *    last entry in them goes, except the 256 PDPTs of the kernel half, which
 *    vm_init creates once so that every address space can share them.
 *  - A changed or removed entry is followed by INVLPG, which drops the TLB
 *    entry for the address and the paging-structure caches (SDM 4.10.4.1);
 *    filling a non-present entry needs nothing, since the CPU does not cache
 *    non-present translations (SDM 4.10.2.3).
 *  - NX (bit 63) is only set when CPUID says the CPU has it and EFER.NXE is
 *    on; otherwise bit 63 is reserved and setting it would fault.
 *
 * vm_init.c builds the kernel's own tables with this API; the direct map's
 * builder, map_direct, is here, next to walk(), because the paging stage
 * has students write the two together.
 */
#include "mm/vm.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "debug/panic.h"
#include "mm/frame.h"
#include "mm/mmlock.h"
#include "mm/vm_internal.h"

static pte_t *kernel_root;
static uint64_t direct_map_end;
static bool has_nx, has_giant, has_pge;

/* ---- small helpers -------------------------------------------------------- */

/* Bits 12 + 9 * (level - 1) and up select the entry at level. */
static unsigned pt_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

/* The size of what an entry at level maps: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
static uint64_t level_size(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

/* The level whose leaf entries map pages of page_size; 0 if none does. */
static int leaf_level(uint64_t page_size)
{
	switch (page_size) {
	case PAGE_SIZE:
		return 1;
	case HUGE_PAGE_SIZE:
		return 2;
	case GIANT_PAGE_SIZE:
		return has_giant ? 3 : 0;
	}
	return 0;
}

static bool is_user(uint64_t va)
{
	return va < USER_END;
}

static bool is_canonical(uint64_t va)
{
	return va < USER_END || va >= KERNEL_HALF;
}

/* The table an entry points to. */
static pte_t *entry_table(pte_t e)
{
	return phys_to_virt(e & PTE_ADDR);
}

static bool is_leaf(pte_t e, int level)
{
	return level == 1 || (e & PTE_PS);
}

/* The physical address a leaf entry at level maps. */
static uint64_t leaf_address(pte_t e, int level)
{
	return e & PTE_ADDR & ~(level_size(level) - 1);
}

/* A leaf entry for VM_* flags: global in the kernel half, NX if asked. */
static pte_t leaf_bits(uint64_t va, int level, unsigned flags)
{
	pte_t e = PTE_P;

	if (flags & VM_WRITE)
		e |= PTE_W;
	if (flags & VM_USER)
		e |= PTE_U;
	if (flags & VM_NOCACHE)
		e |= PTE_PCD | PTE_PWT;
	if (flags & VM_DEVICE)
		e |= PTE_DEV;
	if (flags & VM_COW)
		e |= PTE_COW;
	if (flags & VM_SHARED)
		e |= PTE_SHR;
	if (!(flags & VM_EXEC) && has_nx)
		e |= PTE_NX;
	if (!is_user(va) && has_pge)
		e |= PTE_G;
	if (level > 1)
		e |= PTE_PS;
	return e;
}

static int check_args(uint64_t va, uint64_t pa, uint64_t page_size, unsigned flags)
{
	if (!leaf_level(page_size) || va % page_size || pa % page_size)
		return -EINVAL;
	if (!is_canonical(va) || !is_canonical(va + page_size - 1) || (pa & ~PTE_ADDR))
		return -EINVAL;
	if ((flags & VM_USER) && !is_user(va))
		return -EINVAL;
	return 0;
}

/* A zeroed frame for a page table, or 0. */
static uint64_t table_alloc(void)
{
	uint64_t pa = frame_alloc();

	if (pa)
		frame_set_owner(pa, 1, FRAME_PAGETABLE);
	return pa;
}

/* ---- walking the tables ----------------------------------------------------- */

/*
 * Follow va down from root until a leaf or a non-present entry.  Returns
 * the leaf entry and sets *level to its level, or returns NULL and sets
 * *level to the level of the non-present entry (so the caller knows how
 * much address space it covers).  *bits (if not NULL) gets the combined
 * permissions of the path: W and U only if every level has them, NX if
 * any level has it.
 */
static pte_t *lookup(pte_t *root, uint64_t va, int *level, pte_t *bits)
{
	pte_t *table = root;
	pte_t combined = PTE_W | PTE_U;

	for (int l = 4; l >= 1; l--) {
		pte_t *e = &table[pt_index(va, l)];

		*level = l;
		if (!(*e & PTE_P))
			return NULL;
		combined = (combined & (*e | ~(PTE_W | PTE_U))) | (*e & PTE_NX);
		if (is_leaf(*e, l)) {
			if (bits)
				*bits = (*e & ~(PTE_W | PTE_U | PTE_NX)) | combined;
			return e;
		}
		table = entry_table(*e);
	}
	return NULL; /* not reached: level 1 entries are leaves */
}

/*
 * The entry at `level` (1: PT entry for a 4 KiB page, 2: PD entry for a
 * 2 MiB page, 3: PDPT entry for a 1 GiB page) that translates va, creating
 * the tables missing above it: each new table is a zeroed frame, linked in
 * with an entry that is present, writable, and user if va is a user
 * address (an existing entry gains U too).  Returns NULL with *err = -ENOMEM
 * if no frame is left, or -EEXIST if a huge page already maps va at a
 * higher level (its entry cannot point to a table).
 */
static pte_t *walk(pte_t *root, uint64_t va, int level, int *err)
{
	/* BEGIN STAGE paging: walk from the PML4 down to `level`, creating missing tables */
	pte_t *table = root;

	for (int l = 4; l > level; l--) {
		pte_t *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P)) {
			uint64_t pa = table_alloc();

			if (!pa) {
				*err = -ENOMEM;
				return NULL;
			}
			*e = pa | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			*err = -EEXIST;
			return NULL;
		}
		if (is_user(va))
			*e |= PTE_U;
		table = entry_table(*e);
	}
	return &table[pt_index(va, level)];
	/* STUB
	(void)root, (void)va, (void)level;
	*err = -ENOMEM;
	return NULL;
	END STAGE paging */
}

/*
 * Free the tables on va's path that hold no entry any more, from the lowest
 * one the path reaches (the table at `level`, or higher up if the path ends
 * early, as after a walk() that ran out of frames) up, stopping at the first
 * that is not empty, at the root, and at the kernel half's PDPTs.
 * Invalidates the paging-structure caches before the frames can be reused.
 */
static void prune(pte_t *root, uint64_t va, int level)
{
	pte_t *path[5]; /* path[l]: the table at level l */
	uint64_t freed[3];
	int nfreed = 0, low = 4;

	path[4] = root;
	while (low > level) {
		pte_t e = path[low][pt_index(va, low)];

		if (!(e & PTE_P))
			break;
		if (e & PTE_PS)
			return; /* a huge page: its tables are not empty */
		path[low - 1] = entry_table(e);
		low--;
	}
	for (int l = low; l < 4; l++) {
		bool empty = true;

		if (l == 3 && !is_user(va))
			break;
		for (int i = 0; i < 512 && empty; i++)
			empty = path[l][i] == 0;
		if (!empty)
			break;
		freed[nfreed++] = virt_to_phys(path[l]);
		path[l + 1][pt_index(va, l + 1)] = 0;
	}
	if (!nfreed)
		return;
	invlpg(va);
	for (int i = 0; i < nfreed; i++)
		frame_free(freed[i]);
}

/* ---- the API ------------------------------------------------------------------ */

int vm_map(pte_t *root, uint64_t va, uint64_t pa, uint64_t page_size, unsigned flags)
{
	int level = leaf_level(page_size);
	int err = check_args(va, pa, page_size, flags);
	uint64_t lock;
	pte_t *e;

	if (err)
		return err;
	lock = mm_lock();
	e = walk(root, va, level, &err);
	if (e && (*e & PTE_P))
		err = -EEXIST; /* a page, or a table of smaller pages */
	else if (e)
		*e = pa | leaf_bits(va, level, flags);
	if (err)
		prune(root, va, level); /* tables walk() made for nothing */
	mm_unlock(lock);
	return err;
}

/* The leaf entry mapping va with a page of page_size; NULL with *err set. */
static pte_t *find_page(pte_t *root, uint64_t va, uint64_t page_size, int *err)
{
	int level;
	pte_t *e;

	if (!leaf_level(page_size) || va % page_size || !is_canonical(va)) {
		*err = -EINVAL;
		return NULL;
	}
	e = lookup(root, va, &level, NULL);
	if (!e)
		*err = -EFAULT;
	else if (level != leaf_level(page_size))
		*err = -EINVAL;
	return *err ? NULL : e;
}

pte_t *vm_leaf(pte_t *root, uint64_t va)
{
	int level;
	pte_t *e = lookup(root, va, &level, NULL);

	return e && level == 1 ? e : NULL;
}

int vm_unmap(pte_t *root, uint64_t va, uint64_t page_size)
{
	uint64_t lock = mm_lock();
	int err = 0;
	pte_t *e = find_page(root, va, page_size, &err);

	if (e) {
		*e = 0;
		invlpg(va);
		prune(root, va, leaf_level(page_size));
	}
	mm_unlock(lock);
	return err;
}

/* Rewrite the entry of the page of page_size at va with flags, pointing at
 * pa, or at the frame it points at now if keep. */
static int set_leaf(pte_t *root, uint64_t va, uint64_t page_size, uint64_t pa, bool keep,
		    unsigned flags)
{
	uint64_t lock;
	int err = 0;
	pte_t *e;

	if ((flags & VM_USER) && !is_user(va))
		return -EINVAL;
	lock = mm_lock();
	e = find_page(root, va, page_size, &err);
	if (e) {
		int level = leaf_level(page_size);

		*e = (keep ? leaf_address(*e, level) : pa) | leaf_bits(va, level, flags);
		invlpg(va);
	}
	mm_unlock(lock);
	return err;
}

int vm_protect(pte_t *root, uint64_t va, uint64_t page_size, unsigned flags)
{
	return set_leaf(root, va, page_size, 0, true, flags);
}

int vm_remap(pte_t *root, uint64_t va, uint64_t pa, unsigned flags)
{
	return set_leaf(root, va, PAGE_SIZE, pa, false, flags);
}

int vm_translate(pte_t *root, uint64_t va, uint64_t *pa, uint64_t *page_size, unsigned *flags)
{
	uint64_t lock;
	int level;
	pte_t bits = 0;
	pte_t *e;

	if (!is_canonical(va))
		return -EFAULT;
	lock = mm_lock();
	e = lookup(root, va, &level, &bits);
	if (e) {
		uint64_t size = level_size(level);

		if (pa)
			*pa = leaf_address(*e, level) + (va & (size - 1));
		if (page_size)
			*page_size = size;
	}
	mm_unlock(lock);
	if (!e)
		return -EFAULT;
	if (flags) {
		*flags = 0;
		if (bits & PTE_W)
			*flags |= VM_WRITE;
		if (!(bits & PTE_NX))
			*flags |= VM_EXEC;
		if (bits & PTE_U)
			*flags |= VM_USER;
		if (bits & PTE_PCD)
			*flags |= VM_NOCACHE;
		if (bits & PTE_DEV)
			*flags |= VM_DEVICE;
		if (bits & PTE_COW)
			*flags |= VM_COW;
		if (bits & PTE_SHR)
			*flags |= VM_SHARED;
	}
	return 0;
}

/* Sign-extend bit 47, so that stepping from the user half lands in the
 * kernel half's canonical addresses. */
static uint64_t canonical(uint64_t va)
{
	return va & (1ull << 47) ? va | 0xffff000000000000ull : va & 0x0000ffffffffffffull;
}

/* The entry translating va: the leaf, or NULL for a hole; *level is the
 * level of the entry, so the leaf or hole spans level_size(*level) bytes. */
static pte_t *lookup_locked(pte_t *root, uint64_t va, int *level)
{
	uint64_t lock = mm_lock();
	pte_t *e = lookup(root, va, level, NULL);

	mm_unlock(lock);
	return e;
}

/*
 * Walks over a range step from entry to entry, not from page to page: a
 * missing PML4 entry skips 512 GiB at once, a missing PD entry 2 MiB.  So
 * their cost grows with the number of tables present in the range (at most
 * 512 entries looked at per table), not with its length, and a call over
 * the whole user half takes microseconds.  mm_lock is taken for each step,
 * not for the whole walk, so interrupts are never off for long.
 */
int vm_find_mapped(pte_t *root, uint64_t start, uint64_t end, bool last, uint64_t *found)
{
	uint64_t va = last ? end - PAGE_SIZE : start;

	if (start >= end || start % PAGE_SIZE || end % PAGE_SIZE || !is_canonical(start) ||
	    !is_canonical(end - 1) || is_user(start) != is_user(end - 1))
		return -EINVAL;
	for (;;) {
		int level;
		pte_t *e = lookup_locked(root, va, &level);
		uint64_t base = ALIGN_DOWN(va, level_size(level));

		if (e) {
			*found = va;
			return 0;
		}
		/* Past the hole: up to the next entry, or down to the last page
		 * before it.  Stop when that leaves the range. */
		if (last) {
			if (base <= start)
				return -ENOENT;
			va = base - PAGE_SIZE;
		} else {
			if (end - base <= level_size(level))
				return -ENOENT;
			va = base + level_size(level);
		}
	}
}

void vm_count_pages(pte_t *root, uint64_t start, uint64_t end, struct vm_page_counts *c)
{
	uint64_t va = start;

	c->pages_4k = c->pages_2m = c->pages_1g = 0;
	while (va < end) {
		int level;
		pte_t *e = lookup_locked(root, va, &level);
		uint64_t next;

		if (e && level == 1)
			c->pages_4k++;
		else if (e && level == 2)
			c->pages_2m++;
		else if (e && level == 3)
			c->pages_1g++;
		/* Skip what the entry found (a page, or a hole) covers. */
		next = canonical(ALIGN_DOWN(va, level_size(level)) + level_size(level));
		if (next <= va)
			break;
		va = next;
	}
}

pte_t *vm_kernel_root(void)
{
	if (kernel_root)
		return kernel_root;
	return phys_to_virt(read_cr3() & PTE_ADDR);
}

uint64_t vm_direct_map_end(void)
{
	return direct_map_end;
}

bool vm_has_giant_pages(void)
{
	return has_giant;
}

bool vm_has_nx(void)
{
	return has_nx;
}

/* ---- for vm_init.c (vm_internal.h) ------------------------------------------ */

/* CPUID 0x80000001 EDX: bit 20 NX, bit 26 1 GiB pages; CPUID 1 EDX bit 13 PGE. */
void vm_detect_cpu(void)
{
	uint32_t a, b, c, d;

	cpuid(0x80000001, 0, &a, &b, &c, &d);
	has_nx = d & (1u << 20);
	has_giant = d & (1u << 26);
	cpuid(1, 0, &a, &b, &c, &d);
	has_pge = d & (1u << 13);
}

bool vm_has_global_pages(void)
{
	return has_pge;
}

/* Give each kernel-half PML4 entry (256..511) its PDPT, once and for all. */
int vm_make_kernel_half(pte_t *root)
{
	for (uint64_t i = 256; i < 512; i++) {
		int err = 0;

		if (!walk(root, canonical(i << 39), 3, &err))
			return err;
	}
	return 0;
}

/*
 * Map physical [0, end) at PHYS_MAP_BASE, writable and not executable, with
 * 1 GiB pages where the CPU has them (has_giant) and both addresses are
 * 1 GiB aligned with a whole GiB left, else with 2 MiB pages.  end is a
 * multiple of 1 GiB.
 */
int map_direct(pte_t *root, uint64_t end)
{
	/* BEGIN STAGE paging: map all of [0, end) at PHYS_MAP_BASE with the biggest pages you can */
	for (uint64_t pa = 0; pa < end;) {
		uint64_t size = HUGE_PAGE_SIZE;
		int err;

		if (has_giant && pa % GIANT_PAGE_SIZE == 0 && end - pa >= GIANT_PAGE_SIZE)
			size = GIANT_PAGE_SIZE;
		err = vm_map(root, PHYS_MAP_BASE + pa, pa, size, VM_WRITE);
		if (err)
			return err;
		pa += size;
	}
	return 0;
	/* STUB
	(void)root, (void)end;
	return 0;
	END STAGE paging */
}

/* Free every table of the tree below `table` (a table at level), and it. */
void vm_free_tables(pte_t *table, int level)
{
	for (int i = 0; i < 512 && level > 1; i++)
		if ((table[i] & PTE_P) && !is_leaf(table[i], level))
			vm_free_tables(entry_table(table[i]), level - 1);
	frame_free(virt_to_phys(table));
}

uint64_t vm_root_alloc(void)
{
	return table_alloc();
}

void vm_set_kernel_tables(pte_t *root, uint64_t end)
{
	kernel_root = root;
	direct_map_end = end;
}
