/*
 * The stack protector's guard and its failure report (see stackprot.h).
 *
 * GCC's code reads the guard from the global __stack_chk_guard (the
 * -mstack-protector-guard=global choice: the default, %fs:0x28, is the
 * user's TLS and means nothing in the kernel) and calls __stack_chk_fail()
 * on a mismatch, from the function whose canary was overwritten.  Its
 * return address therefore points into (or just past) that function,
 * which ksym names.
 *
 * Until stackprot_init runs, the guard is STACKPROT_LINK_GUARD: the early
 * functions store and check that value, which is fine since each returns
 * before the change.  __stack_chk_fail itself has no canary (it runs
 * because one was found broken, and never returns).
 */
#include "debug/stackprot.h"
#include "arch/x86_64/x86.h"
#include "debug/ksym.h"
#include "debug/panic.h"

#define CPUID1_ECX_RDRAND (1u << 30)

uint64_t __stack_chk_guard = STACKPROT_LINK_GUARD;

STACKPROT_OFF NORETURN void __stack_chk_fail(void);

/* A 64-bit random number from RDRAND, or 0 if the CPU has none to give. */
static uint64_t stackprot_rdrand(void)
{
	uint32_t a, b, c, d;
	uint64_t r = 0;
	bool ok = false;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_RDRAND))
		return 0;
	/* RDRAND may fail transiently (CF = 0): the SDM (Vol. 1, 7.3.17.1) says retry. */
	for (int tries = 0; tries < 10 && !ok; tries++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(r), "=qm"(ok));
	return ok ? r : 0;
}

void stackprot_init(void)
{
	uint64_t x = stackprot_rdrand();

	if (!x) {
		/* The TSC differs from boot to boot (not under -icount, where
		 * the guard repeats: good enough for a teaching kernel). */
		x = rdtsc() * 0x9E3779B97F4A7C15ull;
		x ^= x >> 29;
	}
	x &= ~0xffull;
	__stack_chk_guard = x ? x : STACKPROT_LINK_GUARD;
}

STACKPROT_OFF void __stack_chk_fail(void)
{
	/* The call is the failing function's last instruction when the
	 * compiler knows it does not return: at - 1 is inside the function. */
	uint64_t at = (uint64_t)__builtin_return_address(0) - 1, off;
	const char *name = ksym_lookup(at, &off);

	if (name)
		panic("stack smashing detected in %s (%s+0x%lx): a buffer on the stack was "
		      "written past its end",
		      name, name, off);
	panic("stack smashing detected at %p: a buffer on the stack was written past its end",
	      (void *)at);
}
