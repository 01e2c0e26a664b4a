"""Grader of stage `forkexec` (so far: fork with copy-on-write, wait4,
execve from the filesystem).

Each test boots with `run=...` and `exit`, runs user/forktest (a GRUB
module) and checks its lines against facts computed here: the statuses a
child's exit or fault gives (Linux's encoding as musl's WEXITSTATUS and
WTERMSIG decode it), the sum of the statuses of 100 children, that free
memory (frames, heap and page cache, from /proc/meminfo) is the same before
and after a round of tests and in two runs of forktest (every frame a child
copied or shared comes back), and that the loader said why it refused the
garbage and the truncated file.
"""
from gradelib import main, test

import forkexec_fs
import forkexec_fuzz
import forkexec_isolation
import forkexec_ksh
import forkexec_memory
import forkexec_signals
import forkexec_tty
import forkexec_utils

# The modules of this stage's other tests, which register them with
# gradelib as they load (named here so that pyflakes sees them used).
TEST_MODULES = [forkexec_fs, forkexec_fuzz, forkexec_isolation, forkexec_ksh, forkexec_memory,
                forkexec_signals, forkexec_tty, forkexec_utils]

PID = r"\(pid (\d+)\)"
SIGSEGV, SIGILL, SIGFPE = 11, 4, 8
NMANY = 100


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


@test("forkexec", "execve: ENOENT, EACCES, ENOEXEC (garbage, truncated), E2BIG, EFAULT; "
      "the caller survives each", cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    for name in ("missing", "directory"):
        expect_ok(m, "exec " + name)
    m.expect(r"^elf: forktest.garbage: not an ELF file")
    expect_ok(m, "exec garbage")
    m.expect(r"^elf: forktest.truncated: ")
    for name in ("truncated", "E2BIG", "EFAULT"):
        expect_ok(m, "exec " + name)


@test("forkexec", "execve carries 100 arguments and 100 environment strings, closes "
      "O_CLOEXEC descriptors; musl's execv", cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    expect_ok(m, "exec 100 arguments")
    expect_ok(m, "exec close-on-exec")
    expect_ok(m, "execv")
    m.expect(r"^forktest: (\d+) passed, 0 failed$")
    m.expect(r"^proc: forktest {} exited with status 0$".format(PID))
    m.expect_exit(33)


@test("forkexec", "copy-on-write isolation both ways; 16 MiB written by a child",
      cmdline="run=forktest exit panic=exit", timeout=60)
def _(m):
    expect_ok(m, "cow child writes")
    expect_ok(m, "cow parent writes")
    expect_ok(m, "16 MiB")
    expect_ok(m, "cwd")


@test("forkexec", "frames and heap back to the baseline after forktest",
      cmdline="run=forktest;forktest;hello exit panic=exit", timeout=120)
def _(m):
    # forktest measures MemFree + Slab + Cached around its second round of
    # tests; the kernel's page cache keeps file pages of /bin/forktest and of
    # the files it wrote, so run's free frames alone would not come back.
    # Both runs of forktest must see the same figures: nothing either round,
    # or the first forktest's exit, left behind.
    figures = []
    for _run in range(2):
        found = m.expect(r"^forktest: frames: before (-?\d+) after (-?\d+)$")
        before, after = int(found.group(1)), int(found.group(2))
        assert before > 0 and before == after, "MemFree + Slab + Cached {} kB before the " \
            "second round of tests, {} kB after".format(before, after)
        m.expect(r"^forktest: \d+ passed, 0 failed$")
        figures.append(before)
    assert figures[0] == figures[1], "MemFree + Slab + Cached {} kB in the first forktest, " \
        "{} kB in the second".format(*figures)
    expect_hello(m)
    m.expect_exit(33)


@test("forkexec", "musl's posix_spawn (clone with CLONE_VM|CLONE_VFORK, then exec), "
      "posix_spawnp with file actions, system() and popen() through /bin/sh",
      cmdline="run=spawntest exit panic=exit", timeout=60)
def _(m):
    m.expect(r"^spawntest: spawn: child says hello$")
    for name in ("spawn", "spawnp pipe", "spawn missing"):
        found = m.expect(r"^spawntest: {}: (ok|FAILED.*)$".format(name))
        assert found.group(1) == "ok", "spawntest {}: {}".format(name, found.group(1))
    m.expect(r"^spawntest: system: piped$")
    for name in ("system", "popen"):
        found = m.expect(r"^spawntest: {}: (ok|FAILED.*)$".format(name))
        assert found.group(1) == "ok", "spawntest {}: {}".format(name, found.group(1))
    m.expect(r"^spawntest: done$")
    m.expect(r"^proc: spawntest {} exited with status 0$".format(PID))
    m.expect_exit(33)


if __name__ == "__main__":
    main(["forkexec"])
