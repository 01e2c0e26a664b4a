/*
 * fuzz_elf -- a libFuzzer harness over the kernel's ELF loader,
 * kernel/proc/elf.c, built for the host.
 *
 * grade/host/fuzzhost.py compiles elf.c as grade/test_host.py compiles a
 * kernel file (freestanding, the kernel's headers, its symbols renamed
 * k_NAME), and links it with this file, which stands in for what elf.c
 * calls: kprintf and vkprintf (the refusal's line, formatted and dropped)
 * and the three address-space calls of mm/uvm.h, over a model address
 * space: a list of areas, the user half's bounds, a memory of
 * FUZZ_ELF_PAGES pages that one area may not exceed (uvm_may_add's rule),
 * and uvm_write copying out of the file into nothing, page by page, so
 * that ASan checks every byte the loader reads.  The file lies in a buffer
 * of exactly its size.
 *
 * What is checked, besides the sanitizers: elf_load returns 0, -ENOEXEC or
 * -ENOMEM (what elf.h promises); on success the entry point lies in an
 * executable area and the program headers (AT_PHDR) in an area; and the
 * loader's work is bounded: at most FUZZ_ELF_CALLS address-space calls per
 * file, so a segment mapped page by page (the kernel busy for hours on a
 * huge p_memsz) shows as a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE      4096ull
#define USER_MIN       0x10000ull
#define USER_END       0x0000800000000000ull
#define UVM_READ       0x1
#define UVM_WRITE      0x2
#define UVM_EXEC       0x4
#define FUZZ_ELF_PAGES 32768 /* the model's memory: 128 MiB, as `make qemu` gives */
#define FUZZ_ELF_AREAS 128
#define FUZZ_ELF_CALLS 1024

/* kernel/proc/elf.h's struct elf_info, field for field. */
struct elf_info {
	uint64_t entry, phdr, phnum, phent, end;
};

struct uvm {
	struct {
		uint64_t start, end;
		unsigned prot;
	} area[FUZZ_ELF_AREAS];
	int areas;
	long calls;
};

int k_elf_load(struct uvm *uvm, const char *name, const void *image, size_t size,
	       struct elf_info *info);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_accepted; /* inputs loaded: fuzz_main.c reports it */
int kprintf(const char *fmt, ...);
int vkprintf(const char *fmt, va_list ap);
int uvm_map(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot);
int uvm_protect_add(struct uvm *uvm, uint64_t va, unsigned prot);
int uvm_write(struct uvm *uvm, uint64_t va, const void *src, size_t len);

int vkprintf(const char *fmt, va_list ap)
{
	char line[256];

	return vsnprintf(line, sizeof(line), fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}

static void fuzz_elf_count(struct uvm *uvm)
{
	if (++uvm->calls > FUZZ_ELF_CALLS) {
		fprintf(stderr, "fuzz_elf: more than %d address-space calls for one file\n",
			FUZZ_ELF_CALLS);
		abort();
	}
}

/* The area holding va, or -1. */
static int fuzz_elf_area(const struct uvm *uvm, uint64_t va)
{
	for (int i = 0; i < uvm->areas; i++)
		if (va >= uvm->area[i].start && va < uvm->area[i].end)
			return i;
	return -1;
}

int uvm_map(struct uvm *uvm, uint64_t va, uint64_t len, unsigned prot)
{
	fuzz_elf_count(uvm);
	if (va % PAGE_SIZE || len % PAGE_SIZE || va < USER_MIN || va > USER_END ||
	    len > USER_END - va)
		return -EINVAL;
	if (len == 0)
		return 0;
	for (int i = 0; i < uvm->areas; i++)
		if (va < uvm->area[i].end && uvm->area[i].start < va + len)
			return -EEXIST;
	if (len / PAGE_SIZE > FUZZ_ELF_PAGES)
		return -ENOMEM;
	/* An area right after one of the same protection joins it, as mm/vma.c merges. */
	for (int i = 0; i < uvm->areas; i++) {
		if (uvm->area[i].end == va && uvm->area[i].prot == prot) {
			uvm->area[i].end = va + len;
			return 0;
		}
	}
	if (uvm->areas == FUZZ_ELF_AREAS)
		return -ENOMEM;
	uvm->area[uvm->areas].start = va;
	uvm->area[uvm->areas].end = va + len;
	uvm->area[uvm->areas].prot = prot;
	uvm->areas++;
	return 0;
}

int uvm_protect_add(struct uvm *uvm, uint64_t va, unsigned prot)
{
	int i = fuzz_elf_area(uvm, va);

	fuzz_elf_count(uvm);
	if (i < 0)
		return -EFAULT;
	uvm->area[i].prot |= prot; /* the model keeps whole areas */
	return 0;
}

int uvm_write(struct uvm *uvm, uint64_t va, const void *src, size_t len)
{
	static uint8_t page[PAGE_SIZE];
	const uint8_t *from = src;

	fuzz_elf_count(uvm);
	while (len > 0) {
		size_t n = PAGE_SIZE - va % PAGE_SIZE;

		if (n > len)
			n = len;
		if (fuzz_elf_area(uvm, va) < 0)
			return -EFAULT;
		memcpy(page, from, n);
		va += n, from += n, len -= n;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = malloc(size ? size : 1);
	struct uvm *uvm = calloc(1, sizeof(*uvm));
	struct elf_info info;
	int err, text;

	if (!file || !uvm)
		abort();
	memcpy(file, data, size);
	err = k_elf_load(uvm, "fuzz", file, size, &info);
	if (err != 0 && err != -ENOEXEC && err != -ENOMEM) {
		fprintf(stderr, "fuzz_elf: elf_load returned %d\n", err);
		abort();
	}
	if (err == 0) {
		fuzz_accepted++;
		text = fuzz_elf_area(uvm, info.entry);
		if (text < 0 || !(uvm->area[text].prot & UVM_EXEC) ||
		    fuzz_elf_area(uvm, info.phdr) < 0 ||
		    fuzz_elf_area(uvm, info.phdr + info.phnum * info.phent - 1) < 0) {
			fprintf(stderr,
				"fuzz_elf: loaded, but entry 0x%llx or phdr 0x%llx "
				"is not mapped as it should be\n",
				(unsigned long long)info.entry, (unsigned long long)info.phdr);
			abort();
		}
	}
	free(uvm);
	free(file);
	return 0;
}
