/*
 * The framebuffer device.  GRUB sets a graphics mode when grub.cfg's
 * gfxpayload asks for one (boot.S requests a framebuffer) and describes it
 * in the multiboot2 framebuffer tag (boot/multiboot.c copies it into
 * boot_info.fb).  fb_init keeps it if the kernel can draw on it: direct RGB
 * colour (type 1) with 32 bits per pixel, and all of it inside the direct
 * map, which reaches the first 4 GiB where PCI devices' memory is.  In the
 * direct map the pages are write-back, but the firmware's MTRRs make the
 * PCI hole uncacheable and UC wins (SDM Vol. 3A, 11.5.2.2), so pixels
 * reach the screen at once; a user mapping is uncached in its page tables
 * too (PCD | PWT).  Anything else (EGA text, when gfxpayload=text; an
 * indexed palette; 16 or 24 bits) leaves the VGA text console in charge.
 *
 * /dev/fb0 is Linux's framebuffer device, reduced to what a program needs
 * to draw (uapi/os/fb.h): FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO
 * describe the mode and the memory, mmap(2) maps the pixels, and read(2)
 * and write(2) reach them as a file (`cat picture > /dev/fb0`).  Like
 * Linux's /dev/fb0 for the video group, any process may open and map it
 * (mode 0666): the framebuffer is the screen, not a way into other
 * memory.  The same pages are device memory "fb0" (mm/devmem.h), so a
 * driver given devmem= may also os_physmap them.  Without a framebuffer
 * there is no /dev/fb0 (open gives ENOENT, as on a Linux without fbdev).
 */
#include "drivers/fb.h"
#include <errno.h>
#include <uapi/os/fb.h>
#include "arch/x86_64/memlayout.h"
#include "boot/multiboot.h"
#include "fs/devfs.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/devmem.h"
#include "mm/usercopy.h"
#include "mm/vm.h"

static struct fb fb;
static bool fb_present;

const struct fb *fb_get(void)
{
	return fb_present ? &fb : NULL;
}

/* Colour value v (8 bits) in a field of size bits at pos. */
static uint32_t fb_field(uint8_t v, uint8_t pos, uint8_t size)
{
	return (uint32_t)(v >> (8 - size)) << pos;
}

uint32_t fb_rgb(const struct fb *f, uint8_t r, uint8_t g, uint8_t b)
{
	return fb_field(r, f->red_pos, f->red_size) | fb_field(g, f->green_pos, f->green_size) |
	       fb_field(b, f->blue_pos, f->blue_size);
}

/* ---- /dev/fb0 ---------------------------------------------------------- */

static void fb_var_info(struct fb_var_screeninfo *v)
{
	memset(v, 0, sizeof(*v));
	v->xres = v->xres_virtual = fb.width;
	v->yres = v->yres_virtual = fb.height;
	v->bits_per_pixel = 32;
	v->red = (struct fb_bitfield){ fb.red_pos, fb.red_size, 0 };
	v->green = (struct fb_bitfield){ fb.green_pos, fb.green_size, 0 };
	v->blue = (struct fb_bitfield){ fb.blue_pos, fb.blue_size, 0 };
	v->height = v->width = ~0u; /* the size in mm is unknown */
	v->vmode = FB_VMODE_NONINTERLACED;
}

static void fb_fix_info(struct fb_fix_screeninfo *x)
{
	memset(x, 0, sizeof(*x));
	strlcpy(x->id, "kestrel fb", sizeof(x->id));
	x->smem_start = fb.phys;
	x->smem_len = (uint32_t)fb.size;
	x->type = FB_TYPE_PACKED_PIXELS;
	x->visual = FB_VISUAL_TRUECOLOR;
	x->line_length = fb.pitch;
	x->accel = FB_ACCEL_NONE;
}

static int64_t fb_file_ioctl(struct file *f, unsigned long request, uptr_t arg)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;

	(void)f;
	switch (request) {
	case FBIOGET_VSCREENINFO:
		fb_var_info(&var);
		return copy_to_user(arg, &var, sizeof(var));
	case FBIOGET_FSCREENINFO:
		fb_fix_info(&fix);
		return copy_to_user(arg, &fix, sizeof(fix));
	case FBIOPUT_VSCREENINFO:
		return -EINVAL; /* the boot loader's mode is the only one */
	}
	return -ENOTTY;
}

/* mmap(2) of [offset, offset + len): within the framebuffer's pages, as
 * Linux's fb_mmap checks. */
static int fb_file_mmap_phys(struct file *f, uint64_t offset, uint64_t len, uint64_t *phys,
			     bool *nocache)
{
	uint64_t pages = ALIGN_UP(fb.size, PAGE_SIZE);

	(void)f;
	if (offset > pages || len > pages - offset)
		return -EINVAL;
	*phys = fb.phys + offset;
	*nocache = true;
	return 0;
}

/* read(2) and write(2) reach the pixels as a file of fb.size bytes, with
 * Linux's fb_read / fb_write ends: reading at the end gives 0, writing
 * there ENOSPC, past it EFBIG; a write running over the end is cut. */
static int64_t fb_file_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)f;
	if (pos >= fb.size)
		return 0;
	count = MIN(count, fb.size - pos);
	if (vbuf_to(buf, 0, (uint8_t *)fb.pixels + pos, count))
		return -EFAULT;
	return (int64_t)count;
}

static int64_t fb_file_write(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	(void)f;
	if (pos > fb.size)
		return -EFBIG;
	if (count == 0)
		return 0;
	if (pos == fb.size)
		return -ENOSPC;
	count = MIN(count, fb.size - pos);
	if (vbuf_from(buf, 0, (uint8_t *)fb.pixels + pos, count))
		return -EFAULT;
	return (int64_t)count;
}

static const struct file_ops fb_fops = {
	.read = fb_file_read,
	.write = fb_file_write,
	.ioctl = fb_file_ioctl,
	.mmap_phys = fb_file_mmap_phys,
};

/* ---- boot -------------------------------------------------------------- */

/* Can the kernel draw on what GRUB gave?  NULL, or why not. */
static const char *fb_unusable(const struct boot_framebuffer *b)
{
	if (b->type == MB2_FB_EGA_TEXT)
		return "EGA text mode";
	if (b->type != MB2_FB_RGB)
		return "not direct RGB colour";
	if (b->bpp != 32)
		return "not 32 bits per pixel";
	if (!b->red_size || b->red_size > 8 || !b->green_size || b->green_size > 8 ||
	    !b->blue_size || b->blue_size > 8)
		return "colours of other than 1 to 8 bits";
	if (b->addr % PAGE_SIZE || b->pitch < b->width * 4 || b->width < 8 || b->height < 16)
		return "an odd layout";
	if (b->addr + (uint64_t)b->pitch * b->height > vm_direct_map_end())
		return "outside the direct map";
	return NULL;
}

void fb_init(void)
{
	const struct boot_framebuffer *b = &boot_info.fb;
	const char *why;

	if (!b->addr) {
		kprintf("fb: no framebuffer: the VGA text console stays\n");
		return;
	}
	why = fb_unusable(b);
	if (why) {
		kprintf("fb: framebuffer not used (%s): the VGA text console stays\n", why);
		return;
	}
	fb = (struct fb){
		.phys = b->addr,
		.pixels = phys_to_virt(b->addr),
		.width = b->width,
		.height = b->height,
		.pitch = b->pitch,
		.size = (uint64_t)b->pitch * b->height,
		.red_pos = b->red_pos,
		.red_size = b->red_size,
		.green_pos = b->green_pos,
		.green_size = b->green_size,
		.blue_pos = b->blue_pos,
		.blue_size = b->blue_size,
	};
	fb_present = true;
	if (devmem_register(fb.phys, fb.size, "fb0") < 0 ||
	    devfs_register("fb0", S_IFCHR | 0666, &fb_fops, NULL) < 0)
		kprintf("fb: no /dev/fb0\n");
	kprintf("fb: %ux%u, 32 bpp, pitch %u at %lx: /dev/fb0\n", fb.width, fb.height, fb.pitch,
		fb.phys);
}
