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
 *
 * Each check prints "hwtest: WHAT: VALUE", VALUE being a result ("0", an
 * errno name), a child's end ("exit 0", "signal 11") or a value read; the
 * grader holds what each must be.  Something that a child of a fork does
 * (an in or out that may fault) is reported by the parent from wait4.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/wait.h>
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

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "ports") == 0)
		ports();
	else if (argc == 2 && strcmp(argv[1], "denied") == 0)
		denied();
	else if (argc == 3 && strcmp(argv[1], "inb") == 0)
		printf("hwtest: inb %s: %u\n", argv[2],
		       inb((unsigned short)strtoul(argv[2], NULL, 0)));
	else {
		fprintf(stderr, "usage: hwtest ports|denied|inb PORT\n");
		return 2;
	}
	return 0;
}
