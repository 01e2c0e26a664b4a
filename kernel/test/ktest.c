/*
 * The self-test runner.  KTEST() places a struct ktest in the .ktests
 * section; the linker script brackets that section with __ktests_start and
 * __ktests_end, so the runner finds every test without a central table.
 */
#include "debug/schedtrace.h"
#include "test/ktest.h"
#include "arch/x86_64/machine.h"
#include "debug/panic.h"
#include "lib/string.h"

/* Bounds of the .ktests section, from the linker script.  Comparing
 * pointers into "different arrays" is how section iteration works. */
extern const struct ktest __ktests_start[], __ktests_end[];

static const char *current;

void ktest_fail(const char *fmt, ...)
{
	va_list ap;

	kprintf("ktest: %s: FAIL ", current ? current : "?");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	machine_exit(MACHINE_EXIT_FAIL);
}

void ktest_run(const char *name)
{
	// cppcheck-suppress comparePointers
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (strcmp(t->name, name) != 0)
			continue;
		current = t->name;
		panic_set_exit(true);
		kprintf("ktest: %s: running\n", name);
		t->run();
		schedtrace_dump();
		kprintf("ktest: %s: PASS\n", name);
		machine_exit(MACHINE_EXIT_PASS);
	}
	kprintf("ktest: no test named \"%s\"; the tests are:\n", name);
	ktest_list();
	current = name;
	ktest_fail("unknown test");
}

void ktest_list(void)
{
	// cppcheck-suppress comparePointers
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		kprintf("  %s\n", t->name);
}
