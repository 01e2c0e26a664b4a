/*
 * Futexes: sleeping on a 32-bit word of user memory until another thread
 * wakes it (futex(2), what musl's mutexes, condition variables, joins and
 * semaphores sleep with).  See futex.c.
 */
#ifndef PROC_FUTEX_H
#define PROC_FUTEX_H

#include <types.h>

/* Wake at most n threads waiting on the word at user address uaddr of the
 * current process (a shared mapping's word: of any process); how many
 * woke. */
int futex_wake(uint64_t uaddr, int n);

#endif
