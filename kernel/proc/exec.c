/*
 * exec: load a program and build its initial stack (see exec.h).
 *
 * The stack a program starts with (System V AMD64 ABI, 3.4.1 "Initial Stack
 * and Register State", figure 3.9), from high addresses down:
 *
 *   USER_STACK_TOP  the strings: the program name (AT_EXECFN), the platform
 *                   "x86_64" (AT_PLATFORM), then envp's and argv's
 *                   16 random bytes (AT_RANDOM: musl's stack-protector canary)
 *                   padding, so that %rsp below ends 16-byte aligned
 *                   auxv: (type, value) pairs, ended by AT_NULL
 *                   NULL, envp[envc - 1] ... envp[0]
 *                   NULL, argv[argc - 1] ... argv[0]
 *   %rsp ->         argc
 *
 * The pointers point at the strings above.  musl's _start passes %rsp to
 * __libc_start_main, which finds argc, argv, envp and auxv there.  All of it
 * is written with uvm_write, through the direct map: the address space need
 * not be the current one.
 */
#include "proc/exec.h"
#include <errno.h>
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/uvm.h"
#include "proc/elf.h"

/* Auxiliary vector types (Linux's <uapi/linux/auxvec.h>). */
#define AT_NULL     0
#define AT_PHDR     3
#define AT_PHENT    4
#define AT_PHNUM    5
#define AT_PAGESZ   6
#define AT_BASE     7
#define AT_FLAGS    8
#define AT_ENTRY    9
#define AT_UID      11
#define AT_EUID     12
#define AT_GID      13
#define AT_EGID     14
#define AT_PLATFORM 15
#define AT_HWCAP    16
#define AT_CLKTCK   17
#define AT_SECURE   23
#define AT_RANDOM   25
#define AT_EXECFN   31

#define AUXV_MAX 20 /* pairs, AT_NULL included */

#define CPUID1_ECX_RDRAND (1u << 30)

/* Fill buf with n random bytes: RDRAND if the CPU has it, else the time
 * stamp counter stirred by xorshift (unpredictable enough for a canary in
 * a teaching kernel, not for cryptography). */
static void random_bytes(uint8_t *buf, size_t n)
{
	uint32_t a, b, c, d;
	uint64_t x = rdtsc() | 1;

	cpuid(1, 0, &a, &b, &c, &d);
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = 0;
		bool ok = false;

		if (c & CPUID1_ECX_RDRAND)
			for (int tries = 0; tries < 10 && !ok; tries++)
				__asm__ volatile("rdrand %0; setc %1" : "=r"(r), "=qm"(ok));
		if (!ok) {
			x ^= rdtsc();
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			r = x;
		}
		memcpy(buf + i, &r, MIN(8, n - i));
	}
}

static size_t count_strings(const char *const v[])
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Copy s (with its NUL) just below *sp, move *sp down; the string's user
 * address, or 0 if the stack page could not be mapped. */
static uint64_t push_string(struct uvm *uvm, uint64_t *sp, const char *s)
{
	size_t len = strlen(s) + 1;

	*sp -= len;
	return uvm_write(uvm, *sp, s, len) == 0 ? *sp : 0;
}

/* Push the strings of v (count n) and store their addresses in out[0..n). */
static int push_strings(struct uvm *uvm, uint64_t *sp, const char *const v[], size_t n,
			uint64_t *out)
{
	for (size_t i = n; i-- > 0;) {
		out[i] = push_string(uvm, sp, v[i]);
		if (!out[i])
			return -ENOMEM;
	}
	return 0;
}

static int build_stack(struct uvm *uvm, const char *name, const struct elf_info *elf,
		       const char *const argv[], const char *const envp[], uint64_t *sp_out)
{
	/* BEGIN STAGE syscalls: the initial stack: strings, AT_RANDOM bytes, then argc, argv, envp, auxv */
	size_t argc = count_strings(argv), envc = count_strings(envp), bytes = 0;
	size_t nwords = 1 + (argc + 1) + (envc + 1) + 2 * AUXV_MAX;
	uint64_t sp = USER_STACK_TOP, execfn, platform, rnd, *words, *w;
	uint8_t random[16];
	uint32_t a, b, c, hwcap;
	int err = -ENOMEM;

	for (size_t i = 0; i < argc; i++)
		bytes += strlen(argv[i]) + 1;
	for (size_t i = 0; i < envc; i++)
		bytes += strlen(envp[i]) + 1;
	if (argc + envc > EXEC_MAX_STRINGS || bytes > EXEC_MAX_BYTES)
		return -E2BIG;
	words = kcalloc(nwords, sizeof(uint64_t));
	if (!words)
		return -ENOMEM;

	/* The strings, and the 16 random bytes, at the top. */
	execfn = push_string(uvm, &sp, name);
	platform = push_string(uvm, &sp, "x86_64");
	if (!execfn || !platform || push_strings(uvm, &sp, envp, envc, words + 1 + argc + 1) != 0 ||
	    push_strings(uvm, &sp, argv, argc, words + 1) != 0)
		goto out;
	random_bytes(random, sizeof(random));
	sp -= sizeof(random);
	rnd = sp;
	if (uvm_write(uvm, rnd, random, sizeof(random)) != 0)
		goto out;

	/* argc; argv[] and envp[] were filled in above, each ends with a NULL
	 * word (kcalloc); then the auxiliary vector. */
	words[0] = argc;
	w = words + 1 + (argc + 1) + (envc + 1);
	cpuid(1, 0, &a, &b, &c, &hwcap);
#define AUX(type, value) (*w++ = (type), *w++ = (value))
	AUX(AT_PHDR, elf->phdr);
	AUX(AT_PHENT, elf->phent);
	AUX(AT_PHNUM, elf->phnum);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, 0); /* no dynamic linker */
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, elf->entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_SECURE, 0);
	AUX(AT_HWCAP, hwcap);
	AUX(AT_CLKTCK, TIMER_HZ);
	AUX(AT_PLATFORM, platform);
	AUX(AT_RANDOM, rnd);
	AUX(AT_EXECFN, execfn);
	AUX(AT_NULL, 0);
#undef AUX
	nwords = w - words;

	/* %rsp must be 16-byte aligned at the entry point (ABI 3.4.1). */
	sp = ALIGN_DOWN(sp - nwords * sizeof(uint64_t), 16);
	err = uvm_write(uvm, sp, words, nwords * sizeof(uint64_t));
	if (err)
		err = -ENOMEM;
	*sp_out = sp;
out:
	kfree(words);
	return err;
	/* STUB
	(void)uvm, (void)name, (void)elf, (void)argv, (void)envp, (void)sp_out;
	(void)random_bytes, (void)push_strings, (void)count_strings;
	return -ENOMEM;
	END STAGE syscalls */
}

int exec_load(struct uvm *uvm, const char *name, const void *image, size_t size,
	      const char *const argv[], const char *const envp[], uint64_t *entry, uint64_t *sp)
{
	struct elf_info elf;
	int err = elf_load(uvm, name, image, size, &elf);

	if (err)
		return err;
	/* The heap starts at the first page after the program. */
	uvm->heap_start = uvm->brk = ALIGN_UP(elf.end, PAGE_SIZE);
	err = build_stack(uvm, name, &elf, argv, envp, sp);
	if (err)
		return err;
	*entry = elf.entry;
	return 0;
}
