"""Grader tests of stage `ipc` for direct channels (imported by
stage_ipc.py): messages between a parent and its child through a ring in
shared memory (<os/chan.h>, libc/src/os/chan.c), the kernel entered only
to sleep when the ring is empty or full.

Each test boots with `run=chantest,NAME` (user/chantest.c lists the tests
and their lines) and checks them against facts computed here: the count
and sum of the million sequence numbers that go one way, the system
calls both sides made for them (kestrel's `Syscalls:` of /proc/PID/status)
against 1% of the messages, the bytes of the 100,000 round trips, the
messages a dead peer's ring takes before the survivor gets EPIPE, the
capacity of a ring (the slots asked, rounded up to a power of two), and
times against the library's peer check (OS_CHAN_CHECK_MS of <os/chan.h>)
and the kernel's tick (TIMER_HZ) under -icount, where guest time is
counted in instructions and repeats exactly.
"""
from gradelib import main, test

import kelf

PID = r"\(pid (\d+)\)"
ICOUNT = ("-icount", "shift=0,align=off,sleep=off")
TICK_MS = 1000 // kelf.header_define("kernel/arch/x86_64/timer.h", "TIMER_HZ")
CHECK_MS = kelf.header_define("libc/include/os/chan.h", "OS_CHAN_CHECK_MS")
SIGSEGV = 11

# user/chantest's figures.
ORDER_MSGS = 1000000
PING_TRIPS, PING_MAX = 100000, 64
DIES_SENT, DIES_READ, DIES_SLOTS, ORPHAN_SENT = 100, 10, 64, 5
FULL_ASKED, FULL_SIZE = 50, 64
TIMEOUT_MS, ASLEEP_MS = 100, 200
CLOSE_SENT, CLOSE_WAIT = 10, 80
# The system calls that reading /proc/self/status twice makes at least
# (open, read, close, then open and read): a count below it is no count.
STATUS_CALLS = 3


def expect_ok(m, name):
    found = m.expect(r"^chantest: {}: (ok|FAILED.*)$".format(name))
    assert found.group(1) == "ok", "chantest {}: {}".format(name, found.group(1))


def expect_done(m):
    m.expect(r"^chantest: \d+ passed, 0 failed$")
    m.expect(r"^proc: chantest {} exited with status 0$".format(PID))


def ring_slots(asked):
    """The slots of a ring made for `asked`: the next power of two."""
    slots = 1
    while slots < asked:
        slots *= 2
    return slots


@test("ipc", "a channel passes 1,000,000 messages in order with fewer than 1% as many system "
      "calls as messages", cmdline="run=chantest,order exit panic=exit", timeout=180)
def _(m):
    found = m.expect(r"^chantest: order: (\d+) messages, sum (\d+), (in order|out of order at "
                     r"\d+), syscalls (\d+) \(parent\) (\d+) \(child\)$")
    count, total = int(found.group(1)), int(found.group(2))
    parent, child = int(found.group(4)), int(found.group(5))
    assert count == ORDER_MSGS, "the child got {} messages of {}".format(count, ORDER_MSGS)
    assert total == sum(range(ORDER_MSGS)), "the sequence numbers sum to {}, not {}".format(
        total, sum(range(ORDER_MSGS)))
    assert found.group(3) == "in order", "the child found message {}".format(found.group(3))
    assert parent >= STATUS_CALLS and child >= STATUS_CALLS, \
        "Syscalls: counted {} and {}: fewer than reading it takes".format(parent, child)
    assert parent + child < ORDER_MSGS // 100, \
        "{} + {} system calls for {} messages: not under 1%".format(parent, child, ORDER_MSGS)
    expect_ok(m, "order")
    expect_done(m)


@test("ipc", "a two-way channel: 100,000 round trips of 1 to 64 bytes, each echoed",
      cmdline="run=chantest,pingpong exit panic=exit", timeout=120)
def _(m):
    found = m.expect(r"^chantest: pingpong: (\d+) round trips, (\d+) bytes each way, echoed$")
    expected = sum(1 + i % PING_MAX for i in range(PING_TRIPS))
    assert int(found.group(1)) == PING_TRIPS, found.group(0)
    assert int(found.group(2)) == expected, "{} bytes each way, not {}".format(
        found.group(2), expected)
    expect_ok(m, "pingpong")
    expect_done(m)


@test("ipc", "a peer that dies mid-channel does not hang the other side: EPIPE within a "
      "peer check", cmdline="run=chantest,dies exit panic=exit", timeout=60, qemu_args=ICOUNT)
def _(m):
    bound = CHECK_MS + 2 * TICK_MS  # a sleep of CHECK_MS, rounded up to ticks

    def epipe(found, what):
        assert found.group(2) == "EPIPE", "{}: {}, not EPIPE".format(what, found.group(2))
        assert int(found.group(3)) <= bound, "{}: EPIPE after {} ms, not within {} ms".format(
            what, found.group(3), bound)

    m.expect(r"^proc: chantest {} killed: page fault: write at cr2=0x0 ".format(PID))
    found = m.expect(r"^chantest: dies: recv: (\d+) messages, then (\S+) after (\d+) ms, "
                     r"child (\w+ \d+)$")
    assert int(found.group(1)) == DIES_SENT, "{} of the {} messages sent before the crash".format(
        found.group(1), DIES_SENT)
    epipe(found, "recv from a child that crashed")
    assert found.group(4) == "SIGNALED {}".format(SIGSEGV), found.group(0)
    found = m.expect(r"^chantest: dies: send: (\d+) messages, then (\S+) after (\d+) ms, "
                     r"child (\w+ \d+)$")
    assert int(found.group(1)) == DIES_READ + DIES_SLOTS, \
        "{} messages sent to a child that read {} and exited, not {} + {} slots".format(
            found.group(1), DIES_READ, DIES_READ, DIES_SLOTS)
    epipe(found, "send to a child that exited")
    assert found.group(4) == "EXITED 3", found.group(0)
    found = m.expect(r"^chantest: dies: parent gone: (\d+) messages, then (\S+) after (\d+) ms$")
    assert int(found.group(1)) == ORPHAN_SENT, found.group(0)
    epipe(found, "recv from a creator that exited")
    expect_ok(m, "dies")
    expect_done(m)


@test("ipc", "the try variants give EAGAIN on a full or an empty ring; messages of 1 to "
      "slot_size bytes", cmdline="run=chantest,full exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^chantest: full: (\d+) slots asked, (\d+) sent, then (\S+); empty (\S+); "
                     r"(\d+) more after a recv$")
    asked, sent = int(found.group(1)), int(found.group(2))
    assert asked == FULL_ASKED, found.group(0)
    assert sent == ring_slots(asked), "{} messages in a ring of {} slots asked, not {}".format(
        sent, asked, ring_slots(asked))
    assert (found.group(3), found.group(4)) == ("EAGAIN", "EAGAIN"), found.group(0)
    assert found.group(5) == "1", "a recv from a full ring freed {} slots".format(found.group(5))
    m.expect(r"^chantest: full: 0 bytes EINVAL, {} bytes EMSGSIZE, {} into 8 EMSGSIZE, then {}$"
             .format(FULL_SIZE + 1, FULL_SIZE, FULL_SIZE))
    expect_ok(m, "full")
    expect_done(m)


@test("ipc", "timed waits give ETIMEDOUT; a send wakes a sleeping receiver and a close wakes "
      "it with the end", cmdline="run=chantest,timeout,close exit panic=exit", timeout=60,
      qemu_args=ICOUNT)
def _(m):
    found = m.expect(r"^chantest: timeout: recv (\S+) after (\d+) ms, send (\S+) after (\d+) "
                     r"ms$")
    for what, err, ms in (("recv", found.group(1), int(found.group(2))),
                          ("send", found.group(3), int(found.group(4)))):
        assert err == "ETIMEDOUT", "a timed {} on a ring nobody moves: {}".format(what, err)
        # At least what was asked; at most two ticks more (rounding up,
        # and the tick already begun).
        assert TIMEOUT_MS <= ms <= TIMEOUT_MS + 2 * TICK_MS, \
            "a {} ms timed {} took {} ms".format(TIMEOUT_MS, what, ms)
    found = m.expect(r"^chantest: timeout: a receiver asleep (\d+) ms answered in (\d+) ms$")
    assert int(found.group(1)) == ASLEEP_MS, found.group(0)
    assert int(found.group(2)) <= TICK_MS, \
        "a send woke a receiver asleep on the futex after {} ms (its own check comes every " \
        "{} ms)".format(found.group(2), CHECK_MS)
    expect_ok(m, "timeout")
    found = m.expect(r"^chantest: close: (\d+) messages, then (.+) after (\d+) ms; send (\S+)$")
    assert int(found.group(1)) == CLOSE_SENT, found.group(0)
    assert found.group(2) == "end", "recv after the peer's close: {}".format(found.group(2))
    ms = int(found.group(3))
    assert CLOSE_WAIT <= ms <= CLOSE_WAIT + 2 * TICK_MS, \
        "the peer closed after {} ms; the sleeping recv returned after {} ms".format(
            CLOSE_WAIT, ms)
    assert found.group(4) == "EPIPE", "send on a closed channel: {}".format(found.group(4))
    expect_ok(m, "close")
    expect_done(m)


if __name__ == "__main__":
    main(["ipc"])
