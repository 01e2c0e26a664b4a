/*
 * Symbol table reader.  Finds the SHT_SYMTAB section of the "symbols" module
 * (an ELF64 file) and its string table (the section named by sh_link).  A
 * lookup is a linear scan for the function symbol whose [value, value+size)
 * holds the address: slow, but only panics and fault reports use it.
 */
#include "debug/ksym.h"
#include "arch/x86_64/memlayout.h"
#include "boot/multiboot.h"
#include "lib/elf.h"
#include "lib/kprintf.h"
#include "lib/string.h"

static const Elf64_Sym *symtab;
static size_t nsyms;
static const char *strtab;

void ksym_init(void)
{
	const struct boot_module *m = multiboot_find_module("symbols");
	const uint8_t *base;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;

	if (!m) {
		kprintf("ksym: no \"symbols\" module; backtraces show addresses only\n");
		return;
	}
	base = phys_to_virt(m->start);
	eh = (const void *)base;
	if (m->end - m->start < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		kprintf("ksym: the symbols module is not an ELF file\n");
		return;
	}
	sh = (const void *)(base + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		symtab = (const void *)(base + sh[i].sh_offset);
		nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
		strtab = (const char *)(base + sh[sh[i].sh_link].sh_offset);
	}
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	const Elf64_Sym *best = NULL;

	for (size_t i = 0; i < nsyms; i++) {
		const Elf64_Sym *s = &symtab[i];
		int type = ELF64_ST_TYPE(s->st_info);

		if ((type != STT_FUNC && type != STT_NOTYPE) || s->st_value > addr || !s->st_name)
			continue;
		if (type == STT_FUNC && addr < s->st_value + s->st_size) {
			best = s;
			break;
		}
		/* Assembly labels have no size: take the closest one below. */
		if (type == STT_NOTYPE && (!best || s->st_value > best->st_value))
			best = s;
	}
	if (!best || addr - best->st_value > 0x10000)
		return NULL;
	*offset = addr - best->st_value;
	return strtab + best->st_name;
}
