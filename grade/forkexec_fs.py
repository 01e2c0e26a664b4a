"""Grader tests of stage `forkexec` for filesystem servers that are killed
(imported by stage_forkexec.py): they need kill(2).

user/fskill finds the server in /proc, has a child wait on it (a READ of
hellofs's `slow`, which hellofs holds unanswered, or reads of the FAT
server's largest file), and sends the server SIGKILL.  The child's read and
a stat afterwards must fail with ENOTCONN or EIO (Python's errno numbers,
Linux's), not hang; the kernel must say the server was killed and close its
connection; the FAT server, which the kernel started, must be collected
(its /proc directory goes away) instead of staying a zombie.
"""
import errno
import re

from gradelib import test

SERVER_GONE = (errno.ENOTCONN, errno.EIO)


def killed_server(m, name):
    """fskill's pid of the server, checked against the kernel's lines."""
    pid = int(m.expect(r"^fskill: server {} pid (\d+)$".format(name)).group(1))
    m.expect(r"^proc: {} \(pid {}\) killed by signal 9$".format(name, pid))
    m.expect(r"^fuse: connection \d+ closed \(the server closed /dev/fuse\)")
    return pid


def errors_after(m):
    for what in ("child read", "stat after"):
        got = int(m.expect(r"^fskill: {}: errno (\d+)$".format(re.escape(what))).group(1))
        assert got in SERVER_GONE, "{} got errno {}, expected ENOTCONN ({}) or EIO ({})".format(
            what, got, errno.ENOTCONN, errno.EIO)


@test("forkexec", "killing hellofs while a caller waits on its READ: ENOTCONN/EIO, no hang",
      cmdline="run=hellofs,--test,/mnt&fskill,hellofs,/mnt exit panic=exit", timeout=60)
def _(m):
    killed_server(m, "hellofs")
    errors_after(m)
    m.expect(r"^fskill: done$")
    m.expect(r"^run: done, last status 137")


@test("forkexec", "killing the FAT server at / with a program loaded: ENOTCONN/EIO, and the "
      "kernel collects the server it started (no zombie)",
      cmdline="run=fskill,fatfs exit panic=exit", timeout=60)
def _(m):
    killed_server(m, "fatfs")
    errors_after(m)
    m.expect(r"^fskill: server (collected)$")
    m.expect(r"^fskill: done$")
