/*
 * Fault injection: kmalloc and frame allocations that fail on purpose, so
 * that the error paths behind them run (see failinject.c for the rules).
 *
 * From the kernel command line:
 *
 *     failslab=N     every Nth kmalloc (kcalloc, krealloc) of a target fails
 *     failframe=N    every Nth frame allocation of a target fails
 *     failseed=S     instead: each fails at random, with probability 1/N,
 *                    from a generator seeded with S (the same S, the same
 *                    failures for the same calls)
 *     failonce       instead: only the Nth fails
 *     failprocs=A,B  the targets: a process that execs A or B (by the
 *                    basename of the program: what a shell runs) and
 *                    every process it forks afterwards; without it,
 *                    every user process
 *
 * Only allocations made while a target's thread runs in the kernel (its
 * system calls and page faults) fail; the kernel's own threads and
 * interrupt handlers are never refused, so the boot and the servers that
 * are not targets go on as usual.
 */
#ifndef DEBUG_FAILINJECT_H
#define DEBUG_FAILINJECT_H

#include <types.h>

/* Read the options of the command line and say which are on. */
void failinject_init(void);

/* Should this kmalloc fail?  (heap.c asks once per allocation.) */
bool failinject_kmalloc(void);
/* Should this frame allocation fail?  (frame.c asks once per allocation.)
 * Remembers the answer for the calling thread: see failinject_frame_hit. */
bool failinject_frame(void);
/* Was the calling thread's last frame allocation failed on purpose?  The
 * OOM killer kills nobody for such a failure: the caller gets -ENOMEM. */
bool failinject_frame_hit(void);

/* Is a process running the program name a target: one the kernel starts
 * (spawned), or one that has just exec'd it?  With failprocs=, the
 * kernel's own (run=, the shell, the servers) never are, so that a grader
 * can run a program clean with run=PROG and under injection with
 * run=ksh,-c,PROG.  A target stays one across exec. */
bool failinject_wanted(const char *name, bool spawned);

/* If it is on, check the heap (heap_check) and print "failinject: kmalloc
 * A of B failed, frames C of D failed, heap check ok" (the allocations
 * that were asked about, those refused, and whether the heap's pages,
 * blocks and counts still add up; heap_check names what does not). */
void failinject_print_stats(void);

#endif
