/*
 * procfs: /proc, files made of the kernel's numbers, as on Linux.
 *
 *   /proc/meminfo        memory in Linux's field names (MemTotal, MemFree,
 *                        ...): the frame allocator's counts, the heap's
 *                        pages as Slab, tmpfs's as Shmem (and in Cached)
 *   /proc/mounts         the mount table (vfs_mounts_text)
 *   /proc/uptime         seconds since boot and seconds the idle thread
 *                        ran, with two decimals, as Linux's
 *   /proc/<pid>/status   Name, State, Tgid, Pid, PPid, Priority, Nice,
 *                        VmSize, VmRSS, Threads, and kestrel's Syscalls (the
 *                        system calls its threads have made)
 *   /proc/<pid>/cmdline  the arguments, each ended by a NUL
 *   /proc/<pid>/stat     the one line ps(1) reads: Linux's 52 fields, those
 *                        kestrel does not keep 0
 *   /proc/<pid>/maps     the areas of its address space, in Linux's format
 *                        ("start-end rwxp offset 00:00 0 [heap]"); no area
 *                        is backed by a file, so offset and inode are 0
 *   /proc/<pid>/task/<tid>/status, stat  the same for each thread of the
 *                        process: its own tid (Pid), state and priority
 *   /proc/self           the calling process's <pid> directory
 *
 * State is Linux's letter: R running or ready to run, S asleep (blocked
 * or sleeping), T stopped by a signal (SIGSTOP, SIGTSTP...: it waits for
 * SIGCONT), Z exited and not yet collected; a process is R if any of its
 * threads is.  The priority is the scheduler's level of the thread (of a
 * process: of its first thread; sched.h: 0 highest, 7 lowest), and its
 * nice value that level minus SCHED_PRIO_DEFAULT
 * (-4..3): where Linux's stat has 20 + nice and nice, kestrel's has the
 * level and the nice value.
 *
 * The root lists ".", "..", meminfo, mounts, self, uptime and one
 * directory per process.  Inode numbers: the root 1, meminfo 2, mounts 3,
 * uptime 5; process pid's directory is pid << 4, its status (pid << 4) +
 * 1, cmdline + 2, stat + 3, task + 4, maps + 5; thread tid's directory (tid << 4)
 * + 8, its status + 9, stat + 11 (a tid names one thread, whichever
 * process it is in).
 *
 * A file's text is made when it is opened, into a buffer the open file
 * keeps (f->priv) until it is released: reads see one snapshot, however
 * small the pieces they read it in, as with Linux's seq_file.  Process
 * data is read with interrupts off, so the process cannot be freed under
 * the reader; a process that is gone is -ENOENT at lookup and -ESRCH at
 * open.  Files report size 0, as Linux's do.
 */
#include "fs/procfs.h"
#include <errno.h>
#include "fs/pcache.h"
#include "fs/tmpfs.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/uvm.h"
#include "arch/x86_64/timer.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/thread.h"

#define INO_ROOT    1
#define INO_MEMINFO 2
#define INO_MOUNTS  3
#define INO_UPTIME  5 /* 4 is self's */
#define PID_SHIFT   4
#define PID_STATUS  1
#define PID_CMDLINE 2
#define PID_STAT    3
#define PID_TASK    4
#define PID_MAPS    5
#define MAPS_MAX    24 /* areas listed: TEXT_MAX holds that many lines */
#define TID_DIR     8  /* + PID_STATUS, PID_STAT: a thread's files */
#define NFIXED      6  /* ".", "..", meminfo, mounts, self, uptime */
#define TEXT_MAX    2048
#define PIDS_MAX    256

struct procfs_text {
	size_t len;
	char data[];
};

static const struct inode_ops procfs_dir_ops, procfs_file_ops;
static const struct file_ops procfs_root_fops, procfs_pid_fops, procfs_task_fops, procfs_tid_fops,
	procfs_text_fops;

/* ---- the files' text ------------------------------------------------------- */

/* Append to buf (size TEXT_MAX) at *len. */
#define TEXT_ADD(buf, len, ...)                                                       \
	(*(len) += (size_t)ksnprintf((buf) + *(len), TEXT_MAX - *(len), __VA_ARGS__), \
	 *(len) = MIN(*(len), TEXT_MAX - 1))

static void meminfo_line(char *buf, size_t *len, const char *name, uint64_t frames)
{
	TEXT_ADD(buf, len, "%-15s %8lu kB\n", name, frames * 4);
}

static size_t meminfo_text(char *buf)
{
	struct frame_stats fs;
	struct heap_stats hs;
	struct pcache_stats ps;
	size_t len = 0;

	frame_get_stats(&fs);
	heap_get_stats(&hs);
	pcache_get_stats(&ps);
	meminfo_line(buf, &len, "MemTotal:", fs.total);
	meminfo_line(buf, &len, "MemFree:", fs.free);
	meminfo_line(buf, &len, "MemAvailable:", fs.free + ps.pages); /* the cache gives way */
	meminfo_line(buf, &len, "Buffers:", 0);
	/* FUSE file data (fs/pcache.c) and, as on Linux, tmpfs files (Shmem) */
	meminfo_line(buf, &len, "Cached:", ps.pages + tmpfs_pages());
	meminfo_line(buf, &len, "SwapTotal:", 0);
	meminfo_line(buf, &len, "SwapFree:", 0);
	meminfo_line(buf, &len, "Shmem:", tmpfs_pages());
	meminfo_line(buf, &len, "Slab:", hs.pages);
	meminfo_line(buf, &len, "SReclaimable:", 0);
	meminfo_line(buf, &len, "SUnreclaim:", hs.pages);
	meminfo_line(buf, &len, "KernelStack:", frame_count(FRAME_STACK));
	meminfo_line(buf, &len, "PageTables:", frame_count(FRAME_PAGETABLE));
	return len;
}

/* /proc/uptime: "up.cc idle.cc" in seconds. */
static size_t uptime_text(char *buf)
{
	struct sched_stats st;
	uint64_t ms = timer_uptime_ms();
	uint64_t idle_cs = 0;
	size_t len = 0;

	sched_get_stats(&st);
	idle_cs = st.idle_ticks * 100 / TIMER_HZ;
	TEXT_ADD(buf, &len, "%lu.%02lu %lu.%02lu\n", ms / 1000, ms % 1000 / 10, idle_cs / 100,
		 idle_cs % 100);
	return len;
}

static bool thread_asleep(const struct thread *t)
{
	return t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING;
}

/* Linux's state letter for p, or its thread t if not NULL (see the top). */
static char proc_state_letter(const struct proc *p, const struct thread *t)
{
	if (p->state == PROC_ZOMBIE)
		return 'Z';
	if (p->stopped)
		return 'T'; /* before S: a stopped process sleeps until SIGCONT */
	if (t)
		return thread_asleep(t) ? 'S' : 'R';
	list_for_each(n, &p->threads) {
		struct thread *th = list_entry(n, struct uthread, node)->thread;

		if (th && !thread_asleep(th))
			return 'R';
	}
	return 'S';
}

static const char *proc_state_word(char letter)
{
	switch (letter) {
	case 'Z':
		return "Z (zombie)";
	case 'T':
		return "T (stopped)";
	case 'S':
		return "S (sleeping)";
	}
	return "R (running)";
}

/* The scheduler's level of thread t, or of p's first thread (the default
 * once it has exited). */
static int proc_priority(const struct proc *p, const struct thread *t)
{
	if (t)
		return t->prio;
	return p->state == PROC_ZOMBIE || !p->thread ? SCHED_PRIO_DEFAULT : p->thread->prio;
}

/* Pages of p's address space: with a frame (rss), and in its areas,
 * touched or not (size: what RLIMIT_AS counts). */
static void proc_pages(const struct proc *p, uint64_t *rss, uint64_t *size)
{
	*rss = p->uvm ? p->uvm->pages : 0;
	*size = p->uvm ? p->uvm->total_pages : 0;
}

/* The process and thread a thread directory's tid names, or NULL.
 * Interrupts off. */
static struct proc *tid_proc(int tid, struct thread **t)
{
	*t = thread_find(tid);
	if (!*t || !(*t)->owner || (*t)->state == THREAD_EXITED)
		return NULL;
	return (*t)->owner->proc;
}

/* status or stat of process p (t NULL) or of its thread t.  Interrupts off. */
static size_t proc_text(const struct proc *p, const struct thread *t, int which, char *buf)
{
	char state = proc_state_letter(p, t);
	int prio = proc_priority(p, t);
	int ppid = p->parent ? p->parent->pid : 0;
	int id = t ? t->tid : p->pid;
	uint64_t rss, size;
	size_t len = 0;

	proc_pages(p, &rss, &size);
	if (which == PID_STAT) {
		/* pid (comm) state ppid pgrp session tty_nr tpgid flags, 10
		 * fault and time counts, priority nice num_threads
		 * itrealvalue starttime vsize rss, then 28 more. */
		TEXT_ADD(buf, &len,
			 "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 %d %d %d 0 0 %lu %lu", id,
			 p->name, state, ppid, p->pgid, p->sid, prio, prio - SCHED_PRIO_DEFAULT,
			 p->nthreads, size * 4096, rss);
		for (int i = 0; i < 28; i++)
			TEXT_ADD(buf, &len, " 0");
		TEXT_ADD(buf, &len, "\n");
		return len;
	}
	TEXT_ADD(buf, &len, "Name:\t%s\nState:\t%s\n", p->name, proc_state_word(state));
	TEXT_ADD(buf, &len, "Tgid:\t%d\nPid:\t%d\nPPid:\t%d\n", p->pid, id, ppid);
	TEXT_ADD(buf, &len, "Priority:\t%d\nNice:\t%d\n", prio, prio - SCHED_PRIO_DEFAULT);
	TEXT_ADD(buf, &len, "VmSize:\t%8lu kB\nVmRSS:\t%8lu kB\n", size * 4, rss * 4);
	TEXT_ADD(buf, &len, "Threads:\t%d\n", p->nthreads);
	TEXT_ADD(buf, &len, "Syscalls:\t%lu\n", p->syscalls);
	return len;
}

/* /proc/<pid>/maps of process p: as Linux's show_map_vma, a label is
 * padded to column 73.  Interrupts off. */
static size_t maps_text(struct proc *p, char *buf)
{
	struct uvm_area a[MAPS_MAX];
	int n = p->uvm ? uvm_areas(p->uvm, a, MAPS_MAX) : 0;
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		size_t start = len;

		TEXT_ADD(buf, &len, "%08lx-%08lx %c%c%c%c 00000000 00:00 0 ", a[i].start, a[i].end,
			 a[i].prot & UVM_READ ? 'r' : '-', a[i].prot & UVM_WRITE ? 'w' : '-',
			 a[i].prot & UVM_EXEC ? 'x' : '-', a[i].shared ? 's' : 'p');
		if (*a[i].label)
			TEXT_ADD(buf, &len, "%*s%s",
				 (int)(len - start < 73 ? 73 - (len - start) : 0), "", a[i].label);
		TEXT_ADD(buf, &len, "\n");
	}
	return len;
}

/* The text of file ino: /proc/<pid>/status, cmdline, stat or maps, or a
 * thread's; -ESRCH if the process or thread is gone. */
static int64_t pid_text(uint64_t ino, char *buf)
{
	int id = (int)(ino >> PID_SHIFT), which = (int)(ino & 7);
	uint64_t flags = irq_save();
	struct thread *t = NULL;
	struct proc *p = ino & TID_DIR ? tid_proc(id, &t) : proc_find(id);
	int64_t len;

	if (!p)
		len = -ESRCH;
	else if (which == PID_CMDLINE)
		len = (int64_t)MIN(p->cmdline_len, (size_t)TEXT_MAX);
	else if (which == PID_MAPS)
		len = (int64_t)maps_text(p, buf);
	else
		len = (int64_t)proc_text(p, t, which, buf);
	if (p && which == PID_CMDLINE)
		memcpy(buf, p->cmdline, (size_t)len);
	irq_restore(flags);
	return len;
}

static int procfs_open(struct inode *ino, struct file *f)
{
	struct procfs_text *t = kmalloc(sizeof(*t) + TEXT_MAX);
	int64_t len;

	if (!t)
		return -ENOMEM;
	if (ino->ino == INO_MEMINFO)
		len = (int64_t)meminfo_text(t->data);
	else if (ino->ino == INO_MOUNTS)
		len = (int64_t)MIN(vfs_mounts_text(t->data, TEXT_MAX), (size_t)TEXT_MAX);
	else if (ino->ino == INO_UPTIME)
		len = (int64_t)uptime_text(t->data);
	else
		len = pid_text(ino->ino, t->data);
	if (len < 0) {
		kfree(t);
		return (int)len;
	}
	t->len = (size_t)len;
	f->priv = t;
	f->ops = &procfs_text_fops;
	return 0;
}

static int64_t procfs_read(struct file *f, const struct vbuf *buf, size_t count, uint64_t pos)
{
	struct procfs_text *t = f->priv;
	size_t n;

	if (pos >= t->len)
		return 0;
	n = MIN(count, t->len - pos);
	return vbuf_to(buf, 0, t->data + pos, n) ? -EFAULT : (int64_t)n;
}

static void procfs_release(struct file *f)
{
	kfree(f->priv);
}

/* ---- directories ------------------------------------------------------------- */

static int procfs_inode(struct fs *fs, uint64_t ino, uint32_t mode, struct inode **out)
{
	bool is_new;
	struct inode *i = inode_get(fs, ino, &is_new);

	if (!i)
		return -ENOMEM;
	if (is_new) {
		i->mode = mode;
		i->ops = S_ISDIR(mode) ? &procfs_dir_ops : &procfs_file_ops;
		i->fops = ino == INO_ROOT          ? &procfs_root_fops
			  : !S_ISDIR(mode)         ? &procfs_text_fops
			  : (ino & 15) == PID_TASK ? &procfs_task_fops
			  : (ino & 15) == TID_DIR  ? &procfs_tid_fops
						   : &procfs_pid_fops;
	}
	*out = i;
	return 0;
}

/* A process number: digits only, no leading zero; -1 if not. */
static int parse_pid(const char *name)
{
	const char *end;
	uint64_t v;

	if (name[0] < '1' || name[0] > '9')
		return -1;
	v = str_to_u64(name, &end);
	return *end || v > INT32_MAX ? -1 : (int)v;
}

/* In /proc/<pid>/task: the directory of thread tid if it is p's. */
static int procfs_lookup_tid(struct inode *dir, const char *name, struct inode **out)
{
	int tid = parse_pid(name), pid = (int)(dir->ino >> PID_SHIFT);
	uint64_t flags = irq_save();
	struct thread *t;
	struct proc *p = tid > 0 ? tid_proc(tid, &t) : NULL;
	bool ours = p && p->pid == pid;

	irq_restore(flags);
	if (!ours)
		return -ENOENT;
	return procfs_inode(dir->fs, ((uint64_t)tid << PID_SHIFT) + TID_DIR, S_IFDIR | 0555, out);
}

/* In /proc/<pid> or /proc/<pid>/task/<tid>: its files. */
static int procfs_lookup_file(struct inode *dir, const char *name, struct inode **out)
{
	uint64_t base = dir->ino & ~15ull, sub = dir->ino & TID_DIR;

	if (strcmp(name, "status") == 0)
		return procfs_inode(dir->fs, base + sub + PID_STATUS, S_IFREG | 0444, out);
	if (strcmp(name, "cmdline") == 0 && !sub)
		return procfs_inode(dir->fs, base + PID_CMDLINE, S_IFREG | 0444, out);
	if (strcmp(name, "stat") == 0)
		return procfs_inode(dir->fs, base + sub + PID_STAT, S_IFREG | 0444, out);
	if (strcmp(name, "task") == 0 && !sub)
		return procfs_inode(dir->fs, base + PID_TASK, S_IFDIR | 0555, out);
	if (strcmp(name, "maps") == 0 && !sub)
		return procfs_inode(dir->fs, base + PID_MAPS, S_IFREG | 0444, out);
	return -ENOENT;
}

static int procfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
	int pid;

	if ((dir->ino & 15) == PID_TASK)
		return procfs_lookup_tid(dir, name, out);
	if (dir->ino != INO_ROOT)
		return procfs_lookup_file(dir, name, out);
	if (strcmp(name, "meminfo") == 0)
		return procfs_inode(dir->fs, INO_MEMINFO, S_IFREG | 0444, out);
	if (strcmp(name, "mounts") == 0)
		return procfs_inode(dir->fs, INO_MOUNTS, S_IFREG | 0444, out);
	if (strcmp(name, "uptime") == 0)
		return procfs_inode(dir->fs, INO_UPTIME, S_IFREG | 0444, out);
	if (strcmp(name, "self") == 0)
		pid = proc_current() ? proc_current()->pid : -1;
	else
		pid = parse_pid(name);
	if (pid <= 0 || !proc_find(pid))
		return -ENOENT;
	return procfs_inode(dir->fs, (uint64_t)pid << PID_SHIFT, S_IFDIR | 0555, out);
}

/*
 * The root: positions 0-5 are the fixed names, then NFIXED + pid for
 * process pid, so a process that comes or goes between two getdents64
 * calls moves no other entry.
 */
static int procfs_root_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	static const char *const fixed[NFIXED] = {
		".", "..", "meminfo", "mounts", "self", "uptime"
	};
	static const uint64_t fixed_ino[NFIXED] = { INO_ROOT,   INO_ROOT, INO_MEMINFO,
						    INO_MOUNTS, 4,        INO_UPTIME };
	int pids[PIDS_MAX];
	int n;

	(void)f;
	for (; *pos < NFIXED; (*pos)++) {
		uint64_t i = *pos;
		uint32_t mode = i == 2 || i == 3 || i == 5 ? S_IFREG : S_IFDIR;

		if (!fill(ctx, fixed[i], fixed_ino[i], mode, i + 1))
			return 0;
	}
	n = proc_list_pids(pids, PIDS_MAX);
	for (int i = 0; i < n; i++) {
		char name[16];

		if ((uint64_t)pids[i] + NFIXED < *pos)
			continue;
		ksnprintf(name, sizeof(name), "%d", pids[i]);
		if (!fill(ctx, name, (uint64_t)pids[i] << PID_SHIFT, S_IFDIR,
			  (uint64_t)pids[i] + NFIXED + 1))
			return 0;
		*pos = (uint64_t)pids[i] + NFIXED + 1;
	}
	return 0;
}

static int procfs_pid_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	static const char *const names[] = {
		".", "..", "status", "cmdline", "stat", "task", "maps"
	};
	uint64_t base = f->inode->ino & ~15ull;

	for (; *pos < ARRAY_SIZE(names); (*pos)++) {
		uint64_t i = *pos;
		uint64_t ino = i == 0 ? base : i == 1 ? INO_ROOT : base + i - 1;

		if (!fill(ctx, names[i], ino, i < 2 || i == 5 ? S_IFDIR : S_IFREG, i + 1))
			break;
	}
	return 0;
}

/* The tids of process pid's threads, at most max, in list order (which
 * is creation order).  How many. */
static int proc_tids(int pid, int *tids, int max)
{
	uint64_t flags = irq_save();
	struct proc *p = proc_find(pid);
	int n = 0;

	if (p) {
		list_for_each(node, &p->threads) {
			struct thread *t = list_entry(node, struct uthread, node)->thread;

			if (t && n < max)
				tids[n++] = t->tid;
		}
	}
	irq_restore(flags);
	return n;
}

/* /proc/<pid>/task: ".", "..", then one directory per thread; position
 * 2 + i is the i-th thread of the list. */
static int procfs_task_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	uint64_t base = f->inode->ino & ~15ull;
	int tids[PIDS_MAX];
	int n = proc_tids((int)(base >> PID_SHIFT), tids, PIDS_MAX);

	for (; *pos < 2 + (uint64_t)n; (*pos)++) {
		uint64_t i = *pos;
		char name[16] = ".";
		uint64_t ino = i == 0 ? base + PID_TASK : base;

		if (i == 1)
			strlcpy(name, "..", sizeof(name));
		if (i >= 2) {
			ksnprintf(name, sizeof(name), "%d", tids[i - 2]);
			ino = ((uint64_t)tids[i - 2] << PID_SHIFT) + TID_DIR;
		}
		if (!fill(ctx, name, ino, S_IFDIR, i + 1))
			break;
	}
	return 0;
}

/* /proc/<pid>/task/<tid>: ".", "..", status, stat. */
static int procfs_tid_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn *fill, void *ctx)
{
	static const char *const names[] = { ".", "..", "status", "stat" };
	static const int subs[] = { TID_DIR, 0, TID_DIR + PID_STATUS, TID_DIR + PID_STAT };
	uint64_t base = f->inode->ino & ~15ull;

	for (; *pos < ARRAY_SIZE(names); (*pos)++) {
		uint64_t i = *pos;
		/* "..": the task directory, which is the process's (unknown here:
		 * the root stands in for it, as for a vanished process). */
		uint64_t ino = i == 1 ? INO_ROOT : base + subs[i];

		if (!fill(ctx, names[i], ino, i < 2 ? S_IFDIR : S_IFREG, i + 1))
			break;
	}
	return 0;
}

static const struct inode_ops procfs_dir_ops = { .lookup = procfs_lookup };
static const struct inode_ops procfs_file_ops = { .open = procfs_open };
static const struct file_ops procfs_root_fops = { .readdir = procfs_root_readdir };
static const struct file_ops procfs_pid_fops = { .readdir = procfs_pid_readdir };
static const struct file_ops procfs_task_fops = { .readdir = procfs_task_readdir };
static const struct file_ops procfs_tid_fops = { .readdir = procfs_tid_readdir };
static const struct file_ops procfs_text_fops = { .read = procfs_read, .release = procfs_release };

static int procfs_mount(const char *source, const char *data, unsigned long flags, struct fs **out);
static struct fs_type procfs_type = { .name = "proc", .mount = procfs_mount };

static int procfs_mount(const char *source, const char *data, unsigned long flags, struct fs **out)
{
	struct fs *fs = fs_alloc(&procfs_type);

	(void)source, (void)data, (void)flags;
	if (!fs)
		return -ENOMEM;
	if (procfs_inode(fs, INO_ROOT, S_IFDIR | 0555, &fs->root) != 0) {
		kfree(fs);
		return -ENOMEM;
	}
	*out = fs;
	return 0;
}

void procfs_init(void)
{
	vfs_register_type(&procfs_type);
}
