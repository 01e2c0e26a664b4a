"""gradelib: boot the kernel in QEMU, match what it prints, and score the result.

Every grading script (`grade/stage_<name>.py`) imports this module.  A script
registers tests with the `@test` decorator; each test function receives a
started `Machine` and checks the kernel's serial output with `expect*` calls:

    from gradelib import test

    @test("heap", "kfree reuses memory", cmdline="test=kfree_reuse")
    def kfree_reuse(m):
        m.expect_pass("kfree_reuse")

    if __name__ == "__main__":
        gradelib.main(stages=["heap"])

How a test runs
---------------
* The kernel command line is not in the ISO.  GRUB's grub.cfg runs
  `source (hd0)0+1`, a GRUB script read from the first sector of an IDE disk,
  so each Machine writes a 512-byte ARGS.img (`set kargs="..."` padded with
  NUL bytes) into a temporary directory of its own and attaches it.
* QEMU runs with `-serial stdio`: the kernel's COM1 output is QEMU's stdout
  and QEMU's stdin is COM1 input.  A reader thread splits stdout into lines,
  drops `\\r` and ANSI escape sequences, and appends them to `Machine.output`.
* `expect(regex)` waits for the next line matching `regex` (re.search) after
  the line the previous expectation matched, so a test reads like a script of
  the output in order.  A `panic: ` line while waiting fails the test at once
  (except in `expect_panic`), as does QEMU exiting or the time running out.
* Kernel self-tests end the emulator through the isa-debug-exit device: QEMU's
  status is (value << 1) | 1, so 33 = ktest PASS, 35 = FAIL, 37 = panic.  Only
  an explicit success passes: QEMU's own statuses 0 and 1 (reboot, triple
  fault with -no-reboot, QEMU error) never count as success.

Time
----
Each test has a time limit (`timeout=` of `@test`, seconds from boot); an
`expect` may set a shorter limit of its own.  All limits are multiplied by the
environment variable GRADE_TIMEOUT_SCALE (default 1) for slow machines.

Environment
-----------
GRADE_QEMU           QEMU command to run instead of `qemu-system-x86_64`
                     (split like a shell would, so it may add arguments).
GRADE_TIMEOUT_SCALE  factor applied to every time limit (a float, default 1).

Running
-------
`main()` is the command-line front end shared by `grade/grade.py` (all
stages) and the stage scripts (one stage).  It builds the ISO with one
`make -s iso`, runs the selected tests in parallel (one QEMU each), prints one
line per test in registration order, a score per stage, a total, and a last
line `N passed, M failed`; it can also write Gradescope-style JSON and JUnit
XML.  Each test's full output is kept in `build/grade/<test>.log`.
"""

import argparse
import concurrent.futures
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

GRADE_DIR = Path(__file__).resolve().parent
REPO_ROOT = GRADE_DIR.parent
ISO = REPO_ROOT / "build" / "os.iso"
LOG_DIR = REPO_ROOT / "build" / "grade"
STAGES_MK = REPO_ROOT / "conf" / "stages.mk"
HANDOUT_STAMP = ".handout-stage"

# --------------------------------------------------------------------------
# QEMU: the one place that says how the kernel is run.
# --------------------------------------------------------------------------

QEMU_BINARY = "qemu-system-x86_64"
# Flags every run shares, with `make qemu` and friends too: conf/qemu-flags
# (TCG, -no-reboot so that a triple fault ends QEMU, and isa-debug-exit so
# that the kernel chooses QEMU's exit status).  Graders add a serial port on
# standard input and output and no screen; -cpu and -m come from the test,
# the ISO and the ARGS.img disk from the Machine.
QEMU_FLAGS = (REPO_ROOT / "conf" / "qemu-flags").read_text().split() + [
    "-display", "none", "-monitor", "none", "-serial", "stdio",
]
DEFAULT_CPU = "max"
DEFAULT_MEM = "128M"

# QEMU exit statuses chosen by the kernel: isa-debug-exit value v -> (v << 1) | 1.
STATUS_PASS = 33   # 0x10: ktest passed
STATUS_FAIL = 35   # 0x11: ktest failed
STATUS_PANIC = 37  # 0x12: panic in a test run

ARGS_SECTOR_SIZE = 512


def qemu_binary():
    """The QEMU command as a list: $GRADE_QEMU if set, else qemu-system-x86_64."""
    return shlex.split(os.environ.get("GRADE_QEMU", QEMU_BINARY))


def qemu_command(iso, args_img, cpu=DEFAULT_CPU, mem=DEFAULT_MEM, extra=()):
    """The full QEMU command line that boots `iso` with the GRUB script `args_img`."""
    # In -drive, a comma in the file name is written as two commas.
    drive = "file={},format=raw,if=ide,index=0".format(str(args_img).replace(",", ",,"))
    return (qemu_binary() + ["-cpu", cpu, "-m", mem] + QEMU_FLAGS
            + ["-cdrom", str(iso), "-drive", drive, "-boot", "d"] + list(extra))


BOCHSRC = REPO_ROOT / "conf" / "bochsrc"


def bochs_command(iso, args_img, workdir):
    """The Bochs command that boots `iso` like QEMU does, for graders.

    It writes a bochsrc into `workdir` from conf/bochsrc with the paths
    filled in, COM1 sent to standard output (the pipe the grader reads), no
    log file, and the VNC display that needs no screen.  Bochs' debugger
    waits for `c` on standard input, which Machine.start sends.
    """
    settings = {
        "ata0-master": 'type=disk, path="{}", mode=flat, cylinders=1, heads=1, spt=1'
                       .format(args_img),
        "ata1-master": 'type=cdrom, path="{}", status=inserted'.format(iso),
        "com1": "enabled=1, mode=file, dev=/dev/stdout",
        "display_library": 'rfb, options="timeout=0"',
        "log": "/dev/null",
        "panic": "action=fatal",
    }
    lines = []
    for line in BOCHSRC.read_text().splitlines():
        key = line.split(":", 1)[0].strip()
        lines.append("{}: {}".format(key, settings[key]) if key in settings else line)
    rc = Path(workdir) / "bochsrc"
    rc.write_text("\n".join(lines) + "\n")
    return ["bochs", "-q", "-f", str(rc)]


def make_args_image(cmdline):
    """The 512-byte ARGS.img sector that makes GRUB boot with `cmdline`.

    GRUB reads it with `source (hd0)0+1`, so it holds one line of GRUB script,
    `set kargs="CMDLINE"`, padded with NUL bytes.  Inside GRUB's double quotes
    `"`, `$` and `\\` are special and a newline would end the command, so such
    command lines are refused rather than quoted.
    """
    bad = sorted({c for c in cmdline if c in '"$\\' or ord(c) < 0x20 or ord(c) == 0x7f})
    if bad:
        raise ValueError("kernel command line {!r} contains {}: GRUB's quoting cannot "
                         "carry these characters".format(cmdline, ", ".join(map(repr, bad))))
    data = 'set kargs="{}"\n'.format(cmdline).encode("utf-8")
    if len(data) > ARGS_SECTOR_SIZE:
        raise ValueError("kernel command line is too long ({} bytes; at most {})".format(
            len(cmdline.encode("utf-8")), ARGS_SECTOR_SIZE - len('set kargs=""\n')))
    return data.ljust(ARGS_SECTOR_SIZE, b"\0")


def die(message):
    """Stop with a usage or configuration error (exit status 2)."""
    print(message, file=sys.stderr)
    sys.exit(2)


def timeout_scale():
    """The factor GRADE_TIMEOUT_SCALE applies to every time limit."""
    text = os.environ.get("GRADE_TIMEOUT_SCALE", "1")
    try:
        scale = float(text)
    except ValueError:
        scale = -1.0
    if not scale > 0:
        die("GRADE_TIMEOUT_SCALE={!r}: expected a positive number".format(text))
    return scale


def describe_status(status):
    """Say in words what a QEMU exit status means."""
    known = {
        STATUS_PASS: "ktest PASS",
        STATUS_FAIL: "ktest FAIL",
        STATUS_PANIC: "kernel panic",
        0: "QEMU's own exit: a triple fault, reboot or power-off",
        1: "a QEMU error, or isa-debug-exit with value 0",
    }
    if status is None:
        return "still running"
    if status in known:
        return known[status]
    if status < 0:
        return "killed by signal {}".format(-status)
    if status & 1:
        return "isa-debug-exit with value {:#x}".format(status >> 1)
    return "QEMU's own exit status"


# --------------------------------------------------------------------------
# Serial output cleaning
# --------------------------------------------------------------------------

# CSI sequences (ESC [ ... final), OSC strings (ESC ] ... BEL/ST), character
# set selection (ESC ( B) and the remaining two-byte escapes (ESC 7, ESC c).
ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-~]|[0-~])")


def clean_line(raw):
    """Decode one line of serial output and drop carriage returns and ANSI escapes."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return ANSI_RE.sub("", text).replace("\r", "")


# --------------------------------------------------------------------------
# Machine: one QEMU run
# --------------------------------------------------------------------------

class TestFailure(Exception):
    """A test failed; `reason` says why and `expected` what was awaited (if anything)."""

    def __init__(self, reason, expected=None):
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def fail(reason):
    """Fail the running test with `reason` (for checks a test makes itself)."""
    raise TestFailure(reason)


def _show(pattern):
    return "/{}/".format(pattern.pattern)


class Machine:
    """One QEMU running the kernel with a given command line.

    Use it through a test (which receives it started) or directly:

        with Machine("test=banner") as m:
            m.expect_pass("banner")

    Matching is in order: each expectation looks only at lines after the one
    the previous expectation matched.  A failed expectation raises
    TestFailure.  `close()` kills QEMU; it is safe to call more than once.
    """

    # Live machines, so that an interrupted run can kill every QEMU.
    _live = set()
    _live_lock = threading.Lock()

    def __init__(self, cmdline="", *, mem=DEFAULT_MEM, cpu=DEFAULT_CPU, qemu_args=(),
                 timeout=20, iso=ISO, emulator="qemu"):
        self.cmdline = cmdline
        self.emulator = emulator       # "qemu", or "bochs" (see bochs_command)
        self.mem = mem
        self.cpu = cpu
        self.qemu_args = list(qemu_args)
        self.iso = Path(iso)
        self.scale = timeout_scale()
        self.time_limit = timeout * self.scale
        self.expectations = 0          # expect* calls made; a test must make one
        self._args_image = make_args_image(cmdline)
        self._cond = threading.Condition()
        self._lines = []               # complete, cleaned lines
        self._partial = b""            # the unfinished last line, raw
        self._cursor = 0               # index of the next line to examine
        self._stderr = []
        self._status = None            # QEMU's exit status once it has exited
        self._eof = False              # stdout drained and QEMU reaped
        self._proc = None
        self._tmpdir = None
        self._threads = []
        self._deadline = None
        self.command = None            # the QEMU command line, once started

    # -- life cycle --------------------------------------------------------

    def start(self):
        """Write ARGS.img and start QEMU; the time limit counts from here."""
        self._tmpdir = tempfile.mkdtemp(prefix="grade-")
        args_img = Path(self._tmpdir) / "ARGS.img"
        args_img.write_bytes(self._args_image)
        if self.emulator == "bochs":
            self.command = bochs_command(self.iso.resolve(), args_img, self._tmpdir)
        else:
            self.command = qemu_command(self.iso, args_img, self.cpu, self.mem, self.qemu_args)
        try:
            self._proc = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if self.emulator == "bochs":
                self._proc.stdin.write(b"c\n")   # leave Bochs' debugger prompt
                self._proc.stdin.flush()
        except OSError as e:
            self.close()
            raise TestFailure("cannot run QEMU ({}): {} (set GRADE_QEMU to the QEMU "
                              "command)".format(shlex.join(qemu_binary()), e.strerror or e))
        with Machine._live_lock:
            Machine._live.add(self)
        self._deadline = time.monotonic() + self.time_limit
        for target in (self._read_stdout, self._read_stderr):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def close(self):
        """Kill QEMU (if still running) and remove the temporary directory."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            if self._proc.stdin:
                try:
                    self._proc.stdin.close()
                except OSError:
                    pass
            for thread in self._threads:
                thread.join(timeout=5)
            for pipe in (self._proc.stdout, self._proc.stderr):
                pipe.close()
            with Machine._live_lock:
                Machine._live.discard(self)
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    @classmethod
    def kill_all(cls):
        """Kill every running QEMU (used when the grader is interrupted)."""
        with cls._live_lock:
            machines = list(cls._live)
        for machine in machines:
            if machine._proc and machine._proc.poll() is None:
                machine._proc.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- reader threads ------------------------------------------------------

    def _read_stdout(self):
        fd = self._proc.stdout.fileno()
        pending = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            *complete, pending = (pending + chunk).split(b"\n")
            with self._cond:
                self._lines.extend(clean_line(raw) for raw in complete)
                self._partial = pending
                self._cond.notify_all()
        status = self._proc.wait()
        with self._cond:
            if pending:
                self._lines.append(clean_line(pending))
                self._partial = b""
            self._status = status
            self._eof = True
            self._cond.notify_all()

    def _read_stderr(self):
        for raw in self._proc.stderr:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    # -- what the kernel printed --------------------------------------------

    @property
    def output(self):
        """All lines printed so far (cleaned), including an unfinished last line."""
        with self._cond:
            lines = list(self._lines)
            if self._partial:
                lines.append(clean_line(self._partial))
            return lines

    @property
    def status(self):
        """QEMU's exit status, or None while it runs."""
        with self._cond:
            return self._status

    # -- expectations --------------------------------------------------------

    def expect(self, regex, timeout=None, partial=False):
        """Wait for the next line matching `regex` (re.search) and return the match.

        `timeout` (seconds, scaled) limits this wait further than the test's
        time limit.  With `partial=True` the unfinished last line counts too,
        for a prompt that has no newline yet.
        """
        pattern = re.compile(regex)
        return self._await_line(pattern, pattern.search, timeout, partial)

    def expect_pass(self, name):
        """Wait for `ktest: NAME: PASS` and for QEMU to exit with status 33.

        Bochs has no isa-debug-exit device (the kernel shuts it down through
        its shutdown port instead), so under Bochs the line alone decides."""
        pattern = re.compile(r"^ktest: {}: (PASS|FAIL\b.*)$".format(re.escape(name)))
        match = self._await_line(pattern, pattern.search, None, False)
        if match.group(1) != "PASS":
            raise TestFailure("kernel self-test failed: " + match.group(0),
                              "ktest: {}: PASS".format(name))
        if self.emulator == "qemu":
            self.expect_exit(STATUS_PASS)
        return match

    def expect_panic(self, regex=""):
        """Wait for a `panic: ` line matching `regex`, then QEMU's exit with status 37.

        A panic line that does not match `regex` fails the test.
        """
        pattern = re.compile(regex)

        def match_panic(line):
            if not line.startswith("panic: "):
                return None
            match = pattern.search(line)
            if match is None:
                self._fail_panic(line, pattern, "kernel panicked, but not as expected: ")
            return match

        match = self._await_line(pattern, match_panic, None, False, panic_ok=True)
        self.expect_exit(STATUS_PANIC, panic_ok=True)
        return match

    def expect_exit(self, status, timeout=None, panic_ok=None):
        """Wait for QEMU to exit and check that its exit status is `status`."""
        if panic_ok is None:
            panic_ok = status == STATUS_PANIC
        self.expectations += 1
        want = "QEMU exit status {} ({})".format(status, describe_status(status))
        deadline, limit = self._limits(timeout)
        with self._cond:
            while True:
                self._scan_for_panic(panic_ok, want)
                if self._eof:
                    break
                self._wait(deadline, limit, want, want)
        if self._status != status:
            raise TestFailure("QEMU exited with status {} ({}), expected {} ({})".format(
                self._status, describe_status(self._status), status,
                describe_status(status)) + self._qemu_said(), want)

    def send(self, text):
        """Type `text` on the serial port; "\\n" is sent as "\\r" (the Enter key)."""
        try:
            self._proc.stdin.write(text.replace("\n", "\r").encode("utf-8"))
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise TestFailure("could not send {!r}: QEMU has exited (status {}, {})".format(
                text, self.status, describe_status(self.status)))

    # -- waiting ---------------------------------------------------------

    def _limits(self, timeout):
        """The deadline of one wait and the words for a timeout message."""
        test_limit = "the test's time limit of {:.1f}s".format(self.time_limit)
        if timeout is None or time.monotonic() + timeout * self.scale >= self._deadline:
            return self._deadline, test_limit
        return time.monotonic() + timeout * self.scale, "{:.1f}s".format(timeout * self.scale)

    def _wait(self, deadline, limit, want, expected):
        """Sleep until output arrives; fail when the deadline passes (lock held)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            scale = ""
            if self.scale != 1:
                scale = " (GRADE_TIMEOUT_SCALE={:g})".format(self.scale)
            raise TestFailure("timeout: {} passed{} while waiting for {}".format(
                limit, scale, want), expected)
        self._cond.wait(remaining)

    def _await_line(self, pattern, match_line, timeout, partial, panic_ok=False):
        """Examine lines from the cursor on until `match_line` returns a match."""
        self.expectations += 1
        want = "a line matching " + _show(pattern)
        deadline, limit = self._limits(timeout)
        with self._cond:
            while True:
                while self._cursor < len(self._lines):
                    line = self._lines[self._cursor]
                    self._cursor += 1
                    match = match_line(line)
                    if match:
                        return match
                    if not panic_ok and line.startswith("panic: "):
                        self._fail_panic(line, pattern)
                if partial and self._partial and self._cursor == len(self._lines):
                    match = match_line(clean_line(self._partial))
                    if match:
                        # The finished line will be appended at this index: skip it.
                        self._cursor += 1
                        return match
                if self._eof:
                    raise TestFailure("QEMU exited with status {} ({}) before printing {}".format(
                        self._status, describe_status(self._status), want)
                        + self._qemu_said(), _show(pattern))
                self._wait(deadline, limit, want, _show(pattern))

    def _scan_for_panic(self, panic_ok, want):
        """Fail on an unexpected panic among the lines not yet examined (lock held)."""
        while self._cursor < len(self._lines):
            line = self._lines[self._cursor]
            self._cursor += 1
            if not panic_ok and line.startswith("panic: "):
                self._fail_panic(line, None, expected=want)

    def _fail_panic(self, line, pattern, prefix="kernel panicked: ", expected=None):
        """Let the panic report (registers, backtrace) finish printing, then fail (lock held)."""
        settle = time.monotonic() + 3 * self.scale
        while not self._eof and time.monotonic() < settle:
            self._cond.wait(settle - time.monotonic())
        raise TestFailure(prefix + line, expected or (_show(pattern) if pattern else None))

    def _qemu_said(self):
        said = [line for line in self._stderr if line]
        return "; QEMU said: " + " | ".join(said[-5:]) if said else ""


# --------------------------------------------------------------------------
# Test registry
# --------------------------------------------------------------------------

@dataclass
class Test:
    """A registered test: what to boot and the function that checks it."""
    stage: str
    title: str
    func: object
    cmdline: str = ""
    points: int = 1
    timeout: float = 20
    mem: str = DEFAULT_MEM
    cpu: str = DEFAULT_CPU
    qemu_args: tuple = ()
    emulator: str = "qemu"

    @property
    def name(self):
        return "{}: {}".format(self.stage, self.title)

    @property
    def slug(self):
        return re.sub(r"[^A-Za-z0-9]+", "-", self.name).strip("-").lower()


REGISTRY = []   # every registered test, in registration (file) order


def test(stage, title, cmdline="", points=1, timeout=20, mem=DEFAULT_MEM, cpu=DEFAULT_CPU,
         qemu_args=(), emulator="qemu"):
    """Register the decorated function `f(machine)` as a test of `stage`.

    `cmdline` is the kernel command line (for example "test=kfree_reuse"),
    `timeout` the time limit in seconds from boot (scaled by
    GRADE_TIMEOUT_SCALE), `mem`/`cpu` QEMU's -m/-cpu and `qemu_args` extra
    QEMU arguments such as ("-icount", "shift=0,align=off,sleep=off").
    `emulator="bochs"` boots the test in Bochs instead (mem, cpu and
    qemu_args then do not apply).
    """
    make_args_image(cmdline)  # refuse a bad command line when the script loads

    def register(func):
        REGISTRY.append(Test(stage, title, func, cmdline, points, timeout, mem, cpu,
                             tuple(qemu_args), emulator))
        return func
    return register


# --------------------------------------------------------------------------
# Stages and stage scripts
# --------------------------------------------------------------------------

def read_stages(path=STAGES_MK):
    """The stage names, in order, from the `STAGES := ...` line of conf/stages.mk."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        die("cannot read the stage list: {}".format(e))
    text = text.replace("\\\n", " ")   # make's line continuations
    for line in text.splitlines():
        match = re.match(r"\s*STAGES\s*:{0,2}=(.*)", line.split("#", 1)[0])
        if match:
            return match.group(1).split()
    die("{}: no `STAGES := ...` line".format(path))


def stage_script(stage, root=REPO_ROOT):
    """The grading script of `stage`, whether or not it exists."""
    return Path(root) / "grade" / "stage_{}.py".format(stage)


def handout_stage(root=REPO_ROOT):
    """The stage this tree is a handout of, or None in the full tree."""
    try:
        return (Path(root) / HANDOUT_STAMP).read_text().strip() or None
    except OSError:
        return None


def load_stage_scripts(stages):
    """Import grade/stage_<name>.py for each stage that has one (tests register)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    running = Path(main_file).resolve() if main_file else None
    for stage in stages:
        path = stage_script(stage)
        if not path.exists() or path.resolve() == running:
            continue
        name = "stage_" + stage
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


# --------------------------------------------------------------------------
# Running tests
# --------------------------------------------------------------------------

TAIL_LINES = 20


@dataclass
class Result:
    """The outcome of one run of one test."""
    test: Test
    passed: bool
    seconds: float
    reason: str = ""
    expected: str = None
    output: list = field(default_factory=list)
    log: Path = None

    def detail(self):
        """The indented explanation printed under a failing test's line."""
        lines = [self.reason]
        if self.expected:
            lines.append("expected: " + self.expected)
        tail = self.output[-TAIL_LINES:]
        if tail:
            lines.append("last {} lines of output:".format(len(tail)))
            lines.extend("  | " + line for line in tail)
        else:
            lines.append("(no output)")
        if self.log:
            lines.append("full output: " + _relative(self.log))
        text = "\n".join(lines)
        return "\n".join("    " + line for line in text.splitlines())


def _relative(path):
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def run_test(t, log_name=None):
    """Boot QEMU for test `t`, run its function, and return a Result."""
    start = time.monotonic()
    machine = None
    passed, reason, expected = False, "", None
    try:
        machine = Machine(t.cmdline, mem=t.mem, cpu=t.cpu, qemu_args=t.qemu_args,
                          timeout=t.timeout, emulator=t.emulator)
        machine.start()
        t.func(machine)
        if machine.expectations == 0:
            raise TestFailure("the test checked nothing (no expect call)")
        passed = True
    except TestFailure as e:
        reason, expected = e.reason, e.expected
    except AssertionError as e:
        # The assertion's message, or else its source line, says what failed.
        frame = traceback.extract_tb(e.__traceback__)[-1]
        reason = "check failed ({}:{}): {}".format(Path(frame.filename).name, frame.lineno,
                                                   str(e) or frame.line)
    except Exception as e:
        # Show the traceback from the test function on, not the runner's frame.
        reason = "error in the grading script:\n" + "".join(traceback.format_exception(
            type(e), e, e.__traceback__.tb_next)).rstrip()
    finally:
        if machine is not None:
            machine.close()
    output = machine.output if machine else []
    log = None
    if log_name:
        try:
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            log = LOG_DIR / log_name
            log.write_text("\n".join(output) + "\n")
        except OSError:
            log = None
    return Result(t, passed, time.monotonic() - start, reason, expected, output, log)


def result_line(result):
    verdict = "OK" if result.passed else "FAIL"
    return "{}  {} ({:.1f}s)".format(result.test.name, verdict, result.seconds)


def run_tests(tests, jobs, repeat=1, out=sys.stdout, stop_on_failure=False):
    """Run every test `repeat` times on `jobs` threads; return one list of Results per run.

    Lines are printed in registration order: a test's line appears as soon as
    it and every test before it have finished, so parallel output is stable.
    With `stop_on_failure`, the first failure (in that order) ends the run:
    tests not yet started are dropped and running ones are killed.
    """
    runs = [(run, t) for run in range(repeat) for t in tests]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = []
        for run, t in runs:
            log_name = t.slug + (".run{}".format(run + 1) if repeat > 1 else "") + ".log"
            futures.append(pool.submit(run_test, t, log_name))
        results = [[] for _ in range(repeat)]
        for (run, t), future in zip(runs, futures):
            if repeat > 1 and t is tests[0]:
                print("run {}/{}:".format(run + 1, repeat), file=out)
            result = future.result()
            results[run].append(result)
            print(result_line(result), file=out)
            if not result.passed:
                print(result.detail(), file=out)
            out.flush()
            if stop_on_failure and not result.passed:
                for pending in futures:
                    pending.cancel()
                Machine.kill_all()
                print("stopped at the first failure", file=out)
                break
        return results
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        Machine.kill_all()
        raise
    finally:
        pool.shutdown(wait=True)


def combine_runs(results):
    """One Result per test: its first failing run if any run failed, else its first run."""
    combined = []
    for per_test in zip(*results):
        failed = [r for r in per_test if not r.passed]
        combined.append(failed[0] if failed else per_test[0])
    return combined


def flaky_tests(results):
    """(test, passes) for each test whose outcome differed between runs."""
    flaky = []
    for per_test in zip(*results):
        passes = sum(r.passed for r in per_test)
        if 0 < passes < len(per_test):
            flaky.append((per_test[0].test, passes))
    return flaky


def print_summary(results, stages, out=sys.stdout):
    """The score per stage, the total, and the final `N passed, M failed` line."""
    total = possible = 0
    for stage in stages:
        mine = [r for r in results if r.test.stage == stage]
        if not mine:
            continue
        score = sum(r.test.points for r in mine if r.passed)
        points = sum(r.test.points for r in mine)
        print("{}: {}/{} points".format(stage, score, points), file=out)
        total += score
        possible += points
    print("Total: {}/{}".format(total, possible), file=out)
    passed = sum(r.passed for r in results)
    print("{} passed, {} failed".format(passed, len(results) - passed), file=out)


# --------------------------------------------------------------------------
# Machine-readable results
# --------------------------------------------------------------------------

def _result_text(result):
    if result.passed:
        return "OK ({:.1f}s)".format(result.seconds)
    return "FAIL ({:.1f}s)\n{}".format(result.seconds, result.detail())


def write_json(path, results, seconds):
    """Write a Gradescope-style results.json."""
    doc = {
        "score": sum(r.test.points for r in results if r.passed),
        "execution_time": round(seconds, 1),
        "tests": [{
            "name": r.test.name,
            "score": r.test.points if r.passed else 0,
            "max_score": r.test.points,
            "output": _result_text(r),
            "status": "passed" if r.passed else "failed",
        } for r in results],
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


# XML 1.0 cannot carry most control characters, even escaped.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text):
    return _XML_BAD.sub("?", text)


def write_junit(path, results, stages):
    """Write JUnit XML: one <testsuite> per stage, one <testcase> per test."""
    suites = ET.Element("testsuites", name="grade", tests=str(len(results)),
                        failures=str(sum(not r.passed for r in results)),
                        time="{:.1f}".format(sum(r.seconds for r in results)))
    for stage in stages:
        mine = [r for r in results if r.test.stage == stage]
        if not mine:
            continue
        suite = ET.SubElement(suites, "testsuite", name=stage, tests=str(len(mine)),
                              failures=str(sum(not r.passed for r in mine)),
                              time="{:.1f}".format(sum(r.seconds for r in mine)))
        for r in mine:
            case = ET.SubElement(suite, "testcase", classname=stage, name=r.test.title,
                                 time="{:.1f}".format(r.seconds))
            if not r.passed:
                failure = ET.SubElement(case, "failure",
                                        message=_xml_text(r.reason.splitlines()[0]))
                failure.text = _xml_text(r.detail())
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(r.output))
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def default_jobs():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def build(root=REPO_ROOT):
    """Run `make -s iso`; on failure print its output and return False."""
    proc = subprocess.run(["make", "-s", "iso"], cwd=root, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
    if proc.returncode != 0:
        print(proc.stdout.rstrip())
        print("build failed: `make -s iso` exited with status {}".format(proc.returncode))
        return False
    return True


def parse_args(argv, fixed_stages):
    parser = argparse.ArgumentParser(
        description="Boot the kernel in QEMU and grade it. Environment: GRADE_QEMU "
                    "(QEMU command), GRADE_TIMEOUT_SCALE (time limit factor).")
    if not fixed_stages:
        parser.add_argument("stages", nargs="*", metavar="STAGE",
                            help="stages to grade (default: every stage with a grader, "
                                 "up to the handout's stage in a handout tree)")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(),
                        help="tests run at once (default: the number of CPUs)")
    parser.add_argument("-k", metavar="SUBSTRING", dest="keyword",
                        help="only tests whose 'stage: title' contains SUBSTRING "
                             "(case-insensitive)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run the selection N times and report tests whose outcome "
                             "differed")
    parser.add_argument("-x", "--stop-on-failure", action="store_true",
                        help="stop at the first failing test")
    parser.add_argument("--json", metavar="FILE", help="write Gradescope-style results.json")
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    parser.add_argument("--list", action="store_true", help="list the selected tests and exit")
    parser.add_argument("--no-build", action="store_true", help="skip `make -s iso`")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.repeat < 1:
        parser.error("-j and --repeat need a positive number")
    return args


def select_stages(requested, all_stages):
    """The stages to grade, in stage order; exit with a message on a bad name."""
    if requested:
        unknown = [s for s in requested if s not in all_stages]
        if unknown:
            die("unknown stage {} (stages: {})".format(
                ", ".join(unknown), " ".join(all_stages)))
        missing = [s for s in requested if not stage_script(s).exists()]
        if missing:
            die("no grader for stage {}: {} does not exist".format(
                ", ".join(missing), _relative(stage_script(missing[0]))))
        return [s for s in all_stages if s in requested]
    stages = [s for s in all_stages if stage_script(s).exists()]
    limit = handout_stage()
    if limit in all_stages:
        stages = [s for s in stages if all_stages.index(s) <= all_stages.index(limit)]
    return stages


def main(stages=None, argv=None):
    """Grade from the command line and exit; `stages` fixes the stages (stage scripts).

    The exit status is 0 if every selected test passed, 1 otherwise, 2 on a
    usage error.
    """
    sys.exit(_grade(stages, argv))


def _grade(stages, argv):
    args = parse_args(argv, fixed_stages=stages is not None)
    timeout_scale()  # complain about a bad GRADE_TIMEOUT_SCALE before any test runs
    all_stages = read_stages()
    selected = select_stages(stages or args.stages, all_stages)
    load_stage_scripts(selected)
    unknown = sorted({t.stage for t in REGISTRY} - set(all_stages))
    if unknown:
        die("tests registered for unknown stage {} (stages: {})".format(
            ", ".join(unknown), " ".join(all_stages)))
    tests = [t for t in REGISTRY if t.stage in selected
             and (not args.keyword or args.keyword.lower() in t.name.lower())]
    if not tests:
        print("no tests selected")
        return 2
    if args.list:
        for t in tests:
            print("{} ({} point{})".format(t.name, t.points, "" if t.points == 1 else "s"))
        return 0

    start = time.monotonic()
    if not args.no_build and not build():
        print("0 passed, {} failed".format(len(tests)))
        return 1
    if not ISO.exists():
        print("{} does not exist: run `make iso` (or drop --no-build)".format(_relative(ISO)))
        print("0 passed, {} failed".format(len(tests)))
        return 1
    try:
        runs = run_tests(tests, args.jobs, args.repeat, stop_on_failure=args.stop_on_failure)
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    results = combine_runs(runs)
    if args.repeat > 1:
        flaky = flaky_tests(runs)
        for t, passes in flaky:
            print("flaky: {} (passed {} of {} runs)".format(t.name, passes, args.repeat))
        if not flaky:
            print("no flaky tests in {} runs".format(args.repeat))
    print_summary(results, selected)
    seconds = time.monotonic() - start
    if args.json:
        write_json(args.json, results, seconds)
    if args.junit:
        write_junit(args.junit, results, selected)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--print-qemu"]:
        print(shlex.join(qemu_command(_relative(ISO), "ARGS.img")))
    else:
        sys.exit("usage: {} --print-qemu   (graders: grade/grade.py)".format(sys.argv[0]))
