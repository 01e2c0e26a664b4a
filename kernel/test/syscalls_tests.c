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
 *   exec_limits exec refuses too many argument and environment strings, or
 *               too many bytes of them, with -E2BIG, and accepts the limits
 *   brk         uvm_brk maps and unmaps whole pages, refuses what it cannot
 *               do by returning the old break
 *   syscall_msrs  STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS and EFER.SCE as
 *               usermode_init left them
 *   kernel_cr3  a kernel thread that runs after a process runs on the
 *               kernel's page tables
 *
 * The tests that need a user address space borrow one: they make the test
 * thread a (fake) process's for a moment, as proc_start does.  The programs
 * they load come the way run= finds them (proc/run.h): /bin/NAME once "/"
 * is mounted, else the GRUB module NAME.
 */
#include <errno.h>
#include "test/ktest.h"
#include "arch/x86_64/usermode.h"
#include "arch/x86_64/x86.h"
#include "lib/elf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "mm/vm.h"
#include "proc/elf.h"
#include "proc/exec.h"
#include "proc/proc.h"
#include "proc/run.h"
#include "sched/sched.h"
#include "sched/thread.h"

/* ---- elf_reject ---------------------------------------------------------- */

static const uint8_t *elf_image;
static size_t elf_size;

/* The file of program name to test with, in img (give it back with
 * run_image_put). */
static void program(const char *name, struct run_image *img)
{
	if (run_image_get(name, img))
		ktest_fail("no program \"%s\" to test with", name);
}

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

static void mut_entry(uint8_t *f, size_t *size)
{
	(void)size;
	eh(f)->e_entry = 0x1000;
}

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
	{ "short", mut_short },
	{ "magic", mut_magic },
	{ "class32", mut_class },
	{ "bigendian", mut_endian },
	{ "machine", mut_machine },
	{ "pie", mut_pie },
	{ "relocatable", mut_rel },
	{ "phentsize", mut_phentsize },
	{ "phoff", mut_phoff },
	{ "seg-offset", mut_seg_offset },
	{ "seg-kernel", mut_seg_kernel },
	{ "seg-null", mut_seg_null },
	{ "seg-huge", mut_seg_huge },
	{ "seg-filesz", mut_seg_filesz },
	{ "seg-align", mut_seg_align },
	{ "seg-overlap", mut_seg_overlap },
	{ "entry", mut_entry },
	{ "entry-data", mut_entry_data },
	{ "interp", mut_interp },
	{ "no-load", mut_noload },
	{ "tls", mut_tls },
};

/*
 * Two segments may share a page: move the data segment (and the TLS
 * template in it) down so that it starts in the last page of the read-only
 * one.  The page must then be there once, writable, with the bytes of both.
 */
static void elf_shared_page(uint8_t *buf)
{
	Elf64_Phdr *ro, *rw, *tls;
	struct elf_info info;
	struct uvm *uvm;
	uint64_t page, delta, pa, ro_start;
	uint8_t *kpage;
	bool writable, both;
	int err;

	memcpy(buf, elf_image, elf_size);
	ro = ph(buf, find_ph(buf, PT_LOAD, 2));
	rw = ph(buf, find_ph(buf, PT_LOAD, 3));
	tls = ph(buf, find_ph(buf, PT_TLS, 0));
	page = ALIGN_DOWN(ro->p_vaddr + ro->p_memsz - 1, PAGE_SIZE);
	if (page + rw->p_vaddr % PAGE_SIZE < ro->p_vaddr + ro->p_memsz)
		ktest_fail("the tls image leaves no room to share a page");
	delta = rw->p_vaddr - (page + rw->p_vaddr % PAGE_SIZE);
	rw->p_vaddr -= delta;
	rw->p_paddr -= delta;
	tls->p_vaddr -= delta;
	tls->p_paddr -= delta;
	uvm = uvm_create();
	KTEST_ASSERT(uvm);
	err = elf_load(uvm, "shared-page", buf, elf_size, &info);
	if (err)
		ktest_fail("two segments sharing a page: elf_load returned %d", err);
	writable = uvm_user_page(uvm, page, true) != 0;
	pa = uvm_user_page(uvm, page, false);
	KTEST_ASSERT(pa);
	kpage = phys_to_virt(pa);
	ro_start = MAX(ro->p_vaddr, page);
	both = memcmp(kpage + ro_start % PAGE_SIZE, buf + ro->p_offset + (ro_start - ro->p_vaddr),
		      ro->p_vaddr + ro->p_filesz - ro_start) == 0 &&
	       memcmp(kpage + rw->p_vaddr % PAGE_SIZE, buf + rw->p_offset,
		      MIN(rw->p_filesz, PAGE_SIZE - rw->p_vaddr % PAGE_SIZE)) == 0;
	kprintf("elf_reject: segments sharing page 0x%lx load: %s, %s\n", page,
		writable ? "writable" : "not writable",
		both ? "the bytes of both in place" : "bytes missing");
	uvm_destroy(uvm);
	KTEST_ASSERT(writable && both);
}

KTEST(elf_reject)
{
	struct run_image img;
	uint8_t *buf;
	struct elf_info info;
	struct uvm *uvm;
	int err;

	program("tls", &img);
	elf_image = img.data;
	elf_size = img.size;
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
			ktest_fail("%s: elf_load returned %d, not -ENOEXEC", elf_cases[i].name,
				   err);
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
		"end 0x%lx\n",
		info.entry, info.phdr, info.phnum, uvm->pages, info.end);
	uvm_destroy(uvm);
	elf_shared_page(buf);
	kfree(buf);
	run_image_put(&img);
}

/* ---- a borrowed address space ------------------------------------------- */

#define TEST_VA 0x1000000ull /* 2 pages RW, 1 page R, 1 page PROT_NONE, then a hole */

static struct proc *fake;
static struct uthread *fake_thread;

/* Make the test thread the process fake's, with a fresh address space. */
static struct uvm *borrow_address_space(void)
{
	uint64_t flags;

	fake = kcalloc(1, sizeof(*fake));
	fake_thread = kcalloc(1, sizeof(*fake_thread));
	KTEST_ASSERT(fake && fake_thread);
	strlcpy(fake->name, "ktest", sizeof(fake->name));
	rlimit_init(fake);
	list_init(&fake->threads);
	fake_thread->proc = fake;
	fpu_area_init(&fake_thread->fpu);
	fake->uvm = uvm_create();
	KTEST_ASSERT(fake->uvm);
	KTEST_ASSERT(uvm_map(fake->uvm, TEST_VA, 2 * PAGE_SIZE, UVM_READ | UVM_WRITE) == 0);
	KTEST_ASSERT(uvm_map(fake->uvm, TEST_VA + 2 * PAGE_SIZE, PAGE_SIZE, UVM_READ) == 0);
	KTEST_ASSERT(uvm_map(fake->uvm, TEST_VA + 3 * PAGE_SIZE, PAGE_SIZE, 0) == 0);
	flags = irq_save();
	thread_current()->owner = fake_thread;
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
	kfree(fake_thread);
	kfree(fake);
	fake = NULL;
	fake_thread = NULL;
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

	heap_trim(); /* the heap keeps empty pages: count only real use */
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
	/* A range refused as a whole is refused before anything is copied. */
	KTEST_ASSERT(copy_from_user(buf, TEST_VA, 2 * PAGE_SIZE) == 0);
	memset(back, 0, 2 * PAGE_SIZE);
	expect("copy_to_user(rw, 2^64 - 16) (wraps)", copy_to_user(TEST_VA, back, -16ull), -EFAULT);
	expect("copy_from_user(rw, 8192) after it", copy_from_user(back, TEST_VA, 2 * PAGE_SIZE),
	       0);
	expect("bytes the refused copy changed", memcmp(buf, back, 2 * PAGE_SIZE) != 0, 0);
	expect("user_access_check(rw, 8192, write)",
	       user_access_check(TEST_VA, 2 * PAGE_SIZE, true), 0);
	expect("user_access_check(rw .. read-only, write)",
	       user_access_check(TEST_VA, 3 * PAGE_SIZE, true), -EFAULT);
	expect("user_access_check(rw .. read-only, read)",
	       user_access_check(TEST_VA, 3 * PAGE_SIZE, false), 0);
	/* A page made PROT_NONE stays mapped, without its user bit: refused. */
	KTEST_ASSERT(uvm_mprotect(uvm, TEST_VA, PAGE_SIZE, 0) == 0);
	expect("user_access_check(rw made PROT_NONE, read)", user_access_check(TEST_VA, 1, false),
	       -EFAULT);
	KTEST_ASSERT(uvm_mprotect(uvm, TEST_VA, PAGE_SIZE, UVM_READ | UVM_WRITE) == 0);

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
	expect("copy_to_user(stack guard gap)", copy_to_user(USER_STACK_GUARD + 8, buf, 8),
	       -EFAULT);

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
	(void)*user; /* must fault: SMAP */
	ktest_fail("read user memory directly without a fault");
}

/* ---- exec_limits ------------------------------------------------------------ */

/* exec_load hello with argc arguments "x" and envc environment strings "y". */
static int exec_strings(const struct run_image *img, size_t argc, size_t envc, const char *big)
{
	const char **argv = kcalloc(argc + envc + 2, sizeof(char *));
	const char **envp = argv + argc + 1;
	struct uvm *uvm = uvm_create();
	uint64_t entry, sp;
	int err;

	KTEST_ASSERT(argv && uvm);
	for (size_t i = 0; i < argc; i++)
		argv[i] = big && i == 0 ? big : "x";
	for (size_t i = 0; i < envc; i++)
		envp[i] = "y";
	err = exec_load(uvm, "hello", img->data, img->size, argv, envp, &entry, &sp);
	uvm_destroy(uvm);
	kfree(argv);
	return err;
}

KTEST(exec_limits)
{
	struct run_image img;
	struct frame_stats before, after;
	char *big = kmalloc(EXEC_MAX_BYTES + 1);
	int at, over, mixed, bytes_at, bytes_over;

	KTEST_ASSERT(big);
	program("hello", &img);
	heap_trim();
	frame_get_stats(&before);
	at = exec_strings(&img, EXEC_MAX_STRINGS, 0, NULL);
	over = exec_strings(&img, EXEC_MAX_STRINGS + 1, 0, NULL);
	mixed = exec_strings(&img, EXEC_MAX_STRINGS - 10, 11, NULL);
	/* One string of EXEC_MAX_BYTES bytes with its NUL, then one byte more. */
	memset(big, 'b', EXEC_MAX_BYTES);
	big[EXEC_MAX_BYTES - 1] = '\0';
	bytes_at = exec_strings(&img, 1, 0, big);
	big[EXEC_MAX_BYTES - 1] = 'b';
	big[EXEC_MAX_BYTES] = '\0';
	bytes_over = exec_strings(&img, 1, 0, big);
	heap_trim();
	frame_get_stats(&after);
	kfree(big);
	run_image_put(&img);
	kprintf("exec_limits: %d strings: %d; %d strings: %d; %d arguments and 11 environment "
		"strings: %d\n",
		EXEC_MAX_STRINGS, at, EXEC_MAX_STRINGS + 1, over, EXEC_MAX_STRINGS - 10, mixed);
	kprintf("exec_limits: %d bytes of strings: %d; %d bytes: %d\n", EXEC_MAX_BYTES, bytes_at,
		EXEC_MAX_BYTES + 1, bytes_over);
	kprintf("exec_limits: free frames before %lu, after %lu\n", before.free, after.free);
	KTEST_ASSERT(at == 0 && over == -E2BIG && mixed == -E2BIG);
	KTEST_ASSERT(bytes_at == 0 && bytes_over == -E2BIG);
	KTEST_ASSERT(before.free == after.free);
}

/* ---- brk ---------------------------------------------------------------------- */

#define TEST_HEAP  0x2000000ull
#define HEAP_PAGES 5 /* a page in the way follows */

/* How many of the pages of [TEST_HEAP, + HEAP_PAGES pages) are mapped. */
static int heap_pages(struct uvm *uvm)
{
	int n = 0;

	for (int i = 0; i < HEAP_PAGES; i++)
		n += uvm_user_page(uvm, TEST_HEAP + i * PAGE_SIZE, false) != 0;
	return n;
}

static void brk_step(struct uvm *uvm, const char *what, uint64_t newbrk)
{
	uint64_t got = uvm_brk(uvm, newbrk);

	kprintf("brk: %s: brk(0x%lx) = 0x%lx, %d pages mapped\n", what, newbrk, got,
		heap_pages(uvm));
}

KTEST(brk)
{
	struct uvm *uvm = borrow_address_space();
	uint64_t pages0;

	uvm->heap_start = uvm->brk = TEST_HEAP;
	pages0 = uvm->pages;
	kprintf("brk: the heap starts at 0x%llx, a page at 0x%llx is in the way\n", TEST_HEAP,
		TEST_HEAP + HEAP_PAGES * PAGE_SIZE);
	brk_step(uvm, "grow into a page", TEST_HEAP + 100);
	brk_step(uvm, "grow past 3 pages", TEST_HEAP + 3 * PAGE_SIZE + 1);
	brk_step(uvm, "shrink to 1 page", TEST_HEAP + PAGE_SIZE);
	KTEST_ASSERT(uvm_map(uvm, TEST_HEAP + HEAP_PAGES * PAGE_SIZE, PAGE_SIZE, UVM_READ) == 0);
	brk_step(uvm, "grow over a mapping", TEST_HEAP + 6 * PAGE_SIZE);
	brk_step(uvm, "below the heap", TEST_HEAP - PAGE_SIZE);
	brk_step(uvm, "above USER_MMAP_TOP", USER_MMAP_TOP + PAGE_SIZE);
	brk_step(uvm, "back to the start", TEST_HEAP);
	uvm_unmap(uvm, TEST_HEAP + HEAP_PAGES * PAGE_SIZE, PAGE_SIZE);
	kprintf("brk: %ld pages mapped by it in all\n", (int64_t)(uvm->pages - pages0));
	KTEST_ASSERT(uvm->pages == pages0 && uvm->brk == TEST_HEAP);
	return_address_space();
}

/* ---- syscall_msrs ------------------------------------------------------------- */

/* Intel SDM Vol. 4, table 2-2: the MSRs of SYSCALL and SYSRET. */
#define MSR_STAR        0xc0000081
#define MSR_LSTAR       0xc0000082
#define MSR_CSTAR       0xc0000083
#define MSR_SFMASK      0xc0000084
#define MSR_SYSENTER_CS 0x174

KTEST(syscall_msrs)
{
	uint64_t lstar = rdmsr(MSR_LSTAR);

	kprintf("syscall_msrs: STAR 0x%lx, LSTAR 0x%lx (syscall_entry 0x%lx), SFMASK 0x%lx, "
		"EFER.SCE %d\n",
		rdmsr(MSR_STAR), lstar, (uint64_t)syscall_entry, rdmsr(MSR_SFMASK),
		(rdmsr(MSR_EFER) & EFER_SCE) != 0);
	kprintf("syscall_msrs: CSTAR 0x%lx, SYSENTER_CS 0x%lx\n", rdmsr(MSR_CSTAR),
		rdmsr(MSR_SYSENTER_CS));
	KTEST_ASSERT(lstar == (uint64_t)syscall_entry);
}

/* ---- kernel_cr3 --------------------------------------------------------------- */

#define CR3_ROUNDS 20

KTEST(kernel_cr3)
{
	struct run_image img;
	const char *argv[] = { "sse", "1", NULL }, *envp[] = { NULL };
	struct proc *p;
	int err, wrong = 0, status;

	/* sse yields the CPU 300 times: main, a kernel thread, runs in between. */
	program("sse", &img);
	p = proc_spawn("sse", img.data, img.size, argv, envp, &err);
	run_image_put(&img);
	if (!p)
		ktest_fail("proc_spawn(sse): %d", err);
	for (int i = 0; i < CR3_ROUNDS; i++) {
		sched_yield();
		if ((read_cr3() & PTE_ADDR) != uvm_kernel_pml4())
			wrong++;
	}
	status = proc_wait(p);
	kprintf("kernel_cr3: main ran %d times next to a process, %d times on other page tables "
		"than the kernel's; sse exited with %d\n",
		CR3_ROUNDS, wrong, status);
	KTEST_ASSERT(wrong == 0 && status == 0);
}
