"""Grader of stage `threads`: many threads in one process, musl's pthreads
on clone(CLONE_THREAD) and futex.

Each test boots with `run=threadtest,NAME` (user/threadtest.c; the tests
of threadproc and clonetest are in threads_procs.py) and checks its lines against
facts computed here: the counter four threads raise (4 x 20,000), the sum
and count of the 100,000 items through the bounded buffer, the values the
joined threads return (3i + 1), distinct thread ids, memory (MemFree +
Slab + Cached of /proc/meminfo, in kB) back to what it was, wait statuses
in Linux's encoding, and times against the kernel's tick (TIMER_HZ of
arch/x86_64/timer.h).  The tests whose figures depend on time run under
`-icount`, where guest time is counted in instructions and repeats
exactly, so that a loaded machine cannot change them.
"""
from gradelib import main, test

import kelf
import threads_procs

# The module of this stage's other tests, which registers them with
# gradelib as it loads (named here so that pyflakes sees it used).
TEST_MODULES = [threads_procs]

PID = r"\(pid (\d+)\)"
SIGKILL, SIGSEGV = 9, 11
ICOUNT = ("-icount", "shift=0,align=off,sleep=off")
TICK_MS = 1000 // kelf.header_define("kernel/arch/x86_64/timer.h", "TIMER_HZ")

COUNTER_THREADS, COUNTER_ROUNDS = 4, 20000
ITEMS = 100000
JOIN_THREADS = 8
TLS_THREADS = 8
MANY_ROUNDS, MANY_THREADS = 10, 64
TIMEOUT_MS = 50


def expect_ok(m, prog, name):
    found = m.expect(r"^{}: {}: (ok|FAILED.*)$".format(prog, name))
    assert found.group(1) == "ok", "{} {}: {}".format(prog, name, found.group(1))


def expect_done(m, prog):
    m.expect(r"^{}: \d+ passed, 0 failed$".format(prog))
    m.expect(r"^proc: {} {} exited with status 0$".format(prog, PID))


def memory_back(before, after, what):
    assert after >= before, "{}: {} kB of memory not given back ({} before, {} after)".format(
        what, before - after, before, after)


@test("threads", "4 threads add 20,000 each to a counter under a mutex: exactly 80,000",
      cmdline="run=threadtest,counter exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^threadtest: counter: (\d+) threads x (\d+) = (-?\d+)$")
    threads, rounds, total = (int(found.group(i)) for i in (1, 2, 3))
    assert (threads, rounds) == (COUNTER_THREADS, COUNTER_ROUNDS), found.group(0)
    assert total == threads * rounds, "the counter is {}, not {}".format(total, threads * rounds)
    expect_ok(m, "threadtest", "counter")
    expect_done(m, "threadtest")


@test("threads", "producers and consumers on condition variables pass 100,000 items through "
      "a bounded buffer, none lost or doubled",
      cmdline="run=threadtest,condvar exit panic=exit", timeout=90)
def _(m):
    found = m.expect(r"^threadtest: condvar: produced (\d+) consumed (\d+) sum (\d+) "
                     r"distinct (\d+)$")
    produced, consumed, total, distinct = (int(found.group(i)) for i in (1, 2, 3, 4))
    assert produced == consumed == ITEMS, "produced {}, consumed {}, of {}".format(
        produced, consumed, ITEMS)
    assert total == sum(range(ITEMS)), "the items sum to {}, not {}".format(
        total, sum(range(ITEMS)))
    assert distinct == ITEMS, "{} distinct items of {}".format(distinct, ITEMS)
    expect_ok(m, "threadtest", "condvar")
    expect_done(m, "threadtest")


@test("threads", "pthread_join returns each thread's value",
      cmdline="run=threadtest,join exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^threadtest: join: values([\d ]*)$")
    values = [int(v) for v in found.group(1).split()]
    assert values == [3 * i + 1 for i in range(JOIN_THREADS)], "joined values {}".format(values)
    expect_ok(m, "threadtest", "join")
    expect_done(m, "threadtest")


@test("threads", "each thread has its own tid and thread-local storage",
      cmdline="run=threadtest,tls exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^threadtest: tls: pid (\d+) tids([\d ]*)$")
    pid, tids = int(found.group(1)), [int(t) for t in found.group(2).split()]
    assert len(tids) == TLS_THREADS, "{} tids for {} threads".format(len(tids), TLS_THREADS)
    assert len(set(tids)) == TLS_THREADS, "tids not distinct: {}".format(tids)
    assert pid not in tids, "a new thread has the process's id {}".format(pid)
    m.expect(r"^threadtest: tls: {} threads, {} distinct tids, values ok$".format(
        TLS_THREADS, TLS_THREADS))
    expect_ok(m, "threadtest", "tls")
    m.expect(r"^proc: threadtest \(pid {}\) exited with status 0$".format(pid))


@test("threads", "a segfault in one of five threads kills the whole process; its memory "
      "and the process count come back",
      cmdline="run=threadtest,segv exit panic=exit", timeout=90)
def _(m):
    m.expect(r"^proc: threadtest {} killed: page fault: write at cr2=0x0 ".format(PID))
    found = m.expect(r"^threadtest: segv: status (\w+) (\d+), memory before (-?\d+) "
                     r"after (-?\d+)$")
    assert (found.group(1), int(found.group(2))) == ("SIGNALED", SIGSEGV), \
        "the child ended {} {}, not SIGNALED {}".format(found.group(1), found.group(2), SIGSEGV)
    memory_back(int(found.group(3)), int(found.group(4)), "a killed five-thread process")
    found = m.expect(r"^threadtest: segv: processes before (\d+) after (\d+)$")
    assert found.group(1) == found.group(2), found.group(0)
    expect_ok(m, "threadtest", "segv")
    expect_done(m, "threadtest")


@test("threads", "64 threads created and joined, 10 times: every stack and frame comes back",
      cmdline="run=threadtest,many exit panic=exit", timeout=120)
def _(m):
    found = m.expect(r"^threadtest: many: (\d+) rounds x (\d+) threads, memory before (-?\d+) "
                     r"after (-?\d+)$")
    assert (int(found.group(1)), int(found.group(2))) == (MANY_ROUNDS, MANY_THREADS), \
        found.group(0)
    memory_back(int(found.group(3)), int(found.group(4)), "640 threads")
    expect_ok(m, "threadtest", "many")
    expect_done(m, "threadtest")


@test("threads", "futex waits time out (ETIMEDOUT), and fail with EAGAIN and EFAULT as Linux's",
      cmdline="run=threadtest,timeout exit panic=exit", timeout=60, qemu_args=ICOUNT)
def _(m):
    found = m.expect(r"^threadtest: timeout: futex waited (\d+) ms, cond waited (\d+) ms$")
    for what, ms in (("futex", int(found.group(1))), ("cond", int(found.group(2)))):
        # At least what was asked; at most two ticks more (rounding up,
        # and the tick already begun).
        assert TIMEOUT_MS <= ms <= TIMEOUT_MS + 2 * TICK_MS, \
            "a {} ms {} timeout took {} ms".format(TIMEOUT_MS, what, ms)
    m.expect(r"^threadtest: timeout: futex ETIMEDOUT, cond ETIMEDOUT, mismatch EAGAIN, "
             r"bad EFAULT$")
    expect_ok(m, "threadtest", "timeout")
    expect_done(m, "threadtest")


@test("threads", "a high-priority thread preempts two busy low-priority threads of its "
      "process within a tick", cmdline="run=threadtest,prio exit panic=exit", timeout=60,
      qemu_args=ICOUNT)
def _(m):
    found = m.expect(r"^threadtest: prio: (\d+) wakeups, worst latency (\d+) ms$")
    assert int(found.group(2)) <= TICK_MS, \
        "woke up to {} ms late behind busy lower-priority threads (a tick is {} ms)".format(
            found.group(2), TICK_MS)
    expect_ok(m, "threadtest", "prio")
    expect_done(m, "threadtest")


@test("threads", "pthread_exit from main: the other threads go on, and the last one's exit "
      "ends the process", cmdline="run=threadtest,exitmain exit panic=exit", timeout=60)
def _(m):
    for k in range(3):
        m.expect(r"^threadtest: exitmain: thread {} still running after main exited$".format(k))
    expect_ok(m, "threadtest", "exitmain")
    expect_done(m, "threadtest")


if __name__ == "__main__":
    main(["threads"])
