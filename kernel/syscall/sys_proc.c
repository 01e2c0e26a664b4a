/*
 * Process system calls: exit, identity, the thread pointer, scheduling,
 * uname, and the OS's own calls for priorities and tracing.
 *
 * Process and thread ids share one numbering: a process's pid is the tid
 * of its first thread, as on Linux, so getpid() == gettid() in a
 * single-threaded program and os_setpriority() takes either (a thread's
 * priority is its own).
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "arch/x86_64/x86.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "proc/uthread.h"
#include "sched/sched.h"
#include "sched/thread.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* exit(2) ends the calling thread; the process ends with its last. */
int64_t sys_exit(int status)
{
	uthread_exit(status & 0xff);
}

/* exit_group(2) ends every thread of the process. */
int64_t sys_exit_group(int status)
{
	proc_exit(status & 0xff);
}

int64_t sys_getpid(void)
{
	return proc_current()->pid;
}

int64_t sys_getppid(void)
{
	struct proc *parent = proc_current()->parent;

	return parent ? parent->pid : 0;
}

int64_t sys_fork(void)
{
	return proc_fork();
}

/* A thread (CLONE_THREAD) or a process. */
int64_t sys_clone(uint64_t flags, uptr_t newsp, uptr_t ptid, uptr_t ctid, uint64_t tls)
{
	if (flags & CLONE_THREAD)
		return uthread_clone(flags, newsp, ptid, ctid, tls);
	return proc_clone(flags, newsp, ptid, ctid, tls);
}

#define __WALL 0x40000000 /* all children: there are no thread clones */

/* struct rusage: two timevals and fourteen longs; all zero here. */
#define RUSAGE_SIZE (2 * 16 + 14 * 8)

int64_t sys_wait4(int pid, uptr_t status, int options, uptr_t rusage)
{
	static const uint8_t zero_rusage[RUSAGE_SIZE];
	int st = 0;
	int64_t ret;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL))
		return -EINVAL;
	ret = proc_wait_child(pid, options & ~__WALL, &st);
	if (ret <= 0)
		return ret;
	if (status && copy_to_user(status, &st, sizeof(st)))
		return -EFAULT;
	if (rusage && copy_to_user(rusage, zero_rusage, sizeof(zero_rusage)))
		return -EFAULT;
	return ret;
}

/* The process pid names for getpgid, getsid and setpgid: 0 is the caller. */
static struct proc *proc_named(int pid)
{
	struct proc *p = pid == 0 ? proc_current() : proc_find(pid);

	return p && p->state == PROC_RUNNING ? p : NULL;
}

int64_t sys_getpgid(int pid)
{
	struct proc *p = proc_named(pid);

	return p ? p->pgid : -ESRCH;
}

int64_t sys_getpgrp(void)
{
	return proc_current()->pgid;
}

int64_t sys_getsid(int pid)
{
	struct proc *p = proc_named(pid);

	return p ? p->sid : -ESRCH;
}

struct group_probe {
	int pgid, sid;
	bool found;
};

static bool probe_group(struct proc *p, void *arg)
{
	struct group_probe *g = arg;

	if (p->pgid == g->pgid && (g->sid < 0 || p->sid == g->sid)) {
		g->found = true;
		return false;
	}
	return true;
}

/* Is there a process group pgid (in session sid, if sid >= 0)? */
static bool group_exists(int pgid, int sid)
{
	struct group_probe g = { pgid, sid, false };

	proc_for_each(probe_group, &g);
	return g.found;
}

/* Linux's rules (kernel/sys.c): the caller or a child of its, in its
 * session, not after the child's exec, never a session leader, into a
 * group of the same session (or a new one named after the process). */
int64_t sys_setpgid(int pid, int pgid)
{
	struct proc *self = proc_current(), *p;

	if (pgid < 0)
		return -EINVAL;
	p = proc_named(pid);
	if (!p || (p != self && p->parent != self))
		return -ESRCH;
	if (pgid == 0)
		pgid = p->pid;
	if (p->sid != self->sid)
		return -EPERM;
	if (p != self && p->execed)
		return -EACCES;
	if (p->sid == p->pid)
		return -EPERM;
	if (pgid != p->pid && !group_exists(pgid, self->sid))
		return -EPERM;
	p->pgid = pgid;
	return 0;
}

/* A new session and group, led by the caller, unless it leads a group. */
int64_t sys_setsid(void)
{
	struct proc *self = proc_current();

	if (group_exists(self->pid, -1))
		return -EPERM;
	self->pgid = self->sid = self->pid;
	return self->sid;
}

#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37

/* prctl(2): only the subreaper flag so far. */
int64_t sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
	struct proc *self = proc_current();
	int on;

	(void)arg3, (void)arg4, (void)arg5;
	switch (option) {
	case PR_SET_CHILD_SUBREAPER:
		self->subreaper = arg2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		on = self->subreaper;
		return copy_to_user(arg2, &on, sizeof(on)) ? -EFAULT : 0;
	}
	return -EINVAL;
}

int64_t sys_gettid(void)
{
	return thread_current()->tid;
}

/* getuid, geteuid, getgid, getegid: everybody is root (0). */
int64_t sys_getuid(void)
{
	return 0;
}

/* Remember where to write 0 (and wake a futex) when the thread exits;
 * returns the caller's tid. */
int64_t sys_set_tid_address(uptr_t tidptr)
{
	uthread_current()->clear_child_tid = tidptr;
	return thread_current()->tid;
}

/*
 * The FS and GS bases: musl keeps its thread pointer in FS (%fs:0 points to
 * itself), set once at start-up with ARCH_SET_FS.  The kernel writes the
 * MSR now and again whenever it switches back to this thread
 * (proc_context_switch).  A base outside the user half is refused: the
 * kernel would load it for a user program.
 */
int64_t sys_arch_prctl(int code, uint64_t addr)
{
	struct uthread *u = uthread_current();
	uint64_t flags;

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= USER_END)
			return -EPERM;
		flags = irq_save();
		if (code == ARCH_SET_FS) {
			u->fs_base = addr;
			wrmsr(MSR_FS_BASE, addr);
		} else {
			u->gs_base = addr;
			wrmsr(MSR_GS_BASE, addr);
		}
		irq_restore(flags);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(addr, &u->fs_base, sizeof(u->fs_base)) ? -EFAULT : 0;
	case ARCH_GET_GS:
		return copy_to_user(addr, &u->gs_base, sizeof(u->gs_base)) ? -EFAULT : 0;
	}
	return -EINVAL;
}

int64_t sys_sched_yield(void)
{
	sched_yield();
	return 0;
}

/* struct utsname: six NUL-terminated fields of 65 bytes. */
struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

int64_t sys_uname(uptr_t buf)
{
	static const struct utsname u = {
		.sysname = "kestrel",
		.nodename = "kestrel",
		.release = "0.7-syscalls",
		.version = "#1 " __DATE__ " " __TIME__,
		.machine = "x86_64",
		.domainname = "(none)",
	};

	return copy_to_user(buf, &u, sizeof(u)) ? -EFAULT : 0;
}

/*
 * The thread whose priority a process may see or change: tid 0 is the
 * caller; any other must be a thread of some process (kernel threads are
 * off limits).  Its tid, or -ESRCH.
 */
static int user_thread_tid(int tid)
{
	struct thread *t;
	bool ok;
	uint64_t flags;

	if (tid == 0)
		return thread_current()->tid;
	flags = irq_save();
	t = thread_find(tid);
	ok = t && t->owner && t->state != THREAD_EXITED;
	irq_restore(flags);
	return ok ? tid : -ESRCH;
}

int64_t sys_os_setpriority(int tid, int prio)
{
	if (prio < SCHED_PRIO_HIGHEST || prio > SCHED_PRIO_LOWEST)
		return -EINVAL;
	tid = user_thread_tid(tid);
	if (tid < 0)
		return tid;
	return sched_set_priority(tid, prio);
}

int64_t sys_os_getpriority(int tid)
{
	tid = user_thread_tid(tid);
	if (tid < 0)
		return tid;
	return sched_get_priority(tid);
}

int64_t sys_os_trace(int pid, int on)
{
	struct proc *p = pid == 0 ? proc_current() : proc_find(pid);

	if (!p || p->state != PROC_RUNNING)
		return -ESRCH;
	p->trace = on != 0;
	return 0;
}
