/*
 * Processes: a user program running in an address space of its own.
 *
 * A process is
 *   - an address space (struct uvm: the program's pages and the stack),
 *   - one or more threads (struct uthread below), each a kernel thread
 *     (sched/thread.h) that enters user mode and comes back on every
 *     system call, interrupt and fault; thread->owner points to the
 *     uthread, uthread->proc to the process;
 *   - an identity: pid (the tid of its first thread, as on Linux), name
 *     (the program's), parent;
 *   - its files: the descriptor table (fs/fdtable.h) and the current
 *     directory (a canonical path, and a reference on its inode); fds 0, 1
 *     and 2 of a process the kernel starts are one open /dev/console;
 *   - what its threads share besides: signal actions and the signals sent
 *     to the process as a whole, the interval timer (SIGALRM), limits,
 *     process group and session;
 *   - an end: the exit status, kept (state PROC_ZOMBIE) until the parent
 *     collects it with proc_wait.
 *
 * Each thread has its own user-mode state: the registers it entered with,
 * the FS base (musl's thread pointer), the SSE registers while it is
 * switched out, the clear_child_tid address, its signal mask, the
 * signals sent to it alone (tgkill and its own faults) and its alternate
 * signal stack (sigaltstack).  Threads come from clone
 * (proc/uthread.c); exit(2) ends one, exit_group(2) or a fatal signal all.
 *
 * Life cycle:  proc_spawn or proc_fork ──> RUNNING ──(the last thread
 * exits, or a fault or signal kills the process)──> ZOMBIE ──proc_wait or
 * proc_wait_child──> freed.  A process's address space is freed as soon as
 * its last thread exits, and its descriptors are closed and its current
 * directory let go then, before it is a zombie (a FUSE server's /dev/fuse
 * closing is how the kernel learns it is gone); the struct lives on until
 * its parent collects it.  The kernel is the parent of what it starts
 * (parent NULL, collected with proc_wait) and adopts the children of a
 * process that exits (orphan: nobody collects them, so they free
 * themselves when they exit).
 *
 * Locking: the process list, a process's thread list and the signal sets
 * change with interrupts off.
 */
#ifndef PROC_PROC_H
#define PROC_PROC_H

#include <types.h>
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/trap.h"
#include "lib/list.h"
#include "lib/wait.h"
#include "sched/alarm.h"
#include "syscall/rlimit.h"

struct fdtable;
struct inode;
struct mailbox;
struct thread;
struct uvm;

#define PROC_NAME_MAX 16

enum proc_state {
	PROC_RUNNING,
	PROC_ZOMBIE, /* exited: waiting for proc_wait */
};

/* Who posted a pending signal, for the handler's siginfo. */
struct sigsource {
	int code; /* si_code: SI_USER, SI_TKILL, SI_KERNEL, CLD_EXITED, SEGV_MAPERR, ... */
	int pid;  /* the sender, or the child for SIGCHLD */
	int status;
	uint64_t addr; /* si_addr of a fault's signal */
};

/* sigaltstack(2)'s stack of a thread: [sp, sp + size), none if size is 0. */
struct altstack {
	uint64_t sp, size;
	uint32_t flags; /* SS_AUTODISARM or 0 */
};

/* The last fault of a thread that became a signal: what its handler's
 * sigcontext says in trapno, err and cr2 (Linux's thread.trap_nr,
 * error_code and cr2). */
struct faultinfo {
	uint64_t trapno, error, cr2;
};

/* setitimer(ITIMER_REAL) of a process (syscall/sys_time.c): the alarm
 * posts SIGALRM from the timer interrupt, and is set again interval ticks
 * later if that is not 0. */
struct itimer {
	struct alarm alarm;
	uint64_t interval;
};

/* A thread of a process: what it has of its own. */
struct uthread {
	struct proc *proc;
	struct thread *thread;     /* its kernel thread */
	struct list_node node;     /* in proc->threads */
	struct trapframe start_tf; /* how it enters user mode first */
	uint64_t fs_base;          /* arch_prctl(ARCH_SET_FS), CLONE_SETTLS */
	uint64_t gs_base;          /* arch_prctl(ARCH_SET_GS) */
	uint64_t clear_child_tid;  /* set_tid_address, CLONE_CHILD_CLEARTID */
	uint64_t set_child_tid;    /* CLONE_CHILD_SETTID: written as it starts */
	uint64_t set_parent_tid;   /* CLONE_PARENT_SETTID of a thread: too */
	struct fpu_area fpu;       /* x87/SSE registers while switched out */
	uint64_t sigmask;          /* rt_sigprocmask's (syscall/sys_signal.c) */
	uint64_t sigmask_saved;    /* rt_sigsuspend: the mask to restore */
	bool sigmask_restore;      /* ... after the handler it waited for */
	uint64_t sigpending;       /* sent to this thread (tgkill): bit sig - 1 */
	struct sigsource sigfrom[64];
	struct altstack altstack; /* sigaltstack(2) (proc/sigframe.c) */
	struct faultinfo fault;   /* for the sigcontext of the next handler */
	bool zapped;              /* its process is ending: it must end too */
	bool failinject_hit;      /* its last frame allocation was refused on purpose */
};

struct proc {
	int pid;
	char name[PROC_NAME_MAX];
	enum proc_state state;
	struct proc *parent;      /* NULL: started by the kernel, or orphan */
	bool orphan;              /* its parent exited: frees itself at exit */
	struct uvm *uvm;          /* NULL once it has exited */
	struct list threads;      /* its uthreads, the first one first */
	int nthreads;             /* in the list: 0 once the last has exited */
	struct thread *thread;    /* the kernel thread to join when collecting it:
				* the first thread's, then the last to exit */
	bool exiting;             /* exit_group or a fatal signal: threads are ending */
	int exit_status;          /* exit(2)'s status, or 128 + signal if killed */
	int killed_by;            /* the signal that killed it (SIGSEGV...), or 0 */
	struct waitq thread_wait; /* a thread of it exited (execve waits) */
	/* Signals and job control (proc/signal.c, syscall/sys_signal.c). */
	uint64_t sigpending;          /* sent to the process: bit sig - 1 */
	struct sigsource sigfrom[64]; /* who posted each pending signal */
	int exit_signal;              /* sent to the parent at exit (SIGCHLD) */
	int stopped;                  /* the signal that stopped it (SIGSTOP...), or 0 */
	int stop_report;              /* wait4's status of a stop or continue not yet
				       * reported (WUNTRACED, WCONTINUED), or 0 */
	int pgid, sid;                /* process group and session */
	struct itimer itimer;         /* ITIMER_REAL: alarm(2), setitimer(2) */
	bool kernel_started;          /* proc_spawn's: reaps its orphaned descendants */
	bool subreaper;               /* prctl(PR_SET_CHILD_SUBREAPER) */
	bool execed;                  /* has called execve (setpgid: EACCES) */
	bool uvm_borrowed;            /* CLONE_VM|CLONE_VFORK child: uvm is the parent's */
	struct proc *vfork_parent;    /* ... which sleeps until we exec or exit */
	struct proc *vfork_child;     /* the vfork child we wait for, or NULL */
	bool trace;                   /* print its system calls (syscall/trace.c) */
	bool failinject;              /* its allocations may be refused (debug/failinject.h) */
	uint64_t syscalls;            /* system calls made, by all its threads */
	struct mailbox *mbox;         /* its messages (ipc/msg.c), or NULL: none sent yet */
	struct mailbox *msg_to;       /* ... the mailbox it sent to last, held */
	int msg_to_pid;               /* ... and whose it is */
	bool hwright;                 /* may touch hardware (proc/hwaccess.c) */
	bool dma_used;                /* has called os_dma_alloc (mm/dma.c) */
	unsigned iopl;                /* iopl(2)'s level: 3 allows every port */
	struct iobitmap *iobitmap;    /* ioperm(2)'s ports, or NULL: none */
	struct fdtable *fds;          /* NULL once it has exited */
	char *cwd;                    /* the current directory, canonical (kmalloc'd) */
	struct inode *cwd_inode;      /* ... and its inode, held */
	char *cmdline;                /* argv, each string NUL-ended (/proc/PID/cmdline) */
	size_t cmdline_len;
	struct waitq exit_wait;           /* proc_wait sleeps here */
	struct waitq child_wait;          /* proc_wait_child: a child exited */
	struct list_node all_node;        /* in the list of all processes */
	uint64_t sigactions[64][4];       /* rt_sigaction's, kept as given */
	struct rlimit rlim[RLIM_NLIMITS]; /* resource limits (syscall/sys_rlimit.c) */
};

/* Signals, by their Linux numbers, for the "killed" exit status. */
#define SIGILL  4
#define SIGTRAP 5
#define SIGBUS  7
#define SIGFPE  8
#define SIGKILL 9
#define SIGSEGV 11

#define SIG_IGN 1 /* rt_sigaction's handler: ignore the signal */
/* Once at boot: SSE for user mode, SMEP/SMAP, the syscall entry. */
void proc_init(void);

/* The process of the running thread, or NULL for a kernel thread. */
struct proc *proc_current(void);
/* The running thread's user state, or NULL for a kernel thread. */
struct uthread *uthread_current(void);
/* The first thread of p in its list (the main one while it lives), or
 * NULL once all have exited.  Interrupts off, or p must be the caller's. */
struct uthread *proc_first_thread(struct proc *p);
/* The process with this pid (not yet collected), or NULL. */
struct proc *proc_find(int pid);
/* Call fn(p, arg) for each process (collected ones are gone) until it
 * returns false; interrupts off: fn must not sleep. */
void proc_for_each(bool (*fn)(struct proc *p, void *arg), void *arg);
/* How many processes exist (zombies too). */
int proc_count(void);
/* The most there may be: fork and clone fail with -EAGAIN there. */
#define PROC_MAX 128
/* The pids of at most max processes (not yet collected), in increasing
 * order, into pids[]: returns how many. */
int proc_list_pids(int *pids, int max);

/*
 * Start the static ELF executable image[0..size) as a new process named
 * name, with the argument and environment strings argv[] and envp[] (NULL
 * terminated; copied).  The image is only read during the call.  Returns
 * the process, which runs at once, or NULL with *err set: -ENOEXEC (a bad
 * file; the loader says why on the console), -E2BIG, -ENOMEM.
 */
struct proc *proc_spawn(const char *name, const void *image, size_t size, const char *const argv[],
			const char *const envp[], int *err);

/* Wait until p has exited, free it, and return its exit status.  May sleep. */
int proc_wait(struct proc *p);

/*
 * fork(2): a copy of the current process (its address space shared
 * copy-on-write, its descriptors, current directory, thread pointer and
 * SSE registers), which returns to user mode from the same system call
 * with 0 in rax.  The child's pid, or -ENOMEM.
 */
int proc_fork(void);
/*
 * clone(2) of a process: flags is an exit signal (SIGCHLD) and optionally
 * CLONE_VFORK, or CLONE_VM | CLONE_VFORK (the child runs in the caller's
 * address space, which sleeps until the child has exec'd or exited);
 * newsp, if not 0, is the child's stack pointer.  CLONE_PARENT_SETTID
 * writes the child's pid at ptid (in the parent), CLONE_CHILD_SETTID at
 * ctid in the child, CLONE_CHILD_CLEARTID clears ctid when the child
 * exits, CLONE_SETTLS gives it the FS base tls.  The child's pid,
 * -EINVAL (other flags), -EAGAIN (PROC_MAX), -ENOMEM.  (clone with
 * CLONE_THREAD is uthread_clone, proc/uthread.h.)
 */
int proc_clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid, uint64_t tls);
/* The user registers of the current process, as its system call entry
 * saved them at the top of its kernel stack (syscall.S). */
struct trapframe *proc_user_regs(void);

/*
 * execve(2) for the current process: load the program file at path (a
 * canonical path) with the kernel strings argv[] and envp[] into a new
 * address space, and only then let go of the old one; descriptors marked
 * close-on-exec are closed, the process takes the file's name.  0 (the
 * system call then returns to the new program's entry), or an error with
 * the caller untouched: -ENOENT and the VFS's errors, -EACCES (a
 * directory), -ENOEXEC (not a good static ELF executable), -E2BIG, -ENOMEM.
 */
int proc_exec(const char *path, const char *const argv[], const char *const envp[]);
/*
 * wait4(2) for the current process: collect an exited child (pid > 0:
 * that one, -1: any, 0: any in the caller's process group, < -1: any in
 * group -pid) and store its status as Linux encodes it (exit code << 8, or
 * the signal that killed it) in *status; with WUNTRACED or WCONTINUED
 * also a child that stopped or continued since.  Its pid, 0 with WNOHANG if no such
 * child has exited yet, -ECHILD if there is no such child, -EINTR if a
 * signal came first.  May sleep.
 */
int proc_wait_child(int pid, int options, int *status);
/* wait4's options. */
#define WNOHANG    1
#define WUNTRACED  2 /* report stopped children too: status (sig << 8) | 0x7f */
#define WCONTINUED 8 /* ... and continued ones: status 0xffff */

/*
 * exit_group(2): end the current process with status (0-255): prints
 * "proc: NAME (pid N) exited with status S" (for a process the kernel
 * started), ends every thread, and the last one frees the address space,
 * wakes proc_wait and ends.
 */
NORETURN void proc_exit(int status);
/* End the current process, killed by signal sig (wait4 says so); a
 * process the kernel started says "proc: NAME (pid N) killed by signal S".
 * Any thread may call it: all of them end. */
NORETURN void proc_exit_signal(int sig);

/*
 * A fault in user mode, from trap() (proc/fault.c): a page fault the
 * address space can resolve (a stack page touched for the first time)
 * returns true to retry the access.  Anything else raises the signal
 * Linux would (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) with Linux's
 * si_code and si_addr on the faulting thread: if it has a handler that it
 * does not block, true (the way back to user mode, signal_deliver, enters
 * the handler); if not, the process dies of it with
 * "proc: NAME (pid N) killed: WHAT, rip=0x..." and this never returns.
 * A page fault with no memory left kills with SIGKILL.  what describes the
 * fault ("page fault: write at cr2=0x0 (user, not present)").  Without a
 * current process it returns false (the caller reports a kernel-style
 * fault).
 */
bool proc_user_fault(struct trapframe *tf, uint64_t cr2, const char *what);

/* Called by schedule() at every switch, interrupts off: load next's address
 * space, FS base and SSE registers (saving prev's), and its kernel stack
 * for the syscall entry. */
void proc_context_switch(struct thread *prev, struct thread *next);

/* Print one line per process: pid, parent, state, pages, threads, name
 * (the monitor's ps lists the threads themselves). */
void proc_ps(void);

#endif
