/*
 * Kernel threads: create, exit, join, sleep, block and wake.
 *
 * A thread is a kernel stack (16 KiB from kstack_alloc, with an unmapped
 * guard page below it, so an overflow is reported with the thread's name)
 * plus a struct thread holding the stack pointer saved while the thread is
 * not running and its scheduling state.  The scheduler (sched.h) decides
 * which ready thread runs; this file is the life cycle:
 *
 *   thread_create ──> READY <──> RUNNING ──> EXITED ──> (freed by thread_join,
 *                        ^          │                   or at once if detached)
 *                        └─ BLOCKED / SLEEPING <┘
 *
 * Thread 0, "main", is the boot context (kmain on the boot stack);
 * sched_init() makes it a thread.  The processes of stage syscalls are built
 * on these threads: `owner` points to the user thread (and so the process)
 * a thread is.
 */
#ifndef SCHED_THREAD_H
#define SCHED_THREAD_H

#include <types.h>
#include "lib/list.h"
#include "lib/wait.h"
#include "sched/alarm.h"

#define THREAD_NAME_MAX 24

enum thread_state {
	THREAD_RUNNING,  /* on the CPU (exactly one thread) */
	THREAD_READY,    /* in a run queue, waiting for the CPU */
	THREAD_BLOCKED,  /* waiting on a wait queue (maybe with a timeout) */
	THREAD_SLEEPING, /* waiting for a timer tick (thread_sleep) */
	THREAD_EXITED,   /* finished; waiting for thread_join to free it */
};

typedef void (*thread_fn)(void *arg);

struct uthread;

struct thread {
	uint64_t rsp; /* saved by context_switch while off the CPU */
	int tid;
	char name[THREAD_NAME_MAX];
	enum thread_state state;

	/* Scheduling (sched.c). */
	int prio;                  /* its priority, 0 highest */
	int eff_prio;              /* prio, or better while aging lifts it */
	unsigned slice_left;       /* ticks left of its time slice */
	uint64_t ready_since;      /* tick it entered its run queue (aging) */
	uint64_t ticks;            /* timer ticks charged to it: CPU time used */
	uint64_t switches;         /* times the CPU was switched to it */
	struct list_node run_node; /* in a run queue while READY */

	/* Life cycle (thread.c). */
	uint64_t kstack_top; /* top of its kernel stack: TSS RSP0 */
	bool kstack_owned;   /* from kstack_alloc (not the boot stack) */
	bool kmalloced;      /* the struct itself came from kmalloc */
	thread_fn fn;
	void *arg;
	int exit_code;
	bool detached;             /* freed at exit; nobody will join it */
	struct waitq exit_wait;    /* thread_join waits here */
	struct waiter waiter;      /* its entry while blocked on a wait queue */
	struct alarm alarm;        /* wakes it from thread_sleep or a timeout */
	bool timed_out;            /* the alarm, not a wake-up, ended the wait */
	struct list_node all_node; /* in the list of all threads */

	struct uthread *owner; /* the user thread it is (proc/proc.h), or NULL */

	/* The soft-lockup watchdog (debug/watchdog.c). */
	uint64_t wd_mark;  /* its progress counter at the last check */
	unsigned wd_ticks; /* ticks in the kernel since it last moved */
};

/*
 * Create a thread running fn(arg) at priority prio, named name (copied,
 * truncated to THREAD_NAME_MAX - 1 characters).  The thread is ready at
 * once and may run before thread_create returns (if prio is higher than
 * the caller's).  Returning from fn is thread_exit(0).  On success stores
 * the thread in *out (if out is not NULL) and returns 0; the thread is
 * joinable until thread_detach.  Errors: -EINVAL (bad prio), -ENOMEM.
 * Allocates: not from interrupt handlers.
 */
int thread_create(const char *name, thread_fn fn, void *arg, int prio, struct thread **out);
/* End the current thread with exit code code. */
NORETURN void thread_exit(int code);
/*
 * Wait until t has exited, store its exit code in *code (if not NULL) and
 * free it: t must not be used afterwards.  Returns 0, or -EINVAL if t is
 * the caller or detached.  One thread joins a given thread.
 */
int thread_join(struct thread *t, int *code);
/* Nobody will join t: free it as soon as it exits. */
void thread_detach(struct thread *t);

/* The running thread (NULL before sched_init). */
struct thread *thread_current(void);
/* The thread with id tid, or NULL.  Interrupts off, or the result may be
 * freed under you (it is fine for a thread you hold). */
struct thread *thread_find(int tid);

/* Sleep for ticks timer ticks (at least ticks - 1 full tick periods: the
 * thread wakes at the tick numbered timer_ticks() + ticks).  May sleep. */
void thread_sleep(uint64_t ticks);
/* Sleep until timer_ticks() >= tick. */
void thread_sleep_until(uint64_t tick);

/*
 * The low-level pair under the wait queues: thread_block() stops the
 * current thread in state BLOCKED until thread_wake(t).  Interrupts must be
 * off in thread_block (the caller checked its condition with them off, so
 * no wake-up is lost); thread_wake may be called from anywhere and does
 * nothing unless t is blocked or sleeping.
 */
void thread_block(void);
void thread_wake(struct thread *t);

/* "running", "ready", ... */
const char *thread_state_name(enum thread_state state);
/* Call fn(t, arg) for every thread, interrupts off (fn must not sleep). */
void thread_for_each(void (*fn)(struct thread *t, void *arg), void *arg);

/*
 * For sched_init only: make the boot context a thread (named name, using
 * the boot stack whose top is stack_top) and return it.
 */
struct thread *thread_adopt_boot(const char *name, uint64_t stack_top, int prio);
/*
 * For the kernel's own threads, which never exit (idle, executor): like
 * thread_create, but in the caller's struct t, and put on a run queue only
 * if queue (the idle thread is in none).  prio may be SCHED_PRIO_IDLE.
 */
int thread_create_static(struct thread *t, const char *name, thread_fn fn, void *arg, int prio,
			 bool queue);
/* For schedule() only: free the detached threads that have exited, once the
 * CPU has left their stacks. */
void thread_reap_detached(void);

#endif
