"""Grader tests of stage `forkexec` for signals, process groups, orphans and
process limits (imported by stage_forkexec.py).

Each test boots with `run=sigtest,NAME... exit` and checks user/sigtest's
lines against facts computed here: signal numbers from Python's `signal`
module and errno values from `errno` (Linux's, which the kernel must use),
the pid sigtest says its allocating child had against the OOM killer's
console line, the size the killer reports against the memory a machine of
this size can hold, and that the process count and free memory come back
to what they were.
"""
import errno
import signal

from gradelib import test

PROC_MAX = 128  # kernel/proc/proc.h


def sig_ok(m, name):
    found = m.expect(r"^sigtest: {}: (ok|FAILED.*)$".format(name))
    assert found.group(1) == "ok", "sigtest {}: {}".format(name, found.group(1))


def sig_done(m):
    m.expect(r"^sigtest: \d+ passed, 0 failed$")
    m.expect_exit(33)


@test("forkexec", "signals: default actions end a process and wait4 says which signal; "
      "SIGCHLD, SIGURG, SIGWINCH ignored; kill's ESRCH and EINVAL",
      cmdline="run=sigtest,default exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^sigtest: default: term (-?\d+) kill (-?\d+) usr1 (-?\d+)$")
    got = [int(x) for x in found.groups()]
    want = [signal.SIGTERM, signal.SIGKILL, signal.SIGUSR1]
    assert got == want, "children killed by {} were reported killed by {}".format(want, got)
    sig_ok(m, "default")
    sig_done(m)


@test("forkexec", "signals: a SA_SIGINFO handler interrupts a computation and returns with "
      "every register intact; siginfo names the sender",
      cmdline="run=sigtest,handler exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^sigtest: handler: signo (-?\d+) code (-?\d+)$")
    assert int(found.group(1)) == signal.SIGUSR1, "si_signo {}".format(found.group(1))
    assert int(found.group(2)) == 0, "si_code {}, not SI_USER (0)".format(found.group(2))
    sig_ok(m, "handler")
    sig_done(m)


@test("forkexec", "signals: a blocked signal stays pending until unblocked; SIGKILL can be "
      "neither caught nor blocked; exec resets handlers, keeps SIG_IGN",
      cmdline="run=sigtest,blocked,sigkill,exec exit panic=exit", timeout=60)
def _(m):
    for name in ("blocked", "sigkill", "exec"):
        sig_ok(m, name)
    sig_done(m)


@test("forkexec", "signals: kill of a process group; setpgid and setsid errors as Linux's",
      cmdline="run=sigtest,group,errnos exit panic=exit", timeout=60)
def _(m):
    sig_ok(m, "group")
    found = m.expect(r"^sigtest: errnos: ([-\d ]+)$")
    got = [int(x) for x in found.group(1).split()]
    want = [errno.EINVAL, errno.ESRCH, errno.EPERM, errno.EPERM, errno.EPERM, errno.EACCES,
            errno.ESRCH]
    assert got == want, "setpgid/setsid errnos {}, Linux gives {}".format(got, want)
    sig_ok(m, "errnos")
    sig_done(m)


@test("forkexec", "job control: SIGSTOP and SIGTSTP stop a child (WUNTRACED), SIGCONT "
      "continues it (WCONTINUED), SIGKILL ends it stopped",
      cmdline="run=sigtest,stop exit panic=exit", timeout=60)
def _(m):
    sig_ok(m, "stop")
    sig_done(m)


@test("forkexec", "orphans go to the subreaper, which reaps them; SIGCHLD's siginfo; "
      "SIGCHLD ignored means no zombies",
      cmdline="run=sigtest,orphan,sigchld exit panic=exit", timeout=60)
def _(m):
    sig_ok(m, "orphan")
    sig_ok(m, "sigchld")
    sig_done(m)


@test("forkexec", "signals: nanosleep ends with EINTR when a handler runs, wait4 restarts "
      "with SA_RESTART; clone(CLONE_VM|CLONE_VFORK) shares memory",
      cmdline="run=sigtest,eintr,vfork exit panic=exit", timeout=60)
def _(m):
    sig_ok(m, "eintr")
    sig_ok(m, "vfork")
    sig_done(m)


@test("forkexec", "a fork bomb gets EAGAIN, the process count comes back, then a program runs",
      cmdline="run=sigtest,forkbomb;hello exit panic=exit", timeout=120)
def _(m):
    found = m.expect(r"^sigtest: forkbomb: (\d+) children then errno (\d+); "
                     r"procs before (\d+) after (\d+)$")
    n, err, before, after = (int(x) for x in found.groups())
    assert err == errno.EAGAIN, "fork failed with errno {}, not EAGAIN".format(err)
    assert n + before == PROC_MAX, "{} children forked beside {} processes: the limit is " \
        "{}".format(n, before, PROC_MAX)
    assert before == after, "{} processes in /proc before, {} after".format(before, after)
    sig_ok(m, "forkbomb")
    m.expect(r"^sigtest: \d+ passed, 0 failed$")
    m.expect(r"^hello, world$")
    m.expect_exit(33)


@test("forkexec", "OOM: an allocation loop is killed with the message, memory comes back, "
      "the system works after", cmdline="run=sigtest,oom;hello exit panic=exit", timeout=120)
def _(m):
    # Three rounds (the first warms up); the figures are the last two's.
    # Each round's child is killed once: a second kill line would be a
    # second victim (or the dying child counted again).
    kills = []
    while True:
        found = m.expect(r"^(?:oom: killed pid (\d+) \(sigtest\), (\d+) KiB|"
                         r"sigtest: oom: child (\d+) status (-?\d+); "
                         r"memory before (-?\d+) after (-?\d+))$")
        if found.group(1) is None:
            break
        kills.append((int(found.group(1)), int(found.group(2))))
    assert len(kills) == 3 and len({pid for pid, _ in kills}) == 3, \
        "three rounds of one allocating child each, but the OOM killer killed pids {}".format(
            [pid for pid, _ in kills])
    victim, kib = kills[-1]
    # A machine of m.mem MiB: the victim held most of it.
    assert kib > 64 * 1024, "the victim held only {} KiB".format(kib)
    child, sig, before, after = (int(x) for x in found.groups()[2:])
    assert child == victim, "the OOM killer killed pid {}, the allocating child was {}".format(
        victim, child)
    assert sig == signal.SIGKILL, "the victim's status says signal {}".format(sig)
    assert before > 0 and before == after, "MemFree + Slab + Cached {} kB before, {} after" \
        .format(before, after)
    sig_ok(m, "oom")
    m.expect(r"^sigtest: \d+ passed, 0 failed$")
    m.expect(r"^hello, world$")
    m.expect_exit(33)


# ---- fork's inheritance, RLIMIT_NPROC, /proc's states (user/proctest) ----

@test("forkexec", "RLIMIT_NPROC: Linux's default for the memory size, fork gets EAGAIN at the "
      "limit, works again once children are reaped",
      cmdline="run=proctest,nproc;hello exit panic=exit", timeout=60)
def _(m):
    total = int(m.expect(r"^frames: (\d+) total").group(1))
    found = m.expect(r"^proctest: nproc: default (-?\d+) (-?\d+), (\d+) processes, limit "
                     r"(\d+): forked (\d+) then errno (\d+); after: status (-?\d+), "
                     r"(\d+) processes$")
    cur, hard, before, limit, n, err, status, after = (int(x) for x in found.groups())
    # Linux's fork_init: max_threads = memory / (8 * THREAD_SIZE of 16 KiB),
    # at least 20; the first process's RLIMIT_NPROC is half of it.
    want = max(total * 4096 // (8 * 16384), 20) // 2
    assert (cur, hard) == (want, want), \
        "RLIMIT_NPROC defaults to {} {}; Linux gives {} frames {}".format(cur, hard, total, want)
    assert err == errno.EAGAIN, "fork failed with errno {}, not EAGAIN".format(err)
    assert n == limit - before, "{} children forked beside {} processes under a limit of " \
        "{}: all processes count".format(n, before, limit)
    assert status == 7, "with the children reaped, a fork's child exited with {}, not 7 " \
        "(did fork work again?)".format(status)
    assert after == before, "{} processes in /proc before, {} after".format(before, after)
    m.expect(r"^proctest: nproc: ok$")
    m.expect(r"^hello, world$")
    m.expect_exit(33)


@test("forkexec", "nice: a fork child runs at its parent's nice value (getpriority and "
      "/proc/PID/stat)", cmdline="run=nice,-n,2,proctest,nice exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^proctest: nice: parent (-?\d+) child (-?\d+) stat (-?\d+)$")
    parent, child, stat = (int(x) for x in found.groups())
    assert parent == 2, "nice -n 2 ran proctest at nice {}".format(parent)
    assert child == 2, "a child of a nice 2 process runs at nice {}".format(child)
    assert stat == 2, "/proc/PID/stat of a nice 2 child says nice {}".format(stat)
    m.expect(r"^proctest: nice: ok$")
    m.expect_exit(33)


@test("forkexec", "/proc: a stopped process is T (stopped), continued it sleeps again",
      cmdline="run=proctest,stopped exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^proctest: stopped: '([^']*)' (\S+); continued: '([^']*)' (\S+)$")
    stopped, letter, continued, letter2 = found.groups()
    assert (stopped, letter) == ("T (stopped)", "T"), \
        "a process stopped by SIGSTOP: status '{}', stat {}; Linux: 'T (stopped)', T".format(
            stopped, letter)
    assert (continued, letter2) == ("S (sleeping)", "S"), \
        "continued, back in pause(): status '{}', stat {}; Linux: 'S (sleeping)', S".format(
            continued, letter2)
    m.expect(r"^proctest: stopped: ok$")
    m.expect_exit(33)
