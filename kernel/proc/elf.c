/*
 * The ELF loader (see elf.h).
 *
 * Two passes.  elf_check() reads the headers and refuses anything that is
 * not a well-formed static x86_64 executable that fits in the user half:
 * it trusts no field of the file, so every offset and size is checked
 * against the file's length, and every sum against overflow.  Only then
 * does elf_load() map anything, so a bad file leaves the address space
 * untouched.
 *
 * Segments may share a page: a linker that does not page-align segments
 * puts the end of one and the start of the next in the same page (file
 * offset and address agree modulo the page size, which is all the ELF
 * specification asks).  Such a page gets the union of both permissions.
 */
#include "proc/elf.h"
#include <errno.h>
#include "lib/elf.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/uvm.h"

#define EI_CLASS      4
#define EI_DATA       5
#define EI_VERSION    6
#define EV_CURRENT    1
#define ET_DYN        3
#define PT_INTERP     3
#define PT_PHDR       6
#define ELF_MAX_PHNUM 64

struct elf_file {
	const char *name;
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph; /* eh->e_phnum entries, aligned (check_header) */
};

static int refuse(const struct elf_file *f, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int refuse(const struct elf_file *f, const char *fmt, ...)
{
	va_list ap;

	kprintf("elf: %s: ", f->name);
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	return -ENOEXEC;
}

/* Does [off, off + len) lie inside the file? */
static bool in_file(const struct elf_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

static unsigned segment_prot(const Elf64_Phdr *ph)
{
	return (ph->p_flags & PF_R ? UVM_READ : 0) | (ph->p_flags & PF_W ? UVM_WRITE : 0) |
	       (ph->p_flags & PF_X ? UVM_EXEC : 0);
}

static int check_header(struct elf_file *f)
{
	const Elf64_Ehdr *eh = f->eh;

	if (f->size < sizeof(Elf64_Ehdr))
		return refuse(f, "file too small (%zu bytes) for an ELF header", f->size);
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return refuse(f, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return refuse(f, "not a 64-bit ELF file (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return refuse(f, "not little-endian (data encoding %u)", eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return refuse(f, "unknown ELF version %u", eh->e_version);
	if (eh->e_machine != EM_X86_64)
		return refuse(f, "wrong machine %u (not x86_64, which is 62)", eh->e_machine);
	if (eh->e_type == ET_DYN)
		return refuse(f, "position-independent (ET_DYN): link with -static -no-pie");
	if (eh->e_type != ET_EXEC)
		return refuse(f, "not an executable (type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return refuse(f, "program header size %u, expected %zu", eh->e_phentsize,
			      sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return refuse(f, "%u program headers (1 to %d allowed)", eh->e_phnum,
			      ELF_MAX_PHNUM);
	/* The headers are read in place, as Elf64_Phdr: C needs them aligned
	 * (every linker puts them at an offset of 8 bytes' alignment). */
	if (eh->e_phoff % _Alignof(Elf64_Phdr) != 0)
		return refuse(f, "program headers at offset 0x%lx are not %zu-byte aligned",
			      eh->e_phoff, _Alignof(Elf64_Phdr));
	if (!in_file(f, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return refuse(f, "program headers at offset 0x%lx lie past the end of the file",
			      eh->e_phoff);
	f->ph = (const Elf64_Phdr *)(f->data + eh->e_phoff);
	return 0;
}

/* Check one PT_LOAD segment, number i; prev_end is where the previous one
 * ended (segments must come in address order, without overlapping). */
static int check_load(const struct elf_file *f, int i, const Elf64_Phdr *ph, uint64_t prev_end)
{
	/* BEGIN STAGE syscalls: refuse a PT_LOAD segment the file or the user half cannot hold */
	if (ph->p_filesz > ph->p_memsz)
		return refuse(f, "segment %d: file size 0x%lx larger than memory size 0x%lx", i,
			      ph->p_filesz, ph->p_memsz);
	if (!in_file(f, ph->p_offset, ph->p_filesz))
		return refuse(f,
			      "segment %d: file offset 0x%lx + size 0x%lx is past the end of "
			      "the file (%zu bytes)",
			      i, ph->p_offset, ph->p_filesz, f->size);
	if (ph->p_vaddr < USER_MIN || ph->p_vaddr > USER_MMAP_TOP ||
	    ph->p_memsz > USER_MMAP_TOP - ph->p_vaddr)
		return refuse(f,
			      "segment %d at 0x%lx-0x%lx is outside the user half "
			      "(0x%llx-0x%llx)",
			      i, ph->p_vaddr, ph->p_vaddr + ph->p_memsz, USER_MIN, USER_MMAP_TOP);
	if ((ph->p_vaddr - ph->p_offset) % PAGE_SIZE != 0)
		return refuse(f,
			      "segment %d: address 0x%lx and file offset 0x%lx differ modulo "
			      "the page size",
			      i, ph->p_vaddr, ph->p_offset);
	if (ph->p_vaddr < prev_end)
		return refuse(f,
			      "segment %d at 0x%lx overlaps the one before it (or is out of "
			      "order)",
			      i, ph->p_vaddr);
	return 0;
	/* STUB
	(void)f, (void)i, (void)ph, (void)prev_end, (void)in_file;
	return 0;
	END STAGE syscalls */
}

/* Is [addr, addr + len) inside the memory of a PT_LOAD segment (the file
 * part only, if file_only)?  Returns the segment, or NULL. */
static const Elf64_Phdr *loaded_at(const struct elf_file *f, uint64_t addr, uint64_t len,
				   bool file_only)
{
	for (int i = 0; i < f->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &f->ph[i];
		uint64_t size = file_only ? ph->p_filesz : ph->p_memsz;

		if (ph->p_type == PT_LOAD && addr >= ph->p_vaddr && addr - ph->p_vaddr <= size &&
		    len <= size - (addr - ph->p_vaddr))
			return ph;
	}
	return NULL;
}

static int elf_check(struct elf_file *f, struct elf_info *info)
{
	uint64_t prev_end = 0;
	int nload = 0, err;
	const Elf64_Phdr *phdr_seg = NULL, *text;

	err = check_header(f);
	if (err)
		return err;
	memset(info, 0, sizeof(*info));
	for (int i = 0; i < f->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &f->ph[i];

		switch (ph->p_type) {
		case PT_INTERP:
			return refuse(f, "needs a dynamic linker (PT_INTERP): link with -static");
		case PT_PHDR:
			phdr_seg = ph;
			break;
		case PT_LOAD:
			err = check_load(f, i, ph, prev_end);
			if (err)
				return err;
			prev_end = ph->p_vaddr + ph->p_memsz;
			nload++;
			break;
		}
	}
	if (nload == 0)
		return refuse(f, "no loadable (PT_LOAD) segment");

	/* TLS: its template must be loaded (musl copies it from there). */
	for (int i = 0; i < f->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &f->ph[i];

		if (ph->p_type == PT_TLS &&
		    (ph->p_filesz > ph->p_memsz || !loaded_at(f, ph->p_vaddr, ph->p_filesz, true)))
			return refuse(f, "TLS segment at 0x%lx is not inside a loaded segment",
				      ph->p_vaddr);
	}

	text = loaded_at(f, f->eh->e_entry, 1, false);
	if (!text || !(text->p_flags & PF_X))
		return refuse(f, "entry point 0x%lx is not in an executable segment",
			      f->eh->e_entry);

	/* Where the program headers are in memory, for AT_PHDR: PT_PHDR says,
	 * or else the loaded segment whose file part holds them. */
	if (phdr_seg) {
		info->phdr = phdr_seg->p_vaddr;
	} else {
		for (int i = 0; i < f->eh->e_phnum; i++) {
			const Elf64_Phdr *ph = &f->ph[i];
			uint64_t len = (uint64_t)f->eh->e_phnum * sizeof(Elf64_Phdr);

			if (ph->p_type == PT_LOAD && f->eh->e_phoff >= ph->p_offset &&
			    f->eh->e_phoff - ph->p_offset <= ph->p_filesz &&
			    len <= ph->p_filesz - (f->eh->e_phoff - ph->p_offset))
				info->phdr = ph->p_vaddr + (f->eh->e_phoff - ph->p_offset);
		}
	}
	if (!info->phdr || !loaded_at(f, info->phdr, f->eh->e_phnum * sizeof(Elf64_Phdr), false))
		return refuse(f, "the program headers are not in a loaded segment");

	info->entry = f->eh->e_entry;
	info->phnum = f->eh->e_phnum;
	info->phent = sizeof(Elf64_Phdr);
	info->end = prev_end;
	return 0;
}

/* Map one checked PT_LOAD segment and copy its file bytes in. */
static int load_segment(struct uvm *uvm, const struct elf_file *f, const Elf64_Phdr *ph)
{
	/* BEGIN STAGE syscalls: map a segment's pages with its permissions, copy its bytes */
	uint64_t start = ALIGN_DOWN(ph->p_vaddr, PAGE_SIZE);
	uint64_t end = ALIGN_UP(ph->p_vaddr + ph->p_memsz, PAGE_SIZE);
	unsigned prot = segment_prot(ph);
	/* Segments come in address order without overlapping (check_load), so
	 * only the first page can be the previous segment's: share it. */
	int err = uvm_protect_add(uvm, start, prot);

	if (err == 0)
		start += PAGE_SIZE;
	else if (err != -EFAULT)
		return err;
	/* The rest in one area: uvm_map refuses one larger than memory at
	 * once, where page by page a huge p_memsz kept the kernel busy. */
	err = uvm_map(uvm, start, end - start, prot);
	if (err)
		return err;
	/* Fresh pages are zero, so the rest up to p_memsz (.bss) is too. */
	return uvm_write(uvm, ph->p_vaddr, f->data + ph->p_offset, ph->p_filesz);
	/* STUB
	(void)uvm, (void)f, (void)ph, (void)segment_prot;
	return -ENOEXEC;
	END STAGE syscalls */
}

int elf_load(struct uvm *uvm, const char *name, const void *image, size_t size,
	     struct elf_info *info)
{
	struct elf_file f = { .name = name, .data = image, .size = size, .eh = image };
	int err = elf_check(&f, info);

	if (err)
		return err;
	for (int i = 0; i < f.eh->e_phnum; i++) {
		if (f.ph[i].p_type != PT_LOAD || f.ph[i].p_memsz == 0)
			continue;
		err = load_segment(uvm, &f, &f.ph[i]);
		if (err)
			return err;
	}
	return 0;
}
