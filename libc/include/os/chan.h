/*
 * <os/chan.h> -- direct channels: messages between a parent and its child
 * through a ring in memory they share, without entering the kernel.
 *
 * A parent makes a channel before it forks (os_chan_create, a MAP_SHARED |
 * MAP_ANONYMOUS mapping, which fork shares instead of copying), then forks
 * with os_chan_fork.  One process sends, the other receives: the ring has
 * a single producer and a single consumer, each moving its own index.  A
 * message is copied into a slot and published by a store to the tail; the
 * consumer copies it out and frees the slot by a store to the head.  No
 * system call is made while the ring is neither empty nor full: a side
 * that must wait first spins (only with more than one CPU), then yields
 * the CPU a few times (on one CPU the peer can only make progress if we
 * let it run), and only then sleeps on a futex, after saying so in the
 * ring, so that the other side makes the FUTEX_WAKE call only when someone
 * sleeps.  os_chan2 is two rings in one mapping, one per direction.
 *
 * Ring layout (one struct os_chan; offsets in bytes, all fields 32-bit
 * unsigned unless said otherwise, in the machine's byte order):
 *
 *   line 0 (0..63): the header, written by os_chan_create
 *     0   magic      OS_CHAN_MAGIC
 *     4   version    OS_CHAN_VERSION
 *     8   slots      slot count, a power of two (indices wrap mod 2^32)
 *     12  slot_size  largest message, in bytes
 *     16  stride     bytes from one slot to the next: 8 + slot_size
 *                    rounded up to 64, so each slot starts a cache line
 *     20  spin       how many times a waiter polls before it yields (0
 *                    on one CPU)
 *     24  ring, rings  this ring's index in its mapping, and how many
 *                    rings the mapping holds (1, or 2 for os_chan2); the
 *                    rings are `size` bytes apart
 *     32  size       (64-bit) bytes of one ring: 192 + slots * stride
 *     40  pid[0]     the creator (int32)
 *     44  pid[1]     the child, written by os_chan_fork (0 before; int32)
 *     48  closed     0, then 1 once either side called os_chan_close
 *   line 1 (64..127): written by the producer
 *     64  tail       messages ever sent (free running)
 *     68  recv_sleep 1 while the consumer sleeps (or is about to) for
 *                    the tail to move; its futex word
 *   line 2 (128..191): written by the consumer
 *     128 head       messages ever received (free running)
 *     132 send_sleep 1 while the producer sleeps for the head to move
 *   192: slots[slots], slot i % slots at 192 + (i % slots) * stride:
 *     0   len        bytes of the message (1..slot_size)
 *     8   data[len]
 *
 * The ring is empty when head == tail and full when tail - head == slots.
 * The two indices live on separate cache lines so that the producer's
 * stores never invalidate the line the consumer writes, and the other way
 * round; each sleep word sits on the line of the side that clears it when
 * it wakes the sleeper (the producer clears recv_sleep, the consumer
 * send_sleep), so the check that follows each store to an index reads a
 * line the checker already owns.
 *
 * Memory ordering (C11's model, through GCC's __atomic builtins):
 *  1. The producer acquire-loads head (the consumer's reads of a slot are
 *     done before the slot is reused), writes the slot with plain stores,
 *     then release-stores tail + 1: whoever acquire-loads the new tail
 *     sees the whole slot.
 *  2. The consumer acquire-loads tail, reads the slot, then release-stores
 *     head + 1.
 *  3. Sleeping is Dekker's pattern.  The waiter stores 1 to its sleep word
 *     (seq_cst), then loads the index it waits for and `closed` (seq_cst);
 *     only if nothing changed does it FUTEX_WAIT(sleep word, 1).  The other
 *     side stores its index (or `closed`), issues a seq_cst fence, then
 *     loads the sleep word: one of the two sees the other's store.  A waker
 *     that finds 1 exchanges it for 0 and calls FUTEX_WAKE; a waiter that
 *     has not yet slept then finds 0 and FUTEX_WAIT returns at once, so no
 *     wake-up is lost.  The futex word is the sleep word rather than the
 *     index so that a close, which moves no index, wakes a sleeper too.
 *  The futex calls are shared (no FUTEX_PRIVATE_FLAG): the word is in a
 *  MAP_SHARED page, keyed by its physical address, the same in both
 *  processes.
 *
 * A dead peer does not hang a waiter: a sleep lasts at most
 * OS_CHAN_CHECK_MS, after which the waiter checks the peer (pid[1] from the
 * creator, pid[0] from the child) with kill(pid, 0) and, since a zombie
 * still exists for kill, /proc/PID/stat's state; a peer that is gone or a
 * zombie gives EPIPE (messages it sent before it died are still received
 * first).  A creator that forked with plain fork(2) has no pid[1] and
 * cannot check.  Signals do not end a wait: it carries on (as with
 * SA_RESTART).
 *
 * The functions are for one producer and one consumer: two threads or
 * processes sending on one ring at the same time corrupt it.  Each returns
 * -1 and sets errno on failure.
 */
#ifndef _OS_CHAN_H
#define _OS_CHAN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OS_CHAN_MAGIC    0x4e48434bu /* "KCHN" in memory */
#define OS_CHAN_VERSION  1u
#define OS_CHAN_CHECK_MS 50 /* a sleeper checks its peer this often */

/* The ring, as laid out above.  Only the library touches the fields. */
struct os_chan {
	uint32_t magic, version, slots, slot_size, stride, spin, ring, rings;
	uint64_t size;
	int32_t pid[2];
	uint32_t closed;
	char pad0[64 - 52];
	uint32_t tail, recv_sleep;
	char pad1[64 - 8];
	uint32_t head, send_sleep;
	char pad2[64 - 8];
	unsigned char slot[]; /* slots * stride bytes */
};

/* Two rings in one mapping: ring 0 carries messages from the creator to
 * the child, ring 1 from the child to the creator. */
struct os_chan2;

/* Which process of an os_chan2 an end is for. */
#define OS_CHAN_PARENT 0 /* the creator */
#define OS_CHAN_CHILD  1 /* the child of os_chan2_fork */

/* One process's end of an os_chan2: the ring it sends on, the one it
 * receives from. */
struct os_chan_end {
	struct os_chan *tx, *rx;
};

/*
 * A new channel of `slots` slots (rounded up to a power of two) of up to
 * `slot_size` bytes each, in a fresh shared mapping; NULL with errno
 * EINVAL (slots or slot_size 0, or larger than 2^20 or 2^24) or ENOMEM.
 */
struct os_chan *os_chan_create(size_t slots, size_t slot_size);

/*
 * fork(2), and the child's pid noted in the channel, so that the creator
 * can tell when its peer is gone.  Returns as fork does.
 */
pid_t os_chan_fork(struct os_chan *ch);

/*
 * Send the len bytes at buf as one message, waiting while the ring is
 * full.  0 on success; EINVAL (len 0), EMSGSIZE (len > slot_size), EPIPE
 * (the channel was closed, or the ring is full and the peer died).
 */
int os_chan_send(struct os_chan *ch, const void *buf, size_t len);

/* os_chan_send without waiting: EAGAIN when the ring is full. */
int os_chan_try_send(struct os_chan *ch, const void *buf, size_t len);

/* os_chan_send waiting at most timeout_ms (< 0: for ever): ETIMEDOUT. */
int os_chan_timed_send(struct os_chan *ch, const void *buf, size_t len, int timeout_ms);

/*
 * Receive the next message into buf (cap bytes), waiting while the ring
 * is empty.  Returns its length; 0 once the ring is empty and the channel
 * closed; -1 with EMSGSIZE (the message is longer than cap: it stays in
 * the ring) or EPIPE (the ring is empty and the peer died).
 */
ssize_t os_chan_recv(struct os_chan *ch, void *buf, size_t cap);

/* os_chan_recv without waiting: EAGAIN when the ring is empty. */
ssize_t os_chan_try_recv(struct os_chan *ch, void *buf, size_t cap);

/* os_chan_recv waiting at most timeout_ms (< 0: for ever): ETIMEDOUT. */
ssize_t os_chan_timed_recv(struct os_chan *ch, void *buf, size_t cap, int timeout_ms);

/*
 * Close the channel (both directions of an os_chan2) and unmap it from
 * the caller.  The peer's sends then fail with EPIPE and its receives
 * return what is left in the ring, then 0; a peer asleep is woken.
 * Always 0.
 */
int os_chan_close(struct os_chan *ch);

/* A two-way channel (see struct os_chan2); as os_chan_create. */
struct os_chan2 *os_chan2_create(size_t slots, size_t slot_size);

/* fork(2) for a two-way channel; as os_chan_fork. */
pid_t os_chan2_fork(struct os_chan2 *ch);

/* The end of process `side` (OS_CHAN_PARENT or OS_CHAN_CHILD). */
struct os_chan_end os_chan2_end(struct os_chan2 *ch, int side);

/* os_chan_close of both rings. */
int os_chan2_close(struct os_chan2 *ch);

#ifdef __cplusplus
}
#endif

#endif /* _OS_CHAN_H */
