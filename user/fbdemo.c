/*
 * fbdemo: draw the Mandelbrot set on the framebuffer through /dev/fb0, the
 * way a Linux program does (<linux/fb.h>): FBIOGET_VSCREENINFO for the mode
 * and where each colour's bits are, FBIOGET_FSCREENINFO for the memory and
 * the bytes per line, mmap(2) of the device, then pixels.
 *
 *     fbdemo [-e] [-t SECONDS]
 *     fbdemo -c
 *
 * It prints the two structures' fields, draws, then leaves the picture on
 * the screen until a key (the terminal in raw mode) or SECONDS (30) have
 * passed; -e exits as soon as it has drawn.  -c checks the device's
 * errors instead (EFAULT, EINVAL, ENOTTY, EACCES, ENODEV; read and write's
 * ends; a forked child's mapping), a line per check.
 *
 * The picture is computed in fixed point (Q8.24, integers only) so that
 * the grader (grade/drivers_fb.py, mandel_rgb) computes every pixel's
 * colour exactly as this does: the view is re [-2.5, 1), im [-1.25, 1.25)
 * over the whole screen, MAX_ITER iterations.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define FIX      24
#define ONE      ((int64_t)1 << FIX)
#define MAX_ITER 64

/* The iterations before z escapes |z| > 2 at pixel (x, y) of w x h, or MAX_ITER. */
static int mandel_iter(int64_t x, int64_t y, int64_t w, int64_t h)
{
	int64_t cx = x * 7 * ONE / (2 * w) - 5 * ONE / 2;
	int64_t cy = y * 5 * ONE / (2 * h) - 5 * ONE / 4;
	int64_t zx = 0, zy = 0;
	int i;

	for (i = 0; i < MAX_ITER; i++) {
		int64_t zx2 = (zx * zx) >> FIX, zy2 = (zy * zy) >> FIX;

		if (zx2 + zy2 > 4 * ONE)
			break;
		zy = ((2 * zx * zy) >> FIX) + cy;
		zx = zx2 - zy2 + cx;
	}
	return i;
}

/* The colour of i iterations: black inside the set, outside from deep blue
 * through orange to white as the points near it. */
static void mandel_rgb(int i, uint8_t rgb[3])
{
	int v = i * 4; /* 0..252 */

	if (i == MAX_ITER) {
		rgb[0] = rgb[1] = rgb[2] = 0;
		return;
	}
	rgb[0] = (uint8_t)(v < 64 ? v : v < 128 ? 64 + (v - 64) * 3 : 255);
	rgb[1] = (uint8_t)(v < 96 ? v / 2 : v < 192 ? 48 + (v - 96) * 2 : 240 + (v - 192) / 4);
	rgb[2] = (uint8_t)(v < 64 ? 96 + v * 2 : v < 160 ? 224 - (v - 64) * 2 : (v - 160) * 2);
}

static uint32_t pixel(const struct fb_var_screeninfo *var, const uint8_t rgb[3])
{
	return (uint32_t)(rgb[0] >> (8 - var->red.length)) << var->red.offset |
	       (uint32_t)(rgb[1] >> (8 - var->green.length)) << var->green.offset |
	       (uint32_t)(rgb[2] >> (8 - var->blue.length)) << var->blue.offset;
}

static void draw(uint8_t *fb, const struct fb_var_screeninfo *var,
		 const struct fb_fix_screeninfo *fix)
{
	for (uint32_t y = 0; y < var->yres; y++) {
		uint32_t *row = (uint32_t *)(fb + (size_t)y * fix->line_length);

		for (uint32_t x = 0; x < var->xres; x++) {
			uint8_t rgb[3];

			mandel_rgb(mandel_iter(x, y, var->xres, var->yres), rgb);
			row[x] = pixel(var, rgb);
		}
	}
}

/* Wait for a key (the terminal in raw mode meanwhile) or seconds. */
static void wait_key(int seconds)
{
	struct termios saved, raw;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	bool tty = tcgetattr(0, &saved) == 0;
	char c;

	if (tty) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(0, TCSANOW, &raw);
	}
	if (poll(&p, 1, seconds * 1000) > 0)
		(void)!read(0, &c, 1);
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
}

static int check(const char *what, long got, int want_errno)
{
	bool ok = got == -1 && errno == want_errno;

	printf("fbdemo: check %s: expected %s, got %s %s\n", what, strerror(want_errno),
	       got == -1 ? strerror(errno) : "success", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

static int check_value(const char *what, bool ok)
{
	printf("fbdemo: check %s: %s\n", what, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

/* The pixels as a file, and in the mapping of a forked child. */
static int check_file(int fd, const struct fb_fix_screeninfo *fix)
{
	uint32_t *fb = mmap(NULL, fix->smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint32_t v = 0x00123456, back = 0;
	off_t at = fix->line_length; /* pixel (0, 1) */
	int failed = 0, status = -1;
	pid_t pid;

	if (fb == MAP_FAILED)
		return check_value("mmap", false);
	failed += check_value("pwrite shows in the mapping",
			      pwrite(fd, &v, 4, at) == 4 && fb[at / 4] == v);
	fb[at / 4] = ~v;
	failed += check_value("the mapping shows in pread",
			      pread(fd, &back, 4, at) == 4 && back == ~v);
	failed += check("pwrite at the end", pwrite(fd, &v, 4, fix->smem_len), ENOSPC);
	failed += check("pwrite past the end", pwrite(fd, &v, 4, fix->smem_len + 1), EFBIG);
	failed += check_value("pread at the end reads nothing",
			      pread(fd, &back, 4, fix->smem_len) == 0);
	failed += check_value("pwrite over the end is cut",
			      pwrite(fd, &v, 8, fix->smem_len - 4) == 4);
	pid = fork();
	if (pid == 0) {
		fb[at / 4] = v; /* the same device memory: the parent sees it */
		_exit(0);
	}
	failed += check_value("a forked child writes the parent's pixels",
			      pid > 0 && waitpid(pid, &status, 0) == pid && status == 0 &&
				      fb[at / 4] == v);
	munmap(fb, fix->smem_len);
	return failed;
}

/* The device's errors, as Linux's fbdev gives them. */
static int check_errors(int fd, const struct fb_fix_screeninfo *fix)
{
	struct fb_var_screeninfo var;
	int ro = open("/dev/fb0", O_RDONLY);
	size_t len = fix->smem_len, pages = (len + 4095) & ~(size_t)4095;
	int failed = 0;

	memset(&var, 0, sizeof(var));
	failed += check("vscreeninfo to a bad pointer", ioctl(fd, FBIOGET_VSCREENINFO, 16), EFAULT);
	failed += check("fscreeninfo to a bad pointer", ioctl(fd, FBIOGET_FSCREENINFO, 16), EFAULT);
	failed += check("putvscreeninfo", ioctl(fd, FBIOPUT_VSCREENINFO, &var), EINVAL);
	failed += check("an unknown ioctl", ioctl(fd, 0x46ff, &var), ENOTTY);
	failed += check("mmap past the end",
			(long)mmap(NULL, pages + 4096, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	failed +=
		check("mmap from the last page on for two",
		      (long)mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, fd, (off_t)(pages - 4096)),
		      EINVAL);
	failed += check("mmap at an offset past the end",
			(long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)(pages + 4096)),
			EINVAL);
	failed += check("writable shared mmap of a read-only open",
			(long)mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	failed += check("mmap of /dev/null",
			(long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, open("/dev/null", O_RDWR), 0),
			ENODEV);
	failed += check_file(fd, fix);
	printf("fbdemo: %d checks failed\n", failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	int seconds = 30, opt, fd;
	bool at_once = false, errors = false;
	uint8_t *fb;

	while ((opt = getopt(argc, argv, "cet:")) != -1) {
		if (opt == 'c')
			errors = true;
		else if (opt == 'e')
			at_once = true;
		else if (opt == 't')
			seconds = atoi(optarg);
		else {
			fprintf(stderr, "usage: fbdemo [-e] [-t SECONDS] | fbdemo -c\n");
			return 2;
		}
	}
	fd = open("/dev/fb0", O_RDWR);
	if (fd < 0) {
		printf("fbdemo: /dev/fb0: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(fd, FBIOGET_VSCREENINFO, &var) < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) < 0) {
		printf("fbdemo: FBIOGET: %s\n", strerror(errno));
		return 1;
	}
	printf("fbdemo: var xres %u yres %u virtual %ux%u bpp %u red %u/%u green %u/%u blue %u/%u\n",
	       var.xres, var.yres, var.xres_virtual, var.yres_virtual, var.bits_per_pixel,
	       var.red.offset, var.red.length, var.green.offset, var.green.length, var.blue.offset,
	       var.blue.length);
	printf("fbdemo: fix id \"%s\" smem_start %#lx smem_len %u line_length %u type %u visual %u\n",
	       fix.id, fix.smem_start, fix.smem_len, fix.line_length, fix.type, fix.visual);
	if (errors)
		return check_errors(fd, &fix);
	if (var.bits_per_pixel != 32) {
		printf("fbdemo: %u bits per pixel: only 32 are drawn\n", var.bits_per_pixel);
		return 1;
	}
	fb = mmap(NULL, fix.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fb == MAP_FAILED) {
		printf("fbdemo: mmap: %s\n", strerror(errno));
		return 1;
	}
	printf("fbdemo: drawing %ux%u\n", var.xres, var.yres);
	fflush(stdout);
	draw(fb, &var, &fix);
	if (!at_once)
		wait_key(seconds);
	munmap(fb, fix.smem_len);
	close(fd);
	printf("fbdemo: done\n");
	return 0;
}
