/*
 * usbkbd: a USB keyboard driver, in userspace, on a UHCI host controller.
 *
 * The controller.  UHCI (Intel's Universal Host Controller Interface,
 * revision 1.1; QEMU's piix3-usb-uhci) is a PCI function of class 0x0c
 * (serial bus), subclass 0x03 (USB), programming interface 0x00.  The
 * driver finds it by reading PCI configuration space through ports
 * 0xcf8/0xcfc (mechanism #1), turns on its I/O space and bus mastering,
 * switches off the BIOS's legacy keyboard emulation (register 0xc0) and
 * takes its 32 registers at the I/O address of BAR 4, all through
 * ioperm(2): the kernel gives usbkbd the right because its name is in
 * drivers= (proc/hwaccess.c).  Without such a controller it says so and
 * exits 0.
 *
 * What the controller reads.  It walks memory on its own (bus-master
 * DMA), so its structures live in memory from os_dma_alloc(2), whose
 * physical address the driver knows: the frame list (1024 pointers, one
 * per 1 ms frame), queue heads (QH: a link to the next QH and the first
 * transfer descriptor of the queue) and transfer descriptors (TD: one USB
 * packet each, with its status, which the controller writes back).  Every
 * frame points at the keyboard's QH, whose one TD asks the keyboard's
 * interrupt endpoint for a report; it links to the control QH, where
 * enumeration puts its transfers.  Asking every frame is more often than
 * the endpoint's interval, which a device may answer with NAK: the
 * controller then leaves the TD active and tries in the next frame.
 *
 * Enumeration (USB 2.0, chapter 9): reset the port, read the first 8
 * bytes of the device descriptor at address 0 (the control endpoint's
 * packet size), SET_ADDRESS 1, read the device and configuration
 * descriptors, find a boot keyboard interface (HID class 3, subclass 1,
 * protocol 1) and its interrupt IN endpoint, SET_CONFIGURATION, then the
 * HID class requests SET_PROTOCOL (boot) and SET_IDLE (a report only when
 * something changes; HID 1.11, 7.2).  It prints
 *   usbkbd: keyboard VVVV:PPPP on port N, address 1, endpoint E
 *   usbkbd: ready (irq I) | usbkbd: ready (polling)
 *
 * Waiting.  The driver attaches the controller's PCI interrupt line
 * (configuration register 0x3c) with os_irq_attach and asks for an
 * interrupt when a TD with IOC completes; if the line cannot be had it
 * polls every 10 ms.  Either way it sleeps in os_recv with a timeout, so
 * that key repeat runs on time.
 *
 * Reports (HID 1.11, appendix B.1): 8 bytes, the modifier bits (Ctrl,
 * Shift, Alt, GUI, left then right), a reserved byte and up to 6 usage
 * codes of the keys held.  A code that was not in the previous report was
 * just pressed: its character (with Shift, Caps Lock, Ctrl), or for the
 * arrows and editing keys the ANSI sequence a VT100 sends, goes to the
 * console with os_console_input, as user/ps2kbd.c does.  A USB keyboard
 * does not repeat by itself: the host does.  The newest key held repeats
 * after 500 ms, 30 times a second, until released.
 *
 * Started by init (conf/ramdisk/etc/inittab) as `usbkbd --background`:
 * the driver is a child, and the command ends when it is ready (status 0)
 * or has ended (its status), so that init's `wait` entry has every line
 * of it printed before the shell starts.  The driver runs until killed.
 */
#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#include <os/irq.h>
#include <os/os.h>

/* PCI configuration space, mechanism #1. */
#define PCI_ADDRESS 0xcf8
#define PCI_DATA    0xcfc
#define PCI_CLASS   0x08 /* class, subclass, prog-if, revision: 8 bits each */
#define PCI_COMMAND 0x04
#define PCI_BAR4    0x20
#define PCI_IRQLINE 0x3c
#define PCI_LEGSUP  0xc0 /* UHCI: legacy support (BIOS keyboard emulation) */
#define CMD_IO      0x1
#define CMD_MASTER  0x4

/* UHCI registers, offsets from BAR 4 (UHCI 1.1, 2.1). */
#define USBCMD    0x00
#define USBSTS    0x02
#define USBINTR   0x04
#define FRNUM     0x06
#define FRBASEADD 0x08
#define SOFMOD    0x0c
#define PORTSC    0x10 /* two ports, 2 bytes each */
#define UHCI_NREGS 0x20

#define USBCMD_RS      0x01 /* run */
#define USBCMD_HCRESET 0x02
#define USBCMD_GRESET  0x04
#define USBCMD_CF      0x40
#define USBCMD_MAXP    0x80 /* 64-byte bandwidth reclamation packets */
#define USBSTS_HALTED  0x20
#define USBINTR_IOC    0x04

#define PORT_CCS 0x0001 /* a device is connected */
#define PORT_CSC 0x0002 /* connect change (write 1 to clear) */
#define PORT_PE  0x0004 /* enabled */
#define PORT_PEC 0x0008 /* enable change (write 1 to clear) */
#define PORT_LS  0x0100 /* the device is low speed */
#define PORT_PR  0x0200 /* reset */

/* Link pointers (frame list, QH, TD): bit 0 the end, bit 1 a QH. */
#define LINK_END   0x1
#define LINK_QH    0x2
#define LINK_DEPTH 0x4 /* TD: go on down this queue in the same frame */

/* TD status bits (UHCI 1.1, 3.2.2) and PIDs. */
#define TD_ACTIVE 0x00800000u
#define TD_ERRORS 0x007e0000u /* stalled, buffer, babble, NAK, CRC/timeout, bitstuff */
#define TD_STALL  0x00400000u
#define TD_NAK    0x00080000u
#define TD_IOC    0x01000000u
#define TD_LS     0x04000000u
#define TD_CERR3  0x18000000u /* retry a failing packet three times */
#define PID_SETUP 0x2d
#define PID_IN    0x69
#define PID_OUT   0xe1

struct uhci_td {
	volatile uint32_t link, status, token, buffer;
	uint32_t unused[4]; /* the driver's; TDs are 16-byte aligned anyway */
};

struct uhci_qh {
	volatile uint32_t head, element;
	uint32_t unused[2];
};

#define NTDS     32
#define DATA_MAX 512

/* The DMA memory: the frame list must be 4 KiB aligned, hence first. */
struct uhci_mem {
	volatile uint32_t frames[1024];
	struct uhci_qh qh_kbd, qh_ctrl;
	struct uhci_td td[NTDS]; /* td[0]: the keyboard's; the rest: control */
	uint8_t setup[8];
	uint8_t report[8];
	uint8_t data[DATA_MAX];
};

static struct {
	uint16_t io; /* BAR 4 */
	struct uhci_mem *mem;
	uint64_t phys; /* of mem */
	int irq;       /* attached line, or -1: polling */
	int port;      /* 0 or 1 */
	uint32_t ls;   /* TD_LS for a low-speed device */
	int maxpkt;    /* the control endpoint's packet size */
	int ep, iface, toggle;
} hc = { .irq = -1 };

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint32_t pci_read(int bus, int dev, int fn, int reg)
{
	outl(0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg, PCI_ADDRESS);
	return inl(PCI_DATA);
}

static void pci_write16(int bus, int dev, int fn, int reg, uint16_t v)
{
	outl(0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & ~3), PCI_ADDRESS);
	outw(v, PCI_DATA + (reg & 2));
}

/* The first UHCI function on bus 0 (QEMU's pc machine has one bus): its
 * I/O base and IRQ line, I/O and bus mastering on; false if none. */
static bool pci_find_uhci(void)
{
	const int bus = 0;

	for (int dev = 0; dev < 32; dev++)
		for (int fn = 0; fn < 8; fn++) {
			if ((pci_read(bus, dev, fn, 0) & 0xffff) == 0xffff)
				continue;
			if (pci_read(bus, dev, fn, PCI_CLASS) >> 8 != 0x0c0300)
				continue;
			hc.io = pci_read(bus, dev, fn, PCI_BAR4) & 0xffe0;
			hc.irq = pci_read(bus, dev, fn, PCI_IRQLINE) & 0xff;
			pci_write16(bus, dev, fn, PCI_LEGSUP, 0x8f00); /* off; clear its status */
			pci_write16(bus, dev, fn, PCI_COMMAND,
				    (pci_read(bus, dev, fn, PCI_COMMAND) & 0xffff) | CMD_IO |
					    CMD_MASTER);
			return true;
		}
	return false;
}

static uint32_t uhci_phys(const volatile void *p)
{
	return (uint32_t)(hc.phys + (uint64_t)((const volatile char *)p - (char *)hc.mem));
}

/* Reset the controller, point it at the frame list and start it. */
static int uhci_init(void)
{
	struct uhci_mem *m = hc.mem;

	outw(USBCMD_GRESET, hc.io + USBCMD); /* UHCI 1.1, 2.1.1: at least 10 ms */
	msleep(50);
	outw(0, hc.io + USBCMD);
	msleep(10);
	outw(USBCMD_HCRESET, hc.io + USBCMD);
	for (int i = 0; inw(hc.io + USBCMD) & USBCMD_HCRESET; i++)
		if (i == 100)
			return -1;
		else
			msleep(1);
	m->qh_ctrl.head = LINK_END;
	m->qh_ctrl.element = LINK_END;
	m->qh_kbd.head = uhci_phys(&m->qh_ctrl) | LINK_QH;
	m->qh_kbd.element = LINK_END;
	for (int i = 0; i < 1024; i++)
		m->frames[i] = uhci_phys(&m->qh_kbd) | LINK_QH;
	outw(hc.irq >= 0 ? USBINTR_IOC : 0, hc.io + USBINTR);
	outw(0, hc.io + FRNUM);
	outl((uint32_t)hc.phys, hc.io + FRBASEADD);
	outb(0x40, hc.io + SOFMOD); /* 1 ms frames */
	outw(0xffff, hc.io + USBSTS);
	outw(USBCMD_RS | USBCMD_CF | USBCMD_MAXP, hc.io + USBCMD);
	msleep(2);
	return inw(hc.io + USBSTS) & USBSTS_HALTED ? -1 : 0;
}

/* Reset port n and enable it; false if nothing is connected. */
static bool uhci_port_reset(int n)
{
	uint16_t reg = hc.io + PORTSC + 2 * n;

	if (!(inw(reg) & PORT_CCS))
		return false;
	outw(PORT_PR, reg); /* USB 2.0, 7.1.7.5: reset for at least 10 ms */
	msleep(50);
	outw(0, reg);
	msleep(1);
	for (int i = 0; i < 10; i++) {
		outw(PORT_PE | PORT_CSC | PORT_PEC, reg);
		msleep(10);
		if (inw(reg) & PORT_PE) {
			hc.ls = inw(reg) & PORT_LS ? TD_LS : 0;
			return true;
		}
	}
	return false;
}

static void td_fill(struct uhci_td *td, int pid, int addr, int ep, int toggle, int len,
		    const volatile void *buf)
{
	td->status = TD_ACTIVE | TD_CERR3 | hc.ls;
	td->token = (uint32_t)((len ? len - 1 : 0x7ff) << 21 | toggle << 19 | ep << 15 |
			       addr << 8 | pid);
	td->buffer = buf ? uhci_phys(buf) : 0;
	td->link = LINK_END;
}

/* Wait for the TDs td[1..last] of the control queue; 0 or -1. */
static int uhci_wait(int last)
{
	struct uhci_td *td = hc.mem->td;

	for (int ms = 0; ms < 1000; ms++) {
		if (!(td[last].status & TD_ACTIVE))
			return td[last].status & TD_ERRORS ? -1 : 0;
		for (int i = 1; i < last; i++)
			if (!(td[i].status & TD_ACTIVE) && (td[i].status & TD_ERRORS))
				return -1;
		msleep(1);
	}
	return -1;
}

/*
 * A control transfer to addr's endpoint 0 (USB 2.0, 8.5.3): a SETUP
 * packet, the data stage in packets of the endpoint's size, toggles
 * alternating from DATA1, and a zero-length status packet the other way.
 * The bytes read (IN) are in hc.mem->data; returns their count, or -1.
 */
static int usb_control(int addr, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		       uint16_t len)
{
	struct uhci_mem *m = hc.mem;
	bool in = type & 0x80;
	int n = 1, got = 0, toggle = 1, r;
	uint8_t setup[8] = { type, req, value, value >> 8, index, index >> 8, len, len >> 8 };

	if (len > DATA_MAX || (len + hc.maxpkt - 1) / hc.maxpkt + 3 > NTDS)
		return -1;
	memcpy(m->setup, setup, sizeof(setup));
	td_fill(&m->td[n++], PID_SETUP, addr, 0, 0, 8, m->setup);
	for (int off = 0; off < len; off += hc.maxpkt, toggle ^= 1)
		td_fill(&m->td[n++], in ? PID_IN : PID_OUT, addr, 0, toggle,
			len - off < hc.maxpkt ? len - off : hc.maxpkt, m->data + off);
	td_fill(&m->td[n], in ? PID_OUT : PID_IN, addr, 0, 1, 0, NULL);
	for (int i = 1; i < n; i++)
		m->td[i].link = uhci_phys(&m->td[i + 1]) | LINK_DEPTH;
	__sync_synchronize();
	m->qh_ctrl.element = uhci_phys(&m->td[1]);
	r = uhci_wait(n);
	m->qh_ctrl.element = LINK_END;
	if (r < 0)
		return -1;
	for (int i = 2; in && i < n; i++)
		got += (m->td[i].status + 1) & 0x7ff;
	return got;
}

#define GET_DESCRIPTOR 6
#define DESC_DEVICE    1
#define DESC_CONFIG    2
#define DESC_INTERFACE 4
#define DESC_ENDPOINT  5

static int usb_get_descriptor(int addr, int type, uint16_t len)
{
	return usb_control(addr, 0x80, GET_DESCRIPTOR, (uint16_t)(type << 8), 0, len);
}

/* Find a boot keyboard's interface and interrupt IN endpoint in the
 * configuration descriptor of len bytes at d; its value, or -1. */
static int usb_parse_config(const uint8_t *d, int len)
{
	bool kbd = false;

	for (int i = 0; i + 2 <= len && d[i] >= 2; i += d[i]) {
		if (d[i + 1] == DESC_INTERFACE && i + 8 <= len) {
			kbd = d[i + 5] == 3 && d[i + 6] == 1 && d[i + 7] == 1;
			if (kbd)
				hc.iface = d[i + 2];
		}
		if (kbd && d[i + 1] == DESC_ENDPOINT && i + 4 <= len && (d[i + 2] & 0x80) &&
		    (d[i + 3] & 3) == 3) {
			hc.ep = d[i + 2] & 0xf;
			return d[5];
		}
	}
	return -1;
}

/* Enumerate the device on hc.port as address 1; 0 or -1 (said why). */
static int usb_enumerate(void)
{
	const uint8_t *d = hc.mem->data;
	int len, config, vendor, product;

	hc.maxpkt = 8;
	if (usb_get_descriptor(0, DESC_DEVICE, 8) < 8)
		return warnx("no device descriptor"), -1;
	hc.maxpkt = d[7];
	if (usb_control(0, 0x00, 5 /* SET_ADDRESS */, 1, 0, 0) < 0)
		return warnx("SET_ADDRESS failed"), -1;
	msleep(10); /* USB 2.0, 9.2.6.3: 2 ms of recovery */
	if (usb_get_descriptor(1, DESC_DEVICE, 18) < 18)
		return warnx("no device descriptor at address 1"), -1;
	vendor = d[8] | d[9] << 8;
	product = d[10] | d[11] << 8;
	if (usb_get_descriptor(1, DESC_CONFIG, 9) < 9)
		return warnx("no configuration descriptor"), -1;
	len = d[2] | d[3] << 8;
	len = len > DATA_MAX ? DATA_MAX : len;
	if ((len = usb_get_descriptor(1, DESC_CONFIG, (uint16_t)len)) < 9 ||
	    (config = usb_parse_config(d, len)) < 0)
		return warnx("%04x:%04x is not a boot keyboard", vendor, product), -1;
	printf("usbkbd: keyboard %04x:%04x on port %d, address 1, endpoint %d\n", vendor, product,
	       hc.port + 1, hc.ep);
	if (usb_control(1, 0x00, 9 /* SET_CONFIGURATION */, (uint16_t)config, 0, 0) < 0 ||
	    usb_control(1, 0x21, 0x0b /* SET_PROTOCOL */, 0 /* boot */, hc.iface, 0) < 0 ||
	    usb_control(1, 0x21, 0x0a /* SET_IDLE */, 0, hc.iface, 0) < 0)
		return warnx("configuration refused"), -1;
	return 0;
}

/* Ask the keyboard's endpoint for the next report. */
static void kbd_arm(void)
{
	struct uhci_mem *m = hc.mem;

	td_fill(&m->td[0], PID_IN, 1, hc.ep, hc.toggle, 8, m->report);
	m->td[0].status |= TD_IOC;
	__sync_synchronize();
	m->qh_kbd.element = uhci_phys(&m->td[0]);
}

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
	uint8_t last[8];       /* the previous report */
	bool caps;
	uint8_t held;          /* the key that repeats, or 0 */
	struct timespec next;  /* when it repeats */
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

/* The keyboard's TD is done: take its report, ask for the next. */
static void kbd_poll(void)
{
	struct uhci_td *td = &hc.mem->td[0];

	if (td->status & TD_ACTIVE)
		return;
	if (td->status & TD_ERRORS)
		warnx("report: status %08x", td->status);
	else if (((td->status + 1) & 0x7ff) >= 3)
		kbd_report(hc.mem->report);
	hc.toggle ^= 1;
	kbd_arm();
}

/* Wait for an interrupt, the poll period or the next key repeat. */
static void kbd_wait(void)
{
	struct os_irq_msg msg;
	long ms = kbd_repeat(hc.irq >= 0 ? 1000 : 10);
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	pid_t from;

	if (os_recv_timeout(OS_MSG_ANY, &msg, sizeof(msg), &from, 0, &t) >= 0 && from == 0) {
		outw(inw(hc.io + USBSTS), hc.io + USBSTS); /* the line goes down */
		kbd_poll();
		os_irq_ack(hc.irq);
	}
	kbd_poll();
}

static bool usb_find_keyboard(void)
{
	for (hc.port = 0; hc.port < 2; hc.port++)
		if (uhci_port_reset(hc.port) && usb_enumerate() == 0)
			return true;
	return false;
}

static int ready_fd = -1; /* --background: the pipe to the waiting parent */

/* Go on in a child; the parent ends when it is ready or gone. */
static void usbkbd_background(void)
{
	int fds[2], status;
	pid_t pid;
	char c;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		err(1, "--background");
	if (pid == 0) {
		close(fds[0]);
		ready_fd = fds[1];
		return;
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) == 1)
		_exit(0);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(1);
}

static void usbkbd_ready(void)
{
	if (hc.irq >= 0)
		printf("usbkbd: ready (irq %d)\n", hc.irq);
	else
		printf("usbkbd: ready (polling)\n");
	fflush(stdout);
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) != 1)
			warn("--background");
		close(ready_fd);
	}
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--background") == 0)
		usbkbd_background();
	else if (argc != 1)
		errx(2, "usage: usbkbd [--background]");
	if (ioperm(PCI_ADDRESS, 8, 1) != 0)
		err(1, "ioperm");
	if (!pci_find_uhci()) {
		printf("usbkbd: no UHCI controller\n");
		return 0;
	}
	if (ioperm(hc.io, UHCI_NREGS, 1) != 0)
		err(1, "ioperm");
	if ((hc.mem = os_dma_alloc(sizeof(*hc.mem), &hc.phys)) == MAP_FAILED)
		err(1, "os_dma_alloc");
	if (hc.irq == 0 || hc.irq >= 16 || os_irq_attach(hc.irq, 0) != 0)
		hc.irq = -1;
	if (uhci_init() != 0)
		errx(1, "the controller does not start");
	if (!usb_find_keyboard()) {
		printf("usbkbd: no keyboard\n");
		return 0;
	}
	kbd_arm();
	usbkbd_ready();
	for (;;)
		kbd_wait();
}
