/*
 * The OOM killer.  (Interface fixed for stage forkexec; oom.c.)
 *
 * Called when no frame can be found for a user page (a fault, a fork, an
 * exec): picks the process using the most memory (never the kernel, not
 * pid 1 while others exist), says "oom: killed pid N (name), X KiB" on
 * the console and kills it.  Returns true if the caller should try the
 * allocation again (a victim was killed and its frames are back), false
 * if there was nobody to kill (the caller then fails with -ENOMEM).  May
 * sleep.
 */
#ifndef PROC_OOM_H
#define PROC_OOM_H

#include <types.h>

bool oom_reclaim(void);

/* A process has freed its address space (proc_finish, interrupts off):
 * wakes an OOM killer waiting for its victim. */
void oom_exited(void);

#endif
