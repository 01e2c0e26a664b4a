/*
 * The soft-lockup watchdog: notice a thread that runs in the kernel and
 * never comes out.
 *
 * A system call that loops (a length never reached, a list that points
 * back at itself, a wait that does not wait) with interrupts on does not
 * stop the machine: the kernel is preemptible, so the tick goes on and
 * other threads run, but that thread is lost, and if nothing else is ready
 * the machine just spins.  On every tick (sched_tick calls watchdog_tick
 * with the interrupted trapframe) the thread the tick interrupted is
 * charged one tick if it was in the kernel; a tick in user mode clears its
 * count, and so does progress: for a user thread another system call of
 * its process (the process's syscall counter moved, so it came out of the
 * last one), for a kernel thread a switch to it (it blocked or yielded in
 * between).  A thread that blocks is charged nothing while it sleeps.
 * When the count reaches WATCHDOG_SECONDS of ticks the watchdog prints,
 * once for that stretch,
 *
 *     watchdog: NAME (pid P, tid T) stuck in the kernel for 5 s in system call N NAME(ARGS)
 *     watchdog: at rip 0x... <function+0x...>
 *     backtrace: ...
 *
 * and carries on: a warning, as Linux's soft-lockup report is.  The
 * system call comes from the trapframe syscall_entry pushed at the top of
 * the thread's kernel stack (its "error code" is the number).
 *
 * What it cannot see: a CPU stuck with interrupts off takes no tick at all
 * (Linux catches that with a non-maskable interrupt from a performance
 * counter, which QEMU's TCG does not emulate); the graders' progress check
 * (gradelib: no output while QEMU spins or idles) reports that one.
 */
#include "debug/watchdog.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/usermode.h"
#include "debug/ksym.h"
#include "debug/panic.h"
#include "lib/kprintf.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "syscall/syscall.h"

#define WATCHDOG_TICKS (WATCHDOG_SECONDS * TIMER_HZ)

/* What moves when t makes progress (see the top). */
static uint64_t watchdog_mark(const struct thread *t)
{
	return t->owner ? t->owner->proc->syscalls : t->switches;
}

static void watchdog_report(const struct thread *t, const struct trapframe *tf)
{
	const struct trapframe *utf = (const struct trapframe *)t->kstack_top - 1;
	uint64_t off;
	const char *fn = ksym_lookup(tf->rip, &off);

	kprintf("watchdog: %s (pid %d, tid %d) stuck in the kernel for %d s", t->name,
		t->owner ? t->owner->proc->pid : 0, t->tid, WATCHDOG_SECONDS);
	if (t->owner && utf->vector == T_SYSCALL) {
		const char *name = syscall_linux_name(utf->error);

		kprintf(" in system call %lu %s(%lx, %lx, %lx, %lx, %lx, %lx)", utf->error,
			name ? name : "?", utf->rdi, utf->rsi, utf->rdx, utf->r10, utf->r8,
			utf->r9);
	}
	kprintf("\nwatchdog: at rip 0x%lx <%s+0x%lx>\n", tf->rip, fn ? fn : "?", fn ? off : 0);
	backtrace_print(0, tf->rbp);
}

void watchdog_tick(const struct trapframe *tf)
{
	struct thread *t = sched_current();
	uint64_t mark;

	if (!t || t == sched_idle_thread())
		return;
	if (trap_from_user(tf)) {
		t->wd_ticks = 0;
		return;
	}
	mark = watchdog_mark(t);
	if (mark != t->wd_mark) {
		t->wd_mark = mark;
		t->wd_ticks = 0;
	}
	if (++t->wd_ticks == WATCHDOG_TICKS)
		watchdog_report(t, tf);
}
