/*
 * The kernel monitor.  Reads a line, splits it into words and runs the
 * command named by the first word.  Commands are plain functions in the
 * table below; each later subsystem adds its inspection command here.
 */
#include <types.h>
#include "monitor.h"
#include "proc/proc.h"
#include "proc/run.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/machine.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/timer.h"
#include "boot/multiboot.h"
#include "drivers/console.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/vm.h"
#include "sched/sched.h"
#include "test/ktest.h"

#define MAX_ARGS 16

struct command {
	const char *name;
	const char *help;
	void (*run)(int argc, char **argv);
};

static void cmd_help(int argc, char **argv);

static void cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		kprintf("%s%s", argv[i], i + 1 < argc ? " " : "");
	kprintf("\n");
}

static void cmd_boot(int argc, char **argv)
{
	(void)argc, (void)argv;
	multiboot_print_summary();
}

static void cmd_tests(int argc, char **argv)
{
	(void)argc, (void)argv;
	ktest_list();
}

static void cmd_halt(int argc, char **argv)
{
	(void)argc, (void)argv;
	kprintf("halting\n");
	machine_exit(MACHINE_EXIT_PASS);
}

static void cmd_mem(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "regions") == 0) {
		memmap_print_regions();
	} else if (argc > 1 && strcmp(argv[1], "heap") == 0) {
		heap_print_stats();
		kprintf("heap_check: %s\n", heap_check() == 0 ? "consistent" : "PROBLEMS");
	} else if (argc > 1) {
		kprintf("usage: mem [regions|heap]\n");
		return;
	} else {
		memmap_show();
	}
	frame_print_stats();
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void cmd_vm(int argc, char **argv)
{
	uint64_t va, pa, size;
	unsigned flags;
	const char *end;

	if (argc < 2) {
		struct vm_page_counts c;

		vm_count_pages(vm_kernel_root(), PHYS_MAP_BASE, PHYS_MAP_BASE + vm_direct_map_end(),
			       &c);
		kprintf("vm: direct map 0-0x%lx: %lu x 1 GiB, %lu x 2 MiB, %lu x 4 KiB pages\n",
			vm_direct_map_end(), c.pages_1g, c.pages_2m, c.pages_4k);
		kprintf("usage: vm ADDRESS   (translate a virtual address)\n");
		return;
	}
	va = str_to_u64(argv[1], &end);
	if (vm_translate(vm_kernel_root(), va, &pa, &size, &flags) != 0) {
		kprintf("vm: 0x%lx is not mapped\n", va);
		return;
	}
	kprintf("vm: 0x%lx -> physical 0x%lx, %lu KiB page, write %s, exec %s, user %s\n", va, pa,
		size / 1024, yes_no(flags & VM_WRITE), yes_no(flags & VM_EXEC),
		yes_no(flags & VM_USER));
}

static void cmd_uptime(int argc, char **argv)
{
	uint64_t ms = timer_uptime_ms();

	(void)argc, (void)argv;
	kprintf("up %lu.%03lu s, %lu ticks at %d Hz\n", ms / 1000, ms % 1000, timer_ticks(),
		TIMER_HZ);
}

static void cmd_irqs(int argc, char **argv)
{
	(void)argc, (void)argv;
	irq_print_stats();
}

static void cmd_ps(int argc, char **argv)
{
	(void)argc, (void)argv;
	if (!sched_active()) {
		kprintf("ps: the scheduler is not running\n");
		return;
	}
	sched_ps();
}

static void cmd_run(int argc, char **argv)
{
	const char *args[MAX_ARGS];

	if (argc < 2) {
		kprintf("usage: run NAME [ARGS...]\n");
		return;
	}
	for (int i = 1; i < argc; i++)
		args[i - 1] = argv[i];
	args[argc - 1] = NULL;
	run_program(args);
}

static void cmd_procs(int argc, char **argv)
{
	(void)argc, (void)argv;
	proc_ps();
}

static void cmd_trace(int argc, char **argv)
{
	struct proc *p;

	if (argc != 3 || (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
		kprintf("usage: trace PID on|off\n");
		return;
	}
	p = proc_find((int)str_to_u64(argv[1], NULL));
	if (!p) {
		kprintf("trace: no process %s\n", argv[1]);
		return;
	}
	p->trace = strcmp(argv[2], "on") == 0;
}

static const struct command commands[] = {
	{ "help", "list the commands", cmd_help },
	{ "echo", "print the arguments", cmd_echo },
	{ "boot", "show what the boot loader passed", cmd_boot },
	{ "mem", "memory map; mem regions, mem heap for details", cmd_mem },
	{ "vm", "translate a virtual address (vm ADDRESS)", cmd_vm },
	{ "tests", "list the kernel self-tests (boot with test=NAME)", cmd_tests },
	{ "uptime", "time since boot and timer ticks", cmd_uptime },
	{ "irqs", "interrupt counts per IRQ line", cmd_irqs },
	{ "ps", "list the threads: id, name, state, priority, ticks", cmd_ps },
	{ "run", "run a user program (run NAME ARGS...)", cmd_run },
	{ "procs", "list the processes", cmd_procs },
	{ "trace", "trace a process's system calls (trace PID on|off)", cmd_trace },
	{ "halt", "stop the machine", cmd_halt },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		kprintf("  %-8s %s\n", commands[i].name, commands[i].help);
}

static void run_line(char *line)
{
	char *argv[MAX_ARGS];
	int argc = str_split_words(line, argv, MAX_ARGS);

	if (argc < 0) {
		kprintf("kmon: too many words (at most %d)\n", MAX_ARGS);
		return;
	}
	if (argc == 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			commands[i].run(argc, argv);
			return;
		}
	}
	kprintf("kmon: unknown command \"%s\" (try help)\n", argv[0]);
}

void monitor_run(void)
{
	char line[128];

	kprintf("kmon: kernel monitor; type help for the commands\n");
	for (;;) {
		kprintf("kmon> ");
		console_readline(line, sizeof(line));
		run_line(line);
	}
}
