/*
 * Alarms (see alarm.h): one list of pending alarms sorted by tick, touched
 * with interrupts off because the timer interrupt walks it.
 */
#include "sched/alarm.h"
#include "lib/spinlock.h"

static struct list pending = LIST_INIT(pending);

void alarm_init(struct alarm *a)
{
	a->when = 0;
	a->fire = NULL;
	list_node_init(&a->node);
}

void alarm_set(struct alarm *a, uint64_t when, alarm_fn fire)
{
	uint64_t flags = irq_save();
	struct list_node *pos = &pending.head;

	if (list_node_linked(&a->node))
		list_remove(&a->node);
	a->when = when;
	a->fire = fire;
	/* After every alarm due no later: equal ticks fire in setting order. */
	list_for_each(n, &pending) {
		if (list_entry(n, struct alarm, node)->when > when) {
			pos = n;
			break;
		}
	}
	list_insert_before(pos, &a->node);
	irq_restore(flags);
}

bool alarm_cancel(struct alarm *a)
{
	uint64_t flags = irq_save();
	bool was = list_node_linked(&a->node);

	list_remove(&a->node);
	irq_restore(flags);
	return was;
}

void alarm_expire(uint64_t now)
{
	struct list_node *n;

	while ((n = list_first(&pending)) != NULL) {
		struct alarm *a = list_entry(n, struct alarm, node);

		if (a->when > now)
			break;
		list_remove(n);
		a->fire(a);
	}
}
