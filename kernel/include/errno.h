/*
 * Error numbers.  Kernel functions that can fail return one of these,
 * negated (`return -ENOMEM;`), and so do system calls and FUSE replies: the
 * values are Linux's (asm-generic/errno-base.h and errno.h), so that musl and
 * user programs understand them unchanged.
 */
#ifndef ERRNO_H
#define ERRNO_H

#define EPERM        1   /* operation not permitted */
#define ENOENT       2   /* no such file or directory */
#define ESRCH        3   /* no such process */
#define EINTR        4   /* interrupted system call */
#define EIO          5   /* input/output error */
#define E2BIG        7   /* argument list too long */
#define ENOEXEC      8   /* exec format error */
#define EBADF        9   /* bad file descriptor */
#define ECHILD       10  /* no child processes */
#define EAGAIN       11  /* try again */
#define ENOMEM       12  /* out of memory */
#define EACCES       13  /* permission denied */
#define EFAULT       14  /* bad address */
#define EBUSY        16  /* device or resource busy */
#define EEXIST       17  /* already exists */
#define EXDEV        18  /* cross-device link (rename across filesystems) */
#define ENODEV       19  /* no such device (or it cannot do that: mmap) */
#define ENOTDIR      20  /* not a directory */
#define EISDIR       21  /* is a directory */
#define EINVAL       22  /* invalid argument */
#define ENFILE       23  /* too many open files in the system */
#define EMFILE       24  /* too many open files */
#define ENOTTY       25  /* not a terminal */
#define EFBIG        27  /* file too large */
#define ENOSPC       28  /* no space left on device */
#define ESPIPE       29  /* illegal seek */
#define EROFS        30  /* read-only file system */
#define EPIPE        32  /* broken pipe */
#define ERANGE       34  /* result out of range */
#define ENAMETOOLONG 36  /* file name too long */
#define ENOSYS       38  /* function not implemented */
#define ENOTEMPTY    39  /* directory not empty */
#define EMSGSIZE     90  /* message too long (os_send, os_recv) */
#define ETIMEDOUT    110 /* timed out (futex, os_recv) */

/* What a FUSE connection's callers get from a server that is gone or refused it. */
#define EPROTO       71  /* protocol error */
#define ENOTCONN     107 /* not connected */
#define ECONNREFUSED 111 /* connection refused */

#endif
