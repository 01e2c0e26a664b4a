/* <linux/fb.h>: the framebuffer device's ioctls and structures, which the
 * kernel shares with the C library as <os/fb.h> (Linux's numbers and
 * layouts). */
#ifndef _LINUX_FB_H
#define _LINUX_FB_H
#include <os/fb.h>
#endif
