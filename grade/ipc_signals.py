"""Grader tests of stage `ipc` for signals from faults, the alternate signal
stack, the interval timer and interrupted calls (imported by stage_ipc.py).

Each test boots with `run=sigtest2,NAME... exit` and checks user/sigtest2's
lines against facts found here: signal and errno numbers from Python's
`signal` and `errno` modules (Linux's), si_code values from Linux's
<asm-generic/siginfo.h>, the page-fault error code bits of the Intel SDM
(Vol. 3A, 4.7), the instruction objdump finds in build/user/sigtest2 at the
address a handler was given, and the kernel's tick (TIMER_HZ).  The tests
whose figures are times run under `-icount`, where guest time is counted in
instructions and a loaded host cannot change them.
"""
import errno
import signal

from gradelib import REPO_ROOT, test

import kelf

SIGTEST2 = REPO_ROOT / "build" / "user" / "sigtest2"
PID = r"\(pid (\d+)\)"
HEX = r"0x([0-9a-f]+)"
ICOUNT = ("-icount", "shift=0,align=off,sleep=off")
TICK_MS = 1000 // kelf.header_define("kernel/arch/x86_64/timer.h", "TIMER_HZ")

# si_code values (Linux <asm-generic/siginfo.h>).
SI_KERNEL = 0x80
SEGV_MAPERR, SEGV_ACCERR = 1, 2
FPE_INTDIV, FPE_FLTDIV = 1, 3
ILL_ILLOPN = 2
TRAP_TRACE = 2
CLD_EXITED, CLD_KILLED = 1, 2
# Vectors and page-fault error code bits (Intel SDM Vol. 3A, 6.15 and 4.7).
T_DIVIDE, T_DEBUG, T_BREAKPOINT, T_INVALID_OP, T_PAGE_FAULT, T_FPU_ERROR = 0, 1, 3, 6, 14, 16
PF_PRESENT, PF_WRITE, PF_USER = 1, 2, 4
# sigaltstack's flags (Linux <asm/signal.h>).
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
# A fresh FPU: every exception masked (Intel SDM Vol. 1, 8.1.5 and 10.2.3).
FCW_DEFAULT, MXCSR_DEFAULT = 0x37f, 0x1f80


def expect_ok(m, name):
    found = m.expect(r"^sigtest2: {}: (ok|FAILED.*)$".format(name))
    assert found.group(1) == "ok", "sigtest2 {}: {}".format(name, found.group(1))


def expect_done(m):
    m.expect(r"^sigtest2: \d+ passed, 0 failed$")
    m.expect_exit(33)


def expect_fault(m, test, kind):
    """sigtest2's line for a fault it caught: {at, signo, code, addr, trapno, err, cr2,
    rip} as integers."""
    found = m.expect(r"^sigtest2: {}: {} at {}: signo (-?\d+) code (-?\d+) addr {} trapno (\d+) "
                     r"err {} cr2 {} rip {}$".format(test, kind, HEX, HEX, HEX, HEX, HEX))
    names = ("at", "signo", "code", "addr", "trapno", "err", "cr2", "rip")
    bases = (16, 10, 10, 16, 10, 16, 16, 16)
    return {n: int(v, b) for n, v, b in zip(names, found.groups(), bases)}


def check_signal(kind, f, signo, code, trapno):
    assert f["signo"] == signo, "{}: signal {}, Linux sends {}".format(kind, f["signo"], signo)
    assert f["code"] == code, "{}: si_code {}, Linux gives {}".format(kind, f["code"], code)
    assert f["trapno"] == trapno, "{}: the ucontext's trapno is {}, the vector is {}".format(
        kind, f["trapno"], trapno)


def check_instruction(kind, at, mnemonic):
    insn = kelf.instruction_at(at, SIGTEST2)
    assert insn.split()[0] == mnemonic, "{}: the instruction at {:#x} is '{}', not {}".format(
        kind, at, insn, mnemonic)


@test("ipc", "faults: SIGSEGV's siginfo says where (si_addr) and why (SEGV_MAPERR, "
      "SEGV_ACCERR), the handler siglongjmps out or returns to retry; blocked or ignored, "
      "SIGSEGV still kills", cmdline="run=sigtest2,segv exit panic=exit", timeout=60)
def _(m):
    # kind: (si_code, the error code: a read of an unmapped page, a write to a
    # read-only page read before, a read of a PROT_NONE page never mapped)
    for kind, code, err in (("unmapped", SEGV_MAPERR, PF_USER),
                            ("readonly", SEGV_ACCERR, PF_USER | PF_WRITE | PF_PRESENT),
                            ("none", SEGV_ACCERR, PF_USER)):
        f = expect_fault(m, "segv", kind)
        check_signal(kind, f, signal.SIGSEGV, code, T_PAGE_FAULT)
        assert f["addr"] == f["at"], "{}: si_addr {:#x}, the program touched {:#x}".format(
            kind, f["addr"], f["at"])
        assert f["cr2"] == f["at"], "{}: the ucontext's cr2 is {:#x}, not {:#x}".format(
            kind, f["cr2"], f["at"])
        assert f["err"] & 7 == err, "{}: the ucontext's err is {:#x}; the access makes {:#x} " \
            "(user, write, present bits)".format(kind, f["err"], err)
    found = m.expect(r"^sigtest2: segv: retried: handler ran (\d+) times, value (-?\d+)$")
    assert found.groups() == ("1", "42"), "a handler that made the page writable and " \
        "returned: {} (the write must run again, once, and store 42)".format(found.group(0))
    for _ in ("blocked", "ignored"):
        m.expect(r"^proc: sigtest2 {} killed: page fault: write at cr2=0x10 \(user, not "
                 r"present\), rip=0x[0-9a-f]+$".format(PID))
    found = m.expect(r"^sigtest2: segv: blocked: killed by (\d+), ignored: killed by (\d+)$")
    assert [int(s) for s in found.groups()] == [signal.SIGSEGV] * 2, \
        "a fault with SIGSEGV blocked or ignored must kill with SIGSEGV: " + found.group(0)
    expect_ok(m, "segv")
    expect_done(m)


@test("ipc", "faults: SIGFPE (FPE_INTDIV, and FPE_FLTDIV from an unmasked x87 exception), "
      "SIGILL (ILL_ILLOPN), SIGTRAP (int3, single steps, through a system call too) at the "
      "right instruction",
      cmdline="run=sigtest2,fpe,ill,trap exit panic=exit", timeout=60)
def _(m):
    f = expect_fault(m, "fpe", "div")
    check_signal("div", f, signal.SIGFPE, FPE_INTDIV, T_DIVIDE)
    check_instruction("div", f["addr"], "div")
    assert f["addr"] == f["rip"] == f["at"], "div: si_addr {:#x}, rip {:#x}, the divide is at " \
        "{:#x}".format(f["addr"], f["rip"], f["at"])
    f = expect_fault(m, "fpe", "x87")
    check_signal("x87", f, signal.SIGFPE, FPE_FLTDIV, T_FPU_ERROR)
    check_instruction("x87", f["addr"], "fwait")
    assert f["addr"] == f["at"], "x87: si_addr {:#x}, not {:#x}".format(f["addr"], f["at"])
    found = m.expect(r"^sigtest2: fpe: handler fcw {} mxcsr {}, after fcw {}$".format(
        HEX, HEX, HEX))
    fcw, mxcsr, after = (int(x, 16) for x in found.groups())
    assert (fcw, mxcsr) == (FCW_DEFAULT, MXCSR_DEFAULT), "the handler ran with x87 control " \
        "word {:#x} and MXCSR {:#x}: it must start with a fresh state ({:#x}, {:#x}), as on " \
        "Linux".format(fcw, mxcsr, FCW_DEFAULT, MXCSR_DEFAULT)
    assert after == FCW_DEFAULT, "after siglongjmp out of the handler the control word is " \
        "{:#x}, not the handler's fresh {:#x}".format(after, FCW_DEFAULT)
    expect_ok(m, "fpe")
    f = expect_fault(m, "ill", "ud2")
    check_signal("ud2", f, signal.SIGILL, ILL_ILLOPN, T_INVALID_OP)
    check_instruction("ud2", f["addr"], "ud2")
    assert f["addr"] == f["at"], "ud2: si_addr {:#x}, not {:#x}".format(f["addr"], f["at"])
    expect_ok(m, "ill")
    f = expect_fault(m, "trap", "int3")
    check_signal("int3", f, signal.SIGTRAP, SI_KERNEL, T_BREAKPOINT)
    check_instruction("int3", f["at"], "int3")
    assert f["rip"] == f["at"] + 1, "int3 at {:#x}: the handler's rip is {:#x}, not the " \
        "next instruction".format(f["at"], f["rip"])
    f = expect_fault(m, "trap", "step")
    check_signal("step", f, signal.SIGTRAP, TRAP_TRACE, T_DEBUG)
    check_instruction("step", f["at"] - 1, "nop")
    assert f["addr"] == f["rip"] == f["at"], "a single step after popf and one nop: si_addr " \
        "{:#x}, rip {:#x}, expected {:#x}".format(f["addr"], f["rip"], f["at"])
    found = m.expect(r"^sigtest2: trap: steps (\d+)$")
    assert found.group(1) == "1", "the handler cleared TF, yet it ran {} times".format(
        found.group(1))
    # nop (1 byte), mov $39, %eax (5), syscall (2), nop (1): a step after each
    # but the syscall's, which Linux and the CPU leave out (QEMU steps once
    # more at its return, +8): never one inside the kernel.
    found = m.expect(r"^sigtest2: trap: through a system call:((?: \+\d+)*), its end at "
                     r"\+(\d+)$")
    steps, end = [int(x) for x in found.group(1).split()], int(found.group(2))
    assert end == 9 and steps[:2] == [1, 6] and steps[-1] == end and \
        steps == sorted(set(steps)) and set(steps[2:-1]) <= {8}, \
        "single steps through getpid at +{}; expected +1 +6 (+8) +9".format(
            " +".join(map(str, steps)))
    expect_ok(m, "trap")
    expect_done(m)


@test("ipc", "sigaltstack: Linux's errors, none in a new thread or after exec, a fork "
      "child's copy, SS_AUTODISARM; a stack overflow's SIGSEGV handled on it",
      cmdline="run=sigtest2,altstack exit panic=exit", timeout=90)
def _(m):
    found = m.expect(r"^sigtest2: altstack: none (-?\d+), small errno (-?\d+), bad flags errno "
                     r"(-?\d+), set (-?\d+)$")
    got = [int(x) for x in found.groups()]
    want = [SS_DISABLE, errno.ENOMEM, errno.EINVAL, 0]
    assert got == want, "flags before, errnos of a 2047-byte stack and of flags 5, flags " \
        "once set: {}, Linux gives {}".format(got, want)
    found = m.expect(r"^sigtest2: altstack: thread (-?\d+), fork child (-?\d+), exec'd child "
                     r"(-?\d+)$")
    got = [int(x) for x in found.groups()]
    assert got == [SS_DISABLE, 0, SS_DISABLE], "ss_flags in a new thread, a fork child (with " \
        "the same stack) and after execve: {}, Linux gives {}".format(got,
                                                                     [SS_DISABLE, 0, SS_DISABLE])
    found = m.expect(r"^sigtest2: altstack: autodisarm: in handler (-?\d+), after 0x([0-9a-f]+)$")
    assert (int(found.group(1)), int(found.group(2), 16)) == (SS_DISABLE, SS_AUTODISARM), \
        "SS_AUTODISARM: a handler on the stack sees it disabled, and rt_sigreturn puts it " \
        "back: " + found.group(0)
    found = m.expect(r"^sigtest2: altstack: overflow at depth (.*): signo (-?\d+) code (-?\d+), "
                     r"handler on it (\w+), uc_stack flags (-?\d+), flags in handler (-?\d+), "
                     r"change errno (-?\d+)$")
    depth, signo, code, on, uc_flags, flags, err = found.groups()
    assert depth == "> 1000", "the recursion stopped at depth {}".format(depth)
    assert (int(signo), int(code)) == (signal.SIGSEGV, SEGV_MAPERR), \
        "overflowing into the guard gap: signal {} code {}, Linux: {} {}".format(
            signo, code, signal.SIGSEGV, SEGV_MAPERR)
    assert on == "yes", "the SA_ONSTACK handler did not run on the alternate stack"
    assert int(uc_flags) == 0, "uc_stack.ss_flags {}: the code interrupted was not on the " \
        "alternate stack (0)".format(uc_flags)
    assert int(flags) == SS_ONSTACK, "sigaltstack in the handler says {}, not SS_ONSTACK".format(
        flags)
    assert int(err) == errno.EPERM, "changing the stack while on it: errno {}, not EPERM".format(
        err)
    found = m.expect(r"^sigtest2: altstack: without it the overflow kills with signal (-?\d+)$")
    assert int(found.group(1)) == signal.SIGSEGV, "with no alternate stack the handler's frame " \
        "cannot be written: killed by {}, not SIGSEGV".format(found.group(1))
    expect_ok(m, "altstack")
    expect_done(m)


@test("ipc", "alarm(1) delivers SIGALRM a second later; alarm's and getitimer's time left; "
      "setitimer's EINVAL", cmdline="run=sigtest2,alarm exit panic=exit", timeout=60,
      qemu_args=ICOUNT)
def _(m):
    found = m.expect(r"^sigtest2: alarm: SIGALRM after (-?\d+) ms, code (-?\d+)$")
    ms, code = int(found.group(1)), int(found.group(2))
    assert 1000 <= ms <= 1000 + 2 * TICK_MS, "alarm(1) fired after {} ms".format(ms)
    assert code == SI_KERNEL, "SIGALRM's si_code {}, Linux gives SI_KERNEL".format(code)
    found = m.expect(r"^sigtest2: alarm: alarm\(5\) then alarm\(3\) gave (\d+), alarm\(0\) (\d+); "
                     r"getitimer of 1.5 s (\d+)\.(\d{6})$")
    first, second, sec, usec = (int(x) for x in found.groups())
    assert (first, second) == (5, 3), "alarm returns the seconds left, rounded: {} {}, " \
        "expected 5 3".format(first, second)
    left = sec * 1000000 + usec
    assert 1400000 < left <= 1500000, "getitimer just after setting 1.5 s says {} us".format(left)
    found = m.expect(r"^sigtest2: alarm: errnos usec (-?\d+) which (-?\d+)$")
    assert [int(x) for x in found.groups()] == [errno.EINVAL] * 2, \
        "setitimer with tv_usec 1000000, or timer 3: " + found.group(0)
    expect_ok(m, "alarm")
    expect_done(m)


@test("ipc", "setitimer: an interval timer delivers SIGALRM on time, again and again, until "
      "disarmed; a fork child has none, execve keeps it",
      cmdline="run=sigtest2,itimer exit panic=exit", timeout=60, qemu_args=ICOUNT)
def _(m):
    found = m.expect(r"^sigtest2: itimer: (\d+) signals, the first after (-?\d+) ms, then "
                     r"(-?\d+) (-?\d+) (-?\d+) (-?\d+) ms apart; interval (\d+)\.(\d{6})$")
    n, first, *gaps, sec, usec = (int(x) for x in found.groups())
    assert n == 5, found.group(0)
    assert 50 <= first <= 50 + 2 * TICK_MS, "a 50 ms timer fired after {} ms".format(first)
    assert all(abs(gap - 20) <= TICK_MS for gap in gaps) and abs(sum(gaps) - 80) <= TICK_MS, \
        "a 20 ms interval gave gaps of {} ms".format(gaps)
    assert (sec, usec) == (0, 20000), "the old setting's interval {}.{:06d}".format(sec, usec)
    found = m.expect(r"^sigtest2: itimer: disarmed: (\d+)\.(\d{6}) left, (-?\d+) more in 100 ms$")
    assert found.groups() == ("0", "000000", "0"), found.group(0)
    found = m.expect(r"^sigtest2: itimer: fork child has (\d+)\.(\d{6}) left, interval "
                     r"(\d+)\.(\d{6})$")
    assert all(int(x) == 0 for x in found.groups()), "a fork child inherited the timer: " + \
        found.group(0)
    found = m.expect(r"^sigtest2: itimer: exec'd with (-?\d+) ms left$")
    assert 0 < int(found.group(1)) <= 200, "a 200 ms timer had {} ms left after execve".format(
        found.group(1))
    found = m.expect(r"^sigtest2: itimer: exec'd child killed by (-?\d+)$")
    assert int(found.group(1)) == signal.SIGALRM, "the exec'd child was killed by {}, not " \
        "SIGALRM's default action".format(found.group(1))
    expect_ok(m, "itimer")
    expect_done(m)


@test("ipc", "SIGALRM interrupts a pipe read: EINTR without SA_RESTART, restarted with it",
      cmdline="run=sigtest2,restart exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^sigtest2: restart: without SA_RESTART read gave (-?\d+) errno (-?\d+) "
                     r"after (\d+) signal\(s\); with SA_RESTART read gave (-?\d+) after (\d+) "
                     r"signals$")
    got = [int(x) for x in found.groups()]
    assert got[:3] == [-1, errno.EINTR, 1], "without SA_RESTART: read {}, errno {}, after {} " \
        "signals; expected -1 EINTR after 1".format(*got[:3])
    assert got[3:] == [1, 3], "with SA_RESTART the read goes on until the third handler " \
        "writes a byte: it gave {} after {} signals".format(*got[3:])
    expect_ok(m, "restart")
    expect_done(m)


@test("ipc", "SIGCHLD's handler gets si_pid, si_code and si_status of an exited and a killed "
      "child", cmdline="run=sigtest2,sigchld exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^sigtest2: sigchld: exited child (\d+): pid (-?\d+) code (-?\d+) status "
                     r"(-?\d+); killed child (\d+): pid (-?\d+) code (-?\d+) status (-?\d+)$")
    a, pa, ca, sa, b, pb, cb, sb = (int(x) for x in found.groups())
    assert (pa, ca, sa) == (a, CLD_EXITED, 7), "exit(7) of child {}: si_pid {} si_code {} " \
        "si_status {}".format(a, pa, ca, sa)
    assert (pb, cb, sb) == (b, CLD_KILLED, signal.SIGKILL), "SIGKILL of child {}: si_pid {} " \
        "si_code {} si_status {}".format(b, pb, cb, sb)
    expect_ok(m, "sigchld")
    expect_done(m)


@test("ipc", "rt_sigreturn with a corrupt frame (unreadable, bad SSE area or MXCSR, kernel rip, "
      "bad cs) kills the process with SIGSEGV, not the kernel",
      cmdline="run=sigtest2,sigreturn;hello exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^sigtest2: sigreturn: unmapped frame (-?\d+), bad fpstate (-?\d+), bad "
                     r"mxcsr (-?\d+), kernel rip (-?\d+), bad cs (-?\d+)$")
    assert [int(x) for x in found.groups()] == [signal.SIGSEGV] * 5, \
        "each child must die of SIGSEGV: " + found.group(0)
    expect_ok(m, "sigreturn")
    m.expect(r"^sigtest2: \d+ passed, 0 failed$")
    m.expect(r"^hello, world$")
    m.expect_exit(33)


@test("ipc", "a fault in a thread runs the handler in that thread, which siglongjmps on",
      cmdline="run=sigtest2,thread exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^sigtest2: thread: fault at {} code (-?\d+) in tid (\d+), handled in tid "
                     r"(\d+), main (\d+)$".format(HEX))
    addr, code, tid, handler, main = (int(found.group(1), 16), *map(int, found.groups()[1:]))
    assert (addr, code) == (0x40, SEGV_MAPERR), "si_addr {:#x} si_code {}, expected 0x40 " \
        "SEGV_MAPERR".format(addr, code)
    assert tid == handler != main, "the fault of thread {} was handled in thread {} (main " \
        "{})".format(tid, handler, main)
    expect_ok(m, "thread")
    expect_done(m)


@test("ipc", "Ctrl-C on the terminal interrupts a read with SIGINT to the handler",
      cmdline="run=sigtest2,tty exit panic=exit", timeout=60)
def _(m):
    m.expect(r"^sigtest2: tty: ready for ctrl-c$")
    m.send("\x03")
    found = m.expect(r"^sigtest2: tty: read gave (-?\d+) errno (-?\d+); signo (-?\d+) code "
                     r"(-?\d+)$")
    got = [int(x) for x in found.groups()]
    want = [-1, errno.EINTR, signal.SIGINT, SI_KERNEL]
    assert got == want, "read, errno, signal and si_code: {}, Linux gives {}".format(got, want)
    expect_ok(m, "tty")
    expect_done(m)
