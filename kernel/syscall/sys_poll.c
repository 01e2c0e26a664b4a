/*
 * Waiting for descriptors: poll, ppoll, select, pselect6 (Linux's numbers
 * 7, 271, 23, 270), on the poll tables of fs/poll.h.
 *
 * All four make passes over their descriptors (poll_loop): a pass asks
 * each file what is ready (file_ops.poll) and, while a wait may follow,
 * registers the thread on the files' wait queues; with nothing ready the
 * thread sleeps until a queue is woken, a signal comes or the timeout
 * ends, and makes another pass.  After the timeout one last pass is made
 * without waiting, as Linux does; nothing ready then is 0.  A signal to act
 * on with nothing ready is -EINTR, never restarted (Linux's ERESTARTNOHAND
 * after a handler).  Timeouts are rounded up to whole ticks plus the tick
 * already begun (ns_deadline), like every sleep here.
 *
 * poll reports for each struct pollfd the events asked for that are ready,
 * plus POLLERR and POLLHUP always, POLLNVAL for a descriptor that is not
 * open; a negative fd is skipped (revents 0).  More than RLIMIT_NOFILE
 * entries is -EINVAL.  The revents are written back even on -EINTR.
 *
 * select's fd_sets are bitmaps of nfds bits (FD_SETSIZE is 1024), looked
 * at up to the size of the descriptor table (FD_MAX), as Linux looks only
 * up to its table's size; a set bit naming a descriptor that is not open
 * is -EBADF before anything waits.  Readable is POLLIN, POLLHUP or POLLERR
 * (end of file and errors do not block a read); writable POLLOUT or
 * POLLERR; exceptional POLLPRI.  The result counts bits, and each set given
 * is rewritten with only its ready bits (on a timeout: none).
 *
 * Time left: select writes the time left into its struct timeval, and
 * ppoll and pselect6 into their struct timespec, as Linux's system calls
 * do (musl's pselect and ppoll pass a copy, so a program sees pselect's
 * unchanged, as POSIX says); a zero timeout is not rewritten, and a
 * timeout that cannot be written is no error.
 *
 * ppoll and pselect6 run with the signal mask they are given in place of
 * the thread's, as rt_sigsuspend does (sys_signal.c): after -EINTR the old
 * mask comes back once the handler has run (signal.c saves it in the
 * frame), otherwise at once.
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "fs/fdtable.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "mm/heap.h"
#include "proc/proc.h"
#include "proc/signal.h"
#include "syscall/rlimit.h"

#define CLOCK_MONOTONIC 1
#define NSEC_PER_SEC    1000000000ll
#define NSEC_PER_USEC   1000ll
#define SIGSET_SIZE     8                              /* bytes of a kernel sigset_t */
#define SELECT_SEC_MAX  (INT64_MAX / NSEC_PER_SEC - 1) /* seconds a timeout can say in ns */
#define POLL_STACK_FDS  32 /* struct pollfds copied to the stack, not the heap */

#define FD_WORDS      (FD_MAX / 64)
#define SELECT_IN     (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT    (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EXCEPT POLLPRI

struct pollfd {
	int32_t fd;
	int16_t events, revents;
};

struct timespec {
	int64_t tv_sec, tv_nsec;
};

struct timeval {
	int64_t tv_sec, tv_usec;
};

/* ---- the passes ----------------------------------------------------------------- */

/* One pass over the caller's descriptors: how many are ready, or -errno;
 * registering on their queues if pt is not NULL. */
typedef int poll_pass_fn(void *ctx, struct poll_table *pt);

/* Pass until something is ready, a signal comes or the tick deadline
 * (0: do not wait; WAIT_FOREVER: no deadline). */
static int poll_loop(poll_pass_fn *pass, void *ctx, uint64_t deadline)
{
	struct poll_table table, *pt = NULL;
	int n;

	poll_table_init(&table);
	if (deadline)
		pt = &table; /* a wait may follow: register */
	for (;;) {
		n = pass(ctx, pt);
		if (n == 0)
			n = table.error;
		if (n == 0 && wait_interrupted())
			n = -EINTR;
		if (n != 0 || !pt)
			break;
		if (poll_table_sleep(&table, deadline))
			poll_table_reset(&table);
		else
			pt = NULL; /* the time is up: a last look, without waiting */
	}
	poll_table_free(&table);
	return n;
}

/* What the file of descriptor fd has ready, or POLLNVAL if it is not open. */
static unsigned poll_fd(struct poll_table *pt, int fd)
{
	struct file *f = fd_get(fd);
	unsigned mask;

	if (!f)
		return POLLNVAL;
	mask = poll_table_ask(pt, f);
	file_put(f);
	return mask;
}

struct poll_fds {
	struct pollfd *fds;
	unsigned int nfds;
};

static int poll_pass(void *ctx, struct poll_table *pt)
{
	struct poll_fds *p = ctx;
	int ready = 0;

	for (unsigned int i = 0; i < p->nfds; i++) {
		struct pollfd *pfd = &p->fds[i];
		unsigned mask = 0;

		if (pfd->fd >= 0) {
			mask = poll_fd(pt, pfd->fd);
			if (mask != POLLNVAL)
				mask &= (uint16_t)pfd->events | POLLERR | POLLHUP;
		}
		pfd->revents = (int16_t)mask;
		ready += mask != 0;
	}
	return ready;
}

struct select_fds {
	int n;                                                 /* descriptors 0..n-1 */
	uint64_t in[FD_WORDS], out[FD_WORDS], ex[FD_WORDS];    /* asked */
	uint64_t rin[FD_WORDS], rout[FD_WORDS], rex[FD_WORDS]; /* ready */
};

static int select_pass(void *ctx, struct poll_table *pt)
{
	struct select_fds *s = ctx;
	int ready = 0;

	for (int fd = 0; fd < s->n; fd++) {
		int w = fd / 64;
		uint64_t bit = 1ull << (fd % 64);
		unsigned mask;

		if (!((s->in[w] | s->out[w] | s->ex[w]) & bit))
			continue;
		mask = poll_fd(pt, fd);
		if ((mask & SELECT_IN) && (s->in[w] & bit))
			s->rin[w] |= bit, ready++;
		if ((mask & SELECT_OUT) && (s->out[w] & bit))
			s->rout[w] |= bit, ready++;
		if ((mask & SELECT_EXCEPT) && (s->ex[w] & bit))
			s->rex[w] |= bit, ready++;
	}
	return ready;
}

/* ---- timeouts and masks ------------------------------------------------------------ */

/* The tick deadline of a timeout of ns nanoseconds (< 0: none). */
static uint64_t poll_deadline(int64_t ns)
{
	if (ns < 0)
		return WAIT_FOREVER;
	return ns ? ns_deadline(ns) : 0;
}

/* The nanoseconds of a timeout of ns given at start that are left now. */
static int64_t poll_time_left(int64_t ns, int64_t start)
{
	int64_t left = ns - (clock_now_ns(CLOCK_MONOTONIC) - start);

	return left > 0 ? left : 0;
}

/* ppoll's and pselect6's mask in place of the thread's until the call ends. */
static int poll_mask_swap(uptr_t umask, size_t size)
{
	struct uthread *u = uthread_current();
	uint64_t mask;

	if (!umask)
		return 0;
	if (size != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	u->sigmask_saved = u->sigmask;
	u->sigmask_restore = true;
	u->sigmask = mask & ~SIG_UNBLOCKABLE;
	return 0;
}

/* The call ends with ret: the thread's own mask back, unless a handler is
 * to run first (-EINTR: signal.c restores it after the handler). */
static void poll_mask_restore(uptr_t umask, int ret)
{
	struct uthread *u = uthread_current();

	if (!umask || ret == -EINTR)
		return;
	u->sigmask = u->sigmask_saved;
	u->sigmask_restore = false;
}

/* ppoll and pselect6's timeout: *ns (-1: none), or -EFAULT, -EINVAL. */
static int poll_timespec_in(uptr_t uts, int64_t *ns)
{
	*ns = uts ? timespec_from_user(uts) : -1;
	return uts && *ns < 0 ? (int)*ns : 0;
}

static void poll_timespec_out(uptr_t uts, int64_t ns, int64_t start)
{
	int64_t left = poll_time_left(ns, start);
	struct timespec ts = { left / NSEC_PER_SEC, left % NSEC_PER_SEC };

	if (uts && ns > 0)
		(void)copy_to_user(uts, &ts, sizeof(ts)); /* read-only: no error, as Linux */
}

/* ---- poll, ppoll ------------------------------------------------------------------- */

static int poll_user_fds(uptr_t ufds, unsigned int nfds, uint64_t deadline)
{
	struct pollfd few[POLL_STACK_FDS]; /* most polls: no heap block */
	struct poll_fds p = { few, nfds };
	size_t size = (size_t)nfds * sizeof(struct pollfd);
	int ret = 0;

	if (nfds > rlimit_cur(RLIMIT_NOFILE))
		return -EINVAL;
	if (nfds > POLL_STACK_FDS && !(p.fds = kmalloc(size)))
		return -ENOMEM;
	if (copy_from_user(p.fds, ufds, size))
		ret = -EFAULT;
	if (!ret)
		ret = poll_loop(poll_pass, &p, deadline);
	if (ret != -EFAULT && copy_to_user(ufds, p.fds, size))
		ret = -EFAULT;
	if (p.fds != few)
		kfree(p.fds);
	return ret;
}

int64_t sys_poll(uptr_t ufds, unsigned int nfds, int timeout_ms)
{
	int64_t ns = timeout_ms < 0 ? -1 : timeout_ms * 1000000ll;

	return poll_user_fds(ufds, nfds, poll_deadline(ns));
}

int64_t sys_ppoll(uptr_t ufds, unsigned int nfds, uptr_t uts, uptr_t umask, size_t masksize)
{
	int64_t ns, start = clock_now_ns(CLOCK_MONOTONIC);
	int ret = poll_timespec_in(uts, &ns);

	if (!ret)
		ret = poll_mask_swap(umask, masksize);
	if (ret)
		return ret;
	ret = poll_user_fds(ufds, nfds, poll_deadline(ns));
	poll_mask_restore(umask, ret);
	poll_timespec_out(uts, ns, start);
	return ret;
}

/* ---- select, pselect6 ---------------------------------------------------------------- */

/* Copy a set of s->n bits in (NULL: empty); bits past n are dropped. */
static int select_set_in(const struct select_fds *s, uptr_t uset, uint64_t *set)
{
	size_t words = (size_t)(s->n + 63) / 64;

	if (!uset)
		return 0;
	if (copy_from_user(set, uset, words * 8))
		return -EFAULT;
	if (s->n % 64)
		set[words - 1] &= ~0ull >> (64 - s->n % 64);
	return 0;
}

static int select_set_out(const struct select_fds *s, uptr_t uset, const uint64_t *set)
{
	size_t words = (size_t)(s->n + 63) / 64;

	return uset && copy_to_user(uset, set, words * 8) ? -EFAULT : 0;
}

/* Is every descriptor of the sets open?  (Linux's max_select_fd.) */
static int select_check_open(const struct select_fds *s)
{
	for (int fd = 0; fd < s->n; fd++) {
		uint64_t bit = 1ull << (fd % 64);
		struct file *f;

		if (!((s->in[fd / 64] | s->out[fd / 64] | s->ex[fd / 64]) & bit))
			continue;
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		file_put(f);
	}
	return 0;
}

static int select_user_fds(int nfds, uptr_t uin, uptr_t uout, uptr_t uex, uint64_t deadline)
{
	struct select_fds s = { .n = MIN(nfds, FD_MAX) };
	int ret;

	if (nfds < 0)
		return -EINVAL;
	ret = select_set_in(&s, uin, s.in);
	if (!ret)
		ret = select_set_in(&s, uout, s.out);
	if (!ret)
		ret = select_set_in(&s, uex, s.ex);
	if (!ret)
		ret = select_check_open(&s);
	if (!ret)
		ret = poll_loop(select_pass, &s, deadline);
	if (ret >= 0 && (select_set_out(&s, uin, s.rin) || select_set_out(&s, uout, s.rout) ||
			 select_set_out(&s, uex, s.rex)))
		ret = -EFAULT;
	return ret;
}

int64_t sys_select(int nfds, uptr_t uin, uptr_t uout, uptr_t uex, uptr_t utv)
{
	struct timeval tv;
	int64_t ns = -1, start = clock_now_ns(CLOCK_MONOTONIC), left, sec;
	int ret;

	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* A tv_usec of a second or more carries into tv_sec, as on Linux. */
		sec = SELECT_SEC_MAX - tv.tv_sec < tv.tv_usec / 1000000
			      ? SELECT_SEC_MAX
			      : tv.tv_sec + tv.tv_usec / 1000000;
		ns = sec >= SELECT_SEC_MAX
			     ? INT64_MAX /* forever, near enough */
			     : sec * NSEC_PER_SEC + tv.tv_usec % 1000000 * NSEC_PER_USEC;
	}
	ret = select_user_fds(nfds, uin, uout, uex, poll_deadline(ns));
	if (utv && ns > 0) {
		left = poll_time_left(ns, start);
		tv = (struct timeval){ left / NSEC_PER_SEC, left % NSEC_PER_SEC / NSEC_PER_USEC };
		(void)copy_to_user(utv, &tv, sizeof(tv)); /* read-only: no error, as Linux */
	}
	return ret;
}

int64_t sys_pselect6(int nfds, uptr_t uin, uptr_t uout, uptr_t uex, uptr_t uts, uptr_t usig)
{
	struct {
		uint64_t mask; /* const sigset_t * */
		uint64_t size;
	} sig = { 0, 0 };
	int64_t ns, start = clock_now_ns(CLOCK_MONOTONIC);
	int ret = poll_timespec_in(uts, &ns);

	if (!ret && usig && copy_from_user(&sig, usig, sizeof(sig)))
		ret = -EFAULT;
	if (!ret)
		ret = poll_mask_swap(sig.mask, sig.size);
	if (ret)
		return ret;
	ret = select_user_fds(nfds, uin, uout, uex, poll_deadline(ns));
	poll_mask_restore(sig.mask, ret);
	poll_timespec_out(uts, ns, start);
	return ret;
}
