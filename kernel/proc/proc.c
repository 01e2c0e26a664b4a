/*
 * Processes (see proc.h): creating them, entering user mode, the context
 * switch hook, exit, the kill on a user fault, and waiting.
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
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/devmem.h"
#include "mm/heap.h"
#include "mm/usercopy.h"
#include "mm/uvm.h"
#include "proc/exec.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "syscall/syscall.h"

#define MSR_FS_BASE     0xc0000100
#define MSR_GS_BASE     0xc0000101
#define RFLAGS_RESERVED 0x2 /* bit 1 of RFLAGS is always 1 */

static struct list procs = LIST_INIT(procs);

void proc_init(void)
{
	fpu_init();
	usercopy_init();
	syscall_init();
}

struct proc *proc_current(void)
{
	struct thread *t = thread_current();

	return t ? t->owner : NULL;
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

static void proc_free(struct proc *p);

/* Make the running thread p's, and load p's user state.  Interrupts off. */
static void proc_switch_in(struct proc *p)
{
	uvm_activate(p->uvm);
	wrmsr(MSR_FS_BASE, p->fs_base);
	wrmsr(MSR_GS_BASE, p->gs_base);
	fpu_restore(&p->fpu);
}

void proc_context_switch(struct thread *prev, struct thread *next)
{
	/* The syscall entry's stack, like TSS.RSP0: the top of next's stack. */
	usermode_set_kernel_stack(next->kstack_top);
	/* BEGIN STAGE syscalls: at a switch: save prev's SSE state, load next's address space and state */
	struct proc *from = prev->owner, *to = next->owner;

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

/* The thread of a new process: become the process's, enter user mode
 * with p->start_tf (copied to this stack: usermode_enter wants it there). */
static void proc_start(void *arg)
{
	struct proc *p = arg;
	struct thread *t = thread_current();
	struct trapframe tf = p->start_tf;
	uint64_t flags = irq_save();

	p->thread = t;
	p->pid = t->tid;
	t->owner = p;
	proc_switch_in(p);
	irq_restore(flags);
	usermode_enter(&tf);
}

/* A new process named name, child of the current one, with nothing in it
 * yet; NULL without memory. */
static struct proc *proc_alloc(const char *name)
{
	struct proc *p = kcalloc(1, sizeof(*p));

	if (!p)
		return NULL;
	strlcpy(p->name, name, sizeof(p->name));
	p->pid = -1;
	p->state = PROC_RUNNING;
	p->parent = proc_current();
	rlimit_init(p);
	waitq_init(&p->exit_wait, "process exit");
	waitq_init(&p->child_wait, "child exit");
	list_node_init(&p->all_node);
	fpu_area_init(&p->fpu);
	return p;
}

/* Put p in the process list and start its thread at proc_start; the pid,
 * or an error (p is freed then). */
static int proc_run(struct proc *p)
{
	struct thread *t;
	uint64_t flags = irq_save();
	int err;

	list_push_back(&procs, &p->all_node);
	irq_restore(flags);
	/* The thread may run before thread_create returns; proc_start fills
	 * in p->thread and p->pid itself. */
	err = thread_create(p->name, proc_start, p, SCHED_PRIO_DEFAULT, &t);
	if (err) {
		proc_free(p);
		return err;
	}
	flags = irq_save();
	p->thread = t;
	p->pid = t->tid;
	irq_restore(flags);
	return p->pid;
}
static void proc_free(struct proc *p)
{
	uint64_t flags = irq_save();

	list_remove(&p->all_node);
	irq_restore(flags);
	uvm_destroy(p->uvm);
	fdtable_destroy(p->fds);
	inode_put(p->cwd_inode);
	kfree(p->cwd);
	kfree(p->cmdline);
	kfree(p);
}

/* argv as /proc/PID/cmdline shows it: each string ended by a NUL. */
static char *cmdline_of(const char *const argv[], size_t *len)
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
	p->devmem = devmem_allowed(p->name);
	p->uvm = uvm_create();
	*err = p->uvm ? proc_set_cmdline(p, argv) : -ENOMEM;
	if (!*err)
		*err = proc_set_files(p);
	if (*err) {
		proc_free(p);
		return NULL;
	}
	/* Ring 3 selectors, interrupts on, every other register zero. */
	tf = &p->start_tf;
	*err = exec_load(p->uvm, p->name, image, size, argv, envp, &tf->rip, &tf->rsp);
	if (*err) {
		proc_free(p);
		return NULL;
	}
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	tf->rflags = RFLAGS_IF | RFLAGS_RESERVED;
	pid = proc_run(p);
	*err = pid < 0 ? pid : 0;
	return pid < 0 ? NULL : p;
}

/* The user registers of the current process, as its system call entry
 * saved them at the top of its kernel stack (syscall.S). */
static struct trapframe *proc_user_regs(void)
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

/* exec's fresh start of the user state: no thread pointer, no
 * clear_child_tid, clean SSE registers, caught signals back to their
 * defaults (ignored ones stay ignored, as POSIX says).  Interrupts off. */
static void proc_reset_user_state(struct proc *p)
{
	p->fs_base = p->gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);
	p->clear_child_tid = 0;
	fpu_area_init(&p->fpu);
	fpu_restore(&p->fpu);
	for (int sig = 0; sig < 64; sig++)
		if (p->sigactions[sig][0] != SIG_IGN)
			memset(p->sigactions[sig], 0, sizeof(p->sigactions[sig]));
}

/* Make the loaded image the current process's: its address space, name
 * and command line; close what is close-on-exec; the system call returns
 * to entry with stack sp and every other register zero. */
static void proc_switch_image(struct uvm *uvm, const char *path, char *cmdline, size_t len,
			      uint64_t entry, uint64_t sp)
{
	struct proc *p = proc_current();
	struct trapframe *tf = proc_user_regs();
	struct uvm *old = p->uvm;
	uint64_t flags = irq_save();

	p->uvm = uvm;
	uvm_activate(uvm);
	proc_reset_user_state(p);
	strlcpy(p->name, str_basename(path), sizeof(p->name));
	irq_restore(flags);
	uvm_destroy(old);
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
	proc_switch_image(uvm, path, cmdline, len, entry, sp);
	return 0;
}

int proc_fork(void)
{
	struct proc *parent = proc_current();
	struct proc *p = proc_alloc(parent->name);
	uint64_t flags;

	if (!p)
		return -ENOMEM;
	p->trace = parent->trace;
	p->devmem = parent->devmem;
	p->fs_base = parent->fs_base;
	p->gs_base = parent->gs_base;
	p->sigmask = parent->sigmask;
	memcpy(p->sigactions, parent->sigactions, sizeof(p->sigactions));
	p->uvm = uvm_clone(parent->uvm);
	if (!p->uvm || proc_copy_files(p, parent) != 0) {
		proc_free(p);
		return -ENOMEM;
	}
	flags = irq_save();
	fpu_save(&p->fpu); /* the parent's live registers */
	irq_restore(flags);
	p->start_tf = *proc_user_regs();
	p->start_tf.rax = 0; /* fork() returns 0 in the child */
	return proc_run(p);
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

/* A child of parent that pid names (any if pid <= 0) and that has exited,
 * in *zombie if there is one; whether any such child exists at all.
 * Interrupts off. */
static bool find_child(struct proc *parent, int pid, struct proc **zombie)
{
	bool any = false;

	*zombie = NULL;
	list_for_each(n, &procs) {
		struct proc *p = list_entry(n, struct proc, all_node);

		if (p->parent != parent || (pid > 0 && p->pid != pid))
			continue;
		any = true;
		if (p->state == PROC_ZOMBIE) {
			*zombie = p;
			break;
		}
	}
	return any;
}

/* Is there a child to collect now, or none to wait for?  Interrupts off. */
static bool child_ready(struct proc *parent, int pid)
{
	struct proc *zombie;

	return !find_child(parent, pid, &zombie) || zombie;
}

int proc_wait_child(int pid, bool nohang, int *status)
{
	struct proc *self = proc_current(), *zombie;
	uint64_t flags;
	bool any;

	if (!nohang)
		wait_event(&self->child_wait, child_ready(self, pid));
	flags = irq_save();
	any = find_child(self, pid, &zombie);
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
}

/* The children of p become the kernel's: those that have exited are freed
 * now, the others will free themselves when they exit. */
static void proc_orphan_children(struct proc *p)
{
	struct proc *zombie;

	for (;;) {
		uint64_t flags = irq_save();

		list_for_each(n, &procs) {
			struct proc *c = list_entry(n, struct proc, all_node);

			if (c->parent == p && c->state != PROC_ZOMBIE) {
				c->parent = NULL;
				c->orphan = true;
			}
		}
		find_child(p, -1, &zombie);
		if (zombie)
			zombie->parent = NULL;
		irq_restore(flags);
		if (!zombie)
			return;
		thread_join(zombie->thread, NULL);
		proc_free(zombie);
	}
}
/* The end of the current process, whichever way it ends. */
static NORETURN void proc_finish(int status)
{
	struct proc *p = proc_current();
	struct thread *t = thread_current();
	struct uvm *uvm = p->uvm;
	struct fdtable *fds = p->fds;
	uint64_t flags;

	/* set_tid_address's promise; a bad address is simply not written. */
	if (p->clear_child_tid) {
		uint32_t zero = 0;

		copy_to_user(p->clear_child_tid, &zero, sizeof(zero));
	}
	/* Every descriptor closes now, not when the parent collects it. */
	p->fds = NULL;
	fdtable_destroy(fds);
	inode_put(p->cwd_inode);
	p->cwd_inode = NULL;
	proc_orphan_children(p);
	flags = irq_save();
	t->owner = NULL; /* a kernel thread from now on */
	uvm_activate(NULL);
	p->uvm = NULL;
	irq_restore(flags);
	uvm_destroy(uvm);

	cli(); /* thread_exit switches away for good */
	p->exit_status = status;
	p->state = PROC_ZOMBIE;
	wait_wake_all(&p->exit_wait);
	if (p->parent)
		wait_wake_all(&p->parent->child_wait);
	if (p->orphan) { /* nobody will collect it */
		list_remove(&p->all_node);
		thread_detach(t);
		kfree(p->cwd);
		kfree(p->cmdline);
		kfree(p);
	}
	thread_exit(status);
}

void proc_exit(int status)
{
	struct proc *p = proc_current();

	/* A process of the kernel's says how it ended; a forked one tells its
	 * parent (wait4), and a line each would cost fork+exit+wait more than
	 * the rest of it. */
	if (!p->parent && !p->orphan)
		kprintf("proc: %s (pid %d) exited with status %d\n", p->name, p->pid, status);
	proc_finish(status);
}

/* The signal Linux would send for this exception. */
static int fault_signal(uint64_t vector)
{
	switch (vector) {
	case T_DIVIDE:
	case T_FPU_ERROR:
	case T_SIMD_ERROR:
		return SIGFPE;
	case T_INVALID_OP:
		return SIGILL;
	case T_DEBUG:
	case T_BREAKPOINT:
		return SIGTRAP;
	case T_ALIGNMENT:
		return SIGBUS;
	}
	return SIGSEGV;
}

bool proc_user_fault(struct trapframe *tf, uint64_t cr2, const char *what)
{
	struct proc *p = proc_current();
	int sig, err = -EFAULT;

	if (!p)
		return false;
	if (tf->vector == T_PAGE_FAULT) {
		sti(); /* resolving may sleep (the OOM killer) */
		err = uvm_handle_fault(p->uvm, cr2, uvm_fault_access(tf->error));
		if (err == 0)
			return true; /* a page touched first, the stack grown, a COW copy: retry */
	}

	/* No memory left for the page, even after the OOM killer: SIGKILL,
	 * as Linux's page-fault path does when the OOM killer finds nobody. */
	sig = err == -ENOMEM ? SIGKILL : fault_signal(tf->vector);
	kprintf("proc: %s (pid %d) killed: %s%s, rip=0x%lx%s\n", p->name, p->pid, what,
		err == -ENOMEM ? ", out of memory" : "", tf->rip,
		tf->vector == T_PAGE_FAULT && uvm_stack_overflow(p->uvm, cr2) ? " (stack overflow)"
									      : "");
	p->killed_by = sig;
	sti(); /* we are in a trap handler: let time go on */
	proc_finish(128 + sig);
}

void proc_ps(void)
{
	uint64_t flags = irq_save();

	kprintf("  PID  PPID STATE   PAGES NAME\n");
	list_for_each(n, &procs) {
		struct proc *p = list_entry(n, struct proc, all_node);

		kprintf("  %3d  %4d %-7s %5lu %s\n", p->pid, p->parent ? p->parent->pid : 0,
			p->state == PROC_RUNNING ? "running" : "zombie", p->uvm ? p->uvm->pages : 0,
			p->name);
	}
	irq_restore(flags);
}
