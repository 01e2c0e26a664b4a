/*
 * The scheduler's trace: what ran when, for pictures.
 *
 * With `schedtrace` on the command line, schedule() and sched_make_ready()
 * record each context switch (who left the CPU, in what state, who got it)
 * and each wake-up in a buffer of SCHEDTRACE_MAX events, with the TSC and
 * the timer tick.  When the kernel exits (a self-test's end, `run=... exit`)
 * schedtrace_dump prints them:
 *
 *     schedtrace: hz 100 events N dropped D
 *     schedtrace: thread TID PRIO NAME       once for each thread seen
 *     schedtrace: TSC TICK switch PREV STATE NEXT PRIO
 *     schedtrace: TSC TICK wake TID PRIO
 *
 * STATE is the letter of the thread leaving the CPU: R (preempted: still
 * ready), B (blocked), S (sleeping), X (exited).  PRIO is the effective
 * priority, as aging changes it.  conf/pictures.py turns the lines into a
 * timeline (`make pictures`).  A full buffer drops later events and says
 * how many.  Without the option the hooks return at once; the buffer
 * comes from the heap only when it is asked for.
 */
#include "debug/schedtrace.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/x86.h"
#include "boot/cmdline.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/heap.h"

#define SCHEDTRACE_MAX 8192
#define NAMES_MAX      64

enum { EV_SWITCH, EV_WAKE };

struct schedtrace_event {
	uint64_t tsc;
	uint32_t tick;
	uint8_t kind, state, prio;
	int16_t tid, next;
};

struct schedtrace_name {
	int tid, prio;
	char name[THREAD_NAME_MAX];
};

static struct schedtrace_event *events;
static size_t nevents, dropped;
static struct schedtrace_name names[NAMES_MAX];
static int nnames;

void schedtrace_init(void)
{
	if (cmdline_has("schedtrace"))
		events = kmalloc(SCHEDTRACE_MAX * sizeof(*events));
}

/* Remember t's name the first time it appears. */
static void note_thread(const struct thread *t)
{
	for (int i = 0; i < nnames; i++)
		if (names[i].tid == t->tid)
			return;
	if (nnames == NAMES_MAX)
		return;
	names[nnames].tid = t->tid;
	names[nnames].prio = t->prio;
	strlcpy(names[nnames].name, t->name, sizeof(names[nnames].name));
	nnames++;
}

static struct schedtrace_event *record(uint8_t kind, const struct thread *t)
{
	struct schedtrace_event *e;

	if (nevents == SCHEDTRACE_MAX) {
		dropped++;
		return NULL;
	}
	e = &events[nevents++];
	e->tsc = rdtsc();
	e->tick = (uint32_t)timer_ticks();
	e->kind = kind;
	e->tid = (int16_t)t->tid;
	e->prio = (uint8_t)t->eff_prio;
	note_thread(t);
	return e;
}

static char state_letter(enum thread_state s)
{
	return s == THREAD_READY || s == THREAD_RUNNING ? 'R'
	       : s == THREAD_BLOCKED                    ? 'B'
	       : s == THREAD_SLEEPING                   ? 'S'
							: 'X';
}

void schedtrace_switch(const struct thread *prev, const struct thread *next)
{
	struct schedtrace_event *e;

	if (!events || !(e = record(EV_SWITCH, prev)))
		return;
	e->state = (uint8_t)state_letter(prev->state);
	e->next = (int16_t)next->tid;
	e->prio = (uint8_t)next->eff_prio;
	note_thread(next);
}

void schedtrace_wake(const struct thread *t)
{
	if (events)
		record(EV_WAKE, t);
}

void schedtrace_dump(void)
{
	if (!events)
		return;
	kprintf("schedtrace: hz %d events %lu dropped %lu\n", TIMER_HZ, nevents, dropped);
	for (int i = 0; i < nnames; i++)
		kprintf("schedtrace: thread %d %d %s\n", names[i].tid, names[i].prio,
			names[i].name);
	for (size_t i = 0; i < nevents; i++) {
		const struct schedtrace_event *e = &events[i];

		if (e->kind == EV_SWITCH)
			kprintf("schedtrace: %lu %u switch %d %c %d %u\n", e->tsc, e->tick, e->tid,
				e->state, e->next, e->prio);
		else
			kprintf("schedtrace: %lu %u wake %d %u\n", e->tsc, e->tick, e->tid,
				e->prio);
	}
	kprintf("schedtrace: end\n");
}
