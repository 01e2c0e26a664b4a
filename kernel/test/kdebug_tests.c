/*
 * Self-tests of the debug build's checks (make KDEBUG=1, lib/assert.h):
 * each breaks one invariant on purpose and must end in the panic that
 * names it.  grade/kdebug.py runs them on a KDEBUG build, with a sample of
 * the stages' tests that must pass there too.  A kernel built without
 * KDEBUG has none of these tests (nothing would catch the breakage).
 */
#include "test/ktest.h"
#include "lib/list.h"
#include "lib/spinlock.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "test/sched_test.h"

#ifdef KDEBUG

/* Adding a node that is already on a list. */
KTEST(kdebug_list_double_add)
{
	static struct list l = LIST_INIT(l);
	static struct list_node n;

	list_node_init(&n);
	list_push_back(&l, &n);
	kprintf("kdebug_list_double_add: adding the node again\n");
	list_push_back(&l, &n);
	ktest_fail("a node added twice went unnoticed");
}

/* Removing a node whose neighbour no longer points back at it: the mark
 * a node freed and reused while still on a list leaves. */
KTEST(kdebug_list_stale)
{
	static struct list l = LIST_INIT(l);
	static struct list_node a, b, other;

	list_node_init(&a);
	list_node_init(&b);
	list_node_init(&other);
	list_push_back(&l, &a);
	list_push_back(&l, &b);
	a.next = &other; /* a, reused, now points elsewhere */
	kprintf("kdebug_list_stale: removing a node its neighbour forgot\n");
	list_remove(&b);
	ktest_fail("a stale node was removed unnoticed");
}

/* Releasing the outer of two spinlocks first. */
KTEST(kdebug_spin_order)
{
	static spinlock_t a = SPINLOCK_INIT("kd-outer");
	static spinlock_t b = SPINLOCK_INIT("kd-inner");

	spin_lock(&a);
	spin_lock(&b);
	spin_assert_held(&b);
	kprintf("kdebug_spin_order: releasing kd-outer before kd-inner\n");
	spin_unlock(&a);
	ktest_fail("spinlocks released out of order went unnoticed");
}

/* Sleeping while holding a spinlock. */
KTEST(kdebug_sleep_spinlock)
{
	static spinlock_t a = SPINLOCK_INIT("kd-sleeper");

	stest_need_scheduler();
	spin_lock(&a);
	kprintf("kdebug_sleep_spinlock: sleeping with kd-sleeper held\n");
	thread_sleep(1);
	ktest_fail("a sleep with a spinlock held went unnoticed");
}

/* Sleeping inside a section that turned interrupts off. */
KTEST(kdebug_sleep_irqoff)
{
	stest_need_scheduler();
	irq_save();
	kprintf("kdebug_sleep_irqoff: sleeping with interrupts off\n");
	thread_sleep(1);
	ktest_fail("a sleep with interrupts off went unnoticed");
}

static void kdebug_idle_fn(void *arg)
{
	(void)arg;
}

/* A ready thread whose effective priority says another queue than the
 * one it is on: the next schedule() must see it. */
KTEST(kdebug_runq)
{
	struct thread *t;
	uint64_t flags;

	stest_need_scheduler();
	t = stest_create("kd-low", kdebug_idle_fn, NULL, SCHED_PRIO_LOWEST);
	flags = irq_save();
	t->eff_prio = SCHED_PRIO_LOWEST - 1; /* it stays on the lowest queue */
	irq_restore(flags);
	kprintf("kdebug_runq: thread kd-low on queue %d claims priority %d\n", SCHED_PRIO_LOWEST,
		t->eff_prio);
	sched_yield();
	ktest_fail("a thread on the wrong run queue went unnoticed");
}

#endif
