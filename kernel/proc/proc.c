/*
 * Processes (see proc.h): creating them, entering user mode, the context
 * switch hook, exit and waiting.  (A fault in user mode: fault.c.)
 *
 * How a process starts.  proc_spawn builds the address space (exec_load:
 * ELF segments, heap, initial stack) and creates a kernel thread running
 * proc_start.  That thread marks itself as the process's (thread->owner),
 * loads the address space, and leaves for user mode through
 * usermode_enter(), with a trapframe that says: ring 3 code and stack
 * selectors, rip = the ELF entry point, rsp = the initial stack, interrupts
 * on, every other register zero.  From then on the thread comes back into
 * the kernel on each system call (syscall.S), interrupt and exception
 * (trapentry.S), always onto the top of its own kernel stack: the scheduler
 * points TSS.RSP0 and cpu_local.kernel_rsp there at each switch.
 *
 * How it ends.  exit(2), or a fault that kills it, runs proc_finish on the
 * process's own thread: the thread stops being the process's (so the
 * switch hook leaves the process alone), goes back to the kernel's page
 * tables, frees the address space, records the status, wakes proc_wait and
 * exits.  proc_wait, in the parent, joins the thread and frees the process.
 *
 * fork.  proc_fork makes the child's address space a copy-on-write clone of
 * the parent's (uvm_clone), duplicates the descriptor table, and starts the
 * child's thread at proc_start with a copy of the trapframe the parent's
 * system call entry saved at the top of its kernel stack, rax = 0: the
 * child leaves the kernel as if it had made the fork call itself.
 */
#include "proc/proc.h"
#include <errno.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/usermode.h"
#include "arch/x86_64/x86.h"
#include "debug/failinject.h"
#include "drivers/xy.h"
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "ipc/msg.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "proc/exec.h"
#include "proc/hwaccess.h"
#include "proc/oom.h"
#include "proc/proc_internal.h"
#include "proc/signal.h"
#include "proc/uthread.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "syscall/syscall.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

static struct list procs = LIST_INIT(procs);

void proc_init(void)
{
	fpu_init();
	usercopy_init();
	syscall_init();
}

struct uthread *uthread_current(void)
{
	struct thread *t = thread_current();

	return t ? t->owner : NULL;
}

struct proc *proc_current(void)
{
	struct uthread *u = uthread_current();

	return u ? u->proc : NULL;
}

struct proc *proc_find(int pid)
{
	struct proc *found = NULL;
	uint64_t flags = irq_save();

	list_for_each(n, &procs) {
		struct proc *p = list_entry(n, struct proc, all_node);

		if (p->pid == pid) {
			found = p;
			break;
		}
	}
	irq_restore(flags);
	return found;
}

void proc_for_each(bool (*fn)(struct proc *p, void *arg), void *arg)
{
	uint64_t flags = irq_save();

	list_for_each(n, &procs) {
		if (!fn(list_entry(n, struct proc, all_node), arg))
			break;
	}
	irq_restore(flags);
}

int proc_list_pids(int *pids, int max)
{
	int n = 0;
	uint64_t flags = irq_save();

	list_for_each(node, &procs) {
		struct proc *p = list_entry(node, struct proc, all_node);
		int i = n;

		if (n == max)
			break;
		for (; i > 0 && pids[i - 1] > p->pid; i--)
			pids[i] = pids[i - 1]; /* insertion: keep them in order */
		pids[i] = p->pid;
		n++;
	}
	irq_restore(flags);
	return n;
}

/* Load the user state of thread u: its process's address space, its FS
 * base and SSE registers.  Interrupts off. */
static void proc_switch_in(struct uthread *u)
{
	uvm_activate(u->proc->uvm);
	wrmsr(MSR_FS_BASE, u->fs_base);
	wrmsr(MSR_GS_BASE, u->gs_base);
	fpu_restore(&u->fpu);
	hwaccess_switch_in(u->proc);
}

void proc_context_switch(struct thread *prev, struct thread *next)
{
	/* The syscall entry's stack, like TSS.RSP0: the top of next's stack. */
	usermode_set_kernel_stack(next->kstack_top);
	/* BEGIN STAGE syscalls: at a switch: save prev's SSE state, load next's address space and state */
	struct uthread *from = prev->owner, *to = next->owner;

	if (from)
		fpu_save(&from->fpu);
	/* Kernel threads (no owner) run on the kernel's tables. */
	if (to)
		proc_switch_in(to);
	else
		uvm_activate(NULL);
	/* STUB
	(void)prev, (void)next, (void)proc_switch_in;
	END STAGE syscalls */
}

/* A new process's first thread t gives it its pid (whichever of
 * proc_run_thread and proc_start comes first).  Interrupts off. */
static void proc_take_pid(struct proc *p, struct thread *t)
{
	if (p->pid >= 0)
		return;
	p->thread = t;
	p->pid = t->tid;
	if (p->kernel_started) /* the leader of a session of its own */
		p->pgid = p->sid = p->pid;
}

/* The kernel thread of a new user thread u: become u's, enter user mode
 * with u->start_tf (copied to this stack: usermode_enter wants it there). */
static void proc_start(void *arg)
{
	struct uthread *u = arg;
	struct proc *p = u->proc;
	struct thread *t = thread_current();
	struct trapframe tf = u->start_tf;
	uint64_t flags = irq_save();
	int tid = t->tid;

	u->thread = t;
	proc_take_pid(p, t);
	t->owner = u;
	proc_switch_in(u);
	irq_restore(flags);
	/* clone's CLONE_CHILD_SETTID and CLONE_PARENT_SETTID, before any
	 * user code of the new thread runs. */
	if (u->set_child_tid)
		copy_to_user(u->set_child_tid, &tid, sizeof(tid));
	if (u->set_parent_tid)
		copy_to_user(u->set_parent_tid, &tid, sizeof(tid));
	usermode_enter(&tf);
}

struct proc *proc_alloc(const char *name)
{
	struct proc *p = kcalloc(1, sizeof(*p));

	if (!p)
		return NULL;
	list_init(&p->threads);
	if (!uthread_alloc(p)) {
		kfree(p);
		return NULL;
	}
	strlcpy(p->name, name, sizeof(p->name));
	p->pid = -1;
	p->state = PROC_RUNNING;
	p->parent = proc_current();
	rlimit_init(p);
	waitq_init(&p->exit_wait, "process exit");
	waitq_init(&p->child_wait, "child exit");
	waitq_init(&p->thread_wait, "thread exit");
	list_node_init(&p->all_node);
	alarm_init(&p->itimer.alarm);
	return p;
}

struct uthread *proc_first_thread(struct proc *p)
{
	struct list_node *n = list_first(&p->threads);

	return n ? list_entry(n, struct uthread, node) : NULL;
}

/* Start u's kernel thread at proc_start; the thread may run before
 * thread_create returns, so proc_start fills in u->thread (and the pid of
 * a new process) itself.  Its tid, or an error (u is freed then). */
int proc_run_thread(struct uthread *u, int prio)
{
	struct proc *p = u->proc;
	struct thread *t;
	uint64_t flags;
	int err = thread_create(p->name, proc_start, u, prio, &t);

	if (err) {
		uthread_free(u);
		return err;
	}
	flags = irq_save();
	u->thread = t;
	proc_take_pid(p, t);
	irq_restore(flags);
	return t->tid;
}

/* Its first thread starts at proc_start. */
int proc_run(struct proc *p, int prio)
{
	uint64_t flags = irq_save();
	int pid;

	list_push_back(&procs, &p->all_node);
	irq_restore(flags);
	pid = proc_run_thread(proc_first_thread(p), prio);
	if (pid < 0)
		proc_free(p);
	return pid;
}

void proc_free(struct proc *p)
{
	uint64_t flags = irq_save();

	list_remove(&p->all_node);
	irq_restore(flags);
	while (!list_empty(&p->threads))
		uthread_free(proc_first_thread(p));
	if (!p->uvm_borrowed)
		uvm_destroy(p->uvm);
	hwaccess_exit(p);
	fdtable_destroy(p->fds);
	inode_put(p->cwd_inode);
	kfree(p->cwd);
	kfree(p->cmdline);
	kfree(p);
}

/* Each string ended by a NUL. */
char *cmdline_of(const char *const argv[], size_t *len)
{
	char *cmdline;

	*len = 0;
	for (int i = 0; argv[i]; i++)
		*len += strlen(argv[i]) + 1;
	cmdline = kmalloc(*len ? *len : 1);
	if (!cmdline)
		return NULL;
	for (size_t i = 0, at = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(cmdline + at, argv[i], n);
		at += n;
	}
	return cmdline;
}

static int proc_set_cmdline(struct proc *p, const char *const argv[])
{
	p->cmdline = cmdline_of(argv, &p->cmdline_len);
	return p->cmdline ? 0 : -ENOMEM;
}

/*
 * The files of a new process: the parent's current directory (or "/"),
 * and descriptors 0, 1 and 2 on one open /dev/console, read-write, as a
 * terminal's login gives them.
 */
static int proc_set_files(struct proc *p)
{
	struct proc *parent = p->parent;
	const char *cwd = parent ? parent->cwd : "/";
	size_t len = strlen(cwd) + 1;
	struct file *console;
	int err;

	p->fds = fdtable_create();
	p->cwd = kmalloc(len);
	if (!p->fds || !p->cwd)
		return -ENOMEM;
	memcpy(p->cwd, cwd, len);
	if (parent) {
		p->cwd_inode = parent->cwd_inode;
		inode_hold(p->cwd_inode);
	} else {
		err = vfs_lookup("/", &p->cwd_inode);
		if (err)
			return err;
	}
	err = vfs_open("/dev/console", O_RDWR, 0, &console);
	if (err)
		return err;
	for (int fd = 0; fd < 3; fd++) {
		if (fd > 0)
			file_hold(console);
		proc_fd_install(p, console);
	}
	return 0;
}

struct proc *proc_spawn(const char *name, const void *image, size_t size, const char *const argv[],
			const char *const envp[], int *err)
{
	struct proc *p = proc_alloc(name);
	struct trapframe *tf;
	int pid;

	vfs_init(); /* the first process: /dev for its console */
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->trace = trace_wanted(p->name);
	p->failinject = failinject_wanted(p->name, true);
	p->hwright = hwaccess_allowed(p->name);
	p->kernel_started = true;
	p->uvm = uvm_create();
	*err = p->uvm ? proc_set_cmdline(p, argv) : -ENOMEM;
	if (!*err)
		*err = proc_set_files(p);
	if (*err) {
		proc_free(p);
		return NULL;
	}
	/* Ring 3 selectors, interrupts on, every other register zero. */
	tf = &proc_first_thread(p)->start_tf;
	*err = exec_load(p->uvm, p->name, image, size, argv, envp, &tf->rip, &tf->rsp);
	if (*err) {
		proc_free(p);
		return NULL;
	}
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	tf->rflags = RFLAGS_IF | RFLAGS_RESERVED;
	pid = proc_run(p, SCHED_PRIO_DEFAULT);
	*err = pid < 0 ? pid : 0;
	return pid < 0 ? NULL : p;
}

/* Does parent refuse zombies (SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT)?
 * Then its children free themselves, as on Linux. */
static bool proc_no_zombies(struct proc *parent)
{
	const uint64_t *act = parent->sigactions[SIGCHLD - 1];

	return act[0] == SIG_IGN || (act[1] & SA_NOCLDWAIT);
}

/* Tell p's parent that p has ended: wake its wait4, send its exit signal
 * (SIGCHLD).  Interrupts off. */
static void proc_notify_parent(struct proc *p)
{
	struct proc *parent = p->parent;

	if (!parent)
		return;
	if (p->exit_signal)
		signal_send_info(parent, p->exit_signal, p->killed_by ? CLD_KILLED : CLD_EXITED,
				 p->pid, p->killed_by ? p->killed_by : p->exit_status);
	if (proc_no_zombies(parent)) {
		p->parent = NULL;
		p->orphan = true;
	}
	wait_wake_all(&parent->child_wait);
}

void proc_finish(struct uthread *u)
{
	struct proc *p = u->proc;
	struct thread *t = thread_current();
	struct uvm *uvm = p->uvm;
	struct fdtable *fds = p->fds;
	uint64_t flags;

	alarm_cancel(&p->itimer.alarm); /* no SIGALRM for what is gone */
	/* Every descriptor closes now, not when the parent collects it. */
	p->fds = NULL;
	fdtable_destroy(fds);
	msg_exit(p);             /* its messages go, its blocked senders wake */
	console_xy_exit(p->pid); /* the screen back to the terminal */
	msg_exit(p);             /* its messages go, its blocked senders wake */
	hwaccess_exit(p);        /* its ports and IRQs: a dead driver holds none */
	inode_put(p->cwd_inode);
	p->cwd_inode = NULL;
	proc_reparent_children(p);
	flags = irq_save();
	t->owner = NULL; /* a kernel thread from now on */
	uvm_activate(NULL);
	p->uvm = NULL;
	irq_restore(flags);
	if (!p->uvm_borrowed) /* else the address space was the parent's */
		uvm_destroy(uvm);
	proc_vfork_release(p); /* a vfork child wakes its parent, CLONE_VM or not */
	uthread_free(u);

	cli();         /* thread_exit switches away for good */
	p->thread = t; /* what proc_wait joins */
	p->state = PROC_ZOMBIE;
	wait_wake_all(&p->exit_wait);
	proc_notify_parent(p);
	oom_exited();
	if (p->orphan) { /* nobody will collect it */
		list_remove(&p->all_node);
		thread_detach(t);
		kfree(p->cwd);
		kfree(p->cmdline);
		kfree(p);
	}
	thread_exit(p->exit_status);
}

void proc_exit_message(struct proc *p)
{
	/* A process of the kernel's says how it ended; a forked one tells its
	 * parent (wait4), and a line each would cost fork+exit+wait more than
	 * the rest of it. */
	if (!p->parent && !p->orphan)
		kprintf("proc: %s (pid %d) exited with status %d\n", p->name, p->pid,
			p->exit_status);
}

void proc_exit(int status)
{
	if (uthread_end_all(status, 0))
		proc_exit_message(proc_current());
	uthread_end();
}

void proc_exit_signal(int sig)
{
	struct proc *p = proc_current();

	sti(); /* maybe from a trap handler: let time go on */
	if (uthread_end_all(128 + sig, sig) && !p->parent && !p->orphan)
		kprintf("proc: %s (pid %d) killed by signal %d\n", p->name, p->pid, sig);
	uthread_end();
}

void proc_ps(void)
{
	uint64_t flags = irq_save();

	kprintf("  PID  PPID STATE   PAGES THREADS NAME\n");
	list_for_each(n, &procs) {
		struct proc *p = list_entry(n, struct proc, all_node);

		kprintf("  %3d  %4d %-7s %5lu %7d %s\n", p->pid, p->parent ? p->parent->pid : 0,
			p->state == PROC_RUNNING ? "running" : "zombie", p->uvm ? p->uvm->pages : 0,
			p->nthreads, p->name);
	}
	irq_restore(flags);
}
