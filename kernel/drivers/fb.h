/*
 * The framebuffer: the pixels of the graphics mode GRUB set (multiboot2's
 * framebuffer tag), drawn by the framebuffer console (fbcon.c) and mapped
 * by programs through /dev/fb0 (fb.c).
 */
#ifndef DRIVERS_FB_H
#define DRIVERS_FB_H

#include <types.h>

struct fb {
	uint64_t phys;          /* physical address of the first pixel */
	uint32_t *pixels;       /* the same in the kernel's direct map */
	uint32_t width, height; /* in pixels */
	uint32_t pitch;         /* bytes from a row of pixels to the next */
	uint64_t size;          /* pitch * height */
	/* Where red, green and blue are in a 32-bit pixel: bits [pos, pos + size). */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/*
 * Once at boot, after vm_init and devmem_init: take the framebuffer from
 * boot_info if GRUB gave a usable one (32 bits per pixel, RGB, inside the
 * direct map), register it as device memory "fb0" (mm/devmem.h) and add
 * /dev/fb0.  Says on the console what it found.
 */
void fb_init(void);

/* The framebuffer, or NULL if there is none (text mode). */
const struct fb *fb_get(void);

/* The pixel value of colour (r, g, b), 8 bits each, in fb's layout. */
uint32_t fb_rgb(const struct fb *fb, uint8_t r, uint8_t g, uint8_t b);

#endif
