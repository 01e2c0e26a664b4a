/*
 * Threads of a process (struct uthread in proc.h): clone with
 * CLONE_THREAD, exit of one thread, and the end of all of them.
 *
 * A process starts with one thread; clone(CLONE_VM | CLONE_FS |
 * CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | ...), what musl's
 * pthread_create makes, adds one that shares everything of the process
 * and has its own kernel thread (kernel stack with a guard page, tid,
 * priority), registers, FS base, SSE state and signal mask.  The
 * scheduler knows nothing of processes: every thread is one of its
 * threads, preempted and round-robined like any other.
 *
 * Ending.  exit(2) ends the calling thread only: it clears and wakes its
 * clear_child_tid word (what pthread_join waits for) and leaves the
 * process's list; the last thread to leave ends the process (proc.c,
 * proc_finish).  exit_group(2), a fatal signal and a fault end the whole
 * process: the first such end records the status, and every other thread
 * is "zapped" (SIGKILL pending on it alone, woken from any sleep), so it
 * ends itself on its way back to user mode, the last one again finishing
 * the process.  execve zaps the others too, and waits until they are gone.
 */
#ifndef PROC_UTHREAD_H
#define PROC_UTHREAD_H

#include <types.h>

struct proc;
struct uthread;

/* The most user threads there may be at once (all processes): clone and
 * fork fail with -EAGAIN there.  Each holds a kernel stack. */
#define UTHREAD_MAX 384

/* clone(2)'s flags (Linux <linux/sched.h>). */
#define CSIGNAL              0x000000ff /* the signal sent to the parent at exit */
#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_VFORK          0x00004000
#define CLONE_PARENT         0x00008000
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED       0x00400000 /* ignored, as Linux does */
#define CLONE_CHILD_SETTID   0x01000000

/* The thread-creating flags: all of the sharing ones are required. */
#define CLONE_THREAD_SHARES (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
/* What a clone that makes a thread may add to them. */
#define CLONE_THREAD_EXTRAS                                                          \
	(CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
	 CLONE_CHILD_SETTID | CLONE_DETACHED)

/*
 * clone(2) with CLONE_THREAD: a new thread of the current process, which
 * returns 0 from the same system call on the stack newsp; CLONE_SETTLS
 * gives it the FS base tls, CLONE_PARENT_SETTID writes its tid at ptid,
 * CLONE_CHILD_SETTID too at ctid, CLONE_CHILD_CLEARTID has its exit
 * clear ctid and wake its futex.  It runs at the caller's priority with
 * the caller's signal mask and SSE registers.  Its tid, -EINVAL (flags
 * other than CLONE_THREAD_SHARES plus CLONE_THREAD_EXTRAS, or no stack),
 * -EAGAIN (UTHREAD_MAX), -ENOMEM.
 */
int uthread_clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid, uint64_t tls);

/* exit(2): end the calling thread; if it is the last, the process ends
 * with status. */
NORETURN void uthread_exit(int status);

/*
 * The whole process ends, for the first reason given: record status (and
 * sig, the signal that kills it, or 0) unless an end is under way, and
 * zap every other thread.  Returns true if this call recorded its status.
 * The caller then ends itself with uthread_end.
 */
bool uthread_end_all(int status, int sig);
/* End the calling thread, whose process is ending or has more threads. */
NORETURN void uthread_end(void);
/* execve: end every other thread of the current process and wait until
 * they are gone. */
void uthread_end_others(void);

/* ---- For proc.c and fork.c --------------------------------------------- */

/* A new thread state for p, at the end of its list (nthreads counts it);
 * NULL without memory. */
struct uthread *uthread_alloc(struct proc *p);
/* Take u off its process's list and free it. */
void uthread_free(struct uthread *u);
/* How many user threads exist. */
int uthread_count(void);

#endif
