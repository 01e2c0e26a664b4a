/*
 * The scheduler (see sched.h for the policy): run queues, schedule(), the
 * timer tick, preemption, the idle thread, priorities and aging.
 *
 * Data.  One FIFO run queue per priority level holds the READY threads
 * (linked by thread.run_node), and ready_mask has bit p set when queue p is
 * not empty, so the highest ready level is the lowest set bit.  The running
 * thread is in no queue; neither is the idle thread, which runs when all
 * queues are empty.
 *
 * Round robin.  A thread whose slice is used up (or that yields) goes to
 * the back of its level with a fresh slice.  A thread preempted by a
 * higher-priority one goes to the front, keeping the rest of its slice.
 * A thread that wakes up goes to the back with a fresh slice.
 *
 * The reschedule flag (need_resched) is set by the tick and by wake-ups;
 * sched_preempt() is the one place that acts on it.  schedule() itself is
 * called directly only by a thread that gives up the CPU (blocks, sleeps,
 * exits, yields).
 *
 * The debug build (make KDEBUG=1, lib/assert.h) checks at every schedule()
 * that the queues agree with the threads (sched_check_queues) and that a
 * thread giving up the CPU holds no spinlock and, if it goes to sleep,
 * sleeps inside no interrupts-off section but its wait's own
 * (sched_check_switch); every run-queue change asserts interrupts are off.
 */
#include "sched/sched.h"
#include <errno.h>
#include "arch/x86_64/switch.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/tss.h"
#include "arch/x86_64/x86.h"
#include "debug/panic.h"
#include "debug/schedtrace.h"
#include "debug/watchdog.h"
#include "lib/assert.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "sched/alarm.h"
#include "sched/executor.h"
#include "sched/thread.h"
#include "proc/proc.h"

extern char boot_stack_top64[];

#define EXECUTOR_PRIO 1

static struct list runq[SCHED_PRIO_LEVELS];
static uint32_t ready_mask; /* bit p: runq[p] is not empty */
static struct thread *current;
static struct thread *idle;
static struct thread idle_thread;
static bool active;
static bool need_resched;
static bool aging = true;
static struct sched_stats stats;

struct thread *sched_current(void)
{
	return current;
}

struct thread *sched_idle_thread(void)
{
	return idle;
}

bool sched_active(void)
{
	return active;
}

/* ---- run queues ------------------------------------------------------- */

static void runq_push_back(struct thread *t)
{
	KASSERT(!irq_enabled());
	list_push_back(&runq[t->eff_prio], &t->run_node);
	ready_mask |= 1u << t->eff_prio;
}

static void runq_push_front(struct thread *t)
{
	KASSERT(!irq_enabled());
	list_push_front(&runq[t->eff_prio], &t->run_node);
	ready_mask |= 1u << t->eff_prio;
}

static void runq_remove(struct thread *t)
{
	KASSERT(!irq_enabled());
	list_remove(&t->run_node);
	if (list_empty(&runq[t->eff_prio]))
		ready_mask &= ~(1u << t->eff_prio);
}

/* Is a thread of a higher priority than t ready?  (Lower number = higher.) */
static bool higher_ready(const struct thread *t)
{
	return ready_mask & ((1u << t->eff_prio) - 1);
}

/*
 * Take the next thread to run off the run queues: the first thread of the
 * highest-priority non-empty level.  NULL if every queue is empty.
 */
static struct thread *sched_pick_next(void)
{
	/* BEGIN STAGE scheduler: find the highest non-empty level, take its first thread */
	struct list_node *n;
	int level;

	if (ready_mask == 0)
		return NULL;
	level = __builtin_ctz(ready_mask);
	n = list_pop_front(&runq[level]);
	if (list_empty(&runq[level]))
		ready_mask &= ~(1u << level);
	return list_entry(n, struct thread, run_node);
	/* STUB
	return NULL;
	END STAGE scheduler */
}

void sched_make_ready(struct thread *t)
{
	KASSERT(!list_node_linked(&t->run_node)); /* not queued already */
	t->state = THREAD_READY;
	t->eff_prio = t->prio;
	t->slice_left = SCHED_SLICE_TICKS;
	t->ready_since = timer_ticks();
	runq_push_back(t);
	schedtrace_wake(t);
	if (current && (current == idle || t->eff_prio < current->eff_prio))
		need_resched = true;
}

#ifdef KDEBUG
static void count_ready(struct thread *t, void *arg)
{
	if (t->state == THREAD_READY && t != idle)
		(*(size_t *)arg)++;
}

/*
 * Each READY thread (but idle) is on exactly one run queue, that of its
 * effective priority; nothing else is on one; ready_mask says which are
 * not empty.  Every queued thread is READY at its level and the count of
 * queued nodes is the count of READY threads, so none is missing or on two
 * (a node has one pair of links).  O(threads), at every switch.
 */
static void sched_check_queues(void)
{
	size_t queued = 0, ready = 0;

	for (int level = 0; level < SCHED_PRIO_LEVELS; level++) {
		KASSERT(!(ready_mask & (1u << level)) == list_empty(&runq[level]));
		list_for_each(n, &runq[level]) {
			struct thread *t = list_entry(n, struct thread, run_node);

			KASSERT(t->state == THREAD_READY && t->eff_prio == level);
			KASSERT(t != current && t != idle);
			KASSERT(++queued <= (size_t)1 << 20); /* not a loop */
		}
	}
	KASSERT(ready_mask >> SCHED_PRIO_LEVELS == 0);
	thread_for_each(count_ready, &ready);
	KASSERT(ready == queued);
}

/* prev gives up the CPU: it may hold no spinlock, and a thread going to
 * sleep may not do so inside a section its caller turned interrupts off
 * in (lib/spinlock.h: irq_sections_may_sleep). */
static void sched_check_switch(const struct thread *prev)
{
	if (spin_held_count() != 0)
		panic("schedule: thread '%s' gives up the CPU holding %d spinlock(s)", prev->name,
		      spin_held_count());
	if ((prev->state == THREAD_BLOCKED || prev->state == THREAD_SLEEPING) &&
	    !irq_sections_may_sleep())
		panic("schedule: thread '%s' sleeps in a section its caller entered with "
		      "interrupts off",
		      prev->name);
	if (prev->state != THREAD_EXITED) /* a detached one is on dead_threads */
		KASSERT(!list_node_linked(&prev->run_node));
}
#endif

/* Put the running thread prev back on its run queue (see "Round robin"). */
static void requeue(struct thread *prev)
{
	prev->state = THREAD_READY;
	prev->ready_since = timer_ticks();
	if (prev->slice_left == 0) {
		prev->slice_left = SCHED_SLICE_TICKS;
		prev->eff_prio = prev->prio; /* a full slice ends an aging boost */
		runq_push_back(prev);
	} else {
		runq_push_front(prev);
	}
}

void schedule(void)
{
	struct thread *prev = current, *next;
	struct irq_sections sections;

	if (irq_enabled())
		panic("schedule: called with interrupts on");
#ifdef KDEBUG
	sched_check_switch(prev);
	sched_check_queues();
#endif
	if (prev->state != THREAD_RUNNING)
		prev->eff_prio = prev->prio; /* gave up the CPU: no more boost */
	else if (prev != idle)
		requeue(prev);
	else
		prev->state = THREAD_READY; /* idle is ready, but in no queue */
	next = sched_pick_next();
	if (!next)
		next = idle;
	need_resched = false;
	next->state = THREAD_RUNNING;
	if (next == prev)
		return;

	if (prev->state == THREAD_READY && prev != idle)
		stats.preemptions++;
	stats.switches++;
	next->switches++;
	schedtrace_switch(prev, next);
	current = next;
	/* Interrupts from user mode will enter on next's stack (stage syscalls). */
	tss_set_kernel_stack(next->kstack_top);
	proc_context_switch(prev, next); /* address space, FS base, SSE, syscall stack */
	irq_sections_get(&sections);     /* KDEBUG: each thread's own */
	context_switch(&prev->rsp, next->rsp);
	irq_sections_set(&sections);

	/* prev runs again here, chosen by some later schedule(). */
	thread_reap_detached();
}

void sched_preempt(void)
{
	if (need_resched && active) {
		stats.reschedules++;
		schedule();
	}
}

void sched_yield(void)
{
	uint64_t flags = irq_save();

	if (active) {
		/* A yield inside the caller's own interrupts-off section (or
		 * with a spinlock held) would end that section's atomicity. */
		KASSERT(spin_held_count() == 0 && irq_sections_may_sleep());
		current->slice_left = 0; /* to the back of the queue */
		schedule();
	}
	irq_restore(flags);
}

/* ---- the timer tick ----------------------------------------------------- */

/*
 * Aging: a ready thread that has waited SCHED_AGING_TICKS in its queue
 * moves to the back of the next level up.  Levels are visited from the
 * top, so a thread climbs at most one level per tick.
 */
static void sched_age(uint64_t now)
{
	for (int level = 1; level < SCHED_PRIO_LEVELS; level++) {
		list_for_each_safe(n, &runq[level]) {
			struct thread *t = list_entry(n, struct thread, run_node);

			if (now - t->ready_since < SCHED_AGING_TICKS)
				continue;
			runq_remove(t);
			t->eff_prio = level - 1;
			t->ready_since = now;
			runq_push_back(t);
			stats.promotions++;
		}
	}
}

/*
 * Charge the tick to the running thread and decide whether it must give
 * up the CPU: when its time slice is used up, or when a thread of a higher
 * priority is ready.  Only sets need_resched; sched_preempt() switches.
 */
static void sched_account(struct thread *t)
{
	/* BEGIN STAGE scheduler: charge the tick, count down the slice, request a reschedule */
	t->ticks++;
	if (t == idle) {
		stats.idle_ticks++;
		if (ready_mask)
			need_resched = true;
		return;
	}
	if (t->slice_left > 0)
		t->slice_left--;
	if (t->slice_left == 0 || higher_ready(t))
		need_resched = true;
	/* STUB
	(void)t;
	END STAGE scheduler */
}

void sched_tick(struct trapframe *tf)
{
	uint64_t now = timer_ticks();

	stats.ticks++;
	alarm_expire(now); /* sleepers due now become ready first */
	if (aging)
		sched_age(now);
	sched_account(current);
	watchdog_tick(tf);
}

/* ---- the idle thread ------------------------------------------------------ */

/*
 * Runs when nothing else is ready: halt until an interrupt.  The interrupt
 * that makes a thread ready switches to it on its way out (sched_preempt),
 * so the idle thread continues after its hlt only when it is chosen again.
 * The check and the halt are atomic: see the note on `sti; hlt` in
 * lib/wait.c.
 */
static void idle_loop(void *arg)
{
	(void)arg;
	for (;;) {
		cli();
		if (ready_mask) {
			schedule();
			continue;
		}
		__asm__ volatile("sti; hlt" : : : "memory");
		stats.idle_halts++;
	}
}

/* ---- priorities ----------------------------------------------------------- */

int sched_set_priority(int tid, int prio)
{
	struct thread *t;
	uint64_t flags;
	int err = 0;

	if (prio < SCHED_PRIO_HIGHEST || prio > SCHED_PRIO_LOWEST)
		return -EINVAL;
	flags = irq_save();
	t = thread_find(tid);
	if (!t || t->state == THREAD_EXITED) {
		err = -ESRCH;
	} else if (t == idle) {
		err = -EINVAL;
	} else if (t->state == THREAD_READY) {
		runq_remove(t);
		t->prio = t->eff_prio = prio;
		runq_push_back(t);
		if (current && t->eff_prio < current->eff_prio)
			need_resched = true;
	} else {
		t->prio = t->eff_prio = prio;
		if (t == current && higher_ready(t))
			need_resched = true;
	}
	if (flags & RFLAGS_IF)
		sched_preempt();
	irq_restore(flags);
	return err;
}

int sched_get_priority(int tid)
{
	uint64_t flags = irq_save();
	struct thread *t = thread_find(tid);
	int prio = t ? t->prio : -ESRCH;

	irq_restore(flags);
	return prio;
}

bool sched_set_aging(bool on)
{
	bool was = aging;

	aging = on;
	return was;
}

/* ---- introspection --------------------------------------------------------- */

void sched_get_stats(struct sched_stats *st)
{
	uint64_t flags = irq_save();

	*st = stats;
	irq_restore(flags);
}

struct ps_row {
	int tid;
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	int prio, eff_prio;
	uint64_t ticks, switches;
};

struct ps_snapshot {
	struct ps_row *rows;
	size_t count, max;
};

static void ps_count(struct thread *t, void *arg)
{
	(void)t;
	(*(size_t *)arg)++;
}

static void ps_take(struct thread *t, void *arg)
{
	struct ps_snapshot *s = arg;
	struct ps_row *r;

	if (s->count == s->max)
		return;
	r = &s->rows[s->count++];
	r->tid = t->tid;
	memcpy(r->name, t->name, sizeof(r->name));
	r->state = t->state;
	r->prio = t->prio;
	r->eff_prio = t->eff_prio;
	r->ticks = t->ticks;
	r->switches = t->switches;
}

void sched_ps(void)
{
	struct ps_snapshot s = { NULL, 0, 0 };
	char prio[12];

	thread_for_each(ps_count, &s.max);
	s.max += 8; /* threads created meanwhile */
	s.rows = kmalloc(s.max * sizeof(*s.rows));
	if (!s.rows) {
		kprintf("ps: out of memory\n");
		return;
	}
	thread_for_each(ps_take, &s);
	kprintf("  TID NAME                     STATE     PRIO    TICKS  SWITCHES\n");
	for (size_t i = 0; i < s.count; i++) {
		struct ps_row *r = &s.rows[i];

		if (r->prio == SCHED_PRIO_IDLE)
			ksnprintf(prio, sizeof(prio), "idle");
		else if (r->eff_prio != r->prio)
			ksnprintf(prio, sizeof(prio), "%d>%d", r->prio, r->eff_prio);
		else
			ksnprintf(prio, sizeof(prio), "%d", r->prio);
		kprintf("%5d %-24s %-9s %-5s %8lu %9lu\n", r->tid, r->name,
			thread_state_name(r->state), prio, r->ticks, r->switches);
	}
	kfree(s.rows);
}

/* ---- start-up --------------------------------------------------------------- */

void sched_init(void)
{
	int err;

	for (int level = 0; level < SCHED_PRIO_LEVELS; level++)
		list_init(&runq[level]);
	current = thread_adopt_boot("main", (uint64_t)boot_stack_top64, SCHED_PRIO_DEFAULT);
	err = thread_create_static(&idle_thread, "idle", idle_loop, NULL, SCHED_PRIO_IDLE, false);
	if (err) {
		kprintf("sched: cannot create threads (error %d); running without a scheduler\n",
			err);
		return;
	}
	idle = &idle_thread;
	active = true;
	timer_set_tick_hook(sched_tick);
	kprintf("sched: %d priority levels (0 highest), time slice %d ticks at %d Hz, "
		"aging after %d ticks\n",
		SCHED_PRIO_LEVELS, SCHED_SLICE_TICKS, TIMER_HZ, SCHED_AGING_TICKS);
	err = executor_start(EXECUTOR_PRIO);
	if (err)
		kprintf("sched: cannot start the executor thread (error %d)\n", err);
}
