/*
 * Alarms: call a function at a given timer tick.
 *
 * The scheduler's timer hook calls alarm_expire() on every tick; it calls
 * fire(a) for each alarm whose tick has come, in order of their ticks (and
 * of setting, for equal ticks), in interrupt context with interrupts off.
 * Sleeping threads (thread_sleep), wait timeouts and executor tasks
 * (TASK_SLEEP) are woken this way.  The list is sorted, so a tick costs
 * one comparison when nothing is due.
 *
 * An alarm is owned by its user (embedded in a thread or a task); an alarm
 * fires once, and is free to be set again from its fire function.
 */
#ifndef SCHED_ALARM_H
#define SCHED_ALARM_H

#include <types.h>
#include "lib/list.h"

struct alarm;
typedef void (*alarm_fn)(struct alarm *a);

struct alarm {
	uint64_t when; /* the tick it fires at */
	alarm_fn fire;
	struct list_node node; /* in the sorted list while pending */
};

/* Make a an unset alarm (before its first alarm_set). */
void alarm_init(struct alarm *a);
/* Fire a at tick when (at the next tick if when has passed); replaces a
 * pending setting.  Any context. */
void alarm_set(struct alarm *a, uint64_t when, alarm_fn fire);
/* Forget a if pending; returns whether it was.  Any context. */
bool alarm_cancel(struct alarm *a);
/* Is a set and not yet fired?  (Interrupts off, for an answer that
 * still holds when it is used.) */
static inline bool alarm_pending(const struct alarm *a)
{
	return list_node_linked(&a->node);
}
/* Fire every alarm due at tick now.  Interrupt context (the tick). */
void alarm_expire(uint64_t now);

#endif
