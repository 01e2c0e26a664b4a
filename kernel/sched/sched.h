/*
 * The scheduler: which thread runs on the CPU, and when that changes.
 *
 * Priorities.  SCHED_PRIO_LEVELS levels, 0 the highest and
 * SCHED_PRIO_LOWEST (7) the lowest; new threads get SCHED_PRIO_DEFAULT.
 * The idle thread sits below them all (SCHED_PRIO_IDLE) and runs only when
 * no other thread is ready.  The highest non-empty level always runs;
 * inside a level threads take turns (round robin), each for a time slice of
 * SCHED_SLICE_TICKS timer ticks.
 *
 * Preemption.  The timer tick charges the running thread and asks for a
 * reschedule when its slice is used up; waking a thread of a higher
 * priority than the running one asks too.  The request is a flag, acted on
 * in one place, sched_preempt(), which the trap code calls on its way out
 * of every hardware interrupt and wake-ups call before they turn interrupts
 * back on.  So a thread never loses the CPU in the middle of a section
 * that runs with interrupts off.
 *
 * Starvation.  A low-priority thread could wait forever behind busy
 * higher-priority ones.  Aging prevents it: a ready thread that has waited
 * SCHED_AGING_TICKS climbs one level (its effective priority), and falls
 * back to its own priority once it has run a full slice or gives up the
 * CPU.  sched_set_aging(false) turns this off (to watch starvation happen).
 *
 * Locking.  kestrel runs on one CPU: the scheduler's data (run queues,
 * thread states, the reschedule flag) is protected by turning interrupts
 * off.  Every context switch happens with interrupts off, and each thread
 * turns them back on as it resumes (irq_restore of its own saved flags, the
 * iretq of an interrupted thread, or the sti of a new thread's start).
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <types.h>

struct thread;
struct trapframe;

#define SCHED_PRIO_LEVELS  8
#define SCHED_PRIO_HIGHEST 0
#define SCHED_PRIO_LOWEST  (SCHED_PRIO_LEVELS - 1)
#define SCHED_PRIO_DEFAULT 4
#define SCHED_PRIO_IDLE    SCHED_PRIO_LEVELS /* the idle thread only */

#define SCHED_SLICE_TICKS 10 /* a time slice, in timer ticks */
#define SCHED_AGING_TICKS 50 /* waiting this long in a run queue: one level up */

/*
 * Turn the boot context into thread 0 "main" (it keeps the boot stack),
 * create the idle thread, hook the timer tick, and start the kernel's
 * executor thread.  Call once, after the interrupts are set up.  If
 * threads cannot be created (a handout whose thread_create is not written
 * yet), it says so and leaves the scheduler off: the kernel then runs as
 * one thread, and waiting falls back to halting until an interrupt.
 */
void sched_init(void);
/* Is the scheduler running (sched_init succeeded)? */
bool sched_active(void);

/* Give the CPU to the next ready thread of the same or higher priority. */
void sched_yield(void);

/*
 * Set the priority of thread tid (SCHED_PRIO_HIGHEST..SCHED_PRIO_LOWEST).
 * Returns 0, -EINVAL for a bad priority or the idle thread, -ESRCH if no
 * such thread.  Takes effect at once: may preempt the caller.
 * (The system call maps its "tid 0 = myself" to the caller's tid first;
 * here tid 0 is the main thread.)
 */
int sched_set_priority(int tid, int prio);
/* The priority of thread tid, or -ESRCH. */
int sched_get_priority(int tid);
/* Turn aging (see above) on or off; returns the previous setting. */
bool sched_set_aging(bool on);

/*
 * If a reschedule was requested, switch threads now.  Call with interrupts
 * off, from a point where the current thread may be suspended: the end of
 * trap dispatch for an interrupt, or a wake-up about to re-enable
 * interrupts.  The current thread continues here later.
 */
void sched_preempt(void);

/* Statistics for tests and benchmarks. */
struct sched_stats {
	uint64_t switches;    /* context switches */
	uint64_t ticks;       /* timer ticks seen by the scheduler */
	uint64_t idle_ticks;  /* ticks charged to the idle thread */
	uint64_t idle_halts;  /* times the idle thread woke up from hlt */
	uint64_t preemptions; /* switches away from a thread that could still run */
	uint64_t promotions;  /* aging steps */
	uint64_t reschedules; /* reschedule requests acted on by sched_preempt */
};
void sched_get_stats(struct sched_stats *st);

/*
 * Print a ps-like listing of all threads: id, name, state, priority (with
 * the aged effective one if different), ticks used, context switches in.
 * Takes a snapshot with interrupts off, prints with them on.
 */
void sched_ps(void);

/* ---- The scheduler core, for thread.c, lib/wait.c and executor.c ---------- */

/* The running thread (NULL before sched_init). */
struct thread *sched_current(void);
/* The idle thread (NULL before sched_init). */
struct thread *sched_idle_thread(void);

/* Make t (new or blocked) ready to run; asks for a reschedule if t should
 * run before the current thread.  Interrupts off. */
void sched_make_ready(struct thread *t);
/*
 * Give up the CPU: the current thread has set its state (blocked,
 * sleeping, exited) or is still running (then it goes back to its run
 * queue).  Picks the next thread and switches.  Interrupts off; returns
 * (with them still off) when this thread is chosen again.
 */
void schedule(void);

/* The timer-tick hook (interrupt context): wakes sleepers, ages, charges
 * the running thread.  Switches nothing itself: see sched_preempt. */
void sched_tick(struct trapframe *tf);

#endif
