/*
 * Self-tests of stage syscalls: the parts of user mode that can be checked
 * from inside the kernel.  (The user programs in user/ test the rest from
 * the other side; grade/stage_syscalls.py runs both.)
 *
 *   elf_reject  the loader refuses broken ELF files, each with its reason,
 *               and maps nothing for them; the intact file loads
 *   usercopy    copy_to_user/copy_from_user/strncpy_from_user on good and
 *               bad user addresses of a test address space
 *   smap        the kernel touching user memory directly (not through
 *               usercopy) faults, when the CPU has SMAP: a panic is the pass
 *
 * The tests that need a user address space borrow one: they make the test
 * thread a (fake) process's for a moment, as proc_start does.
 */
#include <errno.h>
#include "test/ktest.h"
#include "arch/x86_64/x86.h"
#include "boot/multiboot.h"
#include "lib/elf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "proc/elf.h"
#include "proc/proc.h"
#include "sched/thread.h"

/* ---- elf_reject ---------------------------------------------------------- */

static const uint8_t *elf_image;
static size_t elf_size;

static Elf64_Ehdr *eh(uint8_t *f)
{
	return (Elf64_Ehdr *)f;
}

static Elf64_Phdr *ph(uint8_t *f, int i)
{
	return (Elf64_Phdr *)(f + eh(f)->e_phoff) + i;
}

/* The index of the n-th program header of type type (0 = first), or -1. */
static int find_ph(uint8_t *f, uint32_t type, int n)
{
	for (int i = 0; i < eh(f)->e_phnum; i++)
		if (ph(f, i)->p_type == type && n-- == 0)
			return i;
	return -1;
}

/* The one-line mutators, as a table. */
/* clang-format off */
static void mut_short(uint8_t *f, size_t *size) { (void)f; *size = 40; }
static void mut_magic(uint8_t *f, size_t *size) { (void)size; f[1] = 'X'; }
static void mut_class(uint8_t *f, size_t *size) { (void)size; f[4] = 1; }
static void mut_endian(uint8_t *f, size_t *size) { (void)size; f[5] = 2; }
static void mut_machine(uint8_t *f, size_t *size) { (void)size; eh(f)->e_machine = 3; }
static void mut_pie(uint8_t *f, size_t *size) { (void)size; eh(f)->e_type = 3; }
static void mut_rel(uint8_t *f, size_t *size) { (void)size; eh(f)->e_type = 1; }
static void mut_phentsize(uint8_t *f, size_t *size) { (void)size; eh(f)->e_phentsize = 32; }
static void mut_phoff(uint8_t *f, size_t *size) { eh(f)->e_phoff = *size - 8; }
/* clang-format on */

static void mut_seg_offset(uint8_t *f, size_t *size)
{
	ph(f, find_ph(f, PT_LOAD, 1))->p_offset = *size;
}

static void mut_seg_kernel(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, PT_LOAD, 0))->p_vaddr = 0xffffffff80000000ull;
}

static void mut_seg_null(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, PT_LOAD, 0))->p_vaddr = 0;
}

static void mut_seg_huge(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, PT_LOAD, 1))->p_memsz = 0xfffffffffff00000ull;
}

static void mut_seg_filesz(uint8_t *f, size_t *size)
{
	Elf64_Phdr *p = ph(f, find_ph(f, PT_LOAD, 1));

	(void)size;
	p->p_filesz = p->p_memsz + 1;
}

static void mut_seg_align(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, PT_LOAD, 1))->p_vaddr += 1;
}

static void mut_seg_overlap(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, PT_LOAD, 2))->p_vaddr = ph(f, find_ph(f, PT_LOAD, 1))->p_vaddr;
}

static void mut_entry(uint8_t *f, size_t *size) { (void)size; eh(f)->e_entry = 0x1000; }

static void mut_entry_data(uint8_t *f, size_t *size)
{
	(void)size;
	eh(f)->e_entry = ph(f, find_ph(f, PT_LOAD, 3))->p_vaddr;
}

static void mut_interp(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, 0x6474e551 /* PT_GNU_STACK */, 0))->p_type = 3 /* PT_INTERP */;
}

static void mut_noload(uint8_t *f, size_t *size)
{
	int i;

	(void)size;
	while ((i = find_ph(f, PT_LOAD, 0)) >= 0)
		ph(f, i)->p_type = 0;
}

static void mut_tls(uint8_t *f, size_t *size)
{
	(void)size;
	ph(f, find_ph(f, PT_TLS, 0))->p_vaddr = 0x100000000ull;
}

static const struct elf_case {
	const char *name;
	void (*mutate)(uint8_t *f, size_t *size);
} elf_cases[] = {
	{ "short", mut_short },           { "magic", mut_magic },
	{ "class32", mut_class },         { "bigendian", mut_endian },
	{ "machine", mut_machine },       { "pie", mut_pie },
	{ "relocatable", mut_rel },       { "phentsize", mut_phentsize },
	{ "phoff", mut_phoff },           { "seg-offset", mut_seg_offset },
	{ "seg-kernel", mut_seg_kernel }, { "seg-null", mut_seg_null },
	{ "seg-huge", mut_seg_huge },     { "seg-filesz", mut_seg_filesz },
	{ "seg-align", mut_seg_align },   { "seg-overlap", mut_seg_overlap },
	{ "entry", mut_entry },           { "entry-data", mut_entry_data },
	{ "interp", mut_interp },         { "no-load", mut_noload },
	{ "tls", mut_tls },
};

KTEST(elf_reject)
{
	const struct boot_module *mod = multiboot_find_module("tls");
	uint8_t *buf;
	struct elf_info info;
	struct uvm *uvm;
	int err;

	if (!mod)
		ktest_fail("no \"tls\" module to test with");
	elf_image = phys_to_virt(mod->start);
	elf_size = mod->end - mod->start;
	buf = kmalloc(elf_size);
	KTEST_ASSERT(buf);
	for (size_t i = 0; i < ARRAY_SIZE(elf_cases); i++) {
		size_t size = elf_size;

		memcpy(buf, elf_image, elf_size);
		elf_cases[i].mutate(buf, &size);
		uvm = uvm_create();
		KTEST_ASSERT(uvm);
		err = elf_load(uvm, elf_cases[i].name, buf, size, &info);
		if (err != -ENOEXEC)
			ktest_fail("%s: elf_load returned %d, not -ENOEXEC", elf_cases[i].name, err);
		if (uvm->pages != 0)
			ktest_fail("%s: refused, but %lu pages were mapped", elf_cases[i].name,
				   uvm->pages);
		uvm_destroy(uvm);
		kprintf("elf_reject: %s: refused, nothing mapped\n", elf_cases[i].name);
	}

	/* The intact file loads. */
	memcpy(buf, elf_image, elf_size);
	uvm = uvm_create();
	KTEST_ASSERT(uvm);
	err = elf_load(uvm, "tls", buf, elf_size, &info);
	if (err)
		ktest_fail("the intact file was refused: %d", err);
	kprintf("elf_reject: tls loads: entry 0x%lx, phdr 0x%lx, %lu program headers, %lu pages, "
		"end 0x%lx\n", info.entry, info.phdr, info.phnum, uvm->pages, info.end);
	uvm_destroy(uvm);
	kfree(buf);
}

/* ---- a borrowed address space ------------------------------------------- */

#define TEST_VA 0x1000000ull    /* 2 pages RW, 1 page R, 1 page PROT_NONE, then a hole */

static struct proc *fake;

/* Make the test thread the process fake's, with a fresh address space. */
static struct uvm *borrow_address_space(void)
{
	uint64_t flags;

	fake = kcalloc(1, sizeof(*fake));
	KTEST_ASSERT(fake);
	strlcpy(fake->name, "ktest", sizeof(fake->name));
	fpu_area_init(&fake->fpu);
	fake->uvm = uvm_create();
	KTEST_ASSERT(fake->uvm);
	KTEST_ASSERT(uvm_map(fake->uvm, TEST_VA, 2 * PAGE_SIZE, UVM_READ | UVM_WRITE) == 0);
	KTEST_ASSERT(uvm_map(fake->uvm, TEST_VA + 2 * PAGE_SIZE, PAGE_SIZE, UVM_READ) == 0);
	KTEST_ASSERT(uvm_map(fake->uvm, TEST_VA + 3 * PAGE_SIZE, PAGE_SIZE, 0) == 0);
	flags = irq_save();
	thread_current()->owner = fake;
	uvm_activate(fake->uvm);
	irq_restore(flags);
	return fake->uvm;
}

static void return_address_space(void)
{
	uint64_t flags = irq_save();

	thread_current()->owner = NULL;
	uvm_activate(NULL);
	irq_restore(flags);
	uvm_destroy(fake->uvm);
	kfree(fake);
	fake = NULL;
}

/* ---- usercopy ------------------------------------------------------------- */

static void expect(const char *what, int64_t got, int64_t want)
{
	if (got != want)
		ktest_fail("%s: got %ld, expected %ld", what, got, want);
	kprintf("usercopy: %s = %ld: ok\n", what, got);
}

KTEST(usercopy)
{
	static char buf[3 * PAGE_SIZE], back[3 * PAGE_SIZE];
	struct frame_stats before, after;
	struct uvm *uvm;
	uint64_t ro = TEST_VA + 2 * PAGE_SIZE, none = TEST_VA + 3 * PAGE_SIZE;
	uint64_t pages;

	heap_trim();            /* the heap keeps empty pages: count only real use */
	frame_get_stats(&before);
	uvm = borrow_address_space();
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);

	/* Good addresses. */
	expect("copy_to_user(rw, 8192)", copy_to_user(TEST_VA, buf, 2 * PAGE_SIZE), 0);
	expect("copy_from_user(rw, 8192)", copy_from_user(back, TEST_VA, 2 * PAGE_SIZE), 0);
	KTEST_ASSERT(memcmp(buf, back, 2 * PAGE_SIZE) == 0);
	expect("copy_from_user(rw + 1, 8190) (misaligned)", copy_from_user(back, TEST_VA + 1, 8190),
	       0);
	KTEST_ASSERT(memcmp(buf + 1, back, 8190) == 0);
	expect("copy_from_user(read-only, 4096)", copy_from_user(back, ro, PAGE_SIZE), 0);
	expect("copy_to_user(NULL, 0)", copy_to_user(0, buf, 0), 0);

	/* Bad ones. */
	expect("copy_to_user(read-only, 1)", copy_to_user(ro, buf, 1), -EFAULT);
	expect("copy_to_user(rw end, 8) into read-only", copy_to_user(ro - 4, buf, 8), -EFAULT);
	expect("copy_from_user(PROT_NONE, 1)", copy_from_user(back, none, 1), -EFAULT);
	expect("copy_from_user(hole, 1)", copy_from_user(back, none + PAGE_SIZE, 1), -EFAULT);
	expect("copy_from_user(NULL, 1)", copy_from_user(back, 0, 1), -EFAULT);
	expect("copy_from_user(kernel text, 1)", copy_from_user(back, 0xffffffff80100000ull, 1),
	       -EFAULT);
	expect("copy_from_user(direct map, 1)", copy_from_user(back, 0xffff800000100000ull, 1),
	       -EFAULT);
	expect("copy_from_user(USER_END - 4, 8)", copy_from_user(back, USER_END - 4, 8), -EFAULT);
	expect("copy_from_user(rw, 2^64 - 16) (wraps)", copy_from_user(back, TEST_VA, -16ull),
	       -EFAULT);
	expect("copy_from_user(2^64 - 16, 32) (wraps)", copy_from_user(back, -16ull, 32), -EFAULT);
	expect("user_access_check(rw, 8192, write)", user_access_check(TEST_VA, 2 * PAGE_SIZE, true),
	       0);
	expect("user_access_check(rw .. read-only, write)",
	       user_access_check(TEST_VA, 3 * PAGE_SIZE, true), -EFAULT);
	expect("user_access_check(rw .. read-only, read)",
	       user_access_check(TEST_VA, 3 * PAGE_SIZE, false), 0);

	/* Strings: across a page boundary, too long, running into PROT_NONE. */
	KTEST_ASSERT(uvm_write(uvm, TEST_VA + PAGE_SIZE - 3, "abcdef", 7) == 0);
	expect("strncpy_from_user(across pages)",
	       strncpy_from_user(back, TEST_VA + PAGE_SIZE - 3, 64), 6);
	KTEST_ASSERT(strcmp(back, "abcdef") == 0);
	memset(buf, 'x', PAGE_SIZE);
	KTEST_ASSERT(uvm_write(uvm, ro, buf, PAGE_SIZE) == 0);
	expect("strncpy_from_user(no NUL in 16)", strncpy_from_user(back, ro, 16), -ENAMETOOLONG);
	KTEST_ASSERT(back[15] == '\0');
	expect("strncpy_from_user(into PROT_NONE)", strncpy_from_user(back, ro, 2 * PAGE_SIZE),
	       -EFAULT);

	/* The stack region fills in on demand; its guard gap never does. */
	pages = uvm->pages;
	expect("copy_to_user(untouched stack page)", copy_to_user(USER_STACK_TOP - 100, buf, 50),
	       0);
	expect("pages mapped for it", (int64_t)(uvm->pages - pages), 1);
	expect("copy_to_user(stack guard gap)", copy_to_user(USER_STACK_GUARD + 8, buf, 8), -EFAULT);

	return_address_space();
	heap_trim();
	frame_get_stats(&after);
	kprintf("usercopy: free frames before %lu, after %lu\n", before.free, after.free);
	KTEST_ASSERT(before.free == after.free);
}

/* ---- smap ----------------------------------------------------------------- */

KTEST(smap)
{
	volatile char *user = (volatile char *)TEST_VA;

	if (!(read_cr4() & CR4_SMAP))
		ktest_fail("the CPU has no SMAP (run with -cpu max)");
	borrow_address_space();
	KTEST_ASSERT(copy_to_user(TEST_VA, "ok", 3) == 0);
	kprintf("smap: copy_to_user works; now reading 0x%llx directly\n", TEST_VA);
	(void)*user;            /* must fault: SMAP */
	ktest_fail("read user memory directly without a fault");
}
