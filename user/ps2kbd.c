/*
 * ps2kbd: the PS/2 keyboard driver, in userspace.
 *
 * It owns IRQ 1 and the i8042 controller's ports, 0x60 (data) and 0x64
 * (status and command), which the kernel gives it because its name is in
 * drivers= (proc/hwaccess.c).  Each interrupt comes as a message from pid
 * 0 (<os/irq.h>); the driver reads every byte the controller has, turns
 * scan codes into characters and hands them to the console with
 * os_console_input, as if typed on the serial line: the terminal's line
 * discipline echoes and edits them and makes Ctrl-C a SIGINT.  Then it
 * acknowledges the IRQ, which unmasks the line.
 *
 * Scan codes are set 1, which the i8042 delivers by default (it translates
 * the keyboard's set 2; the configuration byte's bit 6): a key's make code
 * when pressed, make | 0x80 when released, and 0xe0 before the codes of
 * the keys the XT did not have (arrows, Home, End, Delete, right Ctrl).
 * The keyboard's typematic repeat sends the make code again while a key is
 * held, so a held key repeats by itself.  Shift, Ctrl and Caps Lock are
 * tracked here; arrows and the editing keys become the ANSI sequences a
 * VT100 sends (ESC [ A ...), Enter CR and Backspace DEL, as a serial
 * terminal does.  References: the OSDev wiki's "PS/2 Keyboard" and "8042
 * PS/2 Controller" pages.
 *
 * Started by init (conf/ramdisk/etc/inittab).  It says "ps2kbd: ready"
 * once the IRQ is its own, and runs until killed.
 */
#include <err.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <os/os.h>

#define KBD_DATA   0x60
#define KBD_STATUS 0x64 /* read: status; write: a controller command */
#define KBD_IRQ    1

#define STATUS_OUT_FULL 0x01 /* a byte waits at KBD_DATA */
#define STATUS_IN_FULL  0x02 /* the controller has not taken our last byte */

#define CMD_WRITE_CONFIG 0x60
/* The configuration byte: bit 0 interrupt when a keyboard byte arrives,
 * bit 5 second port's clock off, bit 6 translate to set 1. */
#define CONFIG 0x61

#define SC_RELEASE  0x80
#define SC_EXTENDED 0xe0
#define SC_LCTRL    0x1d
#define SC_LSHIFT   0x2a
#define SC_RSHIFT   0x36
#define SC_CAPSLOCK 0x3a

/* Set 1 make codes 0x00-0x39 to characters, without and with Shift. */
static const char plain[0x3a] = {
	0,    27,  '1', '2', '3', '4', '5', '6', '7', '8', '9',  '0', '-', '=',  127,
	'\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p',  '[', ']', '\r', 0,
	'a',  's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,   '\\', 'z',
	'x',  'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0,   '*',  0,   ' ',
};
static const char shifted[0x3a] = {
	0,    27,  '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',  127,
	'\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0,
	'A',  'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,   '|',  'Z',
	'X',  'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,   ' ',
};

/* The keys after 0xe0 that send an escape sequence. */
static const struct {
	unsigned char code;
	const char *seq;
} extended[] = {
	{ 0x48, "\x1b[A" },  /* up */
	{ 0x50, "\x1b[B" },  /* down */
	{ 0x4d, "\x1b[C" },  /* right */
	{ 0x4b, "\x1b[D" },  /* left */
	{ 0x47, "\x1b[H" },  /* Home */
	{ 0x4f, "\x1b[F" },  /* End */
	{ 0x52, "\x1b[2~" }, /* Insert */
	{ 0x53, "\x1b[3~" }, /* Delete */
	{ 0x49, "\x1b[5~" }, /* Page Up */
	{ 0x51, "\x1b[6~" }, /* Page Down */
	{ 0x1c, "\r" },      /* keypad Enter */
	{ 0x35, "/" },       /* keypad / */
};

static struct {
	bool lshift, rshift, ctrl, caps;
	bool e0; /* the last byte was the 0xe0 prefix */
} kbd;

static void kbd_send(const char *s, size_t n)
{
	if (os_console_input(s, n) < 0)
		warn("os_console_input");
}

/* A make or break code after 0xe0. */
static void kbd_extended(unsigned char code)
{
	/* BEGIN STAGE drivers: right Ctrl, or on a make code the key's sequence from extended[] */
	if ((code & ~SC_RELEASE) == SC_LCTRL) { /* right Ctrl */
		kbd.ctrl = !(code & SC_RELEASE);
		return;
	}
	if (code & SC_RELEASE)
		return;
	for (size_t i = 0; i < sizeof(extended) / sizeof(extended[0]); i++)
		if (extended[i].code == code)
			kbd_send(extended[i].seq, strlen(extended[i].seq));
	/* STUB
	(void)code, (void)extended;
	END STAGE drivers */
}

/* The character of make code code with the current modifiers, or 0. */
static char kbd_char(unsigned char code)
{
	/* BEGIN STAGE drivers: plain[] or shifted[]; Caps Lock for letters only; Ctrl makes a control code */
	bool shift = kbd.lshift || kbd.rshift;
	char c;

	if (code >= sizeof(plain))
		return 0;
	c = plain[code];
	if (c >= 'a' && c <= 'z' && kbd.caps)
		shift = !shift; /* Caps Lock: letters only, Shift undoes it */
	if (shift)
		c = shifted[code];
	if (kbd.ctrl &&
	    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '[' || c == '\\' || c == ']'))
		c &= 0x1f; /* Ctrl-C is ETX, Ctrl-[ ESC */
	return c;
	/* STUB
	(void)code, (void)plain, (void)shifted;
	return 0;
	END STAGE drivers */
}

static void kbd_scancode(unsigned char code)
{
	/* BEGIN STAGE drivers: 0xe0 prefix, the modifiers' make and break codes, else a character */
	bool up = code & SC_RELEASE;
	char c;

	if (code == SC_EXTENDED) {
		kbd.e0 = true;
		return;
	}
	if (kbd.e0) {
		kbd.e0 = false;
		kbd_extended(code);
		return;
	}
	switch (code & ~SC_RELEASE) {
	case SC_LSHIFT:
		kbd.lshift = !up;
		return;
	case SC_RSHIFT:
		kbd.rshift = !up;
		return;
	case SC_LCTRL:
		kbd.ctrl = !up;
		return;
	case SC_CAPSLOCK:
		if (!up)
			kbd.caps = !kbd.caps; /* repeats toggle too, as on a PC */
		return;
	}
	if (!up && (c = kbd_char(code)) != 0)
		kbd_send(&c, 1);
	/* STUB
	(void)code, (void)kbd, (void)kbd_extended, (void)kbd_char, (void)kbd_send;
	END STAGE drivers */
}

/* Wait until the controller will take a byte, then write it. */
static void kbd_write(unsigned short port, unsigned char v)
{
	while (inb(KBD_STATUS) & STATUS_IN_FULL)
		;
	outb(v, port);
}

static void kbd_drain(void)
{
	while (inb(KBD_STATUS) & STATUS_OUT_FULL)
		(void)inb(KBD_DATA);
}

/*
 * Configure the controller: keyboard interrupt on, the second (mouse)
 * port's clock off, translation to set 1 on.  The byte is written, not
 * read, changed and written back: a byte from the keyboard arriving
 * between the read command and its answer would pass for the
 * configuration.
 */
static void kbd_init(void)
{
	kbd_drain();
	kbd_write(KBD_STATUS, CMD_WRITE_CONFIG);
	kbd_write(KBD_DATA, CONFIG);
	kbd_drain();
}

int main(void)
{
	struct os_irq_msg m;
	pid_t from;

	if (ioperm(KBD_DATA, 1, 1) != 0 || ioperm(KBD_STATUS, 1, 1) != 0)
		err(1, "ioperm");
	if (os_irq_attach(KBD_IRQ, 0) != 0)
		err(1, "os_irq_attach(%d)", KBD_IRQ);
	kbd_init();
	printf("ps2kbd: ready\n");
	fflush(stdout);
	for (;;) {
		if (os_recv(OS_MSG_ANY, &m, sizeof(m), &from, 0) < 0)
			err(1, "os_recv");
		if (from != 0)
			continue; /* not the kernel's: no message of ours */
		while (inb(KBD_STATUS) & STATUS_OUT_FULL)
			kbd_scancode(inb(KBD_DATA));
		os_irq_ack(KBD_IRQ);
	}
}
