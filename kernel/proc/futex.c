/*
 * Futexes (see futex.h): the kernel half of user-space locks.
 *
 * A lock in user memory is taken and given without the kernel as long as
 * nobody waits; only a thread that must sleep calls FUTEX_WAIT(addr, val):
 * "sleep if *addr still holds val", and the thread that changes the word
 * calls FUTEX_WAKE(addr, n).  The check and the sleep must be one step, or
 * a wake between them is lost: here the word is read and the waiter
 * queued with interrupts off (one CPU: nothing else runs), so a waker,
 * which changes the word first, either runs before (the value differs:
 * EAGAIN) or finds the waiter queued.
 *
 * Keys.  A waiter waits on a key, not an address: in a private mapping
 * the key is (address space, virtual address), so that a fork child's
 * copy of a lock is another lock, and a copy-on-write break under a
 * sleeper changes nothing; in a shared mapping (MAP_SHARED, device memory)
 * it is the physical address of the word, the same in every process that
 * maps the page.  FUTEX_PRIVATE_FLAG says the word is private (no area to
 * look up).  Waiters hash by key into FUTEX_BUCKETS lists, oldest first.
 *
 * Each waiter lives on its sleeping thread's stack and has a wait queue
 * of its own, so a wake-up, a signal (EINTR) or the timeout (ETIMEDOUT,
 * through wait_sleep_until) ends the sleep and the waiter takes itself
 * off its list if a waker has not.  FUTEX_REQUEUE moves waiters to
 * another word without waking them (musl's condition variables move
 * their waiters to the mutex so).
 */
#include "proc/futex.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "lib/wait.h"
#include "mm/uvm.h"
#include "mm/vma.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

/* futex(2)'s operations and flags (Linux <linux/futex.h>). */
#define FUTEX_WAIT           0
#define FUTEX_WAKE           1
#define FUTEX_REQUEUE        3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY     0xffffffffu
#define CLOCK_REALTIME       0
#define CLOCK_MONOTONIC      1

#define FUTEX_BUCKETS 64
#define FUTEX_SHARED  0 /* key.space of a shared word: addr is physical */

struct futex_key {
	uint64_t space; /* the address space (struct uvm *), or FUTEX_SHARED */
	uint64_t addr;  /* the virtual address, or the physical one */
};

struct futex_waiter {
	struct futex_waiter *next; /* in its bucket, oldest first */
	struct futex_key key;
	uint32_t bitset; /* FUTEX_WAIT_BITSET's; FUTEX_BITSET_ANY otherwise */
	bool woken;      /* a waker took it off its bucket */
	struct waitq wq; /* its thread sleeps here */
};

static struct futex_waiter *buckets[FUTEX_BUCKETS];

static struct futex_waiter **futex_bucket(const struct futex_key *k)
{
	uint64_t h = (k->space ^ (k->addr >> 2)) * 0x9e3779b97f4a7c15ull;

	return &buckets[h >> 58];
}

static bool key_equal(const struct futex_key *a, const struct futex_key *b)
{
	return a->space == b->space && a->addr == b->addr;
}

/*
 * The key of the word at user address uaddr of the current process, and
 * (if val is not NULL) its value.  Interrupts off: the page stays mapped
 * while they are.  0, -EINVAL (not 4-byte aligned), -EFAULT.
 */
static int futex_key_of(uint64_t uaddr, bool private, struct futex_key *key, uint32_t *val)
{
	struct uvm *uvm = proc_current()->uvm;
	struct vma *v;
	uint64_t page;

	if (uaddr & 3)
		return -EINVAL;
	page = uvm_user_page(uvm, uaddr, false);
	if (!page)
		return -EFAULT;
	if (val)
		*val = *(volatile uint32_t *)phys_to_virt(page + (uaddr & (PAGE_SIZE - 1)));
	v = private ? NULL : vma_find(uvm, uaddr);
	if (v && (v->flags & (VMA_SHARED | VMA_DEVICE)))
		*key = (struct futex_key){ FUTEX_SHARED, page + (uaddr & (PAGE_SIZE - 1)) };
	else
		*key = (struct futex_key){ (uint64_t)uvm, uaddr };
	return 0;
}

/* Put w at the end of its key's bucket.  Interrupts off. */
static void futex_enqueue(struct futex_waiter *w)
{
	struct futex_waiter **pp = futex_bucket(&w->key);

	while (*pp)
		pp = &(*pp)->next;
	w->next = NULL;
	*pp = w;
}

/* Take w off its bucket.  Interrupts off. */
static void futex_unlink(struct futex_waiter *w)
{
	for (struct futex_waiter **pp = futex_bucket(&w->key); *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/*
 * Wake at most n waiters on key whose bitset meets bitset, then move at
 * most requeue more to key to (if to is not NULL).  How many woke plus
 * how many moved.  Interrupts off.
 */
static int futex_wake_key(const struct futex_key *key, int n, uint32_t bitset,
			  const struct futex_key *to, int requeue)
{
	struct futex_waiter **pp = futex_bucket(key), *moved = NULL, **tail = &moved;
	int done = 0, woken = 0;

	while (*pp) {
		struct futex_waiter *w = *pp;

		if (!key_equal(&w->key, key) || !(w->bitset & bitset)) {
			pp = &w->next;
			continue;
		}
		if (woken < n) {
			*pp = w->next;
			w->woken = true;
			wait_wake_all(&w->wq);
			woken++;
		} else if (to && done - woken < requeue) {
			*pp = w->next;
			w->key = *to;
			*tail = w; /* queued on to's bucket after the walk */
			tail = &w->next;
			*tail = NULL;
		} else {
			break;
		}
		done++;
	}
	while (moved) {
		struct futex_waiter *w = moved;

		moved = w->next;
		futex_enqueue(w);
	}
	return done;
}

/*
 * Sleep on the word at uaddr if it holds val, until a wake that meets
 * bitset, a signal or the tick deadline (0: none).  0, -EAGAIN (another
 * value), -ETIMEDOUT, -EINTR, -EINVAL, -EFAULT.
 */
static int futex_wait(uint64_t uaddr, bool private, uint32_t val, uint64_t deadline,
		      uint32_t bitset)
{
	/* BEGIN STAGE threads: read the word and queue the waiter with interrupts off; sleep until woken, a signal or the deadline */
	struct futex_waiter w = { .bitset = bitset, .wq = WAITQ_INIT("futex") };
	uint64_t flags = irq_save();
	uint32_t now;
	int err = futex_key_of(uaddr, private, &w.key, &now);

	if (!err && now != val)
		err = -EAGAIN;
	if (err) {
		irq_restore(flags);
		return err;
	}
	futex_enqueue(&w);
	while (!w.woken) {
		if (wait_interrupted()) {
			err = -EINTR;
			break;
		}
		if (!deadline) {
			wait_sleep(&w.wq);
		} else if (!wait_sleep_until(&w.wq, deadline)) {
			err = -ETIMEDOUT;
			break;
		}
	}
	if (w.woken)
		err = 0; /* woken as the time ran out: the wake counts */
	else
		futex_unlink(&w);
	irq_restore(flags);
	return err;
	/* STUB
	(void)uaddr, (void)private, (void)val, (void)deadline, (void)bitset;
	(void)futex_key_of, (void)futex_enqueue, (void)futex_unlink;
	return -ENOSYS;
	END STAGE threads */
}

/* Wake at most n waiters on uaddr that meet bitset: how many, or -errno. */
static int futex_wake_bits(uint64_t uaddr, bool private, int n, uint32_t bitset)
{
	/* BEGIN STAGE threads: the key of uaddr, then wake its waiters with interrupts off */
	struct futex_key key;
	uint64_t flags = irq_save();
	int ret = futex_key_of(uaddr, private, &key, NULL);

	if (ret == 0)
		ret = futex_wake_key(&key, n, bitset, NULL, 0);
	irq_restore(flags);
	return ret;
	/* STUB
	(void)uaddr, (void)private, (void)n, (void)bitset, (void)futex_wake_key;
	return 0;
	END STAGE threads */
}

int futex_wake(uint64_t uaddr, int n)
{
	int woken = futex_wake_bits(uaddr, false, n, FUTEX_BITSET_ANY);

	return woken < 0 ? 0 : woken;
}

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (check *uaddr == val3 first). */
static int futex_requeue(uint64_t uaddr, uint64_t uaddr2, bool private, int n, int requeue,
			 bool cmp, uint32_t val3)
{
	struct futex_key key, to;
	uint64_t flags = irq_save();
	uint32_t now;
	int ret = futex_key_of(uaddr, private, &key, &now);

	if (ret == 0)
		ret = futex_key_of(uaddr2, private, &to, NULL);
	if (ret == 0 && cmp && now != val3)
		ret = -EAGAIN;
	if (ret == 0)
		ret = futex_wake_key(&key, n, FUTEX_BITSET_ANY, &to, requeue);
	irq_restore(flags);
	return ret;
}

/* The tick a wait's timeout ends at: 0 for none (timeout NULL), 1 (long
 * past) if it has passed already, or -errno.  FUTEX_WAIT's timeout is relative,
 * FUTEX_WAIT_BITSET's absolute on CLOCK_MONOTONIC (or CLOCK_REALTIME). */
static int64_t futex_deadline(uptr_t timeout, bool absolute, bool realtime)
{
	int64_t ns;

	if (!timeout)
		return 0;
	ns = timespec_from_user(timeout);
	if (ns < 0)
		return ns;
	if (absolute)
		ns -= clock_now_ns(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
	return ns <= 0 ? 1 : (int64_t)ns_deadline(ns);
}

int64_t sys_futex(uptr_t uaddr, int op, uint32_t val, uptr_t timeout, uptr_t uaddr2, uint32_t val3)
{
	bool private = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	int64_t deadline;

	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		if (!val3)
			return -EINVAL;
		deadline = futex_deadline(timeout, cmd == FUTEX_WAIT_BITSET, realtime);
		if (deadline < 0)
			return deadline;
		return futex_wait(uaddr, private, val, (uint64_t)deadline, val3);
	case FUTEX_WAKE:
		val3 = FUTEX_BITSET_ANY;
		/* fall through */
	case FUTEX_WAKE_BITSET:
		if (!val3)
			return -EINVAL;
		/* Linux wakes one for a count of 0 or less. */
		return futex_wake_bits(uaddr, private, (int)val > 0 ? (int)val : 1, val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if ((int)val < 0 || (int64_t)timeout < 0 || (int64_t)timeout > INT32_MAX)
			return -EINVAL;
		return futex_requeue(uaddr, uaddr2, private, (int)val, (int)timeout,
				     cmd == FUTEX_CMP_REQUEUE, val3);
	}
	return -ENOSYS;
}
