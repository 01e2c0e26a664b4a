/*
 * Helpers the scheduler stage's self-tests share (scheduler_tests.c,
 * executor_tests.c).  Each fails the running test (ktest_fail) rather than
 * return an error.
 */
#ifndef TEST_SCHED_TEST_H
#define TEST_SCHED_TEST_H

#include <types.h>
#include "sched/thread.h"

/* Fail unless the scheduler is running. */
void stest_need_scheduler(void);
/* thread_create, or fail. */
struct thread *stest_create(const char *name, thread_fn fn, void *arg, int prio);
/* thread_join, or fail. */
void stest_join(struct thread *t);

/* A log of one-letter events that several threads and tasks append to. */
void stest_log_reset(void);
void stest_log_event(char c);
const char *stest_log(void);

#endif
