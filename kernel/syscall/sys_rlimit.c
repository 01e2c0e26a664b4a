/*
 * Resource limits: getrlimit(2), setrlimit(2), prlimit64(2) (see rlimit.h).
 *
 * Every process has a table of Linux's 16 limits, each a soft value (what
 * is enforced) and a hard one (the ceiling the soft value may be raised
 * to).  A process the kernel starts gets Linux's defaults; a fork child a
 * copy of its parent's table; exec keeps it.  Everyone is root here, so a
 * hard limit may be raised as well as lowered; only soft > hard is refused
 * (EINVAL).
 *
 * Who enforces what: the address space (mm/uvm.c) RLIMIT_AS (all areas),
 * RLIMIT_DATA (brk's heap and private writable mappings, as Linux 6.1
 * counts) and RLIMIT_STACK (how far the stack may grow), reading the
 * current process's values through rlimit_cur; fork RLIMIT_NPROC
 * (proc/fork.c: all processes count, there is one user).
 * Limits lowered below what a process already uses take effect at its next
 * request, as in Linux.
 */
#include "syscall/rlimit.h"
#include <errno.h>
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define LINUX_THREAD_SIZE (16 * 1024) /* x86_64's kernel stacks */
#define LINUX_MIN_THREADS 20

/* Linux 6.1's defaults for the first process (INIT_RLIMITS), with the
 * values it computes at boot for a small machine. */
static const struct rlimit rlimit_defaults[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_FSIZE] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_DATA] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_STACK] = { USER_STACK_MAX, RLIM_INFINITY },
	[RLIMIT_CORE] = { 0, RLIM_INFINITY },
	[RLIMIT_RSS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_NPROC] = { 0, 0 }, /* rlimit_nproc_default(), from the memory size */
	[RLIMIT_NOFILE] = { 1024, 4096 },
	[RLIMIT_MEMLOCK] = { 8ull << 20, 8ull << 20 },
	[RLIMIT_AS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_LOCKS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_SIGPENDING] = { 1024, 1024 },
	[RLIMIT_MSGQUEUE] = { 819200, 819200 },
	[RLIMIT_NICE] = { 0, 0 },
	[RLIMIT_RTPRIO] = { 0, 0 },
	[RLIMIT_RTTIME] = { RLIM_INFINITY, RLIM_INFINITY },
};

/*
 * Linux's RLIMIT_NPROC for the first process (fork_init): half of
 * max_threads, which is the number of 16 KiB kernel stacks (THREAD_SIZE)
 * that fit in an eighth of the memory, at least 20.  472 for 128 MiB.
 */
static uint64_t rlimit_nproc_default(void)
{
	struct frame_stats st;

	frame_get_stats(&st);
	return MAX(st.total * PAGE_SIZE / (LINUX_THREAD_SIZE * 8), LINUX_MIN_THREADS) / 2;
}

void rlimit_init(struct proc *p)
{
	if (p->parent) {
		memcpy(p->rlim, p->parent->rlim, sizeof(p->rlim));
		return;
	}
	memcpy(p->rlim, rlimit_defaults, sizeof(p->rlim));
	p->rlim[RLIMIT_NPROC].rlim_cur = p->rlim[RLIMIT_NPROC].rlim_max = rlimit_nproc_default();
}

uint64_t rlimit_cur(int resource)
{
	struct proc *p = proc_current();

	if (p)
		return p->rlim[resource].rlim_cur;
	return resource == RLIMIT_NPROC ? rlimit_nproc_default()
					: rlimit_defaults[resource].rlim_cur;
}

/* The process prlimit64's pid names: the caller for 0. */
static struct proc *target(int pid)
{
	return pid == 0 ? proc_current() : proc_find(pid);
}

/* Read *unew, check it and set it as p's resource; old (if not NULL)
 * gets the value before.  0, -EFAULT, -EINVAL. */
static int rlimit_set(struct proc *p, int resource, uptr_t unew, struct rlimit *old)
{
	struct rlimit lim;

	if (resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew && copy_from_user(&lim, unew, sizeof(lim)) != 0)
		return -EFAULT;
	if (unew && lim.rlim_cur > lim.rlim_max)
		return -EINVAL;
	if (old)
		*old = p->rlim[resource];
	if (unew)
		p->rlim[resource] = lim;
	return 0;
}

int64_t sys_prlimit64(int pid, int resource, uptr_t new_rlim, uptr_t old_rlim)
{
	struct proc *p = target(pid);
	struct rlimit old;
	int err;

	if (!p || p->state != PROC_RUNNING)
		return -ESRCH;
	err = rlimit_set(p, resource, new_rlim, &old);
	if (err)
		return err;
	if (old_rlim && copy_to_user(old_rlim, &old, sizeof(old)) != 0)
		return -EFAULT;
	return 0;
}

int64_t sys_getrlimit(int resource, uptr_t rlim)
{
	if (resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	return copy_to_user(rlim, &proc_current()->rlim[resource], sizeof(struct rlimit));
}

int64_t sys_setrlimit(int resource, uptr_t rlim)
{
	if (!rlim)
		return -EFAULT;
	return rlimit_set(proc_current(), resource, rlim, NULL);
}
