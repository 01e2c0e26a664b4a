/*
 * hwtest: hardware access of user-mode drivers, driven by
 * grade/drivers_hw.py.
 *
 *   hwtest ports    with the right: ioperm and iopl as Linux's, the RTC's
 *                   date read through ports 0x70/0x71, a port not allowed
 *                   faulting, the bitmap kept by a forked child and across
 *                   execve, ioperm off revoking
 *   hwtest denied   without the right: EPERM from each call, no port
 *   hwtest inb PORT read PORT once and print it (what `ports` execs)
 *   hwtest irq      IRQ 1 (the keyboard) as messages: the grader presses
 *                   keys; a line stays masked until os_irq_ack
 *   hwtest irqcrash a child that attached IRQ 1 dies of SIGSEGV: the line
 *                   is freed (and EBUSY while it lived)
 *   hwtest serial   os_serial_read: poll, timeout, bytes typed raw
 *   hwtest ttys0    /dev/ttyS0: its number, write, raw read, FIONREAD
 *   hwtest keys     the terminal in raw mode: print the bytes of the keys
 *                   pressed (the PS/2 driver's), up to a 'q'
 *
 * Each check prints "hwtest: WHAT: VALUE", VALUE being a result ("0", an
 * errno name), a child's end ("exit 0", "signal 11") or a value read; the
 * grader holds what each must be.  Something that a child of a fork does
 * (an in or out that may fault) is reported by the parent from wait4.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <os/os.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EINVAL:
		return "EINVAL";
	case EBUSY:
		return "EBUSY";
	case ENOMEM:
		return "ENOMEM";
	case EFAULT:
		return "EFAULT";
	case EAGAIN:
		return "EAGAIN";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	default:
		return strerror(e);
	}
}

/* "0" or the errno's name of a call's result r. */
static void result(const char *what, long r)
{
	printf("hwtest: %s: %s\n", what, r == -1 ? errname(errno) : r == 0 ? "0" : "nonzero");
	fflush(stdout);
}

/* Run fn in a child and say how the child ended. */
static void in_child(const char *what, void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("hwtest: %s: fork or wait failed: %s\n", what, strerror(errno));
		return;
	}
	if (WIFSIGNALED(status))
		printf("hwtest: %s: signal %d\n", what, WTERMSIG(status));
	else
		printf("hwtest: %s: exit %d\n", what, WEXITSTATUS(status));
	fflush(stdout);
}

static unsigned cmos_read(unsigned reg)
{
	outb((unsigned char)reg, CMOS_INDEX);
	return inb(CMOS_DATA);
}

/* A BCD or binary RTC field, as status register B (bit 2) says. */
static unsigned rtc_field(unsigned reg)
{
	unsigned v = cmos_read(reg);

	return cmos_read(0x0b) & 4 ? v : (v >> 4) * 10 + (v & 15);
}

static void print_date(void)
{
	printf("hwtest: rtc date: 20%02u-%02u-%02u\n", rtc_field(9), rtc_field(8), rtc_field(7));
	fflush(stdout);
}

static void read_cmos(void)
{
	(void)cmos_read(0x0b);
}

static void read_port_72(void)
{
	(void)inb(0x72);
}

/* A word from 0x71 also reads 0x72: every bit of the access must be clear. */
static void read_word_71(void)
{
	(void)inw(CMOS_DATA);
}

static void read_port_61(void)
{
	(void)inb(0x61);
}

/* iopl(3) as Linux >= 5.5 emulates it: ports, not the interrupt flag. */
static void disable_interrupts(void)
{
	__asm__ volatile("cli; sti");
}

static void exec_inb(void)
{
	execl("/bin/hwtest", "hwtest", "inb", "0x71", (char *)NULL);
	_exit(127);
}

static void ports(void)
{
	errno = 0;
	result("ioperm 65535+2", ioperm(65535, 2, 1));
	result("ioperm 0+0", ioperm(0, 0, 1));
	result("iopl 4", iopl(4));
	in_child("inb 0x71 before ioperm", read_cmos);
	result("ioperm 0x70+2 on", ioperm(CMOS_INDEX, 2, 1));
	print_date();
	in_child("inb 0x72 not allowed", read_port_72);
	in_child("inw 0x71 reaching 0x72", read_word_71);
	in_child("inb 0x71 in a forked child", read_cmos);
	in_child("inb 0x71 after execve", exec_inb);
	result("iopl 3", iopl(3));
	in_child("inb 0x61 with iopl 3", read_port_61);
	in_child("cli with iopl 3", disable_interrupts);
	result("iopl 0", iopl(0));
	in_child("inb 0x61 after iopl 0", read_port_61);
	in_child("inb 0x71 after iopl 0", read_cmos);
	result("ioperm 0x71+1 off", ioperm(CMOS_DATA, 1, 0));
	in_child("inb 0x71 after ioperm off", read_cmos);
	printf("hwtest: ports: done\n");
}

static void denied(void)
{
	result("ioperm 0x70+2 on", ioperm(CMOS_INDEX, 2, 1));
	result("iopl 3", iopl(3));
	result("ioperm 0x70+2 off", ioperm(CMOS_INDEX, 2, 0));
	result("iopl 0", iopl(0));
	result("os_physmap", os_physmap(0xb8000, 4096, PROT_READ) == MAP_FAILED ? -1 : 0);
	in_child("inb 0x71 without the right", read_cmos);
	printf("hwtest: denied: done\n");
}

/* ---- IRQs as messages ---------------------------------------------------- */

#define KBD_DATA   0x60
#define KBD_STATUS 0x64
#define KBD_IRQ    1

static void say(const char *what)
{
	printf("hwtest: %s\n", what);
	fflush(stdout);
}

/* The i8042 delivers IRQ 1 when its configuration byte says so (bit 0);
 * drain what is waiting, so that the next IRQ is a new key's. */
static void kbd_setup(void)
{
	unsigned char config;

	ioperm(KBD_DATA, 1, 1);
	ioperm(KBD_STATUS, 1, 1);
	while (inb(KBD_STATUS) & 1)
		(void)inb(KBD_DATA);
	outb(0x20, KBD_STATUS); /* read the configuration byte */
	while (!(inb(KBD_STATUS) & 1))
		;
	config = inb(KBD_DATA);
	outb(0x60, KBD_STATUS); /* write it */
	while (inb(KBD_STATUS) & 2)
		;
	outb(config | 1, KBD_DATA);
	while (inb(KBD_STATUS) & 1)
		(void)inb(KBD_DATA);
}

/* Wait at most ms for an IRQ message: print it and the scan code. */
static void irq_wait(const char *what, int ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };
	struct os_irq_msg m;
	pid_t from = -1;
	ssize_t n = os_recv_timeout(OS_MSG_ANY, &m, sizeof(m), &from, 0, &t);

	if (n < 0) {
		printf("hwtest: %s: %s\n", what, errname(errno));
	} else {
		printf("hwtest: %s: from %d len %zd irq %u count %llu scancode %02x\n", what,
		       (int)from, n, m.irq, m.count, inb(KBD_DATA));
	}
	fflush(stdout);
}

static void irq(void)
{
	result("attach irq 0 (the timer)", os_irq_attach(0, 0));
	result("attach irq 4 (COM1)", os_irq_attach(4, 0));
	result("attach irq 2 (the cascade)", os_irq_attach(2, 0));
	result("attach irq 16", os_irq_attach(16, 0));
	result("attach irq 1 flags 1", os_irq_attach(KBD_IRQ, 1));
	result("ack irq 1 before attach", os_irq_ack(KBD_IRQ));
	kbd_setup();
	result("attach irq 1", os_irq_attach(KBD_IRQ, 0));
	result("attach irq 1 again", os_irq_attach(KBD_IRQ, 0));
	say("irq: press a key");
	irq_wait("message 1", 20000);
	say("irq: press another key");
	irq_wait("before ack", 1500);
	for (int i = 2; i <= 4; i++) {
		char what[32];

		os_irq_ack(KBD_IRQ);
		snprintf(what, sizeof(what), "message %d", i);
		irq_wait(what, 20000);
	}
	printf("hwtest: irq: done\n");
}

static void irqcrash(void)
{
	int ready[2], status;
	char c;
	pid_t pid;

	kbd_setup();
	if (pipe(ready) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		result("child: attach irq 1", os_irq_attach(KBD_IRQ, 0));
		write(ready[1], "x", 1);
		pause(); /* until the parent's SIGSEGV */
		_exit(0);
	}
	read(ready[0], &c, 1);
	result("parent: attach irq 1 while the child has it", os_irq_attach(KBD_IRQ, 0));
	kill(pid, SIGSEGV);
	waitpid(pid, &status, 0);
	printf("hwtest: child: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	result("parent: attach irq 1 after", os_irq_attach(KBD_IRQ, 0));
	say("irq: press a key");
	irq_wait("message 1", 20000);
	printf("hwtest: irqcrash: done\n");
}

/* ---- serial input --------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void serial(void)
{
	char buf[16];
	double t;
	ssize_t n;

	result("serial_read timeout -2", os_serial_read(buf, 1, -2));
	printf("hwtest: poll: %zd\n", os_serial_read(buf, sizeof(buf), 0));
	t = now();
	n = os_serial_read(buf, sizeof(buf), 300);
	printf("hwtest: timeout 300 ms: %zd after %s\n", n,
	       now() - t >= 0.29 ? ">= 300 ms" : "less");
	say("serial: type");
	printf("hwtest: serial: got:");
	for (int i = 0; i < 3; i++) {
		n = os_serial_read(buf, 1, -1);
		if (n == 1)
			printf(" %02x", (unsigned char)buf[0]);
		else
			printf(" (%zd)", n);
	}
	printf("\n");
	say("serial: type one more");
	result("serial_read to a bad pointer", os_serial_read((void *)8, 4, -1) < 0 ? -1 : 0);
	printf("hwtest: serial: done\n");
}

static void ttys0(void)
{
	struct termios t;
	struct stat st;
	int fd = open("/dev/ttyS0", O_RDWR), n = -1;
	char buf[8] = { 0 };
	double start;

	if (fd < 0 || fstat(fd, &st) != 0) {
		printf("hwtest: ttyS0: open: %s\n", errname(errno));
		return;
	}
	printf("hwtest: ttyS0: rdev %u:%u isatty %d\n", major(st.st_rdev), minor(st.st_rdev),
	       isatty(fd));
	fflush(stdout);
	dprintf(fd, "hwtest: ttyS0: written through it\n");
	tcgetattr(fd, &t);
	t.c_lflag &= ~(unsigned)(ICANON | ECHO);
	tcsetattr(fd, TCSANOW, &t);
	result("ttyS0: FIONREAD before", ioctl(fd, FIONREAD, &n) != 0 ? -1 : n);
	say("ttyS0: type");
	for (start = now(); now() - start < 20; usleep(10000))
		if (ioctl(fd, FIONREAD, &n) == 0 && n >= 4)
			break;
	printf("hwtest: ttyS0: FIONREAD: %d\n", n);
	n = (int)read(fd, buf, 4);
	printf("hwtest: ttyS0: read %d: %s\n", n, buf);
	ioctl(fd, FIONREAD, &n);
	printf("hwtest: ttyS0: FIONREAD after: %d\n", n);
	t.c_lflag |= ICANON | ECHO;
	tcsetattr(fd, TCSANOW, &t);
	printf("hwtest: ttys0: done\n");
}

static void keys(void)
{
	struct termios saved, t;
	char c;

	tcgetattr(0, &saved);
	t = saved;
	t.c_lflag &= ~(unsigned)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
	say("keys: ready");
	printf("hwtest: keys:");
	while (read(0, &c, 1) == 1 && c != 'q')
		printf(" %02x", (unsigned char)c);
	printf("\n");
	tcsetattr(0, TCSANOW, &saved);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "ports") == 0)
		ports();
	else if (argc == 2 && strcmp(argv[1], "denied") == 0)
		denied();
	else if (argc == 2 && strcmp(argv[1], "irq") == 0)
		irq();
	else if (argc == 2 && strcmp(argv[1], "irqcrash") == 0)
		irqcrash();
	else if (argc == 2 && strcmp(argv[1], "serial") == 0)
		serial();
	else if (argc == 2 && strcmp(argv[1], "ttys0") == 0)
		ttys0();
	else if (argc == 2 && strcmp(argv[1], "keys") == 0)
		keys();
	else if (argc == 3 && strcmp(argv[1], "inb") == 0)
		printf("hwtest: inb %s: %u\n", argv[2],
		       inb((unsigned short)strtoul(argv[2], NULL, 0)));
	else {
		fprintf(stderr,
			"usage: hwtest ports|denied|irq|irqcrash|serial|ttys0|keys|inb PORT\n");
		return 2;
	}
	return 0;
}
