/*
 * uapi/os/fb.h -- the framebuffer device /dev/fb0: the part of Linux's
 * include/uapi/linux/fb.h the kernel implements, with its numbers and its
 * structures field for field (a Linux program that maps /dev/fb0 runs
 * unchanged).  Shared by the kernel (drivers/fb.c) and the C library, which
 * installs it as <os/fb.h>; <linux/fb.h> includes it.
 *
 * FBIOGET_VSCREENINFO fills a struct fb_var_screeninfo (the mode: size,
 * depth, where each colour's bits are), FBIOGET_FSCREENINFO a struct
 * fb_fix_screeninfo (the memory: physical start, length, bytes per line);
 * mmap(2) of the device, MAP_SHARED, offset 0, maps the pixels.  Only the
 * mode the boot loader set exists: FBIOPUT_VSCREENINFO fails with EINVAL.
 */
#ifndef UAPI_OS_FB_H
#define UAPI_OS_FB_H

/* GCC's own type macros: this header needs neither <stdint.h> nor the
 * kernel's types.h. */
#define FB_U16 __UINT16_TYPE__
#define FB_U32 __UINT32_TYPE__

#define FBIOGET_VSCREENINFO 0x4600
#define FBIOPUT_VSCREENINFO 0x4601
#define FBIOGET_FSCREENINFO 0x4602

#define FB_TYPE_PACKED_PIXELS  0 /* fb_fix_screeninfo.type */
#define FB_VISUAL_TRUECOLOR    2 /* fb_fix_screeninfo.visual */
#define FB_ACCEL_NONE          0 /* fb_fix_screeninfo.accel */
#define FB_VMODE_NONINTERLACED 0 /* fb_var_screeninfo.vmode */

struct fb_fix_screeninfo {
	char id[16];              /* identification string */
	unsigned long smem_start; /* start of the framebuffer memory (physical) */
	FB_U32 smem_len;          /* its length */
	FB_U32 type;              /* FB_TYPE_* */
	FB_U32 type_aux;
	FB_U32 visual; /* FB_VISUAL_* */
	FB_U16 xpanstep;
	FB_U16 ypanstep;
	FB_U16 ywrapstep;
	FB_U32 line_length;       /* bytes from one line of pixels to the next */
	unsigned long mmio_start; /* registers (none here) */
	FB_U32 mmio_len;
	FB_U32 accel; /* FB_ACCEL_* */
	FB_U16 capabilities;
	FB_U16 reserved[2];
};

/* Where a colour's bits are in a pixel: bits [offset, offset + length). */
struct fb_bitfield {
	FB_U32 offset;
	FB_U32 length;
	FB_U32 msb_right; /* != 0: the most significant bit is on the right */
};

struct fb_var_screeninfo {
	FB_U32 xres; /* visible resolution */
	FB_U32 yres;
	FB_U32 xres_virtual;
	FB_U32 yres_virtual;
	FB_U32 xoffset;
	FB_U32 yoffset;
	FB_U32 bits_per_pixel;
	FB_U32 grayscale;
	struct fb_bitfield red;
	struct fb_bitfield green;
	struct fb_bitfield blue;
	struct fb_bitfield transp;
	FB_U32 nonstd;
	FB_U32 activate;
	FB_U32 height; /* of the picture in mm (~0: unknown) */
	FB_U32 width;
	FB_U32 accel_flags;
	FB_U32 pixclock; /* timings: 0 when unknown */
	FB_U32 left_margin;
	FB_U32 right_margin;
	FB_U32 upper_margin;
	FB_U32 lower_margin;
	FB_U32 hsync_len;
	FB_U32 vsync_len;
	FB_U32 sync;
	FB_U32 vmode; /* FB_VMODE_* */
	FB_U32 rotate;
	FB_U32 colorspace;
	FB_U32 reserved[4];
};

#undef FB_U16
#undef FB_U32

#endif /* UAPI_OS_FB_H */
