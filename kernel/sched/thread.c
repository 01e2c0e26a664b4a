/*
 * Kernel threads (see thread.h): their life from thread_create to the
 * freeing of their stack, and sleeping, blocking and waking.
 *
 * Starting.  A new thread gets a kernel stack from kstack_alloc and, at the
 * top of it, a frame shaped like the one context_switch (switch.S) leaves
 * behind when it switches away from a thread: six callee-saved registers
 * and a return address.  The first time the scheduler switches to the
 * thread, context_switch pops that frame and "returns" into thread_entry,
 * which calls the thread's function.
 *
 * Ending.  A thread cannot free the stack it is running on: thread_exit
 * only marks the thread EXITED and switches away for good.  Its stack and
 * struct are freed later by another thread: by thread_join (the joiner
 * runs on its own stack), or, for a detached thread, by whichever thread
 * runs next, right after the context switch (thread_reap_detached, called
 * by schedule() and thread_entry), when the CPU has left the dead stack.
 *
 * Locking: the thread list and states change with interrupts off (see
 * sched.h).  The kernel's own threads (main on the boot stack, idle,
 * executor) never exit; their structs are static.
 */
#include "sched/thread.h"
#include <errno.h>
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/kstack.h"
#include "sched/sched.h"

static struct list all_threads = LIST_INIT(all_threads);
/* Detached threads that have exited, linked by run_node: freed by the next
 * thread to run. */
static struct list dead_threads = LIST_INIT(dead_threads);
static int next_tid = 1;
static struct thread boot_thread;

/*
 * What context_switch pops from a stack, lowest address first: the
 * registers it pushed (in reverse) and the return address of its call.
 */
struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t rip;
};

const char *thread_state_name(enum thread_state state)
{
	switch (state) {
	case THREAD_RUNNING:
		return "running";
	case THREAD_READY:
		return "ready";
	case THREAD_BLOCKED:
		return "blocked";
	case THREAD_SLEEPING:
		return "sleeping";
	case THREAD_EXITED:
		return "exited";
	}
	return "?";
}

struct thread *thread_current(void)
{
	return sched_current();
}

/*
 * Where a new thread starts, "returned to" by context_switch with
 * interrupts off, as if from schedule().  Do what schedule() does after a
 * switch, turn interrupts on, and run the thread's function.
 */
static NORETURN void thread_entry(void)
{
	struct thread *t = sched_current();

	thread_reap_detached();
	irq_sections_set(&(struct irq_sections){ 0 }); /* KDEBUG: none open yet */
	sti();
	t->fn(t->arg);
	thread_exit(0);
}

/*
 * Build the first frame of t on its new stack, so that the first
 * context_switch to t (which pops a struct switch_frame and returns)
 * enters thread_entry with an empty stack.  Returns 0 or -errno.
 */
static int thread_frame_init(struct thread *t)
{
	/* BEGIN STAGE scheduler: lay out a switch_frame that context_switch pops into thread_entry */
	/*
	 * The System V ABI wants rsp + 8 to be a multiple of 16 when a
	 * function starts (as right after a `call` from an aligned rsp).
	 * The stack top is page aligned: keep one zero word above the frame
	 * so that rsp = top - 8 when `ret` enters thread_entry.  That word
	 * sits where thread_entry's return address would be, and rbp = 0
	 * ends the frame-pointer chain: backtraces stop here.
	 */
	uint64_t *top = (uint64_t *)t->kstack_top;
	struct switch_frame *frame = (struct switch_frame *)(top - 1) - 1;

	top[-1] = 0;
	memset(frame, 0, sizeof(*frame));
	frame->rip = (uint64_t)thread_entry;
	t->rsp = (uint64_t)frame;
	return 0;
	/* STUB
	(void)t;
	(void)thread_entry;
	return -ENOSYS;
	END STAGE scheduler */
}

static void thread_init_fields(struct thread *t, const char *name, int prio)
{
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, name, sizeof(t->name));
	t->state = THREAD_READY;
	t->prio = t->eff_prio = prio;
	t->slice_left = SCHED_SLICE_TICKS;
	list_node_init(&t->run_node);
	list_node_init(&t->all_node);
	waitq_init(&t->exit_wait, "thread exit");
	t->waiter.thread = t;
	alarm_init(&t->alarm);
}

static void thread_free(struct thread *t)
{
	uint64_t flags = irq_save();

	list_remove(&t->all_node);
	irq_restore(flags);
	if (t->kstack_owned)
		kstack_free(t->kstack_top);
	if (t->kmalloced)
		kfree(t);
}

/* Give t (fields initialized) a stack and a first frame; queue it if asked. */
static int thread_start(struct thread *t, thread_fn fn, void *arg, bool queue)
{
	uint64_t flags;
	int err;

	t->fn = fn;
	t->arg = arg;
	t->kstack_top = kstack_alloc(t->name);
	if (!t->kstack_top)
		return -ENOMEM;
	t->kstack_owned = true;
	err = thread_frame_init(t);
	if (err) {
		kstack_free(t->kstack_top);
		return err;
	}

	flags = irq_save();
	t->tid = next_tid++;
	list_push_back(&all_threads, &t->all_node);
	if (queue) {
		sched_make_ready(t);
		if (flags & RFLAGS_IF)
			sched_preempt(); /* t may outrank us: let it run now */
	}
	irq_restore(flags);
	return 0;
}

int thread_create(const char *name, thread_fn fn, void *arg, int prio, struct thread **out)
{
	struct thread *t;
	int err;

	if (prio < SCHED_PRIO_HIGHEST || prio > SCHED_PRIO_LOWEST)
		return -EINVAL;
	t = kmalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	thread_init_fields(t, name, prio);
	t->kmalloced = true;
	if (out)
		*out = t; /* before it can run (and exit) */
	err = thread_start(t, fn, arg, true);
	if (err) {
		kfree(t);
		if (out)
			*out = NULL;
	}
	return err;
}

int thread_create_static(struct thread *t, const char *name, thread_fn fn, void *arg, int prio,
			 bool queue)
{
	thread_init_fields(t, name, prio);
	return thread_start(t, fn, arg, queue);
}

struct thread *thread_adopt_boot(const char *name, uint64_t stack_top, int prio)
{
	struct thread *t = &boot_thread;

	thread_init_fields(t, name, prio);
	t->tid = 0;
	t->state = THREAD_RUNNING;
	t->kstack_top = stack_top;
	t->kstack_owned = false;
	list_push_back(&all_threads, &t->all_node);
	return t;
}

void thread_exit(int code)
{
	struct thread *t = sched_current();

	cli(); /* for good: the next thread turns them back on */
	if (!t || t == sched_idle_thread())
		panic("thread_exit: %s cannot exit", t ? t->name : "the boot context");
	t->exit_code = code;
	t->state = THREAD_EXITED;
	alarm_cancel(&t->alarm);
	wait_wake_all(&t->exit_wait);
	if (t->detached)
		list_push_back(&dead_threads, &t->run_node);
	schedule();
	panic("thread_exit: thread '%s' ran again after exiting", t->name);
}

int thread_join(struct thread *t, int *code)
{
	if (t == sched_current() || t->detached)
		return -EINVAL;
	wait_event(&t->exit_wait, t->state == THREAD_EXITED);
	if (code)
		*code = t->exit_code;
	thread_free(t);
	return 0;
}

void thread_detach(struct thread *t)
{
	uint64_t flags = irq_save();
	bool exited = t->state == THREAD_EXITED;

	t->detached = true;
	irq_restore(flags);
	if (exited)
		thread_free(t);
}

void thread_reap_detached(void)
{
	struct list_node *n;

	while ((n = list_pop_front(&dead_threads)) != NULL)
		thread_free(list_entry(n, struct thread, run_node));
}

struct thread *thread_find(int tid)
{
	list_for_each(n, &all_threads) {
		struct thread *t = list_entry(n, struct thread, all_node);

		if (t->tid == tid)
			return t;
	}
	return NULL;
}

void thread_for_each(void (*fn)(struct thread *t, void *arg), void *arg)
{
	uint64_t flags = irq_save();

	list_for_each(n, &all_threads)
		fn(list_entry(n, struct thread, all_node), arg);
	irq_restore(flags);
}

/* ---- blocking and waking ---------------------------------------------- */

void thread_block(void)
{
	struct thread *t = sched_current();

	if (irq_enabled())
		panic("thread_block: interrupts are on (a wake-up could be lost)");
	t->state = THREAD_BLOCKED;
	schedule();
}

void thread_wake(struct thread *t)
{
	uint64_t flags = irq_save();

	if (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING) {
		waiter_unlink(&t->waiter);
		alarm_cancel(&t->alarm);
		sched_make_ready(t);
		if (flags & RFLAGS_IF)
			sched_preempt();
	}
	irq_restore(flags);
}

static void sleep_alarm(struct alarm *a)
{
	thread_wake(container_of(a, struct thread, alarm));
}

void thread_sleep_until(uint64_t tick)
{
	uint64_t flags = irq_save();
	struct thread *t = sched_current();

	while (timer_ticks() < tick) {
		if (!sched_active()) {
			/* No scheduler: one thread; halt until the next interrupt. */
			struct waitq nobody = WAITQ_INIT("sleep");
			wait_sleep(&nobody);
			continue;
		}
		t->state = THREAD_SLEEPING;
		alarm_set(&t->alarm, tick, sleep_alarm);
		schedule();
	}
	irq_restore(flags);
}

void thread_sleep(uint64_t ticks)
{
	thread_sleep_until(timer_ticks() + ticks);
}
