/*
 * getpriority(2) and setpriority(2): Linux's nice values on kestrel's
 * priority levels (sched.h: 0 highest, SCHED_PRIO_DEFAULT 4, 7 lowest).
 *
 * A process's nice value is its thread's level minus SCHED_PRIO_DEFAULT,
 * -4..3, as /proc/PID/stat shows it; setpriority's nice value (-20..19,
 * as Linux takes it) is added to the default and kept within the levels,
 * so nice 3 and above all mean the lowest level.  The raw getpriority
 * call returns 20 - nice (1..40), as Linux's does, which musl's
 * getpriority() turns back into the nice value.  Only PRIO_PROCESS is
 * known (there are no users, and no process groups here yet); who 0 is
 * the caller.  Everyone may raise and lower priorities: there is one user.
 * os_setpriority (sys_proc.c) sets a level directly, by thread id.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "lib/spinlock.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/thread.h"

#define PRIO_PROCESS 0
#define NICE_MIN     (-20)
#define NICE_MAX     19

/* The thread id of process who (0: the caller), or -ESRCH. */
static int prio_tid(int who)
{
	uint64_t flags = irq_save();
	struct proc *p = who == 0 ? proc_current() : proc_find(who);
	int tid = p && p->state == PROC_RUNNING && p->thread ? p->thread->tid : -ESRCH;

	irq_restore(flags);
	return tid;
}

int64_t sys_getpriority(int which, int who)
{
	int tid, level;

	if (which != PRIO_PROCESS)
		return -EINVAL;
	if ((tid = prio_tid(who)) < 0)
		return tid;
	if ((level = sched_get_priority(tid)) < 0)
		return level;
	return 20 - (level - SCHED_PRIO_DEFAULT);
}

int64_t sys_setpriority(int which, int who, int nice)
{
	int tid;

	if (which != PRIO_PROCESS)
		return -EINVAL;
	if ((tid = prio_tid(who)) < 0)
		return tid;
	nice = MAX(NICE_MIN, MIN(nice, NICE_MAX));
	return sched_set_priority(tid, MAX(SCHED_PRIO_HIGHEST,
					   MIN(SCHED_PRIO_DEFAULT + nice, SCHED_PRIO_LOWEST)));
}
