/*
 * kmain: the kernel's C entry point, called by boot.S on the boot stack with
 * interrupts off, in long mode, on the boot page tables (until vm_init).  It
 * brings the subsystems up in dependency order, then does what the command line asks:
 *
 *   test=NAME    run the kernel self-test NAME and exit the emulator
 *   run=PROG,... run user programs (from /bin, or GRUB modules), see proc/run.h
 *   mem          show the physical memory map once memory is set up
 *   monitor      start the kernel monitor on the console
 *   (nothing)    run the shell, /bin/ksh from the ramdisk; the kernel
 *                monitor when it exits (or is not there)
 */
#include "main.h"
#include <types.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/tss.h"
#include "boot/cmdline.h"
#include "boot/multiboot.h"
#include "debug/failinject.h"
#include "debug/ksym.h"
#include "debug/schedtrace.h"
#include "debug/panic.h"
#include "debug/stackprot.h"
#include "drivers/console.h"
#include "drivers/fb.h"
#include "drivers/fbcon.h"
#include "drivers/serial.h"
#include "lib/kprintf.h"
#include "mm/devmem.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/vm.h"
#include "monitor.h"
#include "proc/proc.h"
#include "proc/run.h"
#include "sched/sched.h"
#include "test/ktest.h"

/* No canary: this frame lives on across the guard's change, and never returns. */
STACKPROT_OFF void kmain(uint32_t magic, uint64_t mbi_phys)
{
	const char *test;

	stackprot_init(); /* first: see stackprot.h */
	console_init();
	kprintf("kestrel: x86_64 teaching kernel booting\n");
	if (magic != MB2_BOOT_MAGIC)
		panic("bad multiboot2 magic %x", magic);
	multiboot_parse(mbi_phys);
	cmdline_init(boot_info.cmdline);
	panic_set_exit(cmdline_has("panic=exit"));
	multiboot_print_summary();
	ksym_init();
	idt_init(); /* faults are reported from here on */
	frame_init();
	devmem_init(); /* the ramdisk's pages, for the FAT server */
	vm_init();
	fb_init();     /* the framebuffer, if GRUB set a graphics mode: /dev/fb0 */
	fbcon_start(); /* the console on the framebuffer, if there is one */
	heap_init();
	schedtrace_init();    /* `schedtrace`: record the scheduler's switches */
	gdt_init();           /* kernel and user segments */
	tss_init();           /* IST stacks (from kstack_alloc), RSP0, ltr */
	idt_init();           /* again: the double fault, NMI and #MC gates now use IST */
	pic_init();           /* IRQs 0-15 -> vectors 32-47, all masked */
	timer_init();         /* PIT at TIMER_HZ on IRQ 0 */
	serial_irq_init();    /* COM1 input by IRQ 4 */
	irq_start();          /* sti, if the PIC is set up */
	sched_init();         /* this becomes thread 0 "main"; idle and executor threads */
	console_start_task(); /* console input through the executor */
	/* Memory totals once everything that allocates at boot (IST and thread
	 * stacks, page tables) has: self-tests compare against these. */
	frame_print_stats();
	if (cmdline_has("mem"))
		memmap_show();
	proc_init();       /* user mode: SSE, SMEP/SMAP, the SYSCALL entry */
	failinject_init(); /* failslab=, failframe=: for user processes only */

	test = cmdline_get("test");
	if (test)
		ktest_run(test);
	run_cmdline(); /* run=PROG,ARG...: user programs */
	/* BEGIN STAGE fuse: boot to the shell from the ramdisk */
	if (!cmdline_has("run") && !cmdline_has("monitor"))
		run_shell();
	/* END STAGE fuse */
	monitor_run();
}
