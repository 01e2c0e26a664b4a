/*
 * File descriptors: a process's table of open files (fs/fdtable.c).
 *
 * A descriptor is an index into the table of the current process, naming
 * an open file description (struct file, vfs.h) and holding one reference
 * on it; dup(2) and (later) fork(2) make two descriptors share one
 * description, offset included.  Each descriptor also has the close-on-exec
 * flag (O_CLOEXEC / FD_CLOEXEC).  A table has FD_MAX slots: asking for a
 * new descriptor when all are in use is -EMFILE, naming one at or beyond
 * FD_MAX is -EBADF (dup2, as Linux past RLIMIT_NOFILE).
 *
 * The functions without a process argument work on the current process;
 * from a kernel thread (no process) fd_get gives NULL and the others
 * -EBADF.  A table changes with interrupts off; flush and release of a
 * closed file run after, and may sleep.
 */
#ifndef FS_FDTABLE_H
#define FS_FDTABLE_H

#include <types.h>

struct file;
struct proc;

#define FD_MAX   256
#define FD_SMALL 32 /* slots in the table itself (most processes need no more) */

/*
 * files[0..cap) are the slots: the table's own small[] at first, an array
 * of FD_MAX once a descriptor at or above FD_SMALL is wanted (growing
 * allocates, so it happens before the slot is taken, never with interrupts
 * off).  Every fd at or above cap is free.  A small table fits one of the
 * heap's size classes: fork and exit pay for no whole page.
 */
struct fdtable {
	int cap;             /* FD_SMALL or FD_MAX */
	struct file **files; /* small, or a kmalloc'd array of FD_MAX */
	struct file *small[FD_SMALL];
	uint64_t cloexec[FD_MAX / 64]; /* bit fd: close on exec */
};

/* An empty table, or NULL if out of memory. */
struct fdtable *fdtable_create(void);
/* fork(2): a copy of t whose descriptors share t's open files (one more
 * reference each), close-on-exec flags included; NULL without memory. */
struct fdtable *fdtable_clone(const struct fdtable *t);
/* execve(2): close the descriptors of t marked close-on-exec. */
void fdtable_close_on_exec(struct fdtable *t);
/* Close every descriptor of t and free it (a process's exit). */
void fdtable_destroy(struct fdtable *t);

/* Put f (taking over the caller's reference) at the lowest free
 * descriptor, with O_CLOEXEC from flags: the descriptor or -EMFILE. */
int fd_install(struct file *f, unsigned int flags);
/* The same for process p (the kernel giving a new process its files). */
int proc_fd_install(struct proc *p, struct file *f);
/* The file of descriptor fd with a reference (file_put it), or NULL. */
struct file *fd_get(int fd);
/* close(2): 0 or -EBADF; flushes the file, drops the descriptor's reference. */
int fd_close(int fd);
/* A new descriptor for oldfd's file: the lowest free one >= min (dup,
 * F_DUPFD), or exactly newfd, closing what was there (dup2, dup3).
 * O_CLOEXEC in flags sets the new one's flag. */
int fd_dup_min(int oldfd, int min, unsigned int flags);
int fd_dup_to(int oldfd, int newfd, unsigned int flags);
/* FD_CLOEXEC (1) or 0, or -EBADF; and setting it. */
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool on);

#endif
