/*
 * fork, clone, execve and wait (see proc.h), and who a process's parent is
 * when its own parent exits.
 *
 * fork.  proc_clone makes the child's address space a copy-on-write clone
 * of the parent's (uvm_clone), duplicates the descriptor table, and starts
 * the child's thread at proc_start with a copy of the trapframe the
 * parent's system call entry saved at the top of its kernel stack, rax =
 * 0: the child leaves the kernel as if it had made the fork call itself.
 * The child inherits the signal actions, mask and alternate stack (not
 * the pending signals nor the interval timer), the process group and the
 * session.
 *
 * vfork.  clone(CLONE_VM | CLONE_VFORK), what musl's posix_spawn and
 * system() use: the child runs in the parent's address space itself
 * (uvm_borrowed: it must not free it) on a stack of its own that the
 * caller passed, and the parent sleeps in proc_clone until the child has
 * exec'd or exited (proc_vfork_release), so the two never run in one
 * address space at once.  CLONE_VFORK without CLONE_VM (a copy, as fork's)
 * makes the parent wait just the same, as on Linux.  CLONE_THREAD makes a thread instead: that is
 * uthread_clone (uthread.c).  A fork-like clone also takes the TID flags
 * glibc's fork uses: CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID,
 * CLONE_PARENT_SETTID, and CLONE_SETTLS.
 *
 * Limits.  At most PROC_MAX processes exist (zombies count, as on Linux),
 * so a fork bomb gets EAGAIN and the system stays usable.  RLIMIT_NPROC
 * (the caller's soft limit) caps the processes of the caller's user: all
 * of them, as there is one user.  Linux lets root past it; here it holds
 * for everyone (or it would mean nothing), and its default is Linux's
 * figure for the memory size (syscall/sys_rlimit.c).  The child inherits
 * its parent's priority (nice value) too.
 *
 * Orphans.  When a process exits, its children (live or zombie) get a new
 * parent: the nearest ancestor that asked for it with
 * prctl(PR_SET_CHILD_SUBREAPER), else the process the kernel started at
 * the root of the tree (the run= program, this system's pid 1), which
 * reaps them with wait4.  Only if the root itself exits do they become the
 * kernel's (orphan: they free themselves when they exit).
 */
#include "proc/proc.h"
#include <errno.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/x86.h"
#include "debug/failinject.h"
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/dma.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "proc/exec.h"
#include "proc/hwaccess.h"
#include "proc/proc_internal.h"
#include "proc/signal.h"
#include "proc/uthread.h"
#include "sched/thread.h"
#include "syscall/rlimit.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

struct trapframe *proc_user_regs(void)
{
	return (struct trapframe *)thread_current()->kstack_top - 1;
}

/* The child's copy of the parent's files: descriptors, current directory,
 * command line.  0 or -ENOMEM. */
static int proc_copy_files(struct proc *p, struct proc *parent)
{
	size_t len = strlen(parent->cwd) + 1;

	p->fds = fdtable_clone(parent->fds);
	p->cwd = kmalloc(len);
	p->cmdline = kmalloc(parent->cmdline_len ? parent->cmdline_len : 1);
	if (!p->fds || !p->cwd || !p->cmdline)
		return -ENOMEM;
	memcpy(p->cwd, parent->cwd, len);
	p->cwd_inode = parent->cwd_inode;
	inode_hold(p->cwd_inode);
	memcpy(p->cmdline, parent->cmdline, parent->cmdline_len);
	p->cmdline_len = parent->cmdline_len;
	return 0;
}

void proc_vfork_release(struct proc *p)
{
	uint64_t flags = irq_save();
	struct proc *parent = p->vfork_parent;

	if (parent) {
		parent->vfork_child = NULL;
		p->vfork_parent = NULL;
		wait_wake_all(&parent->child_wait);
	}
	irq_restore(flags);
}

/* exec's fresh start of the user state of p and its one thread u: no
 * thread pointer, no clear_child_tid, no alternate signal stack, clean SSE
 * registers, caught signals back to their defaults (ignored ones stay
 * ignored, as POSIX says; the interval timer goes on, as on Linux).
 * Interrupts off. */
static void proc_reset_user_state(struct proc *p, struct uthread *u)
{
	u->fs_base = u->gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);
	u->clear_child_tid = 0;
	u->altstack = (struct altstack){ 0 };
	fpu_area_init(&u->fpu);
	fpu_restore(&u->fpu);
	for (int sig = 0; sig < 64; sig++)
		if (p->sigactions[sig][0] != SIG_IGN)
			memset(p->sigactions[sig], 0, sizeof(p->sigactions[sig]));
	p->execed = true;
}

/* Make the loaded image the current process's: its address space, name
 * and command line; close what is close-on-exec; the system call returns
 * to entry with stack sp and every other register zero.  A vfork child
 * gives the parent's address space back and wakes it. */
static void proc_switch_image(struct uvm *uvm, const char *path, char *cmdline, size_t len,
			      uint64_t entry, uint64_t sp)
{
	/* BEGIN STAGE forkexec: install and activate uvm, then free (or give back) the old one; registers for entry */
	struct proc *p = proc_current();
	struct trapframe *tf = proc_user_regs();
	struct uvm *old = p->uvm;
	bool borrowed = p->uvm_borrowed;
	uint64_t flags = irq_save();

	p->uvm = uvm;
	p->uvm_borrowed = false;
	uvm_activate(uvm);
	proc_reset_user_state(p, uthread_current());
	strlcpy(p->name, str_basename(path), sizeof(p->name));
	irq_restore(flags);
	if (!borrowed)
		uvm_destroy(old);
	proc_vfork_release(p); /* CLONE_VFORK without CLONE_VM waits for us too */
	kfree(p->cmdline);
	p->cmdline = cmdline;
	p->cmdline_len = len;
	fdtable_close_on_exec(p->fds);
	memset(tf, 0, sizeof(*tf));
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	tf->rip = entry;
	tf->rsp = sp;
	tf->rflags = RFLAGS_IF | RFLAGS_RESERVED;
	/* STUB
	(void)path, (void)entry, (void)sp, (void)len, (void)proc_reset_user_state;
	uvm_destroy(uvm);
	kfree(cmdline);
	END STAGE forkexec */
}

int proc_exec(const char *path, const char *const argv[], const char *const envp[])
{
	struct uvm *uvm = NULL;
	char *cmdline = NULL;
	uint64_t entry, sp;
	size_t size, len;
	void *image;
	int err = vfs_read_file(path, EXEC_MAX_IMAGE, &image, &size);

	if (err)
		return err == -EISDIR ? -EACCES : err;
	uthread_end_others(); /* a new program starts with one thread */
	uvm = uvm_create();
	err = uvm ? exec_load(uvm, str_basename(path), image, size, argv, envp, &entry, &sp)
		  : -ENOMEM;
	kfree(image);
	if (!err && !(cmdline = cmdline_of(argv, &len)))
		err = -ENOMEM;
	if (err) { /* the caller's image is untouched */
		uvm_destroy(uvm);
		return err;
	}
	dma_stop(proc_current()); /* the old image's DMA frames go */
	proc_switch_image(uvm, path, cmdline, len, entry, sp);
	/* The right goes with the program; the ports stay, as on Linux. */
	proc_current()->hwright = hwaccess_allowed(str_basename(path));
	proc_current()->failinject |= failinject_wanted(str_basename(path), false);
	return 0;
}

static bool count_one(struct proc *p, void *arg)
{
	(void)p;
	++*(int *)arg;
	return true;
}

int proc_count(void)
{
	int n = 0;

	proc_for_each(count_one, &n);
	return n;
}

/* The child of a fork or clone: everything but the address space; its
 * thread is a copy of the calling one. */
static struct proc *proc_clone_alloc(struct proc *parent, int exit_signal)
{
	struct proc *p = proc_alloc(parent->name);
	struct uthread *self = uthread_current(), *u;

	if (!p)
		return NULL;
	u = proc_first_thread(p);
	p->trace = parent->trace;
	p->failinject = parent->failinject;
	u->fs_base = self->fs_base;
	u->gs_base = self->gs_base;
	u->sigmask = self->sigmask;
	u->altstack = self->altstack; /* vfork's too: it runs on its own stack */
	memcpy(p->sigactions, parent->sigactions, sizeof(p->sigactions));
	p->exit_signal = exit_signal;
	p->pgid = parent->pgid;
	p->sid = parent->sid;
	return p;
}

/* The flags a fork-like clone takes. */
#define CLONE_FORK_FLAGS                                                         \
	(CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED)

/* The child's thread: the caller's registers (rax = 0: fork() returns 0
 * in the child) and SSE state, and clone's TID and TLS requests. */
static void proc_clone_thread_state(struct uthread *u, uint64_t flags, uint64_t newsp, uptr_t ctid,
				    uint64_t tls)
{
	uint64_t irq = irq_save();

	fpu_save(&u->fpu); /* the parent's live registers */
	irq_restore(irq);
	u->start_tf = *proc_user_regs();
	u->start_tf.rax = 0;
	if (newsp)
		u->start_tf.rsp = newsp;
	if (flags & CLONE_SETTLS)
		u->fs_base = tls;
	u->set_child_tid = flags & CLONE_CHILD_SETTID ? ctid : 0;
	u->clear_child_tid = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
}

int proc_clone(uint64_t flags, uint64_t newsp, uptr_t ptid, uptr_t ctid, uint64_t tls)
{
	struct proc *parent = proc_current();
	bool vm = flags & CLONE_VM, vfork = flags & CLONE_VFORK;
	struct proc *p;
	int pid, n;

	if ((flags & ~(uint64_t)CLONE_FORK_FLAGS) || (vm && !vfork))
		return -EINVAL; /* threads have CLONE_THREAD: uthread_clone */
	if ((flags & CSIGNAL) > NSIG || ((flags & CLONE_SETTLS) && tls >= USER_END))
		return -EINVAL;
	n = proc_count();
	if (n >= PROC_MAX || (uint64_t)n >= rlimit_cur(RLIMIT_NPROC) ||
	    uthread_count() >= UTHREAD_MAX)
		return -EAGAIN;
	p = proc_clone_alloc(parent, flags & CSIGNAL);
	if (!p)
		return -ENOMEM;
	p->uvm_borrowed = vm;
	p->uvm = vm ? parent->uvm : uvm_clone(parent->uvm);
	if (!p->uvm || proc_copy_files(p, parent) != 0 || hwaccess_fork(p, parent) != 0) {
		proc_free(p);
		return -ENOMEM;
	}
	proc_clone_thread_state(proc_first_thread(p), flags, newsp, ctid, tls);
	if (vfork) {
		p->vfork_parent = parent;
		parent->vfork_child = p;
	}
	/* The child runs at its parent's priority (its nice value), as on
	 * Linux; only the scheduler changes prio, with interrupts off. */
	pid = proc_run(p, thread_current()->prio);
	if (pid < 0) {
		parent->vfork_child = NULL;
		return pid;
	}
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(ptid, &pid, sizeof(pid));
	/* Not interruptible: the child may be running on our memory. */
	if (vfork)
		wait_event(&parent->child_wait, !parent->vfork_child);
	return pid;
}

int proc_fork(void)
{
	return proc_clone(SIGCHLD, 0, 0, 0, 0);
}

int proc_wait(struct proc *p)
{
	int status;

	wait_event(&p->exit_wait, p->state == PROC_ZOMBIE);
	thread_join(p->thread, NULL);
	status = p->exit_status;
	proc_free(p);
	return status;
}

struct child_search {
	struct proc *parent;
	int pid; /* wait4's: > 0 that child, -1 any, 0 our group, < -1 group -pid */
	int pgid;
	int options; /* WUNTRACED, WCONTINUED: a stop or continue counts too */
	bool any;
	struct proc *zombie; /* the child found: exited, or stopped/continued */
};

/* Has p a stop or continue to report that options ask for? */
static bool child_event(struct proc *p, int options)
{
	if (p->stop_report == 0xffff)
		return options & WCONTINUED;
	return p->stop_report && (options & WUNTRACED);
}

static bool child_match(struct proc *p, void *arg)
{
	struct child_search *s = arg;

	if (p->parent != s->parent)
		return true;
	if (s->pid > 0 ? p->pid != s->pid : s->pid != -1 && p->pgid != s->pgid)
		return true;
	s->any = true;
	if (p->state == PROC_ZOMBIE || child_event(p, s->options)) {
		s->zombie = p;
		return false;
	}
	return true;
}

/* A child of parent that pid names (as wait4's pid) and that has exited,
 * in *zombie if there is one; whether any such child exists at all.
 * Interrupts off. */
static bool find_child(struct proc *parent, int pid, int options, struct proc **zombie)
{
	struct child_search s = {
		parent, pid, pid == 0 ? parent->pgid : -pid, options, false, NULL
	};

	proc_for_each(child_match, &s);
	*zombie = s.zombie;
	return s.any;
}

/* Is there a child to collect now, or none to wait for?  Interrupts off. */
static bool child_ready(struct proc *parent, int pid, int options)
{
	struct proc *zombie;

	return !find_child(parent, pid, options, &zombie) || zombie;
}

int proc_wait_child(int pid, int options, int *status)
{
	/* BEGIN STAGE forkexec: sleep until a matching child exited (or none exists), unlink it, its status, free it */
	struct proc *self = proc_current(), *zombie;
	uint64_t flags;
	bool any;
	int err;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED))
		return -EINVAL;
	if (!(options & WNOHANG)) {
		err = wait_event_interruptible(&self->child_wait, child_ready(self, pid, options));
		if (err)
			return err;
	}
	flags = irq_save();
	any = find_child(self, pid, options, &zombie);
	if (zombie && zombie->state != PROC_ZOMBIE) { /* stopped or continued */
		*status = zombie->stop_report;
		zombie->stop_report = 0;
		irq_restore(flags);
		return zombie->pid;
	}
	if (zombie)
		zombie->parent = NULL; /* ours to free: no other wait finds it */
	irq_restore(flags);
	if (!zombie)
		return any ? 0 : -ECHILD;
	pid = zombie->pid;
	*status = zombie->killed_by ? zombie->killed_by : (zombie->exit_status & 0xff) << 8;
	thread_join(zombie->thread, NULL);
	proc_free(zombie);
	return pid;
	/* STUB
	(void)pid, (void)options, (void)status, (void)child_ready;
	return -ECHILD;
	END STAGE forkexec */
}

/*
 * Who adopts the children of p: the nearest live ancestor that is a
 * subreaper, else the root of the tree if the kernel started it; NULL if
 * nobody (p is the root).  An ancestor that is itself exiting (its
 * descriptors gone, proc_finish) does not count.  Interrupts off.
 */
static struct proc *proc_reaper_of(struct proc *p)
{
	for (struct proc *a = p->parent; a; a = a->parent)
		if (a->fds && (a->subreaper || (!a->parent && a->kernel_started)))
			return a;
	return NULL;
}

struct adoption {
	struct proc *old, *reaper;
	bool zombies;
};

static bool adopt_child(struct proc *c, void *arg)
{
	struct adoption *a = arg;

	if (c->parent != a->old)
		return true;
	if (a->reaper) {
		c->parent = a->reaper;
		/* Its clone exit signal was for the parent that is gone: the
		 * reaper gets SIGCHLD (Linux's reparent_leader: "we don't want
		 * people slaying init"), not a SIGHUP that would end it. */
		c->exit_signal = SIGCHLD;
		a->zombies |= c->state == PROC_ZOMBIE;
	} else if (c->state != PROC_ZOMBIE) {
		c->parent = NULL;
		c->orphan = true;
	}
	return true;
}

void proc_reparent_children(struct proc *p)
{
	struct adoption a = { p, NULL, false };
	struct proc *zombie;

	for (;;) {
		uint64_t flags = irq_save();

		a.reaper = proc_reaper_of(p);
		proc_for_each(adopt_child, &a);
		if (a.zombies) /* it has some to collect now */
			wait_wake_all(&a.reaper->child_wait);
		find_child(p, -1, 0, &zombie);
		if (zombie)
			zombie->parent = NULL;
		irq_restore(flags);
		if (!zombie)
			return;
		/* Nobody to adopt the ones that exited: free them. */
		thread_join(zombie->thread, NULL);
		proc_free(zombie);
	}
}
