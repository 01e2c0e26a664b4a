/*
 * Pipes and FIFOs: a one-way byte stream between open files (fs/pipe.c).
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
 *
 * A FIFO (named pipe, fifo(7)) is the same stream behind an inode of type
 * S_IFIFO in a filesystem (mknod(2), mkfifo(3)): every open of it is
 * pipe_open's, which waits as Linux does for the other end to be opened.
 * Processes that share no descriptor (neither forked from the other) meet
 * through it.  Both kinds of end poll (poll.h) as Linux's pipes do.
 */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include <types.h>

struct file;
struct inode;

#define PIPE_SIZE (64 * 1024) /* the ring: Linux's default capacity */
#define PIPE_BUF  4096        /* writes up to this size are atomic */

/*
 * A new pipe: *rd (O_RDONLY) and *wr (O_WRONLY), each with one reference,
 * with O_NONBLOCK from flags on both.  0 or -ENOMEM.
 */
int pipe_create(unsigned int flags, struct file **rd, struct file **wr);
/*
 * Open the FIFO (or pipefs) inode ino as f (f->flags set): make its pipe if
 * it has none, count f in as a reader, a writer or (O_RDWR) both, and wait
 * for the other end as fifo(7) says.  Sets f->ops.  0, -ENXIO (O_WRONLY |
 * O_NONBLOCK with no reader), -EINTR (a signal ended the wait), -ENOMEM.
 * May sleep.  The VFS calls it for every open of an S_IFIFO inode.
 */
int pipe_open(struct inode *ino, struct file *f);
/* Is f an end of a pipe or a FIFO? */
bool pipe_is(const struct file *f);

#endif
