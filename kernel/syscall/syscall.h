/*
 * System calls: the table, the dispatcher and the handlers.
 *
 * A program makes a system call with the `syscall` instruction, Linux's way:
 * number in %rax, arguments in %rdi %rsi %rdx %r10 %r8 %r9, result in %rax,
 * -errno on failure.  syscall.S saves the registers as a trapframe and calls
 * syscall_dispatch(tf), which looks the number up in the table
 * (syscall.c): Linux's numbers for the POSIX calls kestrel implements,
 * <os/syscall.h>'s numbers (from 1000) for its own.  Anything else is
 * -ENOSYS, and the console says so once per number.
 *
 * Each table entry also says how to print the call's arguments and result
 * (struct syscall_desc), for the tracer (trace.c): `trace=NAME` on the
 * command line or os_trace(pid, 1) prints every call of a process, e.g.
 *     [hello:1] write(1, "hello, world\n", 13) = 13
 *
 * The handlers, sys_NAME, are grouped by topic in sys_*.c.  They take their
 * arguments with their C types (an `int` argument uses only the low 32 bits
 * of its register, as on Linux) and user pointers as uptr_t; they check
 * everything, copy through usercopy.h and return a value or -errno.  They
 * run in the calling process's thread with interrupts on, and may sleep.
 */
#ifndef SYSCALL_SYSCALL_H
#define SYSCALL_SYSCALL_H

#include <types.h>
#include <uapi/os/syscall.h>
#include "mm/usercopy.h"

struct trapframe;
struct proc;

/* Linux x86_64 system call numbers of the calls in the table
 * (arch/x86/entry/syscalls/syscall_64.tbl). */
#define SYS_read            0
#define SYS_write           1
#define SYS_open            2
#define SYS_close           3
#define SYS_stat            4
#define SYS_fstat           5
#define SYS_lstat           6
#define SYS_poll            7
#define SYS_lseek           8
#define SYS_mmap            9
#define SYS_mprotect        10
#define SYS_munmap          11
#define SYS_brk             12
#define SYS_rt_sigaction    13
#define SYS_rt_sigprocmask  14
#define SYS_rt_sigreturn    15
#define SYS_ioctl           16
#define SYS_pread64         17
#define SYS_pwrite64        18
#define SYS_readv           19
#define SYS_writev          20
#define SYS_access          21
#define SYS_pipe            22
#define SYS_select          23
#define SYS_sched_yield     24
#define SYS_madvise         28
#define SYS_dup             32
#define SYS_dup2            33
#define SYS_pause           34
#define SYS_nanosleep       35
#define SYS_getitimer       36
#define SYS_alarm           37
#define SYS_setitimer       38
#define SYS_getpid          39
#define SYS_clone           56
#define SYS_fork            57
#define SYS_vfork           58
#define SYS_execve          59
#define SYS_exit            60
#define SYS_wait4           61
#define SYS_kill            62
#define SYS_uname           63
#define SYS_fcntl           72
#define SYS_fsync           74
#define SYS_fdatasync       75
#define SYS_truncate        76
#define SYS_ftruncate       77
#define SYS_getcwd          79
#define SYS_chdir           80
#define SYS_fchdir          81
#define SYS_rename          82
#define SYS_mkdir           83
#define SYS_rmdir           84
#define SYS_creat           85
#define SYS_unlink          87
#define SYS_gettimeofday    96
#define SYS_getrlimit       97
#define SYS_getuid          102
#define SYS_getgid          104
#define SYS_geteuid         107
#define SYS_getegid         108
#define SYS_setpgid         109
#define SYS_getppid         110
#define SYS_getpgrp         111
#define SYS_setsid          112
#define SYS_getpgid         121
#define SYS_getsid          124
#define SYS_rt_sigpending   127
#define SYS_rt_sigsuspend   130
#define SYS_sigaltstack     131
#define SYS_mknod           133
#define SYS_statfs          137
#define SYS_fstatfs         138
#define SYS_getpriority     140
#define SYS_setpriority     141
#define SYS_prctl           157
#define SYS_arch_prctl      158
#define SYS_setrlimit       160
#define SYS_mount           165
#define SYS_umount2         166
#define SYS_iopl            172
#define SYS_ioperm          173
#define SYS_gettid          186
#define SYS_futex           202
#define SYS_tkill           200
#define SYS_getdents64      217
#define SYS_set_tid_address 218
#define SYS_clock_gettime   228
#define SYS_clock_getres    229
#define SYS_clock_nanosleep 230
#define SYS_exit_group      231
#define SYS_tgkill          234
#define SYS_openat          257
#define SYS_mkdirat         258
#define SYS_mknodat         259
#define SYS_newfstatat      262
#define SYS_unlinkat        263
#define SYS_renameat        264
#define SYS_faccessat       269
#define SYS_pselect6        270
#define SYS_ppoll           271
#define SYS_utimensat       280
#define SYS_dup3            292
#define SYS_pipe2           293
#define SYS_prlimit64       302
#define SYS_renameat2       316

/* How the tracer prints an argument. */
enum syscall_arg {
	ARG_NONE,
	ARG_INT,      /* int, decimal */
	ARG_LONG,     /* long, decimal */
	ARG_HEX,      /* flags and other bit sets */
	ARG_PTR,      /* a pointer it does not follow: 0x... or NULL */
	ARG_STR,      /* a NUL-terminated string, read from the process */
	ARG_BUF_IN,   /* bytes given to the kernel; the next argument is their count */
	ARG_BUF_OUT,  /* bytes the kernel fills in; as many as the result says */
	ARG_IOV,      /* struct iovec[], count in the next argument */
	ARG_PROT,     /* mmap's PROT_* */
	ARG_MAP,      /* mmap's MAP_* */
	ARG_CLOCK,    /* CLOCK_REALTIME, ... */
	ARG_IOCTL,    /* an ioctl request: TIOCGWINSZ, ... */
	ARG_ARCH,     /* arch_prctl's code: ARCH_SET_FS, ... */
	ARG_TIMESPEC, /* a struct timespec given to the kernel */
};

/* How the tracer prints the result (errors always as -ENAME). */
enum syscall_ret {
	RET_INT,  /* decimal */
	RET_PTR,  /* 0x... (mmap, brk) */
	RET_NONE, /* does not return (exit): printed before the call, "= ?" */
};

/* The handlers' common type: six register-sized arguments (see syscall.c). */
typedef int64_t (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

struct syscall_desc {
	const char *name;
	syscall_fn fn;
	uint8_t nargs;
	uint8_t args[6]; /* enum syscall_arg */
	uint8_t ret;     /* enum syscall_ret */
};

/* Set up the syscall entry (MSRs): once at boot, from proc_init. */
void syscall_init(void);
/* The C side of the entry: run the call in tf->rax with tf's arguments and
 * put the result in tf->rax. */
void syscall_dispatch(struct trapframe *tf);
/* The table entry of call nr, or NULL if it is not implemented. */
const struct syscall_desc *syscall_lookup(uint64_t nr);
/* Linux's name for call nr ("prlimit64"), or NULL. */
const char *syscall_linux_name(uint64_t nr);

/* ---- tracing (trace.c) ---------------------------------------------------- */

/* Should a new process named name be traced (`trace=NAME`, `trace=all`)? */
bool trace_wanted(const char *name);
/* Print one traced call of the current process p: "[name:pid] call(args) =
 * result".  For a call that does not return, done is false and the line
 * ends in "= ?". */
void trace_call(struct proc *p, uint64_t nr, const struct syscall_desc *d, const uint64_t args[6],
		int64_t ret, bool done);
/* "EFAULT" for 14, ...; NULL for a number it does not know. */
const char *errno_name(int err);

/* ---- the handlers (sys_*.c) ----------------------------------------------- */

/* sys_io.c: reading and writing descriptors. */
int64_t sys_read(int fd, uptr_t buf, size_t count);
int64_t sys_write(int fd, uptr_t buf, size_t count);
int64_t sys_readv(int fd, uptr_t iov, int iovcnt);
int64_t sys_writev(int fd, uptr_t iov, int iovcnt);
int64_t sys_pread64(int fd, uptr_t buf, size_t count, int64_t offset);
int64_t sys_pwrite64(int fd, uptr_t buf, size_t count, int64_t offset);
int64_t sys_lseek(int fd, int64_t offset, int whence);
int64_t sys_close(int fd);
int64_t sys_ioctl(int fd, unsigned long request, uptr_t arg);

/* sys_fs.c: files by path. */
int64_t sys_open(uptr_t path, int flags, uint32_t mode);
int64_t sys_openat(int dirfd, uptr_t path, int flags, uint32_t mode);
int64_t sys_creat(uptr_t path, uint32_t mode);
int64_t sys_stat(uptr_t path, uptr_t buf);
int64_t sys_lstat(uptr_t path, uptr_t buf);
int64_t sys_newfstatat(int dirfd, uptr_t path, uptr_t buf, int flags);
int64_t sys_access(uptr_t path, int mode);
int64_t sys_faccessat(int dirfd, uptr_t path, int mode);
int64_t sys_truncate(uptr_t path, int64_t length);
int64_t sys_statfs(uptr_t path, uptr_t buf);
int64_t sys_chdir(uptr_t path);
int64_t sys_getcwd(uptr_t buf, size_t size);
int64_t sys_mount(uptr_t source, uptr_t target, uptr_t fstype, unsigned long flags, uptr_t data);
int64_t sys_umount2(uptr_t target, int flags);

/* sys_dir.c: changing directories. */
int64_t sys_mkdir(uptr_t path, uint32_t mode);
int64_t sys_mkdirat(int dirfd, uptr_t path, uint32_t mode);
int64_t sys_rmdir(uptr_t path);
int64_t sys_unlink(uptr_t path);
int64_t sys_unlinkat(int dirfd, uptr_t path, int flags);
int64_t sys_rename(uptr_t oldpath, uptr_t newpath);
int64_t sys_renameat(int olddirfd, uptr_t oldpath, int newdirfd, uptr_t newpath);
int64_t sys_renameat2(int olddirfd, uptr_t oldpath, int newdirfd, uptr_t newpath,
		      unsigned int flags);
int64_t sys_mknod(uptr_t path, uint32_t mode, unsigned int dev);
int64_t sys_mknodat(int dirfd, uptr_t path, uint32_t mode, unsigned int dev);
/* sys_prio.c: Linux's nice values */
int64_t sys_getpriority(int which, int who);
int64_t sys_setpriority(int which, int who, int nice);
/* sys_utime.c */
int64_t sys_utimensat(int dirfd, uptr_t path, uptr_t times, int flags);

/* sys_fd.c: descriptors. */
int64_t sys_dup(int oldfd);
int64_t sys_dup2(int oldfd, int newfd);
int64_t sys_dup3(int oldfd, int newfd, int flags);
int64_t sys_fcntl(int fd, int cmd, uint64_t arg);
int64_t sys_fstat(int fd, uptr_t buf);
int64_t sys_fstatfs(int fd, uptr_t buf);
int64_t sys_getdents64(int fd, uptr_t buf, size_t count);
int64_t sys_fchdir(int fd);
int64_t sys_ftruncate(int fd, int64_t length);
int64_t sys_fsync(int fd);
int64_t sys_fdatasync(int fd);

/* sys_pipe.c */
int64_t sys_pipe(uptr_t fds);
int64_t sys_pipe2(uptr_t fds, int flags);

/* sys_poll.c */
int64_t sys_poll(uptr_t fds, unsigned int nfds, int timeout_ms);
int64_t sys_ppoll(uptr_t fds, unsigned int nfds, uptr_t ts, uptr_t sigmask, size_t sigsetsize);
int64_t sys_select(int nfds, uptr_t readfds, uptr_t writefds, uptr_t exceptfds, uptr_t tv);
int64_t sys_pselect6(int nfds, uptr_t readfds, uptr_t writefds, uptr_t exceptfds, uptr_t ts,
		     uptr_t sig);

/* sys_mem.c */
int64_t sys_brk(uptr_t addr);
int64_t sys_mmap(uptr_t addr, size_t len, int prot, int flags, int fd, int64_t offset);
int64_t sys_munmap(uptr_t addr, size_t len);
int64_t sys_madvise(uptr_t addr, size_t len, int advice);
int64_t sys_mprotect(uptr_t addr, size_t len, int prot);

/* sys_rlimit.c */
int64_t sys_getrlimit(int resource, uptr_t rlim);
int64_t sys_setrlimit(int resource, uptr_t rlim);
int64_t sys_prlimit64(int pid, int resource, uptr_t new_rlim, uptr_t old_rlim);

/* sys_proc.c */
int64_t sys_exit(int status);
int64_t sys_exit_group(int status);
int64_t sys_getpid(void);
int64_t sys_getppid(void);
int64_t sys_fork(void);
int64_t sys_wait4(int pid, uptr_t status, int options, uptr_t rusage);
int64_t sys_rt_sigaction(int sig, uptr_t act, uptr_t oldact, size_t sigsetsize);
int64_t sys_rt_sigprocmask(int how, uptr_t set, uptr_t oldset, size_t sigsetsize);
int64_t sys_rt_sigpending(uptr_t set, size_t sigsetsize);
int64_t sys_rt_sigsuspend(uptr_t set, size_t sigsetsize);
int64_t sys_rt_sigreturn(void);
int64_t sys_pause(void);
int64_t sys_sigaltstack(uptr_t ss, uptr_t oss);
int64_t sys_kill(int pid, int sig);
int64_t sys_tkill(int tid, int sig);
int64_t sys_tgkill(int tgid, int tid, int sig);
int64_t sys_clone(uint64_t flags, uptr_t newsp, uptr_t ptid, uptr_t ctid, uint64_t tls);
int64_t sys_setpgid(int pid, int pgid);
int64_t sys_getpgid(int pid);
int64_t sys_getpgrp(void);
int64_t sys_setsid(void);
int64_t sys_getsid(int pid);
int64_t sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5);
int64_t sys_gettid(void);
int64_t sys_getuid(void);
int64_t sys_set_tid_address(uptr_t tidptr);
int64_t sys_arch_prctl(int code, uint64_t addr);
int64_t sys_sched_yield(void);
int64_t sys_uname(uptr_t buf);
int64_t sys_os_setpriority(int tid, int prio);
int64_t sys_os_getpriority(int tid);
int64_t sys_os_trace(int pid, int on);

/* sys_exec.c */
int64_t sys_execve(uptr_t path, uptr_t argv, uptr_t envp);

/* sys_msg.c */
int64_t sys_os_send(int pid, uptr_t buf, size_t len, int flags, uptr_t timeout);
int64_t sys_os_recv(int from, uptr_t buf, size_t cap, uptr_t sender, int flags, uptr_t timeout);
/* ipc/msgfd.c */
int64_t sys_os_msgfd(int flags);

/* sys_dev.c */
int64_t sys_os_physmap(uint64_t phys, size_t len, int prot);
int64_t sys_ioperm(uint64_t from, uint64_t num, int on);
int64_t sys_iopl(unsigned level);
int64_t sys_os_irq_attach(int irq, int flags);
int64_t sys_os_irq_ack(int irq);
int64_t sys_os_console_input(uptr_t buf, size_t len);
int64_t sys_os_serial_read(uptr_t buf, size_t len, int timeout_ms);
/* mm/dma.c */
int64_t sys_os_dma_alloc(size_t len, uptr_t phys);
/* drivers/xy.c */
int64_t sys_os_console_xy(int op, uint64_t a, uint64_t b, uint64_t c);

/* sys_time.c */
int64_t sys_clock_gettime(int clock, uptr_t ts);
int64_t sys_clock_getres(int clock, uptr_t ts);
int64_t sys_gettimeofday(uptr_t tv, uptr_t tz);
int64_t sys_nanosleep(uptr_t req, uptr_t rem);
int64_t sys_clock_nanosleep(int clock, int flags, uptr_t req, uptr_t rem);
int64_t sys_getitimer(int which, uptr_t curr);
int64_t sys_setitimer(int which, uptr_t value, uptr_t ovalue);
int64_t sys_alarm(unsigned seconds);
/* For other sleeps with timeouts (futex): the time of clock in ns, or
 * -EINVAL for an unknown clock; a struct timespec copied in and checked,
 * in ns, or -errno; the tick by which ns from now have surely passed. */
int64_t clock_now_ns(int clock);
int64_t timespec_from_user(uptr_t uts);
uint64_t ns_deadline(int64_t ns);

/* proc/futex.c */
int64_t sys_futex(uptr_t uaddr, int op, uint32_t val, uptr_t timeout, uptr_t uaddr2, uint32_t val3);

#endif
