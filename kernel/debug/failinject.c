/*
 * Fault injection (see failinject.h for the command line).
 *
 * Error paths that only run when memory is short are the ones nobody
 * tests: this makes kmalloc (failslab=N) and frame allocation
 * (failframe=N) refuse on purpose, so that a grader can run the process
 * tests under it and check that every refusal ends as -ENOMEM (or a
 * retry) in the program that caused it, never as a panic, a leak or a
 * corrupted structure.
 *
 * Who is refused.  Failing the boot's own allocations would just stop the
 * boot, and failing the FAT server would take "/" away from everyone, so
 * an allocation is a candidate only if the running thread is a user
 * thread (its system call or page fault is in the kernel) of a target
 * process (proc->failinject: set by execve when the new program is
 * named in failprocs=, copied by fork; without failprocs=, set by
 * proc_spawn too, and every user process is one).  Kernel threads (the
 * executor, the idle thread, kmain starting programs) are never refused;
 * neither are interrupt handlers on a kernel thread.  (An interrupt that
 * arrives during a target's system call runs on that thread: the timer,
 * serial and IRQ-message handlers allocate nothing, so it cannot matter.)
 *
 * Which candidate fails.  Each kind (kmalloc, frames) counts its
 * candidates; without failseed= the Nth, 2Nth, ... fail, with it each
 * fails when a xorshift64* generator, seeded with S, draws a multiple of
 * N.  Both kinds share the generator, so a run is repeatable as long as
 * the programs make the same calls in the same order (under QEMU's
 * -icount, where the timer is too).  With failonce only the Nth fails:
 * boots with N = 1, 2, 3 ... fail each allocation of a program in turn,
 * one at a time, which tells which failure did the damage.
 *
 * Frames and the OOM killer.  A user page that finds no frame calls the
 * OOM killer, which would kill the biggest process for a failure that was
 * never real.  So each refusal is remembered in the user thread
 * (uthread->failinject_hit, reset by every frame allocation the thread
 * makes), and oom_reclaim asks failinject_frame_hit first: for an
 * injected failure it kills nobody and returns false, and the caller
 * fails with -ENOMEM as it would with no victim left.  (A frame refused
 * while a system call copies to or from a user page not yet there ends
 * the copy: that call fails with -EFAULT, as Linux's does when such a
 * fault cannot be resolved.)
 *
 * The counters run under irq_save (a thread may be preempted between two
 * allocations); failinject_print_stats shows them (run.c prints them
 * after each group of run=, next to its memory figures).
 */
#include "debug/failinject.h"
#include "boot/cmdline.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "proc/proc.h"

struct failinject_kind {
	const char *option;  /* its command-line key */
	uint64_t every;      /* N: 0 when off */
	uint64_t candidates; /* allocations a target asked for */
	uint64_t failed;     /* ... and were refused */
};

static struct failinject_kind slab = { "failslab", 0, 0, 0 };
static struct failinject_kind frames = { "failframe", 0, 0, 0 };
static bool seeded;
static bool once;    /* failonce: only the Nth candidate fails */
static uint64_t rng; /* xorshift64* state; never 0 */

/* The next number of the xorshift64* generator (Vigna, 2016). */
static uint64_t failinject_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void failinject_read(struct failinject_kind *k)
{
	const char *v = cmdline_get(k->option);

	k->every = v ? str_to_u64(v, NULL) : 0;
}

void failinject_init(void)
{
	const char *seed = cmdline_get("failseed");
	const char *procs = cmdline_get("failprocs");

	failinject_read(&slab);
	failinject_read(&frames);
	if (!slab.every && !frames.every)
		return;
	once = cmdline_has("failonce");
	seeded = seed != NULL;
	rng = seeded ? str_to_u64(seed, NULL) : 0;
	rng = rng ? rng : 1;
	kprintf("failinject: 1 in %lu kmallocs and 1 in %lu frame allocations fail (0: none), %s, "
		"in %s\n",
		slab.every, frames.every,
		once     ? "the Nth only"
		: seeded ? "at random"
			 : "every Nth",
		procs ? procs : "every user process");
}

bool failinject_wanted(const char *name, bool spawned)
{
	const char *list = cmdline_get("failprocs");

	if (!list || spawned)
		return !list;
	return cmdline_list_has(list, name);
}

/* The user thread whose allocation this is, if it may be refused. */
static struct uthread *failinject_target(void)
{
	struct uthread *u = uthread_current();

	return u && u->proc->failinject ? u : NULL;
}

/* Count a candidate of kind k and say whether it fails. */
static bool failinject_decide(struct failinject_kind *k)
{
	uint64_t flags = irq_save();
	bool fail;

	k->candidates++;
	if (once)
		fail = k->candidates == k->every;
	else if (seeded)
		fail = failinject_random() % k->every == 0;
	else
		fail = k->candidates % k->every == 0;
	k->failed += fail;
	irq_restore(flags);
	return fail;
}

bool failinject_kmalloc(void)
{
	return slab.every && failinject_target() && failinject_decide(&slab);
}

bool failinject_frame(void)
{
	struct uthread *u = frames.every ? failinject_target() : NULL;

	if (!u)
		return false;
	u->failinject_hit = failinject_decide(&frames);
	return u->failinject_hit;
}

bool failinject_frame_hit(void)
{
	struct uthread *u = uthread_current();

	return u && u->failinject_hit;
}

void failinject_print_stats(void)
{
	uint64_t flags;
	struct failinject_kind s, f;

	if (!slab.every && !frames.every)
		return;
	flags = irq_save();
	s = slab;
	f = frames;
	irq_restore(flags);
	kprintf("failinject: kmalloc %lu of %lu failed, frames %lu of %lu failed, heap check %s\n",
		s.failed, s.candidates, f.failed, f.candidates,
		heap_check() == 0 ? "ok" : "FAILED");
}
