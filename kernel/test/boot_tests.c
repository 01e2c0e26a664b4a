/*
 * Self-tests of stage boot.  The grader checks what these print against its
 * own expectations (grade/stage_boot.py).
 */
#include "test/ktest.h"
#include "debug/panic.h"
#include "drivers/console.h"
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
	char kind;                      /* 'i' signed, 'u' unsigned, 's', 'c' */
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
	__asm__ volatile("");   /* not a tail call: keep this frame */
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

/* Read one line from the console and print it back. */
KTEST(echo)
{
	char line[80];

	kprintf("echo: type a line\n");
	console_readline(line, sizeof(line));
	kprintf("echo: got \"%s\"\n", line);
}
