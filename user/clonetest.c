/*
 * clonetest: clone(2) itself, below musl's pthreads (stage threads): the
 * tid words the kernel writes and clears, and the flag combinations it
 * must refuse.
 *
 * `clonetest` runs every test, `clonetest NAME...` the named ones; each
 * prints its facts, then "clonetest: NAME: ok" or "clonetest: NAME: FAILED
 * (why)", and the last line is "clonetest: N passed, M failed" (status 0
 * only if all passed).  The facts, for the grader:
 *
 *   cleartid  "clonetest: cleartid: tid T ptid P ctid at start C, after exit E"
 *             a thread made with CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
 *             CLONE_CHILD_CLEARTID: P = C = T, and E = 0 once the parent's
 *             FUTEX_WAIT on the word returns (the kernel must clear it and
 *             wake the futex when the thread exits, after a 30 ms sleep,
 *             so the parent is surely asleep by then)
 *   forktid   "clonetest: forktid: pid C ptid P child saw ctid K"
 *             a fork-like clone(SIGCHLD | CLONE_PARENT_SETTID |
 *             CLONE_CHILD_SETTID): P = C in the parent, K = C in the child
 *   flags     "clonetest: flags: THREAD alone E1, SIGHAND without VM E2, bad TLS E3"
 *             Linux's errors: EINVAL, EINVAL, EPERM
 *
 * Runs on Linux too (musl-gcc -static -Iuser).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "threadlib.h"

#define STACK_SIZE (64 * 1024)
#define THREAD_FLAGS                                                                        \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)

static int passed, failed;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("clonetest: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("clonetest: %s: ok\n", name);
		passed++;
	}
}

/* ---- cleartid: the words a thread's tid goes in --------------------------- */

static volatile int cleartid_ptid, cleartid_ctid, cleartid_seen, cleartid_tid;

/* The new thread shares the caller's TLS (no CLONE_SETTLS): it makes raw
 * system calls only, and touches no errno. */
static int cleartid_thread(void *arg)
{
	struct timespec ts = { 0, 30 * MS };

	(void)arg;
	cleartid_seen = cleartid_ctid;
	cleartid_tid = (int)syscall(SYS_gettid);
	syscall(SYS_nanosleep, &ts, NULL);
	return 0; /* musl's __clone: SYS_exit(0), this thread only */
}

static const char *test_cleartid(void)
{
	char *stack = malloc(STACK_SIZE);
	int tid, v, waits = 0;

	if (!stack)
		return "no memory for a stack";
	/* -1 until the new thread's CLONE_CHILD_SETTID, which the kernel
	 * writes before the thread runs, whenever that is. */
	cleartid_ctid = -1;
	tid = clone(cleartid_thread, stack + STACK_SIZE, THREAD_FLAGS, NULL, &cleartid_ptid, NULL,
		    &cleartid_ctid);
	if (tid < 0) {
		free(stack);
		return "clone failed";
	}
	/* The word holds -1 or the tid until the thread is gone, then 0. */
	while ((v = cleartid_ctid) != 0 && waits < 1000) {
		futex_call((int *)&cleartid_ctid, 0 /* FUTEX_WAIT */, v);
		waits++;
	}
	printf("clonetest: cleartid: tid %d ptid %d ctid at start %d, after exit %d\n", tid,
	       cleartid_ptid, cleartid_seen, cleartid_ctid);
	free(stack);
	if (cleartid_ptid != tid || cleartid_seen != tid || cleartid_tid != tid)
		return "the tid words do not hold the new thread's tid";
	return cleartid_ctid == 0 ? NULL : "the tid word was not cleared";
}

/* ---- forktid: the same words for a fork-like clone -------------------------- */

static const char *test_forktid(void)
{
	static volatile int ptid, ctid;
	int status;
	long pid = syscall(SYS_clone, SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID, 0L, &ptid,
			   &ctid, 0L);

	if (pid < 0)
		return "clone failed";
	if (pid == 0) /* the child: its copy of ctid holds its pid */
		_exit(ctid & 0xff);
	if (waitpid((pid_t)pid, &status, 0) != pid || !WIFEXITED(status))
		return "the child did not exit";
	printf("clonetest: forktid: pid %ld ptid %d child saw ctid %d\n", pid, ptid,
	       WEXITSTATUS(status));
	if (ptid != pid)
		return "CLONE_PARENT_SETTID did not write the child's pid";
	return WEXITSTATUS(status) == (pid & 0xff)
		       ? NULL
		       : "CLONE_CHILD_SETTID: the child saw another value";
}

/* ---- flags: what clone refuses, as Linux ------------------------------------ */

static int clone_errno(unsigned long flags, unsigned long tls)
{
	static char stack[4096] __attribute__((aligned(16)));
	long r = syscall(SYS_clone, flags, stack + sizeof(stack), NULL, NULL, tls);

	if (r == 0)
		syscall(SYS_exit, 0); /* not reached unless the kernel accepted it */
	return r < 0 ? errno : 0;
}

static const char *test_flags(void)
{
	int thread_alone = clone_errno(CLONE_THREAD, 0);
	int sighand_no_vm = clone_errno(CLONE_SIGHAND, 0);
	int bad_tls = clone_errno(THREAD_FLAGS | CLONE_SETTLS, 0xffff800000000000ul);

	char b1[16], b2[16], b3[16];

	printf("clonetest: flags: THREAD alone %s, SIGHAND without VM %s, bad TLS %s\n",
	       errno_name(thread_alone, b1, sizeof(b1)), errno_name(sighand_no_vm, b2, sizeof(b2)),
	       errno_name(bad_tls, b3, sizeof(b3)));
	if (thread_alone != EINVAL || sighand_no_vm != EINVAL || bad_tls != EPERM)
		return "clone accepted, or refused with another error";
	return NULL;
}

static const struct {
	const char *name;
	const char *(*run)(void);
} tests[] = {
	{ "cleartid", test_cleartid },
	{ "forktid", test_forktid },
	{ "flags", test_flags },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (test_wanted(tests[i].name, argc, argv))
			result(tests[i].name, tests[i].run());
	printf("clonetest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
