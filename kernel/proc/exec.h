/*
 * exec: turn an empty address space into a program about to start: load
 * the ELF file (elf.c), set up the heap, and build the initial stack with
 * the program's arguments, environment and auxiliary vector.  proc_spawn
 * and execve(2) (proc_exec) use it.
 */
#ifndef PROC_EXEC_H
#define PROC_EXEC_H

#include <types.h>

struct uvm;

/* Limits on what exec passes (Linux allows more; these are plenty here). */
#define EXEC_MAX_STRINGS 1024          /* argv + envp entries */
#define EXEC_MAX_BYTES   (64 * 1024)   /* their characters, NULs included */
#define EXEC_MAX_IMAGE   (64ull << 20) /* bytes of a program file execve reads */

/*
 * Load the executable image[0..size) named name into uvm, which must be
 * empty, and build its stack from argv[] and envp[] (NULL-terminated kernel
 * strings).  On success returns 0 with the entry point in *entry and the
 * initial stack pointer in *sp.  Errors: -ENOEXEC, -E2BIG, -ENOMEM (uvm
 * then holds a partial image: destroy it).
 */
int exec_load(struct uvm *uvm, const char *name, const void *image, size_t size,
	      const char *const argv[], const char *const envp[], uint64_t *entry, uint64_t *sp);

#endif
