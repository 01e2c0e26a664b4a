/*
 * Self-tests of stage boot.  The grader checks what these print against its
 * own expectations (grade/stage_boot.py).
 */
#include "test/ktest.h"
#include "arch/x86_64/memlayout.h"
#include "boot/multiboot.h"
#include "debug/panic.h"
#include "debug/stackprot.h"
#include "drivers/console.h"
#include "lib/kprintf.h"
#include "lib/string.h"

/* Reaching a test at all means the kernel booted. */
KTEST(banner)
{
}

/*
 * Print each case as "kprintf-case: FORMAT|KIND:ARG|OUTPUT|".  The grader
 * formats ARG with FORMAT in Python and compares with OUTPUT.
 */
struct kprintf_case {
	const char *fmt;
	char kind; /* 'i' signed, 'u' unsigned, 's', 'c' */
	int64_t value;
	const char *str;
};

static const struct kprintf_case kprintf_cases[] = {
	{ "%d", 'i', 0, NULL },
	{ "%d", 'i', -42, NULL },
	{ "%i", 'i', 2147483647, NULL },
	{ "%5d", 'i', 42, NULL },
	{ "%-5d", 'i', 42, NULL },
	{ "%05d", 'i', -42, NULL },
	{ "%u", 'u', 4294967295u, NULL },
	{ "%x", 'u', 0xdeadbeef, NULL },
	{ "%08x", 'u', 0xbeef, NULL },
	{ "%X", 'u', 0xcafe, NULL },
	{ "%ld", 'i', -9000000000000000000, NULL },
	{ "%lu", 'u', (int64_t)18446744073709551615ull, NULL },
	{ "%lx", 'u', (int64_t)0xffffffff80100000ull, NULL },
	{ "%016lx", 'u', 0x1234, NULL },
	{ "%zu", 'u', 123456789, NULL },
	{ "%p", 'u', (int64_t)0xffffffff80000000ull, NULL },
	{ "%s", 's', 0, "hello" },
	{ "%10s", 's', 0, "right" },
	{ "%-10s", 's', 0, "left" },
	{ "%c", 'c', 'K', NULL },
	{ "%3c", 'c', 'x', NULL },
	{ "100%%", 'n', 0, NULL },
};

static void format_case(char *out, size_t size, const struct kprintf_case *c)
{
	switch (c->kind) {
	case 's':
		ksnprintf(out, size, c->fmt, c->str);
		break;
	case 'c':
		ksnprintf(out, size, c->fmt, (int)c->value);
		break;
	case 'n':
		ksnprintf(out, size, c->fmt, 0);
		break;
	default:
		if (strpbrk(c->fmt, "lzp"))
			ksnprintf(out, size, c->fmt, c->value);
		else
			ksnprintf(out, size, c->fmt, (int)c->value);
	}
}

KTEST(kprintf)
{
	char out[64];

	for (size_t i = 0; i < ARRAY_SIZE(kprintf_cases); i++) {
		const struct kprintf_case *c = &kprintf_cases[i];

		format_case(out, sizeof(out), c);
		if (c->kind == 's')
			kprintf("kprintf-case: %s|s:%s|%s|\n", c->fmt, c->str, out);
		else if (c->kind == 'u')
			kprintf("kprintf-case: %s|u:%lu|%s|\n", c->fmt, (uint64_t)c->value, out);
		else
			kprintf("kprintf-case: %s|%c:%ld|%s|\n", c->fmt, c->kind, c->value, out);
	}
	/* ksnprintf must truncate and still say how long the output wanted to be. */
	KTEST_ASSERT(ksnprintf(out, 4, "%s", "abcdef") == 6 && strcmp(out, "abc") == 0);
}

/* A chain of calls for the backtrace to name; noinline keeps each frame. */
NOINLINE void panic_chain_c(int depth);
NOINLINE void panic_chain_b(int depth);
NOINLINE void panic_chain_a(int depth);

void panic_chain_c(int depth)
{
	panic("deliberate panic at depth %d", depth);
}

void panic_chain_b(int depth)
{
	panic_chain_c(depth + 1);
	__asm__ volatile(""); /* not a tail call: keep this frame */
}

void panic_chain_a(int depth)
{
	panic_chain_b(depth + 1);
	__asm__ volatile("");
}

KTEST(panic)
{
	panic_chain_a(1);
}

/*
 * backtrace_print on frame chains built by hand, each ending in a way a
 * backtrace must stop at: a zero return address, a misaligned frame
 * pointer, one outside the kernel half, and a chain that loops (MAX_FRAMES).
 * Each case prints the chain it built, then the backtrace; the grader works
 * out from the first what the second must be.
 */
struct fake_frame {
	uint64_t rbp; /* the caller's frame */
	uint64_t ret; /* the return address into the caller */
};

static struct fake_frame fake[4] __attribute__((aligned(16)));

static uint64_t into(void (*fn)(int), int offset)
{
	return (uint64_t)fn + offset;
}

static void backtrace_case(const char *name, uint64_t rip, uint64_t rbp)
{
	kprintf("backtrace_case: %s: rip 0x%lx, frames", name, rip);
	for (uint64_t f = rbp; f >= PHYS_MAP_BASE && f % 8 == 0;
	     f = ((struct fake_frame *)f)->rbp) {
		const struct fake_frame *ff = (const struct fake_frame *)f;

		kprintf(" 0x%lx", ff->ret);
		if (!ff->ret || ff->rbp == f)
			break;
	}
	kprintf("\n");
	backtrace_print(rip, rbp);
}

KTEST(backtrace)
{
	/* Three frames, then a zero return address (and a frame beyond). */
	fake[0] = (struct fake_frame){ (uint64_t)&fake[1], into(panic_chain_c, 9) };
	fake[1] = (struct fake_frame){ (uint64_t)&fake[2], into(panic_chain_b, 5) };
	fake[2] = (struct fake_frame){ (uint64_t)&fake[3], into(panic_chain_a, 1) };
	fake[3] = (struct fake_frame){ (uint64_t)&fake[0], 0 };
	backtrace_case("zero return", 0, (uint64_t)&fake[0]);
	backtrace_case("rip first", into(panic_chain_b, 3), (uint64_t)&fake[0]);
	/* A misaligned frame pointer, then one in the user half. */
	fake[1].rbp = (uint64_t)&fake[2] + 4;
	backtrace_case("misaligned", 0, (uint64_t)&fake[0]);
	fake[1].rbp = 0x7fff0000;
	backtrace_case("user half", 0, (uint64_t)&fake[0]);
	/* A frame that is its own caller. */
	fake[0] = (struct fake_frame){ (uint64_t)&fake[0], into(panic_chain_a, 2) };
	backtrace_case("loop", 0, (uint64_t)&fake[0]);
}

/*
 * multiboot_parse on a memory map made up here: entries 32 bytes apart
 * (the spec allows entry_size > 24), regions out of order, of several
 * types, the highest available one not last and a reserved one above it.
 * boot_info is saved and put back around it.
 */
#define MMAP_ENTRY_SIZE 32

static const struct memory_region mmap_case[] = {
	{ 0x0, 0x9fc00, MEMORY_AVAILABLE },
	{ 0x9fc00, 0x400, MEMORY_RESERVED },
	{ 0x100000000, 0x40000000, MEMORY_AVAILABLE },
	{ 0x200000000, 0x1000, MEMORY_RESERVED },
	{ 0x3f00000, 0x100000, MEMORY_ACPI_RECLAIMABLE },
	{ 0x100000, 0x3e00000, MEMORY_AVAILABLE },
};

static uint8_t fake_mbi[256] __attribute__((aligned(8)));
static struct boot_info saved_info;

static size_t fake_mmap_info(void)
{
	uint32_t *w = (uint32_t *)fake_mbi;
	size_t n = ARRAY_SIZE(mmap_case), tag = 16 + n * MMAP_ENTRY_SIZE;

	memset(fake_mbi, 0xa5, sizeof(fake_mbi)); /* padding that is not zero */
	w[0] = 8 + tag + 8;                       /* total size */
	w[1] = 0;
	w[2] = 6; /* the memory map tag */
	w[3] = tag;
	w[4] = MMAP_ENTRY_SIZE;
	w[5] = 0; /* entry_version */
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = fake_mbi + 8 + 16 + i * MMAP_ENTRY_SIZE;

		memcpy(e, &mmap_case[i].base, 8);
		memcpy(e + 8, &mmap_case[i].length, 8);
		memcpy(e + 16, &mmap_case[i].type, 4);
		memset(e + 20, 0, 4);
	}
	w = (uint32_t *)(fake_mbi + 8 + tag);
	w[0] = 0; /* the end tag */
	w[1] = 8;
	return n;
}

KTEST(mmap_parse)
{
	size_t n = fake_mmap_info();

	for (size_t i = 0; i < n; i++)
		kprintf("mmap_parse: entry %zu: base 0x%lx length 0x%lx type %u\n", i,
			mmap_case[i].base, mmap_case[i].length, mmap_case[i].type);
	saved_info = boot_info;
	memset(&boot_info, 0, sizeof(boot_info));
	multiboot_parse(virt_to_phys(fake_mbi));
	for (int i = 0; i < boot_info.nregions; i++)
		kprintf("mmap_parse: region %d: base 0x%lx length 0x%lx type %u\n", i,
			boot_info.regions[i].base, boot_info.regions[i].length,
			boot_info.regions[i].type);
	kprintf("mmap_parse: %d regions, available 0x%lx, top 0x%lx\n", boot_info.nregions,
		boot_info.mem_available, boot_info.mem_top);
	boot_info = saved_info;
}

/* Read one line from the console and print it back. */
KTEST(echo)
{
	char line[80];

	kprintf("echo: type a line\n");
	console_readline(line, sizeof(line));
	kprintf("echo: got \"%s\"\n", line);
}

/*
 * The stack protector: stackprot_victim writes past the end of its buffer,
 * over the canary above it, and returns; the check on its way out must
 * panic naming it.  The length comes through a volatile so that the
 * compiler cannot see the overflow (and refuse to build it).
 */
static volatile size_t stackprot_overrun = 8;

NOINLINE void stackprot_victim(void);

void stackprot_victim(void)
{
	char buf[16];

	kprintf("stack_smash: writing %zu bytes into a buffer of %zu\n",
		sizeof(buf) + stackprot_overrun, sizeof(buf));
	// cppcheck-suppress bufferAccessOutOfBounds ; the overrun is the test
	memset(buf, 'A', sizeof(buf) + stackprot_overrun);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

KTEST(stack_smash)
{
	extern uint64_t __stack_chk_guard;

	KTEST_ASSERT(__stack_chk_guard != STACKPROT_LINK_GUARD);
	KTEST_ASSERT((__stack_chk_guard & 0xff) == 0);
	stackprot_victim();
	ktest_fail("stackprot_victim returned: its canary was not checked");
}
