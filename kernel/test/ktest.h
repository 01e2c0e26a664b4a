/*
 * Kernel self-tests.  A test is a function registered with KTEST(name); the
 * grader boots the kernel with `test=name` on the command line, and kmain
 * calls ktest_run() once the kernel is up.  A test passes by returning, and
 * fails by calling ktest_fail() (or when a KTEST_ASSERT does not hold).
 * The verdict is printed ("ktest: NAME: PASS" / "ktest: NAME: FAIL why") and
 * sent to QEMU through the isa-debug-exit device (see machine.h).
 *
 * Tests live in kernel/test/, one file per stage.
 */
#ifndef TEST_KTEST_H
#define TEST_KTEST_H

#include <types.h>
#include "lib/kprintf.h"

struct ktest {
	const char *name;
	void (*run)(void);
};

/* A test's record goes to section .ktests, where ktest_run finds it (kernel.ld). */
#define KTEST_RECORD __attribute__((section(".ktests"), used, aligned(8)))

#define KTEST(name)                                                                       \
	static void ktest_fn_##name(void);                                                \
	static const struct ktest ktest_##name KTEST_RECORD = { #name, ktest_fn_##name }; \
	static void ktest_fn_##name(void)

NORETURN void ktest_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define KTEST_ASSERT(cond)                                                  \
	do {                                                                \
		if (!(cond))                                                \
			ktest_fail("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* Run the named test and exit the emulator with its verdict. */
NORETURN void ktest_run(const char *name);
/* Print the names of all registered tests. */
void ktest_list(void);

#endif
