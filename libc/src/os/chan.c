/*
 * Direct channels (<os/chan.h>, whose opening comment gives the ring's
 * layout and memory-ordering rules): a single-producer, single-consumer
 * ring in a shared mapping, and the rules for waiting on it.
 *
 * The fast path of a send is a check of `closed` and of the head, a copy
 * into the slot, a release store of the tail and a fence before the look
 * at recv_sleep; a receive is its mirror image.  Neither enters the
 * kernel.  A side that finds the ring full (or empty) waits in
 * chan_wait, in three steps: poll (with more than one CPU, where the
 * peer may be running right now), yield the CPU (with one CPU, the peer
 * runs only if we stop), and sleep on the futex, a slice of at most
 * OS_CHAN_CHECK_MS at a time, after which a peer that died is noticed.
 * On one CPU a stream of messages so costs a sched_yield on each side
 * per ring-full, and a round trip two yields (two context switches).
 *
 * Built inside musl's tree as src/os/chan.c, it uses public interfaces
 * only (syscall(2) for the futex, no musl internals), so that the same file
 * also compiles into a program built with Linux's musl-gcc.  musl builds
 * itself with -nostdinc, without gcc's <stdatomic.h>: the atomics are
 * GCC's __atomic builtins, the operations <stdatomic.h>'s functions are
 * made of, with C11's memory orders.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <os/chan.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* futex(2)'s operations (Linux <linux/futex.h>), shared: no PRIVATE flag. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

#define CHAN_LINE          64
#define CHAN_SLOT_HEAD     8   /* the len word and padding before a slot's data */
#define CHAN_SPINS         100 /* polls before yielding, with more than one CPU */
#define CHAN_YIELDS        16  /* sched_yield calls before sleeping */
#define CHAN_COPY_INLINE   64  /* longer messages are copied by memcpy */
#define CHAN_SLOTS_MAX     (1u << 20)
#define CHAN_SLOT_SIZE_MAX (1u << 24)

/*
 * musl builds this file with -Os, which would inline the slow paths into
 * the fast ones and call out for every copy: the fast paths save no
 * registers and make no call only if the slow paths stay out of line
 * (cold) and the small pieces are inlined, the wait into each slow path.
 */
#define CHAN_INLINE static inline __attribute__((always_inline))
#define CHAN_COLD   static __attribute__((noinline, cold))

_Static_assert(offsetof(struct os_chan, size) == 32, "the header's layout");
_Static_assert(offsetof(struct os_chan, closed) == 48, "the header's layout");
_Static_assert(offsetof(struct os_chan, tail) == 1 * CHAN_LINE, "the producer's line");
_Static_assert(offsetof(struct os_chan, head) == 2 * CHAN_LINE, "the consumer's line");
_Static_assert(offsetof(struct os_chan, slot) == 3 * CHAN_LINE, "the slots");

static int chan_fail(int err)
{
	errno = err;
	return -1;
}

/* Ring r of the mapping that holds ch. */
static struct os_chan *chan_ring(struct os_chan *ch, uint32_t r)
{
	unsigned char *base = (unsigned char *)ch - (size_t)ch->ring * ch->size;

	return (struct os_chan *)(base + (size_t)r * ch->size);
}

CHAN_INLINE unsigned char *chan_slot(struct os_chan *ch, uint32_t index)
{
	return ch->slot + (size_t)(index & (ch->slots - 1)) * ch->stride;
}

static long chan_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Polls worth making before yielding: none on one CPU, where the peer
 * cannot move while we poll.  Linux lists its CPUs in
 * /sys/devices/system/cpu/online ("0" for one, "0-3" or "0,2" for more);
 * kestrel has one CPU and no /sys.
 */
static uint32_t chan_spins(void)
{
	char buf[64];
	int fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strpbrk(buf, "-,") ? CHAN_SPINS : 0;
}

/* A mapping of `rings` rings; NULL and errno on failure. */
static struct os_chan *chan_map(size_t slots, size_t slot_size, uint32_t rings)
{
	uint32_t n = 1, stride, spin;
	uint64_t size;
	unsigned char *base;

	if (slots == 0 || slots > CHAN_SLOTS_MAX || slot_size == 0 ||
	    slot_size > CHAN_SLOT_SIZE_MAX) {
		chan_fail(EINVAL);
		return NULL;
	}
	while (n < slots)
		n *= 2;
	stride = (CHAN_SLOT_HEAD + slot_size + CHAN_LINE - 1) & ~(CHAN_LINE - 1);
	size = offsetof(struct os_chan, slot) + (uint64_t)n * stride;
	base = mmap(NULL, rings * size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	spin = chan_spins();
	for (uint32_t r = 0; r < rings; r++) { /* the rest of the mapping is zero */
		struct os_chan *ch = (struct os_chan *)(base + r * size);

		ch->magic = OS_CHAN_MAGIC;
		ch->version = OS_CHAN_VERSION;
		ch->slots = n;
		ch->slot_size = slot_size;
		ch->stride = stride;
		ch->spin = spin;
		ch->ring = r;
		ch->rings = rings;
		ch->size = size;
		ch->pid[0] = getpid();
	}
	return (struct os_chan *)base;
}

/*
 * Is the peer gone: exited and reaped (kill: ESRCH), or a zombie (state
 * Z, or X, in /proc/PID/stat, after the parenthesised name)?  Unknown
 * (no pid[1] yet, no /proc) counts as alive.
 */
static int chan_peer_gone(const struct os_chan *ch)
{
	pid_t peer = getpid() == ch->pid[0] ? ch->pid[1] : ch->pid[0];
	char path[32], buf[256], *end;
	ssize_t n;
	int fd;

	if (peer <= 0)
		return 0;
	if (kill(peer, 0) != 0)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)peer);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	end = strrchr(buf, ')');
	return end && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X');
}

/* Has what the waiter waits for happened: *watch moved on from old, or
 * the channel closed? */
CHAN_INLINE int chan_moved(struct os_chan *ch, const uint32_t *watch, uint32_t old)
{
	return __atomic_load_n(watch, __ATOMIC_SEQ_CST) != old ||
	       __atomic_load_n(&ch->closed, __ATOMIC_SEQ_CST);
}

/*
 * The last step of a wait: one sleep (the sleeper's half of rule 3) of at
 * most OS_CHAN_CHECK_MS, and up to the deadline (if not 0).  0 to look
 * again; ETIMEDOUT once the deadline has passed, EPIPE if the peer is
 * gone and said nothing more (a peer that died after its last store:
 * the index is looked at once more before giving up on it).
 */
CHAN_COLD int chan_sleep(struct os_chan *ch, const uint32_t *watch, uint32_t old, uint32_t *sleep,
			 long deadline)
{
	long ms = OS_CHAN_CHECK_MS;
	struct timespec ts;
	int expired = 0;

	if (deadline && (ms = deadline - chan_now_ms()) <= 0)
		return ETIMEDOUT;
	if (ms > OS_CHAN_CHECK_MS)
		ms = OS_CHAN_CHECK_MS;
	ts = (struct timespec){ ms / 1000, ms % 1000 * 1000000 };
	__atomic_store_n(sleep, 1, __ATOMIC_SEQ_CST);
	if (!chan_moved(ch, watch, old))
		expired = syscall(SYS_futex, sleep, FUTEX_WAIT, 1, &ts, NULL, 0) != 0 &&
			  errno == ETIMEDOUT;
	__atomic_store_n(sleep, 0, __ATOMIC_RELAXED);
	return expired && chan_peer_gone(ch) && !chan_moved(ch, watch, old) ? EPIPE : 0;
}

/*
 * Wait until *watch moves on from old (the other side's index: there is
 * room, or a message) or the channel closes: 0.  Polls first (with more
 * than one CPU), then yields, then sleeps.  EAGAIN for a timeout of 0,
 * ETIMEDOUT once timeout_ms (> 0) has passed, EPIPE once the peer is gone.
 */
CHAN_INLINE int chan_wait(struct os_chan *ch, const uint32_t *watch, uint32_t old, uint32_t *sleep,
			  int timeout_ms)
{
	long deadline = timeout_ms > 0 ? chan_now_ms() + timeout_ms : 0;
	int err;

	if (timeout_ms == 0)
		return EAGAIN;
	for (uint32_t round = 0; !chan_moved(ch, watch, old); round++) {
		if (round < ch->spin)
			__builtin_ia32_pause();
		else if (round < ch->spin + CHAN_YIELDS)
			sched_yield();
		else if ((err = chan_sleep(ch, watch, old, sleep, deadline)))
			return err;
	}
	return 0;
}

/*
 * The waker's half of rule 3: after its store to an index (or to
 * `closed`), a fence, then the sleep word; a sleeper is woken once.
 */
CHAN_COLD void chan_wake_sleeper(uint32_t *sleep)
{
	if (__atomic_exchange_n(sleep, 0, __ATOMIC_RELAXED))
		syscall(SYS_futex, sleep, FUTEX_WAKE, 1, NULL, NULL, 0);
}

CHAN_INLINE void chan_wake(uint32_t *sleep)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(sleep, __ATOMIC_RELAXED))
		chan_wake_sleeper(sleep);
}

/* Copy 8 bytes that need not be aligned. */
CHAN_INLINE void chan_copy_word(unsigned char *dst, const unsigned char *src)
{
	uint64_t word;

	__builtin_memcpy(&word, src, sizeof(word));
	__builtin_memcpy(dst, &word, sizeof(word));
}

/*
 * Copy a message to or from a slot.  Short messages, the common case, go
 * a word at a time inline (the last word overlapping the one before
 * unless the length is a multiple of 8): a call to memcpy would cost as
 * much as the rest of a send.
 */
CHAN_INLINE void chan_copy(unsigned char *dst, const unsigned char *src, size_t len)
{
	size_t i;

	if (len > CHAN_COPY_INLINE) {
		memcpy(dst, src, len);
	} else if (len < 8) {
		for (i = 0; i < len; i++)
			dst[i] = src[i];
	} else {
		for (i = 0; i + 8 < len; i += 8)
			chan_copy_word(dst + i, src + i);
		chan_copy_word(dst + len - 8, src + len - 8);
	}
}

/* Rule 1: the message into slot `tail`, which is free, then the tail. */
CHAN_INLINE int chan_put(struct os_chan *ch, uint32_t tail, const void *buf, size_t len)
{
	/* BEGIN STAGE ipc: length and bytes into the slot, then publish the tail (release), then wake a sleeping consumer */
	unsigned char *slot = chan_slot(ch, tail);

	*(uint32_t *)slot = (uint32_t)len;
	chan_copy(slot + CHAN_SLOT_HEAD, buf, len);
	__atomic_store_n(&ch->tail, tail + 1, __ATOMIC_RELEASE);
	chan_wake(&ch->recv_sleep);
	return 0;
	/* STUB
	(void)ch, (void)tail, (void)buf, (void)len, (void)chan_copy;
	return chan_fail(ENOSYS);
	END STAGE ipc */
}

/* Rule 2: the len bytes of slot `head`, which holds a message, then the
 * head. */
CHAN_INLINE ssize_t chan_take(struct os_chan *ch, uint32_t head, void *buf, uint32_t len)
{
	/* BEGIN STAGE ipc: the bytes out of the slot, then free it by publishing the head (release), then wake a sleeping producer */
	chan_copy(buf, chan_slot(ch, head) + CHAN_SLOT_HEAD, len);
	__atomic_store_n(&ch->head, head + 1, __ATOMIC_RELEASE);
	chan_wake(&ch->send_sleep);
	return len;
	/* STUB
	(void)ch, (void)head, (void)buf, (void)len;
	return chan_fail(ENOSYS);
	END STAGE ipc */
}

/* A send that is not simple: a bad length, a long message, a closed
 * channel, or a full ring. */
CHAN_COLD int chan_send_slow(struct os_chan *ch, const void *buf, size_t len, int timeout_ms)
{
	uint32_t tail = ch->tail, head;
	int err;

	if (len == 0 || len > ch->slot_size)
		return chan_fail(len ? EMSGSIZE : EINVAL);
	if (__atomic_load_n(&ch->closed, __ATOMIC_RELAXED))
		return chan_fail(EPIPE);
	head = __atomic_load_n(&ch->head, __ATOMIC_ACQUIRE);
	if (tail - head >= ch->slots) { /* full: once the head moves, there is room */
		err = chan_wait(ch, &ch->head, head, &ch->send_sleep, timeout_ms);
		if (err || __atomic_load_n(&ch->closed, __ATOMIC_RELAXED))
			return chan_fail(err ? err : EPIPE);
	}
	return chan_put(ch, tail, buf, len);
}

/* A receive that is not simple: an empty ring, a long message, or one
 * longer than cap. */
CHAN_COLD ssize_t chan_recv_slow(struct os_chan *ch, void *buf, size_t cap, int timeout_ms)
{
	uint32_t head = ch->head, len;
	int err;

	if (__atomic_load_n(&ch->tail, __ATOMIC_ACQUIRE) == head) {
		err = chan_wait(ch, &ch->tail, head, &ch->recv_sleep, timeout_ms);
		if (err)
			return chan_fail(err);
		/* Woken by a close, chan_wait loaded `closed` after the tail:
		 * the tail again, then, for what was sent before the close. */
		if (__atomic_load_n(&ch->tail, __ATOMIC_ACQUIRE) == head)
			return 0;
	}
	len = *(const uint32_t *)chan_slot(ch, head);
	if (len > cap)
		return chan_fail(EMSGSIZE);
	return chan_take(ch, head, buf, len);
}

/*
 * The fast paths: a short message, a ring neither full nor empty.  Only
 * the producer stores the tail and only the consumer the head, so each
 * reads its own index without an atomic.
 */
static int chan_send(struct os_chan *ch, const void *buf, size_t len, int timeout_ms)
{
	uint32_t tail = ch->tail;

	if (len - 1 < CHAN_COPY_INLINE && len <= ch->slot_size &&
	    !__atomic_load_n(&ch->closed, __ATOMIC_RELAXED) &&
	    tail - __atomic_load_n(&ch->head, __ATOMIC_ACQUIRE) < ch->slots)
		return chan_put(ch, tail, buf, len);
	return chan_send_slow(ch, buf, len, timeout_ms);
}

static ssize_t chan_recv(struct os_chan *ch, void *buf, size_t cap, int timeout_ms)
{
	uint32_t head = ch->head, len;

	if (__atomic_load_n(&ch->tail, __ATOMIC_ACQUIRE) != head) {
		len = *(const uint32_t *)chan_slot(ch, head);
		if (len <= cap && len <= CHAN_COPY_INLINE)
			return chan_take(ch, head, buf, len);
	}
	return chan_recv_slow(ch, buf, cap, timeout_ms);
}

struct os_chan *os_chan_create(size_t slots, size_t slot_size)
{
	return chan_map(slots, slot_size, 1);
}

pid_t os_chan_fork(struct os_chan *ch)
{
	pid_t pid = fork();

	for (uint32_t r = 0; pid > 0 && r < ch->rings; r++)
		chan_ring(ch, r)->pid[1] = pid;
	return pid;
}

int os_chan_send(struct os_chan *ch, const void *buf, size_t len)
{
	return chan_send(ch, buf, len, -1);
}

int os_chan_try_send(struct os_chan *ch, const void *buf, size_t len)
{
	return chan_send(ch, buf, len, 0);
}

int os_chan_timed_send(struct os_chan *ch, const void *buf, size_t len, int timeout_ms)
{
	return chan_send(ch, buf, len, timeout_ms);
}

ssize_t os_chan_recv(struct os_chan *ch, void *buf, size_t cap)
{
	return chan_recv(ch, buf, cap, -1);
}

ssize_t os_chan_try_recv(struct os_chan *ch, void *buf, size_t cap)
{
	return chan_recv(ch, buf, cap, 0);
}

ssize_t os_chan_timed_recv(struct os_chan *ch, void *buf, size_t cap, int timeout_ms)
{
	return chan_recv(ch, buf, cap, timeout_ms);
}

int os_chan_close(struct os_chan *ch)
{
	struct os_chan *first = chan_ring(ch, 0);
	size_t size = (size_t)ch->rings * ch->size;

	for (uint32_t r = 0; r < ch->rings; r++) {
		struct os_chan *c = chan_ring(ch, r);

		__atomic_store_n(&c->closed, 1, __ATOMIC_RELEASE);
		chan_wake(&c->recv_sleep);
		chan_wake(&c->send_sleep);
	}
	munmap(first, size);
	return 0;
}

struct os_chan2 *os_chan2_create(size_t slots, size_t slot_size)
{
	return (struct os_chan2 *)chan_map(slots, slot_size, 2);
}

pid_t os_chan2_fork(struct os_chan2 *ch)
{
	return os_chan_fork((struct os_chan *)ch);
}

struct os_chan_end os_chan2_end(struct os_chan2 *ch, int side)
{
	struct os_chan *to_child = (struct os_chan *)ch, *to_parent = chan_ring(to_child, 1);

	if (side == OS_CHAN_CHILD)
		return (struct os_chan_end){ .tx = to_parent, .rx = to_child };
	return (struct os_chan_end){ .tx = to_child, .rx = to_parent };
}

int os_chan2_close(struct os_chan2 *ch)
{
	return os_chan_close((struct os_chan *)ch);
}
