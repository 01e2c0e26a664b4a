/*
 * uapi/os/msg.h -- message passing by pid: the limits and flags of
 * os_send and os_recv (<os/os.h> declares the functions).
 *
 * Shared word for word by the kernel and the C library (installed as
 * <os/msg.h>); plain C macros only, like <os/syscall.h>.
 *
 * A message is up to OS_MSG_MAX bytes.  Up to OS_MSG_INLINE_MAX bytes are
 * copied; a larger one moves the sender's pages instead (its buffer must
 * be page aligned; the pages leave the sender as if unmapped and appear
 * in the receiver's buffer if that is page aligned, else they are copied
 * there).  Each process's mailbox holds at most OS_MSG_QUEUE_MAX messages.
 */
#ifndef UAPI_OS_MSG_H
#define UAPI_OS_MSG_H

#define OS_MSG_INLINE_MAX 4096      /* bytes copied; larger messages move pages */
#define OS_MSG_MAX        (1 << 20) /* the largest message: 1 MiB */
#define OS_MSG_QUEUE_MAX  64        /* messages a mailbox holds */

#define OS_MSG_PARENT 0 /* os_send's pid: the caller's parent */
#define OS_MSG_ANY    0 /* os_recv's from: any sender */

#define OS_MSG_NONBLOCK 1 /* flags: EAGAIN instead of waiting */

#endif /* UAPI_OS_MSG_H */
