"""Grader of stage `forkexec` (so far: fork with copy-on-write, wait4, the
orphans of an exiting process).

Each test boots with `run=...` and `exit`, runs user/forktest (a GRUB
module) and checks its lines against facts computed here: the statuses a
child's exit or fault gives (Linux's encoding as musl's WEXITSTATUS and
WTERMSIG decode it), the sum of the statuses of 100 children, and that the
kernel's free frames plus heap pages after `hello` are the same before and
after forktest (every frame a child copied or shared comes back).
"""
from gradelib import main, test

PID = r"\(pid (\d+)\)"
SIGSEGV, SIGILL, SIGFPE = 11, 4, 8
NMANY = 100


def expect_frames(m):
    """run's free frames plus the heap's pages after a program."""
    free = int(m.expect(r"^run: (\d+) frames free, \d+ heap blocks in use$").group(1))
    return free + int(m.expect(r"^run: the heap holds (\d+) pages$").group(1))


def expect_hello(m):
    m.expect(r"^hello, world$")
    m.expect(r"^proc: hello {} exited with status 0$".format(PID))


def expect_ok(m, name):
    found = m.expect(r"^forktest: {}: (ok|FAILED.*)$".format(name))
    assert found.group(1) == "ok", "forktest {}: {}".format(name, found.group(1))


@test("forkexec", "fork and waitpid: the child's pid, ppid and exit status",
      cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    expect_ok(m, "basic")


@test("forkexec", "exit statuses and faults through wait4, as Linux encodes them",
      cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^forktest: statuses: exit ([\d ]+) killed ([\d ]+)$")
    exits = [int(x) for x in found.group(1).split()]
    kills = [int(x) for x in found.group(2).split()]
    assert exits == [0, 1, 42, 255], "exit statuses seen by the parent: {}".format(exits)
    assert kills == [SIGSEGV, SIGILL, SIGFPE], "signals seen by the parent: {}".format(kills)
    for sig in (SIGSEGV, SIGILL, SIGFPE):
        m.expect(r"^proc: forktest {} killed: ".format(PID))
    expect_ok(m, "statuses")


@test("forkexec", "a chain of 10 forks; 100 children forked and reaped; ECHILD after",
      cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    expect_ok(m, "chain")
    found = m.expect(r"^forktest: many: (\d+) children, statuses sum (\d+)$")
    assert int(found.group(1)) == NMANY, "{} children collected".format(found.group(1))
    assert int(found.group(2)) == NMANY * (NMANY - 1) // 2, "statuses sum {}".format(
        found.group(2))
    expect_ok(m, "many")


@test("forkexec", "WNOHANG, ECHILD, EFAULT from wait4",
      cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    expect_ok(m, "wnohang")
    expect_ok(m, "echild")
    expect_ok(m, "efault")


@test("forkexec", "copy-on-write isolation both ways; 16 MiB written by a child",
      cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    expect_ok(m, "cow child writes")
    expect_ok(m, "cow parent writes")
    expect_ok(m, "16 MiB")
    expect_ok(m, "cwd")


@test("forkexec", "frames and heap back to the baseline after forktest",
      cmdline="run=hello;forktest;hello exit panic=exit", timeout=90)
def _(m):
    expect_hello(m)
    before = expect_frames(m)
    found = m.expect(r"^forktest: frames: before (-?\d+) after (-?\d+)$")
    assert found.group(1) == found.group(2), \
        "MemFree + Slab {} kB before the tests, {} kB after".format(found.group(1), found.group(2))
    m.expect(r"^forktest: (\d+) passed, 0 failed$")
    m.expect(r"^proc: forktest {} exited with status 0$".format(PID))
    expect_frames(m)
    expect_hello(m)
    after = expect_frames(m)
    assert after == before, "frames free + heap pages: {} after hello, {} after " \
        "forktest and hello again".format(before, after)
    m.expect_exit(33)


if __name__ == "__main__":
    main(["forkexec"])
