/*
 * usbkbd: a USB keyboard driver, in userspace, on a UHCI host controller.
 *
 * uhci.c finds the controller on PCI, gives it its frame list, queue heads
 * and transfer descriptors in DMA memory (os_dma_alloc), enumerates the
 * keyboard and sets it to the HID boot protocol; its opening comment tells
 * how.  This file turns the keyboard's reports into the console's input.
 * Without a controller or a keyboard the driver says so and exits 0.
 *
 * Waiting.  The driver attaches the controller's PCI interrupt line
 * (configuration register 0x3c) with os_irq_attach and asks for an
 * interrupt when a TD with IOC completes; if the line cannot be had it
 * polls every 10 ms.  Either way it sleeps in os_recv with a timeout, so
 * that key repeat runs on time (and, with the line, a look every second
 * in case an interrupt was missed).
 *
 * Reports (HID 1.11, appendix B.1): 8 bytes, the modifier bits (Ctrl,
 * Shift, Alt, GUI, left then right), a reserved byte and up to 6 usage
 * codes of the keys held.  A code that was not in the previous report was
 * just pressed: its character (with Shift, Caps Lock, Ctrl), or for the
 * arrows and editing keys the ANSI sequence a VT100 sends, goes to the
 * console with os_console_input, as user/ps2kbd.c does (the sequences
 * are the same; the tables are not shared, since usage codes are not scan
 * codes).  A USB keyboard does not repeat by itself: the host does.  The
 * newest key held repeats after 500 ms, 30 times a second, until released.
 *
 * Started by init (conf/ramdisk/etc/inittab) as `usbkbd --background`:
 * the driver is a child, and the command ends when it is ready (status 0)
 * or has ended (its status), so that init's `wait` entry has every line
 * of it printed before the shell starts.  The driver runs until killed.
 */
#include <err.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <os/irq.h>
#include <os/os.h>
#include "../background.h"
#include "usbkbd.h"

/* Keys: HID usage codes (HID Usage Tables 1.12, chapter 10) 0x04-0x38 to
 * characters, without and with Shift. */
#define KEY_FIRST 0x04
static const char plain[] = "abcdefghijklmnopqrstuvwxyz1234567890\r\x1b\x7f\t -=[]\\#;'`,./";
static const char shifted[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()\r\x1b\x7f\t _+{}|~:\"~<>?";

#define KEY_CAPSLOCK 0x39

static const struct {
	uint8_t code;
	const char *seq;
} special[] = {
	{ 0x52, "\x1b[A" },  /* up */
	{ 0x51, "\x1b[B" },  /* down */
	{ 0x4f, "\x1b[C" },  /* right */
	{ 0x50, "\x1b[D" },  /* left */
	{ 0x4a, "\x1b[H" },  /* Home */
	{ 0x4d, "\x1b[F" },  /* End */
	{ 0x49, "\x1b[2~" }, /* Insert */
	{ 0x4c, "\x1b[3~" }, /* Delete */
	{ 0x4b, "\x1b[5~" }, /* Page Up */
	{ 0x4e, "\x1b[6~" }, /* Page Down */
	{ 0x58, "\r" },      /* keypad Enter */
	{ 0x54, "/" },       /* keypad / */
	{ 0x55, "*" },       /* keypad * */
	{ 0x56, "-" },       /* keypad - */
	{ 0x57, "+" },       /* keypad + */
};

#define MOD_CTRL  0x11 /* left and right */
#define MOD_SHIFT 0x22

#define REPEAT_DELAY_MS 500
#define REPEAT_MS       33

static struct {
	uint8_t last[8]; /* the previous report */
	bool caps;
	uint8_t held;         /* the key that repeats, or 0 */
	struct timespec next; /* when it repeats */
} kbd;

static void kbd_send(const char *s, size_t n)
{
	if (os_console_input(s, n) < 0)
		warn("os_console_input");
}

/* Send what key code, pressed with modifiers mods, types. */
static void kbd_key(uint8_t code, uint8_t mods)
{
	bool shift = mods & MOD_SHIFT;
	char c;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (special[i].code == code) {
			kbd_send(special[i].seq, strlen(special[i].seq));
			return;
		}
	if (code < KEY_FIRST || code >= KEY_FIRST + sizeof(plain) - 1)
		return;
	if (code < KEY_FIRST + 26 && kbd.caps)
		shift = !shift; /* Caps Lock: letters only, Shift undoes it */
	c = (shift ? shifted : plain)[code - KEY_FIRST];
	if ((mods & MOD_CTRL) &&
	    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '[' || c == '\\' || c == ']'))
		c &= 0x1f; /* Ctrl-C is ETX, Ctrl-[ ESC */
	kbd_send(&c, 1);
}

static void kbd_after(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_nsec += ms * 1000000;
	t->tv_sec += t->tv_nsec / 1000000000;
	t->tv_nsec %= 1000000000;
}

/* A boot report: the keys in it and not in the last one were pressed. */
static void kbd_report(const uint8_t *r)
{
	bool held = false;

	for (int i = 2; i < 8; i++) {
		uint8_t code = r[i];

		if (code < KEY_FIRST || memchr(kbd.last + 2, code, 6))
			continue; /* none, an error code (1-3), or still held */
		if (code == KEY_CAPSLOCK) {
			kbd.caps = !kbd.caps;
			continue;
		}
		kbd_key(code, r[0]);
		kbd.held = code;
		kbd_after(&kbd.next, REPEAT_DELAY_MS);
	}
	for (int i = 2; i < 8; i++)
		held |= kbd.held && r[i] == kbd.held;
	if (!held)
		kbd.held = 0;
	memcpy(kbd.last, r, sizeof(kbd.last));
}

/* Milliseconds until the held key repeats (repeating it if that is now),
 * at most max. */
static long kbd_repeat(long max)
{
	struct timespec now;
	long ms;

	if (!kbd.held)
		return max;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (kbd.next.tv_sec - now.tv_sec) * 1000 + (kbd.next.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0) {
		kbd_key(kbd.held, kbd.last[0]);
		kbd_after(&kbd.next, REPEAT_MS);
		ms = REPEAT_MS;
	}
	return ms < max ? ms : max;
}

/* The keyboard reports to the driver: say so, and end the parent. */
static void usbkbd_ready(int irq)
{
	if (irq >= 0)
		printf("usbkbd: ready (irq %d)\n", irq);
	else
		printf("usbkbd: ready (polling)\n");
	fflush(stdout);
	if (background_ready() != 0)
		warn("--background");
}

static void kbd_poll(void)
{
	uint8_t report[8];

	if (usb_keyboard_report(report))
		kbd_report(report);
}

/* Wait for an interrupt, the poll period or the next key repeat. */
static void kbd_wait(int irq)
{
	struct os_irq_msg msg;
	long ms = kbd_repeat(irq >= 0 ? 1000 : 10);
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	pid_t from;

	if (os_recv_timeout(OS_MSG_ANY, &msg, sizeof(msg), &from, 0, &t) >= 0 && from == 0) {
		kbd_poll();
		usb_interrupt_done();
	}
	kbd_poll(); /* a report that came while the line was masked */
}

int main(int argc, char *argv[])
{
	int irq;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--background") == 0) {
		if (background_start() != 0)
			err(1, "--background");
	} else if (argc != 1) {
		errx(2, "usage: usbkbd [--background]");
	}
	irq = usb_keyboard_open();
	if (irq == USB_NO_CONTROLLER || irq == USB_NO_KEYBOARD) {
		printf("usbkbd: no %s\n", irq == USB_NO_KEYBOARD ? "keyboard" : "UHCI controller");
		return 0;
	}
	usbkbd_ready(irq);
	for (;;)
		kbd_wait(irq);
}
