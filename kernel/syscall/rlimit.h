/*
 * Resource limits (see sys_rlimit.c): Linux's struct rlimit and RLIMIT_*
 * numbers, a table of them in every process (struct proc's rlim),
 * inherited across fork and kept across exec.
 */
#ifndef SYSCALL_RLIMIT_H
#define SYSCALL_RLIMIT_H

#include <types.h>

struct proc;

/* Linux's numbers (<uapi/asm-generic/resource.h>). */
#define RLIMIT_CPU        0
#define RLIMIT_FSIZE      1
#define RLIMIT_DATA       2
#define RLIMIT_STACK      3
#define RLIMIT_CORE       4
#define RLIMIT_RSS        5
#define RLIMIT_NPROC      6
#define RLIMIT_NOFILE     7
#define RLIMIT_MEMLOCK    8
#define RLIMIT_AS         9
#define RLIMIT_LOCKS      10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE   12
#define RLIMIT_NICE       13
#define RLIMIT_RTPRIO     14
#define RLIMIT_RTTIME     15
#define RLIM_NLIMITS      16
#define RLIM_INFINITY     (~0ull)

struct rlimit {
	uint64_t rlim_cur; /* soft limit: what is enforced */
	uint64_t rlim_max; /* hard limit: the ceiling of rlim_cur */
};

/* Fill p's table: a copy of its parent's, or Linux's defaults without
 * one (the kernel started it). */
void rlimit_init(struct proc *p);
/* The soft limit of resource for the current process (the default for a
 * kernel thread). */
uint64_t rlimit_cur(int resource);

#endif
