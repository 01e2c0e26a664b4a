/*
 * The executor (see executor.h): a FIFO of woken tasks and a loop that
 * polls them.
 *
 * A task's state says where it is:
 *
 *   WAITING --executor_wake--> QUEUED --executor_run_once--> POLLING
 *      ^                                                       |
 *      +------------------- POLL_PENDING ----------------------+
 *                           POLL_READY -----------------------> DONE
 *
 * A wake-up that arrives while the task is POLLING (from an interrupt, or
 * the task waking itself to yield) sets woken_while_polling, and the task
 * goes back to QUEUED instead of WAITING when its poll returns: a wake-up
 * is never lost, and a task is never polled without one.
 *
 * Locking: the ready queue and task states change with interrupts off,
 * because interrupt handlers wake tasks.  Polls run with interrupts on.
 */
#include "sched/executor.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "sched/sched.h"
#include "sched/thread.h"

static struct executor kernel_executor;
static struct thread kernel_executor_thread;
static bool kernel_executor_running;

void task_init(struct task *task, const char *name, task_poll_fn poll)
{
	task->name = name;
	task->poll = poll;
	task->resume = 0;
	task->state = TASK_WAITING;
	task->woken_while_polling = false;
	task->executor = NULL;
	list_node_init(&task->node);
	task->waiter = (struct waiter){ .task = task };
	alarm_init(&task->alarm);
	task->wake_at = 0;
	task->polls = 0;
	waitq_init(&task->done, name);
}

void executor_init(struct executor *ex, const char *name)
{
	ex->name = name;
	list_init(&ex->ready);
	waitq_init(&ex->work, name);
	ex->polls = 0;
}

void executor_spawn(struct executor *ex, struct task *task)
{
	task->executor = ex;
	executor_wake(task);
}

void executor_wake(struct task *task)
{
	uint64_t flags = irq_save();

	if (!task->executor) { /* not spawned yet */
		irq_restore(flags);
		return;
	}
	/* BEGIN STAGE scheduler: queue the task for a poll, once, in wake order */
	switch (task->state) {
	case TASK_WAITING:
		task->state = TASK_QUEUED;
		list_push_back(&task->executor->ready, &task->node);
		wait_wake_all(&task->executor->work);
		break;
	case TASK_POLLING:
		task->woken_while_polling = true;
		break;
	case TASK_QUEUED: /* one poll will see both wake-ups */
	case TASK_DONE:
		break;
	}
	/* STUB
	(void)task;
	END STAGE scheduler */
	if (flags & RFLAGS_IF)
		sched_preempt(); /* the executor's thread may outrank us */
	irq_restore(flags);
}

bool executor_run_once(struct executor *ex)
{
	/* BEGIN STAGE scheduler: take the first woken task, poll it, then decide where it goes */
	uint64_t flags = irq_save();
	struct list_node *n = list_pop_front(&ex->ready);
	struct task *task;
	enum poll result;

	if (!n) {
		irq_restore(flags);
		return false;
	}
	task = list_entry(n, struct task, node);
	task->state = TASK_POLLING;
	task->woken_while_polling = false;
	waiter_unlink(&task->waiter); /* an await that still waits registers again */
	irq_restore(flags);

	result = task->poll(task);

	flags = irq_save();
	task->polls++;
	ex->polls++;
	if (result == POLL_READY) {
		task->state = TASK_DONE;
		waiter_unlink(&task->waiter);
		alarm_cancel(&task->alarm);
		wait_wake_all(&task->done);
	} else if (task->woken_while_polling) {
		task->state = TASK_QUEUED;
		list_push_back(&ex->ready, &task->node);
	} else {
		task->state = TASK_WAITING;
	}
	irq_restore(flags);
	return true;
	/* STUB
	(void)ex;
	return false;
	END STAGE scheduler */
}

uint64_t executor_run_until_idle(struct executor *ex)
{
	uint64_t polls = 0;

	while (executor_run_once(ex))
		polls++;
	return polls;
}

void executor_wait_for_work(struct executor *ex)
{
	wait_event(&ex->work, !list_empty(&ex->ready));
}

void executor_run(struct executor *ex)
{
	for (;;) {
		executor_run_until_idle(ex);
		executor_wait_for_work(ex);
	}
}

void executor_join(struct task *task)
{
	wait_event(&task->done, task->state == TASK_DONE);
}

static void executor_thread(void *arg)
{
	executor_run(arg);
}

struct executor *executor_kernel(void)
{
	return kernel_executor_running ? &kernel_executor : NULL;
}

int executor_start(int prio)
{
	int err;

	executor_init(&kernel_executor, "kernel executor");
	err = thread_create_static(&kernel_executor_thread, "executor", executor_thread,
				   &kernel_executor, prio, true);
	if (err == 0)
		kernel_executor_running = true;
	return err;
}

/* ---- helpers of the await macros ------------------------------------------ */

static void task_alarm_fire(struct alarm *a)
{
	executor_wake(container_of(a, struct task, alarm));
}

void task_sleep_until_(struct task *task, uint64_t tick)
{
	task->wake_at = tick;
	alarm_set(&task->alarm, tick, task_alarm_fire);
}

bool task_alarm_rang_(struct task *task)
{
	return timer_ticks() >= task->wake_at;
}
