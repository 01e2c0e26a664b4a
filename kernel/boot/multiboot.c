/*
 * Multiboot2 information parser.  The structure is a u32 total size, a u32
 * reserved word, then tags, each 8-byte aligned: u32 type, u32 size, payload.
 * A tag of type 0 ends the list.  Called once from kmain while the boot page
 * tables still map the first GiB at PHYS_MAP_BASE; GRUB places the structure
 * and the modules there.
 */
#include "boot/multiboot.h"
#include "arch/x86_64/memlayout.h"
#include "lib/kprintf.h"
#include "lib/string.h"

#define TAG_END         0
#define TAG_CMDLINE     1
#define TAG_LOADER_NAME 2
#define TAG_MODULE      3
#define TAG_MMAP        6
#define TAG_FRAMEBUFFER 8

struct tag {
	uint32_t type, size;
};

struct tag_module {
	struct tag tag;
	uint32_t mod_start, mod_end;
	char string[];
};

struct tag_mmap {
	struct tag tag;
	uint32_t entry_size, entry_version;
	uint8_t entries[];
};

struct mmap_entry {
	uint64_t base_addr, length;
	uint32_t type, reserved;
};

struct tag_framebuffer {
	struct tag tag;
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	uint16_t reserved;
	/* type 1 (RGB): the colour fields' positions and sizes */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info boot_info;

/*
 * Copy the memory map into boot_info.regions and compute mem_available (the
 * sum of the available regions' lengths) and mem_top (the end of the highest
 * available region).  Entries are entry_size bytes apart, which may be more
 * than sizeof(struct mmap_entry).
 */
static void parse_mmap(const struct tag_mmap *t)
{
	/* BEGIN STAGE boot: walk the entries, copy them, sum the available memory */
	const uint8_t *p = t->entries;
	const uint8_t *end = (const uint8_t *)t + t->tag.size;

	for (; p + t->entry_size <= end; p += t->entry_size) {
		const struct mmap_entry *e = (const void *)p;
		struct memory_region *r;

		if (boot_info.nregions == MAX_MEMORY_REGIONS)
			break;
		r = &boot_info.regions[boot_info.nregions++];
		r->base = e->base_addr;
		r->length = e->length;
		r->type = e->type;
		if (e->type == MEMORY_AVAILABLE) {
			boot_info.mem_available += e->length;
			boot_info.mem_top = MAX(boot_info.mem_top, e->base_addr + e->length);
		}
	}
	/* STUB
	(void)t;
	END STAGE boot */
}

static void parse_module(const struct tag_module *t)
{
	struct boot_module *m;

	if (boot_info.nmodules == MAX_MODULES) {
		/* Its memory is then free memory to the frame allocator. */
		kprintf("boot: more than %d modules: module \"%s\" ignored\n", MAX_MODULES,
			t->string);
		return;
	}
	m = &boot_info.modules[boot_info.nmodules++];
	m->start = t->mod_start;
	m->end = t->mod_end;
	strlcpy(m->name, t->string, sizeof(m->name));
}

static void parse_framebuffer(const struct tag_framebuffer *t)
{
	boot_info.fb.addr = t->addr;
	boot_info.fb.pitch = t->pitch;
	boot_info.fb.width = t->width;
	boot_info.fb.height = t->height;
	boot_info.fb.bpp = t->bpp;
	boot_info.fb.type = t->type;
	if (t->type == MB2_FB_RGB &&
	    t->tag.size >= __builtin_offsetof(struct tag_framebuffer, blue_size) + 1) {
		boot_info.fb.red_pos = t->red_pos;
		boot_info.fb.red_size = t->red_size;
		boot_info.fb.green_pos = t->green_pos;
		boot_info.fb.green_size = t->green_size;
		boot_info.fb.blue_pos = t->blue_pos;
		boot_info.fb.blue_size = t->blue_size;
	}
}

static void parse_cmdline(const char *line)
{
	size_t len = strlcpy(boot_info.cmdline, line, sizeof(boot_info.cmdline));

	if (len >= sizeof(boot_info.cmdline))
		kprintf("boot: the command line is %lu bytes long; only the first %lu are kept\n",
			len, sizeof(boot_info.cmdline) - 1);
}

void multiboot_parse(uint64_t mbi_phys)
{
	const uint8_t *mbi = phys_to_virt(mbi_phys);
	uint32_t total = *(const uint32_t *)mbi;
	const uint8_t *p = mbi + 8;

	boot_info.mbi_start = mbi_phys;
	boot_info.mbi_end = mbi_phys + total;
	while (p < mbi + total) {
		const struct tag *t = (const void *)p;

		if (t->type == TAG_END)
			break;
		switch (t->type) {
		case TAG_CMDLINE:
			parse_cmdline((const char *)(t + 1));
			break;
		case TAG_LOADER_NAME:
			strlcpy(boot_info.loader, (const char *)(t + 1), sizeof(boot_info.loader));
			break;
		case TAG_MODULE:
			parse_module((const void *)t);
			break;
		case TAG_MMAP:
			parse_mmap((const void *)t);
			break;
		case TAG_FRAMEBUFFER:
			parse_framebuffer((const void *)t);
			break;
		}
		p += ALIGN_UP(t->size, 8);
	}
}

const char *memory_type_name(uint32_t type)
{
	switch (type) {
	case MEMORY_AVAILABLE:
		return "available";
	case MEMORY_RESERVED:
		return "reserved";
	case MEMORY_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MEMORY_NVS:
		return "ACPI NVS";
	case MEMORY_BADRAM:
		return "bad RAM";
	}
	return "unknown";
}

void multiboot_print_summary(void)
{
	kprintf("boot: loader \"%s\", command line \"%s\"\n", boot_info.loader, boot_info.cmdline);
	for (int i = 0; i < boot_info.nregions; i++) {
		const struct memory_region *r = &boot_info.regions[i];
		kprintf("mmap: %016lx-%016lx %s\n", r->base, r->base + r->length - 1,
			memory_type_name(r->type));
	}
	kprintf("mmap: %lu KiB available, top of memory %lx\n", boot_info.mem_available / 1024,
		boot_info.mem_top);
	for (int i = 0; i < boot_info.nmodules; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		kprintf("module: %s at %lx-%lx, %lu bytes\n", m->name, m->start, m->end,
			m->end - m->start);
	}
	if (boot_info.fb.addr)
		kprintf("framebuffer: %ux%u, %u bpp, type %u at %lx\n", boot_info.fb.width,
			boot_info.fb.height, boot_info.fb.bpp, boot_info.fb.type,
			boot_info.fb.addr);
}

const struct boot_module *multiboot_find_module(const char *name)
{
	for (int i = 0; i < boot_info.nmodules; i++)
		if (strcmp(boot_info.modules[i].name, name) == 0)
			return &boot_info.modules[i];
	return NULL;
}
