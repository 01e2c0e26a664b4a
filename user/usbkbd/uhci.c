/*
 * usbkbd's host controller side: UHCI, and the USB requests that set up
 * the keyboard (the story of the driver is in hid.c; usbkbd.h the calls).
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
 */
#include <err.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <os/os.h>
#include "usbkbd.h"

/* PCI configuration space, mechanism #1. */
#define PCI_ADDRESS 0xcf8
#define PCI_DATA    0xcfc
#define PCI_CLASS   0x08 /* class, subclass, prog-if, revision: 8 bits each */
#define PCI_COMMAND 0x04
#define PCI_BAR4    0x20
#define PCI_IRQLINE 0x3c
/* UHCI's legacy support (PIIX3 datasheet, 2.3.13): the BIOS's keyboard
 * emulation and its status bits (written 1 to clear), and bit 13, which
 * routes the controller's interrupt to its PCI line. */
#define PCI_LEGSUP   0xc0
#define LEGSUP_CLEAR 0x8f00
#define LEGSUP_PIRQ  0x2000
#define CMD_IO       0x1
#define CMD_MASTER   0x4

/* UHCI registers, offsets from BAR 4 (UHCI 1.1, 2.1). */
#define USBCMD     0x00
#define USBSTS     0x02
#define USBINTR    0x04
#define FRNUM      0x06
#define FRBASEADD  0x08
#define SOFMOD     0x0c
#define PORTSC     0x10 /* two ports, 2 bytes each */
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
#define TD_IOC    0x01000000u
#define TD_LS     0x04000000u
#define TD_CERR3  0x18000000u /* retry a failing packet three times */
#define PID_SETUP 0x2d
#define PID_IN    0x69
#define PID_OUT   0xe1

struct uhci_td {
	volatile uint32_t link, status, token, buffer;
	uint32_t unused[4]; /* the software's (UHCI 1.1, 3.2): 32 bytes keep TDs aligned */
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
			pci_write16(bus, dev, fn, PCI_LEGSUP, LEGSUP_CLEAR);
			pci_write16(bus, dev, fn, PCI_LEGSUP, LEGSUP_PIRQ); /* emulation off */
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
	/* MaxLen is the length less one, 0x7ff for none (UHCI 1.1, 3.2.3). */
	uint32_t maxlen = len ? (uint32_t)len - 1 : 0x7ff;

	td->token = maxlen << 21 | (uint32_t)toggle << 19 | (uint32_t)ep << 15 |
		    (uint32_t)addr << 8 | (uint32_t)pid;
	td->status = TD_ACTIVE | TD_CERR3 | hc.ls;
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

/* Requests (USB 2.0, 9.4; HID 1.11, 7.2): bmRequestType, then bRequest. */
#define REQ_OUT           0x00 /* host to device, standard, to the device */
#define REQ_IN            0x80 /* device to host */
#define REQ_CLASS_IFACE   0x21 /* host to device, class, to an interface */
#define GET_DESCRIPTOR    6
#define SET_ADDRESS       5
#define SET_CONFIGURATION 9
#define HID_SET_IDLE      0x0a
#define HID_SET_PROTOCOL  0x0b
#define HID_BOOT_PROTOCOL 0
#define DESC_DEVICE       1
#define DESC_CONFIG       2
#define DESC_INTERFACE    4
#define DESC_ENDPOINT     5

static int usb_get_descriptor(int addr, int type, uint16_t len)
{
	return usb_control(addr, REQ_IN, GET_DESCRIPTOR, (uint16_t)(type << 8), 0, len);
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

static int usb_fail(const char *why)
{
	warnx("%s", why);
	return -1;
}

/* Enumerate the device on hc.port as address 1; 0 or -1 (said why). */
static int usb_enumerate(void)
{
	const uint8_t *d = hc.mem->data;
	int len, config, vendor, product;

	hc.maxpkt = 8;
	if (usb_get_descriptor(0, DESC_DEVICE, 8) < 8)
		return usb_fail("no device descriptor");
	hc.maxpkt = d[7]; /* USB 2.0, 9.6.1: 8, 16, 32 or 64 */
	if (hc.maxpkt != 8 && hc.maxpkt != 16 && hc.maxpkt != 32 && hc.maxpkt != 64)
		return usb_fail("a bad control packet size");
	if (usb_control(0, REQ_OUT, SET_ADDRESS, 1, 0, 0) < 0)
		return usb_fail("SET_ADDRESS refused");
	msleep(10); /* USB 2.0, 9.2.6.3: 2 ms of recovery */
	if (usb_get_descriptor(1, DESC_DEVICE, 18) < 18)
		return usb_fail("no device descriptor at address 1");
	vendor = d[8] | d[9] << 8;
	product = d[10] | d[11] << 8;
	if (usb_get_descriptor(1, DESC_CONFIG, 9) < 9)
		return usb_fail("no configuration descriptor");
	len = d[2] | d[3] << 8;
	len = len > DATA_MAX ? DATA_MAX : len;
	if ((len = usb_get_descriptor(1, DESC_CONFIG, (uint16_t)len)) < 9 ||
	    (config = usb_parse_config(d, len)) < 0) {
		warnx("port %d: %04x:%04x is not a boot keyboard", hc.port + 1, vendor, product);
		return -1;
	}
	printf("usbkbd: keyboard %04x:%04x on port %d, address 1, endpoint %d\n", vendor, product,
	       hc.port + 1, hc.ep);
	if (usb_control(1, REQ_OUT, SET_CONFIGURATION, (uint16_t)config, 0, 0) < 0 ||
	    usb_control(1, REQ_CLASS_IFACE, HID_SET_PROTOCOL, HID_BOOT_PROTOCOL, hc.iface, 0) < 0 ||
	    usb_control(1, REQ_CLASS_IFACE, HID_SET_IDLE, 0 /* report on change only */, hc.iface,
			0) < 0)
		return usb_fail("configuration refused");
	return 0;
}

/* Ask the keyboard's endpoint for the next report. */
static void uhci_kbd_arm(void)
{
	struct uhci_mem *m = hc.mem;

	td_fill(&m->td[0], PID_IN, 1, hc.ep, hc.toggle, 8, m->report);
	m->td[0].status |= TD_IOC;
	__sync_synchronize();
	m->qh_kbd.element = uhci_phys(&m->td[0]);
}

/* The first port with a boot keyboard; a port with something else is
 * disabled again, so that the next device may take address 1 too. */
static bool usb_find_keyboard(void)
{
	for (hc.port = 0; hc.port < 2; hc.port++) {
		if (!uhci_port_reset(hc.port))
			continue;
		if (usb_enumerate() == 0)
			return true;
		outw(0, hc.io + PORTSC + 2 * hc.port);
	}
	return false;
}

int usb_keyboard_open(void)
{
	if (ioperm(PCI_ADDRESS, 8, 1) != 0)
		err(1, "ioperm");
	if (!pci_find_uhci())
		return USB_NO_CONTROLLER;
	if (ioperm(hc.io, UHCI_NREGS, 1) != 0)
		err(1, "ioperm");
	if ((hc.mem = os_dma_alloc(sizeof(*hc.mem), &hc.phys)) == MAP_FAILED)
		err(1, "os_dma_alloc");
	if (hc.irq == 0 || hc.irq >= 16 || os_irq_attach(hc.irq, 0) != 0)
		hc.irq = -1;
	if (uhci_init() != 0)
		errx(1, "the controller does not start");
	if (!usb_find_keyboard())
		return USB_NO_KEYBOARD;
	uhci_kbd_arm();
	return hc.irq;
}

bool usb_keyboard_report(uint8_t report[8])
{
	struct uhci_td *td = &hc.mem->td[0];
	bool got = false;

	if (td->status & TD_ACTIVE)
		return false;
	if (td->status & TD_ERRORS) {
		warnx("report: status %08x", td->status); /* the same toggle again */
	} else {
		got = ((td->status + 1) & 0x7ff) >= 3;
		if (got)
			memcpy(report, hc.mem->report, 8);
		hc.toggle ^= 1; /* a packet went through: DATA0, DATA1, ... */
	}
	uhci_kbd_arm();
	return got;
}

void usb_interrupt_done(void)
{
	outw(inw(hc.io + USBSTS), hc.io + USBSTS); /* the line goes down */
	os_irq_ack(hc.irq);
}
