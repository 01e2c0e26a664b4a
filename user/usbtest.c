/*
 * usbtest: os_dma_alloc(2), the DMA memory of the USB driver, tried from
 * user mode (grade/drivers_usb.py runs it).
 *
 *     usbtest denied       without the right: EPERM
 *     usbtest keys         the terminal in raw mode: a line "usbtest: key: XX"
 *                          for each byte typed, until q, then "usbtest: keys:
 *                          done" (a grader can await each key before the next)
 *     usbtest pci          with the right: "usbtest: uhci bus master: on|off"
 *                          (the UHCI controller's PCI command register, bit 2)
 *     usbtest dma SEED     with the right (drivers=...,usbtest):
 *
 * The bad calls first (EINVAL for len 0 and above 1 MiB, EFAULT for a bad
 * phys pointer), then three pages filled with bytes from SEED, whose
 * physical address it prints and whose contents the grader reads from the
 * guest's physical memory (QMP pmemsave) while the program waits for a
 * line: the pages are contiguous there and hold what was written.  Then
 * free memory (MemFree of /proc/meminfo) before and after an allocation
 * freed by munmap, and one freed by the exit of a child: the same.
 * Each check is a line "usbtest: WHAT: VALUE".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <os/os.h>

#define PAGES 3
#define BIG   (64 * 1024)

static const char *errno_name(int e)
{
	return e == EPERM    ? "EPERM"
	       : e == EINVAL ? "EINVAL"
	       : e == EFAULT ? "EFAULT"
	       : e == ENOMEM ? "ENOMEM"
			     : strerror(e);
}

/* What os_dma_alloc(len, phys) gives: "ok" (and unmaps it) or the error. */
static const char *try_alloc(size_t len, uint64_t *phys)
{
	void *p = os_dma_alloc(len, phys);

	if (p == MAP_FAILED)
		return errno_name(errno);
	munmap(p, len);
	return "ok";
}

static long mem_free_kb(void)
{
	char name[64];
	long long kb, free_kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63[^:]: %lld kB\n", name, &kb) == 2)
		if (strcmp(name, "MemFree") == 0)
			free_kb = kb;
	fclose(f);
	return (long)free_kb;
}

/* The byte at offset i of the pattern of seed (the grader computes it too). */
static uint8_t pattern(unsigned long seed, size_t i)
{
	return (uint8_t)((seed * 2654435761u + i * 40503u) >> 7);
}

static void check_pattern(unsigned long seed)
{
	uint64_t phys;
	uint8_t *p = os_dma_alloc(PAGES * 4096, &phys);
	char line[16];

	if (p == MAP_FAILED) {
		printf("usbtest: alloc: %s\n", errno_name(errno));
		return;
	}
	for (size_t i = 0; i < PAGES * 4096; i++)
		p[i] = pattern(seed, i);
	printf("usbtest: alloc: at %#llx\n", (unsigned long long)phys);
	printf("usbtest: read it, then type a line\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return;
	munmap(p, PAGES * 4096);
}

/* Allocate, touch and free BIG bytes: by munmap, or by a child's exit. */
static void churn(int by_exit)
{
	uint64_t phys;
	pid_t pid = by_exit ? fork() : 0;
	char *p;

	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return;
	}
	p = os_dma_alloc(BIG, &phys);
	if (p != MAP_FAILED)
		memset(p, 0xa5, BIG);
	if (by_exit)
		_exit(0);
	if (p != MAP_FAILED)
		munmap(p, BIG);
}

static void dma(unsigned long seed)
{
	uint64_t phys;
	long before;

	printf("usbtest: len 0: %s\n", try_alloc(0, &phys));
	printf("usbtest: len 2 MiB: %s\n", try_alloc(2 << 20, &phys));
	printf("usbtest: bad phys pointer: %s\n", try_alloc(4096, (uint64_t *)16));
	check_pattern(seed);
	churn(0); /* each once first, for the page tables and heap they leave */
	churn(1);
	mem_free_kb(); /* and this, for the stdio buffers it leaves */
	before = mem_free_kb();
	churn(0);
	printf("usbtest: free after munmap: %ld kB less\n", before - mem_free_kb());
	churn(1);
	printf("usbtest: free after exit: %ld kB less\n", before - mem_free_kb());
	printf("usbtest: dma: done\n");
}

/* Is bus mastering on in the first UHCI function of bus 0? */
static void pci(void)
{
	if (ioperm(0xcf8, 8, 1) != 0) {
		printf("usbtest: ioperm: %s\n", errno_name(errno));
		return;
	}
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			unsigned addr = 0x80000000u | dev << 11 | fn << 8;

			outl(addr | 0x08, 0xcf8); /* class, subclass, prog-if */
			if (inl(0xcfc) >> 8 != 0x0c0300)
				continue;
			outl(addr | 0x04, 0xcf8);
			printf("usbtest: uhci bus master: %s\n", inl(0xcfc) & 0x4 ? "on" : "off");
			return;
		}
	printf("usbtest: uhci bus master: no controller\n");
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
	printf("usbtest: keys: ready\n");
	fflush(stdout);
	while (read(0, &c, 1) == 1 && c != 'q') {
		printf("usbtest: key: %02x\n", (unsigned char)c);
		fflush(stdout);
	}
	printf("usbtest: keys: done\n");
	tcsetattr(0, TCSANOW, &saved);
}

int main(int argc, char *argv[])
{
	uint64_t phys;

	if (argc == 2 && strcmp(argv[1], "denied") == 0)
		printf("usbtest: denied: %s\n", try_alloc(4096, &phys));
	else if (argc == 2 && strcmp(argv[1], "pci") == 0)
		pci();
	else if (argc == 2 && strcmp(argv[1], "keys") == 0)
		keys();
	else if (argc == 3 && strcmp(argv[1], "dma") == 0)
		dma(strtoul(argv[2], NULL, 0));
	else {
		fprintf(stderr, "usage: usbtest denied|pci|keys|dma SEED\n");
		return 2;
	}
	return 0;
}
