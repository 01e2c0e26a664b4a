/*
 * physmap: the driver-memory call os_physmap(2), tried from user mode.
 *
 *     physmap PHYS:SIZE      (the ramdisk's range, as the kernel prints it)
 *
 * Maps the range twice and checks that both mappings show the same
 * memory (a write through one is seen through the other: mapped, not
 * copied) holding a FAT boot sector, then asks for ranges the kernel must
 * refuse and prints the errno of each, one line per case:
 *
 *     physmap: map: ok, boot sector signature 55aa
 *     physmap: shared: yes
 *     physmap: len 0: EINVAL
 *     ...
 *
 * A process without the right (drivers= on the kernel command line) gets
 * EPERM for every call, which it prints the same way.  The grader
 * (grade/stage_ramdisk.py) knows which errno each case must give.
 */
#include <errno.h>
#include <os/os.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096ull

static const char *errno_text(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	case EFAULT:
		return "EFAULT";
	}
	return "another errno";
}

/* One call that must fail: print how it failed. */
static void try_bad(const char *what, uint64_t phys, size_t len, int prot)
{
	void *p = os_physmap(phys, len, prot);

	if (p == MAP_FAILED)
		printf("physmap: %s: %s\n", what, errno_text(errno));
	else
		printf("physmap: %s: mapped at %p\n", what, p);
}

/* Both mappings show one memory: flip the last byte through a, read b. */
static void check_shared(volatile uint8_t *a, volatile uint8_t *b, size_t size)
{
	uint8_t old = a[size - 1];
	int shared;

	a[size - 1] = (uint8_t)(old ^ 0xa5);
	shared = b[size - 1] == (uint8_t)(old ^ 0xa5);
	a[size - 1] = old;
	printf("physmap: shared: %s\n", shared ? "yes" : "no");
}

int main(int argc, char *argv[])
{
	uint64_t phys, size;
	char *end;
	uint8_t *a, *b;

	if (argc != 2 || (phys = strtoull(argv[1], &end, 0), *end != ':') ||
	    (size = strtoull(end + 1, &end, 0), *end != '\0') || size < 512) {
		fprintf(stderr, "usage: physmap PHYS:SIZE\n");
		return 2;
	}
	a = os_physmap(phys, size, PROT_READ | PROT_WRITE);
	if (a == MAP_FAILED) {
		printf("physmap: map: %s\n", errno_text(errno));
	} else {
		printf("physmap: map: ok, boot sector signature %02x%02x\n", a[510], a[511]);
		b = os_physmap(phys, size, PROT_READ);
		if (b == MAP_FAILED || b == a) {
			printf("physmap: second map: %s\n",
			       b == a ? "the same address" : errno_text(errno));
		} else {
			check_shared(a, b, size);
			printf("physmap: munmap: %d\n", munmap(a, size));
			printf("physmap: after munmap: %02x%02x\n", b[510], b[511]);
			printf("physmap: madvise dontneed: %s\n",
			       madvise(b, PAGE, MADV_DONTNEED) == 0 ? "ok" : errno_text(errno));
			printf("physmap: after madvise: %02x%02x\n", b[510], b[511]);
		}
	}
	try_bad("len 0", phys, 0, PROT_READ);
	try_bad("unaligned", phys + 1, PAGE, PROT_READ);
	try_bad("past the end", phys, (size + PAGE - 1) / PAGE * PAGE + PAGE, PROT_READ);
	try_bad("one page over the end", phys + PAGE, (size + PAGE - 1) / PAGE * PAGE, PROT_READ);
	try_bad("before the start", phys - PAGE, 2 * PAGE, PROT_READ);
	try_bad("kernel memory", 0x100000, PAGE, PROT_READ);
	try_bad("wrapping", ~(PAGE - 1), 2 * PAGE, PROT_READ);
	try_bad("huge", phys, ~(size_t)0, PROT_READ);
	try_bad("bad prot", phys, PAGE, 0x10);
	return 0;
}
