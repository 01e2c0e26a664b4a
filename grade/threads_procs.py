"""Grader of stage `threads`, threads meeting processes: exit against
exit_group, execve and fork from a thread, per-thread signals, SIGKILL of
a process whose threads all sleep, /proc/PID/task and `ps -T`
(user/threadproc.c), and clone's tid words and refusals
(user/clonetest.c).

The facts computed here: wait statuses in Linux's encoding, memory back to
what it was, the pid an exec keeps, the threads a fork copies (one), the
tids and priorities the program set against what `ps -T` and
/proc/PID/task print for them, and Linux's errno for each clone refusal.
"""
import re

from gradelib import test

PID = r"\(pid (\d+)\)"
SIGKILL, SIGTERM = 9, 15
PS_PRIOS = (2, 5, 6)  # the priorities threadproc ps gives its three threads
PRIO_DEFAULT = 4


def expect_ok(m, prog, name):
    found = m.expect(r"^{}: {}: (ok|FAILED.*)$".format(prog, name))
    assert found.group(1) == "ok", "{} {}: {}".format(prog, name, found.group(1))


def expect_done(m, prog):
    m.expect(r"^{}: \d+ passed, 0 failed$".format(prog))
    m.expect(r"^proc: {} {} exited with status 0$".format(prog, PID))


@test("threads", "exit_group from one thread ends the four others; exit of one thread "
      "does not, and the last one's status is the process's",
      cmdline="run=threadproc,exitgroup,threadexit exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^threadproc: exitgroup: status (\w+ \d+), memory before (-?\d+) "
                     r"after (-?\d+)$")
    assert found.group(1) == "EXITED 3", "exit(3) in one thread: the child ended {}".format(
        found.group(1))
    before, after = int(found.group(2)), int(found.group(3))
    assert after >= before, "{} kB not given back by a five-thread process".format(
        before - after)
    expect_ok(m, "threadproc", "exitgroup")
    found = m.expect(r"^threadproc: threadexit: threads (\d+), after main's exit (\d+), "
                     r"after thread 0's (\d+)$")
    counts = [int(found.group(i)) for i in (1, 2, 3)]
    assert counts == [3, 2, 1], "Threads: of /proc/self/status as threads exit: {}".format(
        counts)
    m.expect(r"^threadproc: threadexit: status EXITED 7$")
    expect_ok(m, "threadproc", "threadexit")
    expect_done(m, "threadproc")


@test("threads", "execve from a thread ends the others and keeps the pid; fork from a thread "
      "copies only that thread", cmdline="run=threadproc,exec,fork exit panic=exit",
      timeout=60)
def _(m):
    found = m.expect(r"^threadproc: execd: pid (\d+) \(was (\d+)\), threads (\d+)$")
    assert found.group(1) == found.group(2), "execve changed the pid from {} to {}".format(
        found.group(2), found.group(1))
    assert found.group(3) == "1", "the new program has {} threads".format(found.group(3))
    m.expect(r"^threadproc: exec: status EXITED 0$")
    expect_ok(m, "threadproc", "exec")
    m.expect(r"^threadproc: fork: child threads 1$")
    m.expect(r"^threadproc: fork: status EXITED 0, parent threads 4$")
    expect_ok(m, "threadproc", "fork")
    expect_done(m, "threadproc")


def ps_rows(m, pid):
    """ps -T's rows of process pid: {spid: (state, priority)}, until its
    status line."""
    rows = {}
    while True:
        line = m.expect(r"^(threadproc: ps: ps -T status .*|\s*\d+\s+\d+\s+\d+ .*)$").group(1)
        if line.startswith("threadproc:"):
            assert line.endswith("EXITED 0"), line
            return rows
        f = line.split()
        if int(f[0]) == pid:
            rows[int(f[1])] = (f[3], int(f[4]))


@test("threads", "ps -T and /proc/PID/task list every thread with its own state and priority",
      cmdline="run=threadproc,ps exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^threadproc: ps: pid (\d+) tids (\d+) (\d+) (\d+) prios ([\d ]+)$")
    pid, tids = int(found.group(1)), [int(found.group(i)) for i in (2, 3, 4)]
    assert tuple(int(p) for p in found.group(5).split()) == PS_PRIOS, found.group(0)
    helper = int(m.expect(r"^threadproc: ps: ps -T from thread (\d+)$").group(1))
    m.expect(r"^\s*PID\s+SPID\s+PPID\s+S\s+PRI\s+NI\s+RSS\s+VSZ\s+COMMAND$")
    rows = ps_rows(m, pid)
    assert sorted(rows) == sorted([pid, helper] + tids), \
        "ps -T lists threads {} of pid {}, expected {}".format(sorted(rows), pid,
                                                               sorted([pid, helper] + tids))
    for tid, prio in zip(tids, PS_PRIOS):
        assert rows[tid] == ("S", prio), "ps -T: thread {} is {}, expected S at {}".format(
            tid, rows[tid], prio)
    assert rows[pid][1] == PRIO_DEFAULT, "ps -T: the main thread's priority {}".format(
        rows[pid][1])
    found = m.expect(r"^threadproc: ps: task dir ([\d ]+)$")
    assert [int(t) for t in found.group(1).split()] == sorted([pid] + tids), \
        "/proc/{}/task holds {}".format(pid, found.group(1))
    for tid, state, prio in [(pid, "R", PRIO_DEFAULT)] + [(t, "S", p)
                                                         for t, p in zip(tids, PS_PRIOS)]:
        m.expect(r"^threadproc: ps: {} {} {}$".format(tid, state, prio))
    expect_ok(m, "threadproc", "ps")
    expect_done(m, "threadproc")


@test("threads", "tgkill reaches the thread it names, kill the one thread that does not "
      "block the signal; SIGKILL and SIGTERM end a process whose threads all sleep",
      cmdline="run=threadproc,tgkill,sigmask,kill exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^threadproc: tgkill: sent to (\d+), handled by (\d+)$")
    assert found.group(1) == found.group(2), found.group(0)
    expect_ok(m, "threadproc", "tgkill")
    found = m.expect(r"^threadproc: sigmask: unblocked (\d+), handled by (\d+)$")
    assert found.group(1) == found.group(2), found.group(0)
    expect_ok(m, "threadproc", "sigmask")
    found = m.expect(r"^threadproc: kill: SIGKILL SIGNALED (\d+), SIGTERM SIGNALED (\d+)$")
    assert (int(found.group(1)), int(found.group(2))) == (SIGKILL, SIGTERM), found.group(0)
    expect_ok(m, "threadproc", "kill")
    expect_done(m, "threadproc")


@test("threads", "clone: the tid words a thread's start and exit write and clear (and its "
      "futex woken), a fork-like clone's, and Linux's refusals",
      cmdline="run=clonetest exit panic=exit", timeout=30)
def _(m):
    found = m.expect(r"^clonetest: cleartid: tid (\d+) ptid (-?\d+) ctid at start (-?\d+), "
                     r"after exit (-?\d+)$")
    tid = found.group(1)
    assert found.group(2) == tid, "CLONE_PARENT_SETTID wrote {}, not {}".format(
        found.group(2), tid)
    assert found.group(3) == tid, "CLONE_CHILD_SETTID: the thread saw {}, not {}".format(
        found.group(3), tid)
    assert found.group(4) == "0", "CLONE_CHILD_CLEARTID left {}".format(found.group(4))
    expect_ok(m, "clonetest", "cleartid")
    found = m.expect(r"^clonetest: forktid: pid (\d+) ptid (-?\d+) child saw ctid (\d+)$")
    pid = int(found.group(1))
    assert int(found.group(2)) == pid, found.group(0)
    assert int(found.group(3)) == pid & 0xff, found.group(0)
    expect_ok(m, "clonetest", "forktid")
    m.expect(re.escape("clonetest: flags: THREAD alone EINVAL, SIGHAND without VM EINVAL, "
                       "bad TLS EPERM"))
    expect_ok(m, "clonetest", "flags")
    expect_done(m, "clonetest")
