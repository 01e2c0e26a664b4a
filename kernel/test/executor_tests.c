/*
 * Self-tests of stage scheduler, part two: the executor (kernel tasks
 * polled until ready, woken through wait queues), console input by lines,
 * a kernel stack overflow caught by the guard page, and the scheduler's
 * benchmark.  The helpers shared with part one (scheduler_tests.c) are in
 * sched_test.h.
 */
#include <errno.h>
#include "test/ktest.h"
#include "test/sched_test.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "boot/cmdline.h"
#include "debug/ksym.h"
#include "drivers/console.h"
#include "lib/string.h"
#include "lib/wait.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/kstack.h"
#include "sched/executor.h"
#include "sched/sched.h"
#include "sched/thread.h"

/* ---- the executor -------------------------------------------------------------- */

#define ORDER_TASKS 8

struct order_task {
	struct task task;
	char letter;
	bool sleeping; /* phase 2: the task sleeps, then logs */
	uint64_t sleep_ticks;
};

static struct order_task order_tasks[ORDER_TASKS];

static unsigned polls_irq_off;

/* Phase 1: log every poll, never finish.  Polls run with interrupts on. */
static enum poll order_poll(struct task *task)
{
	if (!irq_enabled())
		polls_irq_off++;
	stest_log_event(container_of(task, struct order_task, task)->letter);
	return POLL_PENDING;
}

/* Phase 2: sleep, then log and finish. */
static enum poll sleepy_poll(struct task *task)
{
	struct order_task *ot = container_of(task, struct order_task, task);

	TASK_BEGIN(task);
	TASK_SLEEP(task, ot->sleep_ticks);
	stest_log_event(ot->letter);
	TASK_END(task);
}

/* The wake order from the command line: distinct letters from A on. */
static const char *wake_order(int *ntasks)
{
	const char *order = cmdline_get("order");
	int max = 0;

	if (!order)
		order = "CAEB";
	for (const char *p = order; *p; p++) {
		if (*p < 'A' || *p >= 'A' + ORDER_TASKS || strchr(p + 1, *p))
			ktest_fail("order=%s: want distinct letters A-%c", order,
				   'A' + ORDER_TASKS - 1);
		max = MAX(max, *p - 'A' + 1);
	}
	*ntasks = max;
	return order;
}

static struct waitq event_wq = WAITQ_INIT("executor test event");
static volatile int event_value;

/* Yield once (waking itself while being polled), then await the event. */
static enum poll yield_poll(struct task *task)
{
	TASK_BEGIN(task);
	TASK_YIELD(task);
	TASK_AWAIT_EVENT(task, &event_wq, event_value > 0);
	TASK_END(task);
}

/* Poll ex until its queue is empty, but at most max times. */
static uint64_t run_at_most(struct executor *ex, uint64_t max)
{
	uint64_t polls = 0;

	while (polls < max && executor_run_once(ex))
		polls++;
	return polls;
}

#define LATE_TICKS 5

static volatile uint64_t joined_at;

static void joiner_fn(void *arg)
{
	executor_join(arg);
	joined_at = timer_ticks();
}

struct event_task {
	struct task task;
};

static enum poll event_poll(struct task *task)
{
	TASK_BEGIN(task);
	TASK_AWAIT_EVENT(task, &event_wq, event_value >= 3);
	TASK_END(task);
}

KTEST(executor_order)
{
	static struct executor ex;
	static struct event_task et;
	static struct order_task late;
	int n;
	const char *order = wake_order(&n);
	char spawn_order[ORDER_TASKS + 1];
	uint64_t task_polls = 0, before, after, t0;
	struct thread *joiner;
	bool all_done;

	stest_need_scheduler();
	executor_init(&ex, "test executor");

	/* Phase 1: direct wake-ups. */
	stest_log_reset();
	polls_irq_off = 0;
	for (int i = 0; i < n; i++) {
		order_tasks[i] = (struct order_task){ .letter = 'A' + i };
		spawn_order[i] = 'A' + i;
		task_init(&order_tasks[i].task, "order", order_poll);
		executor_spawn(&ex, &order_tasks[i].task);
	}
	spawn_order[n] = '\0';
	executor_run_until_idle(&ex);
	kprintf("executor: spawned %s, first polls %s\n", spawn_order, stest_log());
	KTEST_ASSERT(strcmp(stest_log(), spawn_order) == 0);
	KTEST_ASSERT(executor_run_until_idle(&ex) == 0); /* nobody woken: no poll */
	stest_log_reset();
	for (const char *p = order; *p; p++)
		executor_wake(&order_tasks[*p - 'A'].task);
	for (const char *p = order; *p; p++) /* again: already queued */
		executor_wake(&order_tasks[*p - 'A'].task);
	executor_run_until_idle(&ex);
	kprintf("executor: woke %s (each twice), polled %s\n", order, stest_log());
	KTEST_ASSERT(strcmp(stest_log(), order) == 0);
	for (int i = 0; i < n; i++) {
		uint64_t want = strchr(order, 'A' + i) ? 2 : 1;

		KTEST_ASSERT(order_tasks[i].task.polls == want);
		task_polls += order_tasks[i].task.polls;
	}
	kprintf("executor: %lu polls, %u with interrupts off; the executor counted %lu\n",
		task_polls, polls_irq_off, ex.polls);
	KTEST_ASSERT(polls_irq_off == 0 && ex.polls == task_polls);

	/* A wake-up during a poll makes one more poll, and only one. */
	event_value = 0;
	task_init(&et.task, "yield", yield_poll);
	executor_spawn(&ex, &et.task);
	before = run_at_most(&ex, 10);
	event_value = 1;
	wait_wake_all(&event_wq);
	after = run_at_most(&ex, 10);
	kprintf("executor: a task that yields, then awaits an event, was polled %lu times, "
		"then %lu after the event\n",
		before, after);
	KTEST_ASSERT(before == 2 && after == 1 && et.task.state == TASK_DONE);

	/* executor_join of a task that finishes later (on the kernel's executor). */
	KTEST_ASSERT(executor_kernel() != NULL);
	late = (struct order_task){ .letter = 'Z', .sleep_ticks = LATE_TICKS };
	task_init(&late.task, "late", sleepy_poll);
	joined_at = 0;
	t0 = timer_ticks();
	executor_spawn(executor_kernel(), &late.task);
	joiner = stest_create("joiner", joiner_fn, &late.task, SCHED_PRIO_DEFAULT);
	thread_sleep(4 * LATE_TICKS);
	if (joiner->state != THREAD_EXITED)
		ktest_fail("executor_join still waits %d ticks after its task finished (task %s)",
			   3 * LATE_TICKS, late.task.state == TASK_DONE ? "done" : "not done");
	stest_join(joiner);
	kprintf("executor: executor_join of a task that sleeps %d ticks returned after %lu ticks\n",
		LATE_TICKS, joined_at - t0);

	/* Phase 2: wake-ups from the timer interrupt (TASK_SLEEP). */
	stest_log_reset();
	for (int i = 0; i < n; i++) {
		const char *at = strchr(order, 'A' + i);

		order_tasks[i] = (struct order_task){ .letter = 'A' + i };
		/* the k-th letter of order sleeps 3(k+1) ticks; others longest */
		order_tasks[i].sleep_ticks = at ? 3 * (at - order + 1) : 3 * (n + 1);
		task_init(&order_tasks[i].task, "sleepy", sleepy_poll);
		executor_spawn(&ex, &order_tasks[i].task);
	}
	do {
		executor_run_until_idle(&ex);
		all_done = true;
		for (int i = 0; i < n; i++)
			all_done &= order_tasks[i].task.state == TASK_DONE;
		if (!all_done)
			executor_wait_for_work(&ex);
	} while (!all_done);
	kprintf("executor: timer wake-ups finished the tasks in the order %s\n", stest_log());
	KTEST_ASSERT(strncmp(stest_log(), order, strlen(order)) == 0);
	for (int i = 0; i < n; i++)
		KTEST_ASSERT(order_tasks[i].task.polls == 2); /* spawn + alarm: no others */

	/* Phase 3: the kernel's executor thread, woken through a wait queue. */
	event_value = 0;
	task_init(&et.task, "event", event_poll);
	executor_spawn(executor_kernel(), &et.task);
	for (int i = 0; i < 3; i++) {
		event_value++;
		wait_wake_all(&event_wq);
	}
	executor_join(&et.task);
	kprintf("executor: a task awaiting an event was polled %lu times for 3 wake-ups\n",
		et.task.polls);
	KTEST_ASSERT(et.task.state == TASK_DONE && et.task.polls == 4);
}

/* ---- console input through the executor ------------------------------------------ */

static void find_executor(struct thread *t, void *arg)
{
	if (strcmp(t->name, "executor") == 0)
		*(struct thread **)arg = t;
}

#define QUIET_TICKS 10

KTEST(console_lines)
{
	char a[64], b[64];
	uint64_t polls0, polls1;
	struct thread *executor = NULL;

	stest_need_scheduler();
	KTEST_ASSERT(console_task_running());
	polls0 = executor_kernel()->polls;
	kprintf("console: type two lines\n");
	thread_sleep(50); /* type-ahead: the lines wait for the reader */
	console_readline(a, sizeof(a));
	console_readline(b, sizeof(b));
	kprintf("console: got \"%s\" and \"%s\"\n", a, b);
	kprintf("console: the executor polled %lu times meanwhile\n",
		executor_kernel()->polls - polls0);

	/* With no more input, the executor has nothing to do: it sleeps. */
	thread_for_each(find_executor, &executor);
	KTEST_ASSERT(executor != NULL);
	thread_sleep(2);
	polls1 = executor_kernel()->polls;
	thread_sleep(QUIET_TICKS);
	kprintf("console: then, in %d ticks without input, the executor was %s and polled %lu "
		"times\n",
		QUIET_TICKS, thread_state_name(executor->state), executor_kernel()->polls - polls1);
	KTEST_ASSERT(executor->state == THREAD_BLOCKED && executor_kernel()->polls == polls1);
}

/* ---- a thread's stack overflow names the thread ---------------------------------- */

/* Recurse forever, each frame holding a little buffer (well under a page). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion" /* that is the point */
static NOINLINE int recurse_deeply(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	return recurse_deeply(depth + 1) + pad[0];
}
#pragma GCC diagnostic pop

static void overflow_fn(void *arg)
{
	(void)arg;
	recurse_deeply(0);
}

KTEST(thread_overflow)
{
	struct thread *t;

	stest_need_scheduler();
	t = stest_create("deep-recursion", overflow_fn, NULL, SCHED_PRIO_DEFAULT);
	stest_join(t);
	ktest_fail("the thread came back from infinite recursion");
}

/* ---- benchmarks (printed, not asserted) ------------------------------------------ */

#define BENCH_SWITCHES 20000
#define BENCH_POLLS    100000

static volatile bool bench_stop;

static void yielder(void *arg)
{
	(void)arg;
	while (!bench_stop)
		sched_yield();
}

struct bench_task {
	struct task task;
	uint64_t left;
};

static enum poll bench_poll(struct task *task)
{
	struct bench_task *bt = container_of(task, struct bench_task, task);

	TASK_BEGIN(task);
	while (bt->left > 0) {
		bt->left--;
		TASK_YIELD(task);
	}
	TASK_END(task);
}

KTEST(bench_sched)
{
	static struct executor ex;
	static struct bench_task bt;
	struct sched_stats s0, s1;
	struct thread *y;
	uint64_t c0, c1, polls;

	stest_need_scheduler();
	/* Context switches: main and yielder take turns through sched_yield. */
	bench_stop = false;
	y = stest_create("yielder", yielder, NULL, SCHED_PRIO_DEFAULT);
	sched_get_stats(&s0);
	c0 = rdtsc();
	for (int i = 0; i < BENCH_SWITCHES / 2; i++)
		sched_yield();
	c1 = rdtsc();
	sched_get_stats(&s1);
	bench_stop = true;
	stest_join(y);
	kprintf("bench: %lu context switches in %lu cycles\n", s1.switches - s0.switches, c1 - c0);
	kprintf("bench: context_switch %lu\n", (c1 - c0) / MAX(s1.switches - s0.switches, 1ul));

	/* Executor polls: one task yielding (re-waking itself) each poll. */
	executor_init(&ex, "bench executor");
	bt.left = BENCH_POLLS;
	task_init(&bt.task, "bench", bench_poll);
	executor_spawn(&ex, &bt.task);
	c0 = rdtsc();
	polls = executor_run_until_idle(&ex);
	c1 = rdtsc();
	kprintf("bench: %lu executor polls in %lu cycles\n", polls, c1 - c0);
	kprintf("bench: executor_poll %lu\n", (c1 - c0) / MAX(polls, 1ul));
	KTEST_ASSERT(bt.task.state == TASK_DONE && polls == BENCH_POLLS + 1);
}
