/*
 * What proc.c and fork.c share (not for other subsystems: see proc.h).
 */
#ifndef PROC_PROC_INTERNAL_H
#define PROC_PROC_INTERNAL_H

#include "proc/proc.h"

#define RFLAGS_RESERVED 0x2 /* bit 1 of RFLAGS is always 1 */

/* A new process named name, child of the current one, with nothing in it
 * yet; NULL without memory. */
struct proc *proc_alloc(const char *name);
/* Put p in the process list and start its thread at priority prio; the
 * pid, or an error (p is freed then). */
int proc_run(struct proc *p, int prio);
/* Start u (from uthread_alloc, its start_tf filled in) at priority prio:
 * its tid, or an error (u is freed then). */
int proc_run_thread(struct uthread *u, int prio);
/* The end of process p, by its last thread u, whichever way it ends:
 * close its files, free its address space, become a zombie (exit_status
 * and killed_by are set already), tell the parent, exit. */
NORETURN void proc_finish(struct uthread *u);
/* "proc: NAME (pid N) exited with status S" if the kernel started p. */
void proc_exit_message(struct proc *p);
/* Take p off the list and free it and what it still holds. */
void proc_free(struct proc *p);
/* argv as /proc/PID/cmdline shows it (kmalloc'd), its length in *len. */
char *cmdline_of(const char *const argv[], size_t *len);

/* p is exiting: its children go to their reaper (fork.c). */
void proc_reparent_children(struct proc *p);
/* p, a vfork child, is done with its parent's address space (it exec'd or
 * exits): wake the parent. */
void proc_vfork_release(struct proc *p);

#endif
