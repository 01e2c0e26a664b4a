/*
 * Panic and backtrace.  The kernel is compiled with frame pointers
 * (-fno-omit-frame-pointer), so every function begins with
 *     push %rbp; mov %rsp, %rbp
 * and a stack frame looks like this, from %rbp upwards:
 *     [rbp]     the caller's saved rbp  -> the next frame
 *     [rbp + 8] the return address into the caller
 * kernel_entry64 clears rbp before calling kmain (and new threads start with
 * rbp = 0), so a zero rbp ends the chain.
 */
#include "debug/panic.h"
#include "arch/x86_64/machine.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "debug/ksym.h"

#define MAX_FRAMES 32

static bool exit_on_panic;
static int panicking;

void panic_set_exit(bool on)
{
	exit_on_panic = on;
}

void backtrace_print_frame(int depth, uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		kprintf("  #%d %p %s+0x%lx\n", depth, (void *)addr, name, off);
	else
		kprintf("  #%d %p ?\n", depth, (void *)addr);
}

/* Frames live on kernel stacks, which are all in the kernel half. */
static bool frame_pointer_ok(uint64_t rbp)
{
	return rbp >= PHYS_MAP_BASE && (rbp & 7) == 0;
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	int depth = 0;

	kprintf("backtrace:\n");
	if (rip)
		backtrace_print_frame(depth++, rip);
	/* BEGIN STAGE boot: follow the chain of saved frame pointers */
	while (frame_pointer_ok(rbp) && depth < MAX_FRAMES) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];

		if (!ret)
			break;
		/* ret points after the call; ret - 1 is inside the calling
		 * function even when the call was its last instruction. */
		backtrace_print_frame(depth++, ret - 1);
		rbp = frame[0];
	}
	/* STUB
	(void)frame_pointer_ok;
	(void)rbp;
	END STAGE boot */
}

void panic_stop(void)
{
	if (exit_on_panic)
		machine_exit(MACHINE_EXIT_PANIC);
	machine_halt();
}

void panic(const char *fmt, ...)
{
	va_list ap;
	uint64_t rbp;

	cli();
	if (panicking++) {
		kprintf("panic: nested panic; stopping\n");
		panic_stop();
	}
	kprintf("\npanic: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	kprintf("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx\n", read_cr0(), read_cr2(),
		read_cr3(), read_cr4());
	backtrace_print(0, rbp);
	panic_stop();
}
