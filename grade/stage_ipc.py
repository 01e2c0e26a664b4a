"""Grader of stage `ipc`: message passing by pid and to the parent
(os_send, os_recv), through files, with signals, and through direct
channels.

The mailbox tests boot with `run=msgtest,NAME` (user/msgtest.c) and check
its lines against facts computed here: 1,000 round trips with the sender's
pid, 8 senders x 10,000 messages with every sequence number once and in
order per sender (their sum computed here), 1 MiB moved by page transfer
with the checksum of its pattern computed here and the sender's resident
memory down by the 1 MiB, the mailbox bound of <os/msg.h>, blocked senders
woken with ESRCH when the receiver dies, and Linux-style errnos.

Signals from faults, the alternate signal stack, the interval timer and
interrupted calls (user/sigtest2.c) are graded in ipc_signals.py, direct
channels (user/chantest.c) in ipc_channels.py, FIFOs, poll and select, and
tmpfs at /tmp (user/fifotest/) in ipc_files.py.
"""
from gradelib import main, test

import ipc_channels
import ipc_files
import ipc_signals
import kelf
import robust_failinject

# The modules of this stage's other tests, which register them with
# gradelib as they load (named here so that pyflakes sees them used).
TEST_MODULES = [ipc_channels, ipc_files, ipc_signals, robust_failinject]

PID = r"\(pid (\d+)\)"
QUEUE_MAX = kelf.header_define("kernel/include/uapi/os/msg.h", "OS_MSG_QUEUE_MAX")
MSG_MAX = 1 << 20
SENDERS, PER_SENDER, ROUNDS = 8, 10000, 1000


def move_checksum():
    """The sum of the bytes of msgtest's 1 MiB pattern: (7i + i / 4096) mod 256."""
    return sum((i * 7 + (i >> 12)) & 0xff for i in range(MSG_MAX))


def expect_ok(m, prog, name):
    found = m.expect(r"^{}: {}: (ok|FAILED.*)$".format(prog, name))
    assert found.group(1) == "ok", "{} {}: {}".format(prog, name, found.group(1))


def expect_done(m, prog):
    m.expect(r"^{}: \d+ passed, 0 failed$".format(prog))
    m.expect(r"^proc: {} {} exited with status 0$".format(prog, PID))


@test("ipc", "messages by pid and to the parent: 1,000 round trips with the sender's pid",
      cmdline="run=msgtest,pingpong exit panic=exit", timeout=60)
def _(m):
    m.expect(r"^msgtest: pingpong: {} round trips, by pid and to the parent, sender ok$".format(
        ROUNDS))
    expect_ok(m, "msgtest", "pingpong")
    expect_done(m, "msgtest")


@test("ipc", "8 senders x 10,000 messages to one mailbox: none lost, doubled or reordered",
      cmdline="run=msgtest,many exit panic=exit", timeout=120)
def _(m):
    found = m.expect(r"^msgtest: many: (\d+) senders x (\d+) messages, received (\d+), "
                     r"per-sender order (\w+), sum (\d+)$")
    senders, per, received = (int(found.group(i)) for i in (1, 2, 3))
    assert (senders, per) == (SENDERS, PER_SENDER), found.group(0)
    assert received == senders * per, "{} messages of {}".format(received, senders * per)
    assert found.group(4) == "ok", "a sender's messages came out of order"
    expected = senders * sum(range(per))
    assert int(found.group(5)) == expected, "sequence numbers sum to {}, not {}".format(
        found.group(5), expected)
    expect_ok(m, "msgtest", "many")
    expect_done(m, "msgtest")


@test("ipc", "a 1 MiB message moves the sender's pages: every byte arrives, the sender's "
      "memory is gone", cmdline="run=msgtest,move exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^msgtest: move: (\d+) bytes, checksum (\d+), sender rss before (-?\d+) "
                     r"after (-?\d+)$")
    assert int(found.group(1)) == MSG_MAX, found.group(0)
    assert int(found.group(2)) == move_checksum(), "checksum {}, expected {}".format(
        found.group(2), move_checksum())
    before, after = int(found.group(3)), int(found.group(4))
    assert before - after >= MSG_MAX // 1024 - 4, \
        "the sender's RSS went from {} to {} kB: its pages were copied, not moved".format(
            before, after)
    expect_ok(m, "msgtest", "move")
    expect_done(m, "msgtest")


@test("ipc", "a full mailbox refuses with EAGAIN; senders blocked on a receiver that dies get "
      "ESRCH", cmdline="run=msgtest,full,dies exit panic=exit", timeout=60)
def _(m):
    m.expect(r"^msgtest: full: {} queued, then EAGAIN$".format(QUEUE_MAX))
    expect_ok(m, "msgtest", "full")
    m.expect(r"^msgtest: dies: blocked senders got ESRCH$")
    expect_ok(m, "msgtest", "dies")
    expect_done(m, "msgtest")


@test("ipc", "message errors: ESRCH (also for a receive whose sender dies), EMSGSIZE, EFAULT, "
      "ETIMEDOUT, EAGAIN; a message too big for the buffer stays queued", cmdline="run=msgtest,errors exit panic=exit", timeout=60)
def _(m):
    m.expect(r"^msgtest: errors: dead ESRCH, too big EMSGSIZE, bad buffer EFAULT, timeout "
             r"ETIMEDOUT, small buffer EMSGSIZE, nonblock EAGAIN, sender died ESRCH$")
    expect_ok(m, "msgtest", "errors")
    expect_done(m, "msgtest")


@test("ipc", "the mailbox as a descriptor: poll over it and a pipe times out, then wakes with "
      "POLLIN for a message; read takes it", cmdline="run=msgtest,fd exit panic=exit",
      timeout=60)
def _(m):
    m.expect(r"^msgtest: fd: poll before 0, after 1 with revents - POLLIN, read 5 'ping', "
             r"then EAGAIN$")
    expect_ok(m, "msgtest", "fd")
    expect_done(m, "msgtest")


if __name__ == "__main__":
    main(["ipc"])
