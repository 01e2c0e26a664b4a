/*
 * The executor: cooperative kernel work in the style of async/await.
 *
 * A task is a state machine with a poll function.  Polling it advances it
 * as far as it can go without waiting and returns POLL_READY (finished) or
 * POLL_PENDING (it waits for an event).  A task that returns POLL_PENDING
 * has arranged to be woken: it handed itself (its "waker", as Rust calls
 * it) to an interrupt handler, a wait queue (TASK_AWAIT_EVENT) or an alarm
 * (TASK_SLEEP).  executor_wake(task) puts it back on its executor's ready
 * queue, and the executor polls it again.  So:
 *
 *   - the executor polls only tasks that were spawned or woken, never one
 *     that waits (no busy polling), and in the order they were woken;
 *   - waking a task that is already queued does nothing (one poll serves
 *     several wake-ups), and a wake-up during its own poll polls it again;
 *   - a task runs until it returns: it must not block (no wait_event, no
 *     thread_sleep inside poll).  Tasks are cheap: no stack of their own.
 *
 * The kernel's executor (executor_kernel()) runs in thread "executor" at
 * priority 1; interrupt handlers wake its tasks.  The console's line
 * discipline is such a task (drivers/console.c).  An executor can also be
 * driven by hand (executor_run_once), as the self-tests do.
 *
 * Writing a poll function with the await macros (in the spirit of
 * protothreads or of what Rust's compiler generates for an async fn):
 *
 *     struct blinker { struct task task; int n; };   // state lives in here
 *
 *     static enum poll blink_poll(struct task *task)
 *     {
 *         struct blinker *b = container_of(task, struct blinker, task);
 *
 *         TASK_BEGIN(task);
 *         for (b->n = 0; b->n < 3; b->n++) {
 *             kprintf("blink %d\n", b->n);
 *             TASK_SLEEP(task, 10);               // resume here 10 ticks later
 *         }
 *         TASK_END(task);                         // POLL_READY
 *     }
 *
 * The macros turn the function into a switch on task->resume: each await
 * point stores its line number and returns POLL_PENDING; the next poll
 * jumps back to that line.  Local variables do not survive an await
 * (the function really returns): keep state in the task's struct.  Do not
 * use an await macro inside a switch statement of your own, nor two of
 * them on one line (the line number names the resume point).
 */
#ifndef SCHED_EXECUTOR_H
#define SCHED_EXECUTOR_H

#include <types.h>
#include "lib/list.h"
#include "lib/wait.h"
#include "sched/alarm.h"

enum poll { POLL_PENDING, POLL_READY };

enum task_state {
	TASK_WAITING, /* waits for a wake-up */
	TASK_QUEUED,  /* woken: in its executor's ready queue */
	TASK_POLLING, /* being polled right now */
	TASK_DONE,    /* returned POLL_READY; never polled again */
};

struct task;
struct executor;
typedef enum poll (*task_poll_fn)(struct task *task);

struct task {
	const char *name;
	task_poll_fn poll;
	int resume; /* the await macros' resume point; 0 = start */
	enum task_state state;
	bool woken_while_polling; /* poll it again when this poll returns */
	struct executor *executor;
	struct list_node node; /* in the ready queue while QUEUED */
	struct waiter waiter;  /* when waiting on a wait queue */
	struct alarm alarm;    /* for TASK_SLEEP */
	uint64_t wake_at;      /* the tick TASK_SLEEP waits for */
	uint64_t polls;        /* times polled */
	struct waitq done;     /* executor_join waits here */
};

struct executor {
	const char *name;
	struct list ready; /* woken tasks, in wake order */
	struct waitq work; /* its thread sleeps here while ready is empty */
	uint64_t polls;
};

/* Prepare task to run poll (does not schedule it). */
void task_init(struct task *task, const char *name, task_poll_fn poll);
void executor_init(struct executor *ex, const char *name);

/* Give task to ex and queue it for its first poll.  Any context. */
void executor_spawn(struct executor *ex, struct task *task);
/* The waker: queue task for a poll unless it is queued or done.  Any
 * context (interrupt handlers too); the queue keeps wake order. */
void executor_wake(struct task *task);
/* Poll the first task of ex's ready queue; false if the queue was empty.
 * Call from a thread, with interrupts on. */
bool executor_run_once(struct executor *ex);
/* Poll until the ready queue is empty; returns the number of polls. */
uint64_t executor_run_until_idle(struct executor *ex);
/* Sleep until ex has a task to poll.  May sleep. */
void executor_wait_for_work(struct executor *ex);
/* Run ex forever: the body of an executor thread. */
NORETURN void executor_run(struct executor *ex);
/* Wait until task has finished (some thread must be running its executor). */
void executor_join(struct task *task);

/* The kernel's executor, run by thread "executor" once sched_init ran;
 * NULL without a scheduler. */
struct executor *executor_kernel(void);
/* Create the thread that runs the kernel's executor (sched_init calls it). */
int executor_start(int prio);

/* ---- Await macros (see the example above) -------------------------------- */

/* Mark a resume point: the next poll continues at this line. */
#define TASK_RESUME_POINT_(task)      \
	(task)->resume = __LINE__;    \
	__attribute__((fallthrough)); \
	case __LINE__:

#define TASK_BEGIN(task)          \
	switch ((task)->resume) { \
	case 0:

#define TASK_END(task)      \
	}                   \
	(task)->resume = 0; \
	return POLL_READY

/* Wait until cond holds; whoever makes it true must wake the task. */
#define TASK_AWAIT(task, cond)               \
	do {                                 \
		TASK_RESUME_POINT_(task)     \
		if (!(cond))                 \
			return POLL_PENDING; \
	} while (0)

/* Wait until cond holds, woken by wake-ups of the wait queue wq.  The
 * check and the registration are atomic, so no wake-up is lost.  The
 * registration lasts until the task's next poll (which re-checks cond and
 * registers again if it still does not hold). */
#define TASK_AWAIT_EVENT(task, wq, cond)                         \
	do {                                                     \
		TASK_RESUME_POINT_(task)                         \
		if (!({                                          \
			    uint64_t flags_ = irq_save();        \
			    bool ok_ = (cond);                   \
			    if (!ok_)                            \
				    wait_add_task((wq), (task)); \
			    irq_restore(flags_);                 \
			    ok_;                                 \
		    }))                                          \
			return POLL_PENDING;                     \
	} while (0)

/* Let the other queued tasks run, then continue here. */
#define TASK_YIELD(task)                   \
	do {                               \
		executor_wake(task);       \
		(task)->resume = __LINE__; \
		return POLL_PENDING;       \
	case __LINE__:;                    \
	} while (0)

/* Continue ticks timer ticks from now (woken by an alarm). */
#define TASK_SLEEP(task, ticks)                                  \
	do {                                                     \
		task_sleep_until_((task), wait_deadline(ticks)); \
		TASK_AWAIT(task, task_alarm_rang_(task));        \
	} while (0)

/* Helpers of the macros. */
void task_sleep_until_(struct task *task, uint64_t tick);
bool task_alarm_rang_(struct task *task);

#endif
