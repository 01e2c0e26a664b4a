/*
 * Pipes: a one-way byte stream between two open files (fs/pipe.c).
 *
 * pipe_create makes a pipe and its two ends, a file open for reading and
 * one open for writing, as pipe(2) hands them out.  The ends are ordinary
 * open file descriptions (vfs.h): dup(2) and fork(2) share them, and the
 * pipe lives until the last descriptor of both ends is closed.  fstat
 * shows S_IFIFO; lseek is -ESPIPE; ioctl FIONREAD tells the bytes waiting.
 *
 * The semantics are Linux's (pipe(7)): a ring of PIPE_SIZE bytes; a write
 * of at most PIPE_BUF bytes goes in whole or not at all (never mixed with
 * another writer's bytes); a read returns what is there (at most count),
 * waiting for at least one byte, and 0 (end of file) once no writer is
 * left; a write with no reader left gets -EPIPE and SIGPIPE.  With
 * O_NONBLOCK, a read or write that would wait is -EAGAIN instead.  Waiting
 * is interruptible: a signal makes it -EINTR (or a short count).
 */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include <types.h>

struct file;

#define PIPE_SIZE (64 * 1024) /* the ring: Linux's default capacity */
#define PIPE_BUF  4096        /* writes up to this size are atomic */

/*
 * A new pipe: *rd (O_RDONLY) and *wr (O_WRONLY), each with one reference,
 * with O_NONBLOCK from flags on both.  0 or -ENOMEM.
 */
int pipe_create(unsigned int flags, struct file **rd, struct file **wr);
/* Is f an end of a pipe? */
bool pipe_is(const struct file *f);

#endif
