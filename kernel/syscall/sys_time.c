/*
 * Time: clock_gettime, clock_getres, gettimeofday, nanosleep,
 * clock_nanosleep, and the interval timer: setitimer, getitimer, alarm.
 *
 * The clocks come from the timer tick (timer.h): CLOCK_MONOTONIC (and its
 * _RAW, _COARSE and BOOTTIME twins) is the time since boot, with the
 * tick's resolution (1 / TIMER_HZ s); CLOCK_REALTIME adds the CMOS clock's
 * reading at boot (drivers/rtc.c); the CPU-time clocks count the timer ticks
 * charged to the calling thread.  Sleeping is thread_sleep_until() a tick:
 * a sleep lasts at least what was asked, rounded up to whole ticks.  A
 * signal to act on ends it early with -EINTR and the time left in `rem`
 * (never restarted, even with SA_RESTART, as on Linux).
 *
 * The interval timer.  A process has one, ITIMER_REAL (struct itimer in
 * proc.h; ITIMER_VIRTUAL and ITIMER_PROF are EINVAL): an alarm
 * (sched/alarm.h) that fires in the timer interrupt, posts SIGALRM to the
 * process (si_code SI_KERNEL, as Linux) and, with an interval, sets
 * itself again that many ticks after the tick it was due, so that a
 * late tick does not make the timer drift.  Times are whole ticks: the
 * first expiry is at least it_value away (rounded up as sleeps are), an
 * interval at least one tick.  alarm(2) is setitimer with whole seconds
 * and no interval.  As on Linux, the timer survives execve, a fork child
 * starts without one, and it goes with its process (proc_finish cancels
 * it).
 */
#include "syscall/syscall.h"
#include <errno.h>
#include "arch/x86_64/timer.h"
#include "drivers/rtc.h"
#include "lib/spinlock.h"
#include "proc/proc.h"
#include "proc/signal.h"
#include "lib/wait.h"
#include "sched/alarm.h"
#include "sched/thread.h"

#define NSEC_PER_SEC  1000000000ll
#define NSEC_PER_TICK (NSEC_PER_SEC / TIMER_HZ)

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7

#define TIMER_ABSTIME 1

struct timespec {
	int64_t tv_sec, tv_nsec;
};

struct timeval {
	int64_t tv_sec, tv_usec;
};

#define USEC_PER_SEC  1000000ll
#define USEC_PER_TICK (USEC_PER_SEC / TIMER_HZ)

#define ITIMER_REAL 0

struct itimerval {
	struct timeval it_interval, it_value;
};

static int64_t boot_epoch = -1; /* CMOS time at the first call, minus uptime */

static int64_t uptime_ns(void)
{
	return (int64_t)timer_uptime_ms() * 1000000;
}

int64_t clock_now_ns(int clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		if (boot_epoch < 0)
			boot_epoch = rtc_read_epoch() - uptime_ns() / NSEC_PER_SEC;
		return boot_epoch * NSEC_PER_SEC + uptime_ns();
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return uptime_ns();
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		return (int64_t)thread_current()->ticks * NSEC_PER_TICK;
	}
	return -EINVAL;
}

static struct timespec ns_to_timespec(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	return ts;
}

int64_t sys_clock_gettime(int clock, uptr_t uts)
{
	int64_t ns = clock_now_ns(clock);
	struct timespec ts;

	if (ns < 0)
		return ns;
	ts = ns_to_timespec(ns);
	return copy_to_user(uts, &ts, sizeof(ts)) ? -EFAULT : 0;
}

int64_t sys_clock_getres(int clock, uptr_t uts)
{
	struct timespec ts = { 0, NSEC_PER_TICK };

	if (clock_now_ns(clock) < 0)
		return -EINVAL;
	if (uts && copy_to_user(uts, &ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

int64_t sys_gettimeofday(uptr_t utv, uptr_t utz)
{
	int64_t ns = clock_now_ns(CLOCK_REALTIME);
	struct timeval tv = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / 1000 };
	int32_t tz[2] = { 0, 0 }; /* struct timezone: UTC, no DST */

	if (utv && copy_to_user(utv, &tv, sizeof(tv)))
		return -EFAULT;
	if (utz && copy_to_user(utz, tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

int64_t timespec_from_user(uptr_t uts)
{
	struct timespec ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	if (ts.tv_sec > INT64_MAX / NSEC_PER_SEC - 1)
		return INT64_MAX; /* forever, near enough */
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t ns_deadline(int64_t ns)
{
	/* Round up, and one more: the current tick is already partly gone. */
	return wait_deadline((uint64_t)(ns / NSEC_PER_TICK) + (ns % NSEC_PER_TICK != 0) + 1);
}

/* Sleep for at least ns nanoseconds, or until a signal must be acted on:
 * 0, or -EINTR with the time left in *left_ns. */
static int sleep_ns(int64_t ns, int64_t *left_ns)
{
	static struct waitq sleepers = WAITQ_INIT("nanosleep");
	uint64_t deadline, flags;
	int err = 0;

	*left_ns = 0;
	if (ns <= 0)
		return 0;
	deadline = ns_deadline(ns);
	flags = irq_save();
	while (timer_ticks() < deadline) {
		if (wait_interrupted()) {
			*left_ns = (int64_t)(deadline - timer_ticks()) * NSEC_PER_TICK;
			err = -EINTR;
			break;
		}
		wait_sleep_until(&sleepers, deadline);
	}
	irq_restore(flags);
	return err;
}

/* The time left into urem (if not NULL) after an interrupted sleep. */
static int64_t sleep_result(int err, int64_t left, uptr_t urem)
{
	struct timespec rem = ns_to_timespec(left);

	if (err && urem && copy_to_user(urem, &rem, sizeof(rem)))
		return -EFAULT;
	return err;
}

int64_t sys_nanosleep(uptr_t ureq, uptr_t urem)
{
	int64_t ns = timespec_from_user(ureq), left;
	int err;

	if (ns < 0)
		return ns;
	err = sleep_ns(ns, &left);
	return sleep_result(err, left, urem);
}

int64_t sys_clock_nanosleep(int clock, int flags, uptr_t ureq, uptr_t urem)
{
	int64_t ns, now, left;
	int err;

	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	ns = timespec_from_user(ureq);
	if (ns < 0)
		return ns;
	now = clock_now_ns(clock);
	err = sleep_ns(flags & TIMER_ABSTIME ? ns - now : ns, &left);
	/* rem is written for relative sleeps only, as on Linux. */
	return sleep_result(err, left, flags & TIMER_ABSTIME ? 0 : urem);
}

/* ---- the interval timer ---------------------------------------------------------- */

/* ITIMER_REAL's alarm is due (the timer interrupt, interrupts off). */
static void itimer_fire(struct alarm *a)
{
	struct itimer *t = container_of(a, struct itimer, alarm);

	signal_send(container_of(t, struct proc, itimer), SIGALRM);
	if (t->interval)
		alarm_set(a, a->when + t->interval, itimer_fire);
}

/* Whole ticks in tv, rounded up (and at most some thousand years). */
static uint64_t timeval_ticks(const struct timeval *tv)
{
	uint64_t sec = MIN((uint64_t)tv->tv_sec, 1ull << 40);

	return sec * TIMER_HZ + ((uint64_t)tv->tv_usec + USEC_PER_TICK - 1) / USEC_PER_TICK;
}

static struct timeval ticks_timeval(uint64_t ticks)
{
	struct timeval tv = { (int64_t)(ticks / TIMER_HZ),
			      (int64_t)(ticks % TIMER_HZ) * USEC_PER_TICK };

	return tv;
}

static bool timeval_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < USEC_PER_SEC;
}

/* The timer of p now: the time left (a tick already begun not counted;
 * at least 1 us while it is set, as Linux says of one about to fire) and
 * the interval.  Interrupts off. */
static struct itimerval itimer_get(struct proc *p)
{
	struct itimer *t = &p->itimer;
	struct itimerval v = { ticks_timeval(t->interval), { 0, 0 } };
	uint64_t now = timer_ticks();

	if (alarm_pending(&t->alarm)) {
		v.it_value = ticks_timeval(t->alarm.when > now + 1 ? t->alarm.when - now - 1 : 0);
		if (v.it_value.tv_sec == 0 && v.it_value.tv_usec == 0)
			v.it_value.tv_usec = 1;
	}
	return v;
}

/* Set (or with a zero it_value, stop) the timer of p; the old setting
 * into *old. */
static void itimer_set(struct proc *p, const struct itimerval *v, struct itimerval *old)
{
	struct itimer *t = &p->itimer;
	uint64_t value = timeval_ticks(&v->it_value), flags = irq_save();

	*old = itimer_get(p);
	alarm_cancel(&t->alarm);
	t->interval = 0;
	if (value) {
		t->interval = timeval_ticks(&v->it_interval);
		/* One more: the current tick is already partly gone. */
		alarm_set(&t->alarm, timer_ticks() + value + 1, itimer_fire);
	}
	irq_restore(flags);
}

int64_t sys_getitimer(int which, uptr_t ucurr)
{
	struct itimerval v;
	uint64_t flags;

	if (which != ITIMER_REAL)
		return -EINVAL;
	flags = irq_save();
	v = itimer_get(proc_current());
	irq_restore(flags);
	return copy_to_user(ucurr, &v, sizeof(v)) ? -EFAULT : 0;
}

int64_t sys_setitimer(int which, uptr_t uvalue, uptr_t uovalue)
{
	struct itimerval v = { { 0, 0 }, { 0, 0 } }, old;

	/* A NULL value stops the timer: Linux still takes it so. */
	if (uvalue && copy_from_user(&v, uvalue, sizeof(v)))
		return -EFAULT;
	if (!timeval_valid(&v.it_value) || !timeval_valid(&v.it_interval))
		return -EINVAL;
	if (which != ITIMER_REAL)
		return -EINVAL;
	itimer_set(proc_current(), &v, &old);
	if (uovalue && copy_to_user(uovalue, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* The seconds the old timer had left, rounded to the nearest, and never
 * 0 for a timer that was set (Linux's alarm_setitimer). */
int64_t sys_alarm(unsigned seconds)
{
	struct itimerval v = { { 0, 0 }, { seconds, 0 } }, old;

	itimer_set(proc_current(), &v, &old);
	if ((old.it_value.tv_sec == 0 && old.it_value.tv_usec) ||
	    old.it_value.tv_usec >= USEC_PER_SEC / 2)
		old.it_value.tv_sec++;
	return old.it_value.tv_sec;
}
