/*
 * The ELF loader: put a static ELF64 x86_64 executable into an address
 * space.  (ELF: System V ABI, "Object Files" and "Program Loading"; the
 * x86_64 supplement for EM_X86_64.)
 *
 * Only what `gcc -static -no-pie` makes is accepted: ET_EXEC, no PT_INTERP.
 * Each PT_LOAD segment is mapped at its p_vaddr with the permissions of its
 * p_flags (R, W, X), its p_filesz bytes copied from the file, the rest up to
 * p_memsz left zero (.bss).  PT_TLS is not loaded by the kernel: it lies
 * inside a PT_LOAD segment, and the C library finds it through the program
 * headers (AT_PHDR/AT_PHNUM in the auxiliary vector), so the loader checks
 * it is there and reports where the program headers are.
 *
 * A bad file is refused with -ENOEXEC and one line on the console that
 * says why: "elf: NAME: REASON".
 */
#ifndef PROC_ELF_H
#define PROC_ELF_H

#include <types.h>

struct uvm;

struct elf_info {
	uint64_t entry; /* e_entry */
	uint64_t phdr;  /* user address of the program headers (AT_PHDR) */
	uint64_t phnum; /* AT_PHNUM */
	uint64_t phent; /* AT_PHENT: sizeof(Elf64_Phdr) */
	uint64_t end;   /* end of the highest segment: the heap starts above */
};

/*
 * Check image[0..size) completely, then map its segments into uvm (which
 * should be empty).  Returns 0 and fills *info, -ENOEXEC for a bad file
 * (nothing mapped then), or -ENOMEM (some segments may be mapped: destroy
 * the address space).
 */
int elf_load(struct uvm *uvm, const char *name, const void *image, size_t size,
	     struct elf_info *info);

#endif
