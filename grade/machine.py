"""machine.py: one run of the kernel in QEMU (or Bochs) and the checks of
what it prints.  gradelib's tests get a started Machine.

How a test runs
---------------
* The kernel command line is not in the ISO.  GRUB's grub.cfg runs
  `source (hd0)0+1`, a GRUB script read from the first sector of an IDE disk,
  so each Machine writes a 512-byte ARGS.img (`set kargs="..."` padded with
  NUL bytes) into a temporary directory of its own and attaches it.
* QEMU runs with `-serial stdio`: the kernel's COM1 output is QEMU's stdout
  and QEMU's stdin is COM1 input.  A reader thread splits stdout into lines,
  drops `\\r` and ANSI escape sequences, and appends them to `Machine.output`;
  `Machine.raw_output` keeps every byte as it came, for tests of the escapes
  themselves (replayed through a terminal emulator).
* QEMU also listens on a QMP socket in that directory; `m.monitor` (qmp.py)
  types on the emulated keyboard (`sendkey`), takes `screendump`s and reads
  guest memory (`pmemsave`), for tests of the screen and the keyboard.
* `expect(regex)` waits for the next line matching `regex` (re.search) after
  the line the previous expectation matched, so a test reads like a script of
  the output in order.  A `panic: ` line while waiting fails the test at once
  (except in `expect_panic`), as does QEMU exiting or the time running out.
* Kernel self-tests end the emulator through the isa-debug-exit device: QEMU's
  status is (value << 1) | 1, so 33 = ktest PASS, 35 = FAIL, 37 = panic.  Only
  an explicit success passes: QEMU's own statuses 0 and 1 (reboot, triple
  fault with -no-reboot, QEMU error) never count as success.
"""
import collections
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import emuclock
import qmp
from emuclock import POLL, EmulatorClock, emulator_idle, timeout_scale
from emulator import (DEFAULT_CPU, DEFAULT_MEM, ISO, NONCE_FILE, REPO_ROOT, STATUS_PANIC,
                      STATUS_PASS, bochs_command, describe_status, make_args_image, qemu_binary,
                      qemu_command)


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
    """A test failed; `reason` says why and `expected` what was awaited (if anything).

    `hang` is true when the kernel stopped making progress (see emuclock.py)."""

    def __init__(self, reason, expected=None, hang=False):
        super().__init__(reason)
        self.reason = reason
        self.expected = expected
        self.hang = hang


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
    `timeout` is the test's limit in seconds of QEMU time, `stall` and `idle`
    replace STALL_LIMIT and IDLE_WINDOW (all unscaled; see emuclock.py).
    `ramdisk` (bytes) replaces the ISO's ramdisk image, `video` sets a
    graphics mode (see make_args_image).
    """

    # Live machines, so that an interrupted run can kill every QEMU.
    _live = set()
    _live_lock = threading.Lock()

    def __init__(self, cmdline="", *, mem=DEFAULT_MEM, cpu=DEFAULT_CPU, qemu_args=(),
                 timeout=20, iso=ISO, emulator="qemu", stall=None, idle=None, ramdisk=None,
                 video=None):
        self.cmdline = cmdline
        self.emulator = emulator       # "qemu", or "bochs" (see bochs_command)
        self.mem = mem
        self.cpu = cpu
        self.qemu_args = list(qemu_args)
        self.iso = Path(iso)
        # A secret of this run, handed to the kernel through QEMU's fw_cfg
        # (kernel/boot/fwcfg.c), or under Bochs as the command line's word
        # nonce=N, and echoed only in the PASS lines of kernel/test/ktest.c.
        self.nonce = secrets.token_hex(8)
        self.scale = timeout_scale()
        # The limits, scaled (see emuclock.py): QEMU time for the test and the boot,
        # CPU time for a spinning kernel, wall time for an idle one and the ceiling.
        self.time_limit = timeout * self.scale
        self.boot_limit = emuclock.BOOT_LIMIT * self.scale
        self.stall_limit = (emuclock.STALL_LIMIT if stall is None else stall) * self.scale
        self.idle_window = (emuclock.IDLE_WINDOW if idle is None else idle) * self.scale
        self.wall_limit = emuclock.WALL_FACTOR * (self.boot_limit + self.time_limit)
        self.boot_time = 0.0           # QEMU time before the kernel's first line
        self.test_time = 0.0           # QEMU time since
        self.expectations = 0          # expect* calls made; a test must make one
        kernel_line = cmdline if emulator == "qemu" else " ".join(
            filter(None, [cmdline, "nonce=" + self.nonce]))
        self._args_image = make_args_image(kernel_line, ramdisk, video)
        self._cond = threading.Condition()
        self._lines = []               # complete, cleaned lines
        self._partial = b""            # the unfinished last line, raw
        self._raw = bytearray()        # all of stdout, as it came
        self._cursor = 0               # index of the next line to examine
        self._stderr = []
        self._status = None            # QEMU's exit status once it has exited
        self._eof = False              # stdout drained and QEMU reaped
        self._proc = None
        self._tmpdir = None
        self._threads = []
        self.command = None            # the QEMU command line, once started
        self.monitor = None            # a qmp.Monitor on QEMU's QMP socket, once started
        # Bochs prints a banner and its debugger prompt before the kernel.
        self._preamble = re.compile(r"^<bochs:\d+> ") if emulator == "bochs" else None
        self._began = False            # the kernel's first byte has arrived
        self._received = 0             # bytes of output, and
        self._sent = 0                 # send() calls: progress, with the waits
        self._clock = None
        self._started = None           # wall time of QEMU's start
        self._last = None              # the latest Sample
        self._progress = None          # (_received, _sent) when the silence began
        self._quiet_cpu = 0.0          # QEMU's CPU time then
        self._quiet = collections.deque()  # the samples since, the last idle_window's
        self._stopped = threading.Event()

    # -- life cycle --------------------------------------------------------

    def start(self):
        """Write ARGS.img and start QEMU; the clocks start here."""
        self._tmpdir = tempfile.mkdtemp(prefix="grade-")
        args_img = Path(self._tmpdir) / "ARGS.img"
        args_img.write_bytes(self._args_image)
        if self.emulator == "bochs":
            self.command = bochs_command(self.iso.resolve(), args_img, self._tmpdir)
        else:
            sock = Path(self._tmpdir) / "qmp.sock"
            self.monitor = qmp.Monitor(sock)
            self.command = qemu_command(self.iso, args_img, self.cpu, self.mem, self.qemu_args
                                        + ["-qmp", "unix:{},server=on,wait=off".format(sock),
                                           "-fw_cfg", "name={},string={}".format(NONCE_FILE,
                                                                               self.nonce)])
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
        self._started = time.monotonic()
        self._clock = EmulatorClock(self._proc.pid, rescan=min(1.0, self.idle_window / 3))
        self._last = self._clock.sample()
        self._reset_quiet()
        for target in (self._read_stdout, self._read_stderr, self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def close(self):
        """Kill QEMU (if still running) and remove the temporary directory."""
        self._stopped.set()
        if self.monitor is not None:
            self.monitor.close()
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
                lines = [clean_line(raw) for raw in complete]
                self._lines.extend(lines)
                self._partial = pending
                self._raw += chunk
                self._received += len(chunk)
                self._note_kernel(lines, pending)
                self._cond.notify_all()
        status = self._proc.wait()
        with self._cond:
            if pending:
                self._lines.append(clean_line(pending))
                self._partial = b""
            self._status = status
            self._eof = True
            self._cond.notify_all()

    def _note_kernel(self, lines, pending):
        """Notice the kernel's first byte among new output (lock held)."""
        if self._began:
            return
        if self._preamble is None:
            self._began = True
            return
        for i, line in enumerate(lines):
            if self._preamble.search(line):
                self._preamble = None
                self._began = i + 1 < len(lines) or bool(pending)
                return

    def _read_stderr(self):
        for raw in self._proc.stderr:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    # -- the sampler thread: QEMU time and silence ---------------------------

    def _watch(self):
        """Sample the emulator's clocks every POLL seconds until it exits."""
        while not self._stopped.wait(POLL):
            try:
                sample = self._clock.sample()
            except (OSError, ValueError, IndexError):
                continue
            with self._cond:
                if self._eof:
                    return
                self._advance(sample)
                self._cond.notify_all()

    def _advance(self, sample):
        """Move QEMU time on to `sample` and track the silence (lock held)."""
        last, self._last = self._last, sample
        idle = emulator_idle([last, sample])
        step = sample.wall - last.wall if idle else sample.cpu - last.cpu
        if self._began:
            self.test_time += step
        else:
            self.boot_time += step
        if self._note_progress():
            return
        self._quiet.append(sample)
        while len(self._quiet) > 1 and self._quiet[1].wall <= sample.wall - self.idle_window:
            self._quiet.popleft()

    def _note_progress(self):
        """Restart the silence if there was output or input since (lock held)."""
        if (self._received, self._sent) == self._progress:
            return False
        self._reset_quiet()
        return True

    def _reset_quiet(self):
        """Output, input or a new wait: the silence starts again (lock held, or
        no other thread yet)."""
        self._progress = (self._received, self._sent)
        self._quiet_cpu = self._last.cpu
        self._quiet = collections.deque([self._last])

    def qemu_time(self):
        """Seconds of QEMU time since QEMU's start (see emuclock.py)."""
        with self._cond:
            return self.boot_time + self.test_time

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
    def raw_output(self):
        """All bytes of serial output so far, uncleaned: escapes, "\\r" and all."""
        with self._cond:
            return bytes(self._raw)

    @property
    def status(self):
        """QEMU's exit status, or None while it runs."""
        with self._cond:
            return self._status

    # -- expectations --------------------------------------------------------

    def expect(self, regex, timeout=None, partial=False):
        """Wait for the next line matching `regex` (re.search) and return the match.

        `timeout` (seconds of QEMU time, scaled) limits this wait further than
        the test's time limit.  With `partial=True` the unfinished last line counts too,
        for a prompt that has no newline yet.
        """
        pattern = re.compile(regex)
        return self._await_line(pattern, pattern.search, timeout, partial)

    def expect_pass(self, name):
        """Wait for `ktest: NAME: PASS nonce=N` and for QEMU to exit with status 33.

        N must be this run's nonce, which only the kernel's test runner
        prints (it reads it from fw_cfg, or under Bochs from the command
        line): a PASS line without it, printed by a program or by any other
        code, is a forgery and fails the test.  Bochs has no isa-debug-exit
        device (the kernel shuts it down through its shutdown port instead),
        so there the exit status is not checked."""
        pattern = re.compile(r"^ktest: {}: (PASS(?: nonce=(\S+))?|FAIL\b.*)$".format(
            re.escape(name)))
        match = self._await_line(pattern, pattern.search, None, False)
        want = "ktest: {}: PASS nonce=<this run's>".format(name)
        if not match.group(1).startswith("PASS"):
            raise TestFailure("kernel self-test failed: " + match.group(0), want)
        if match.group(2) != self.nonce:
            raise TestFailure("a forged success line: {!r} lacks this run's nonce (only "
                              "kernel/test/ktest.c's runner prints it)".format(
                                  match.group(0)), want)
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
        with self._cond:
            wait = self._begin_wait(timeout)
            while True:
                self._scan_for_panic(panic_ok, want)
                if self._eof:
                    break
                self._wait(wait, want, want)
        if self._status != status:
            raise TestFailure("QEMU exited with status {} ({}), expected {} ({})".format(
                self._status, describe_status(self._status), status,
                describe_status(status)) + self._qemu_said(), want)

    def send(self, text):
        """Type `text` on the serial port; "\\n" is sent as "\\r" (the Enter key)."""
        with self._cond:
            self._sent += 1
        try:
            self._proc.stdin.write(text.replace("\n", "\r").encode("utf-8"))
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise TestFailure("could not send {!r}: QEMU has exited (status {}, {})".format(
                text, self.status, describe_status(self.status)))

    # -- waiting ---------------------------------------------------------

    def _begin_wait(self, timeout):
        """Start a wait: its own limit if it has one, and a fresh silence (lock held)."""
        self._reset_quiet()
        limit = None if timeout is None else timeout * self.scale
        return limit, self.qemu_time(), time.monotonic()

    def _wait(self, wait, want, expected):
        """Sleep until output arrives or the clocks move; fail when one runs out (lock held)."""
        self._note_progress()
        reason = self._out_of_time(wait, want)
        hang = self._hang(want)
        if reason or hang:
            raise TestFailure(reason or hang, expected, hang=not reason)
        self._cond.wait(5 * POLL)   # the sampler wakes us every POLL seconds

    def _out_of_time(self, wait, want):
        """Which clock ran out, in words, or None (lock held)."""
        limit, start, wall = wait
        qemu = "QEMU time (its CPU time while it computes, wall time while it idles)"
        scale = "on a slow machine, raise GRADE_TIMEOUT_SCALE (now {:g})".format(self.scale)
        now = time.monotonic()
        if now - self._started >= self.wall_limit or (
                limit is not None and now - wall >= emuclock.WALL_FACTOR * limit):
            ceiling = self.wall_limit if limit is None else min(self.wall_limit,
                                                                 emuclock.WALL_FACTOR * limit)
            return ("timeout: the wall-clock ceiling of {:.0f}s ({} times the limits in QEMU "
                    "time) passed while waiting for {}, with {:.1f}s of QEMU time used: QEMU "
                    "hardly gets a CPU on this host; {}".format(
                        ceiling, emuclock.WALL_FACTOR, want, self.qemu_time(), scale))
        if not self._began and self.boot_time >= self.boot_limit:
            return ("timeout: the kernel printed nothing in {:.1f}s of {} from QEMU's start "
                    "(BIOS and GRUB) while waiting for {}; {}".format(
                        self.boot_limit, qemu, want, scale))
        if self.test_time >= self.time_limit:
            return ("timeout: the test's time limit of {:.1f}s of {} from the kernel's first "
                    "line passed while waiting for {}; {}".format(
                        self.time_limit, qemu, want, scale))
        if limit is not None and self.qemu_time() - start >= limit:
            return "timeout: this wait's limit of {:.1f}s of {} passed while waiting for {}; {}" \
                .format(limit, qemu, want, scale)
        return None

    def _hang(self, want):
        """What kind of hang the silence shows, in words, or None (lock held)."""
        early = "stopped early, not at the test's {:.1f}s limit".format(self.time_limit)
        if self._began and self._last.cpu - self._quiet_cpu >= self.stall_limit:
            return ("hang: no output for {:.1f} CPU seconds of QEMU while waiting for {}: the "
                    "kernel runs but prints nothing (a loop that never ends?); {} "
                    "(GRADE_TIMEOUT_SCALE scales this budget too)".format(
                        self.stall_limit, want, early))
        first, last = self._quiet[0], self._quiet[-1]
        if last.wall - first.wall >= self.idle_window and emulator_idle(self._quiet):
            return ("hang: no output for {:.1f}s with QEMU idle while waiting for {}: the "
                    "kernel sits halted (interrupts off, a lost wake-up, a deadlock); "
                    "{}".format(self.idle_window, want, early))
        return None

    def _await_line(self, pattern, match_line, timeout, partial, panic_ok=False):
        """Examine lines from the cursor on until `match_line` returns a match."""
        self.expectations += 1
        want = "a line matching " + _show(pattern)
        with self._cond:
            wait = self._begin_wait(timeout)
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
                self._wait(wait, want, _show(pattern))

    def _scan_for_panic(self, panic_ok, want):
        """Fail on an unexpected panic among the lines not yet examined (lock held)."""
        while self._cursor < len(self._lines):
            line = self._lines[self._cursor]
            self._cursor += 1
            if not panic_ok and line.startswith("panic: "):
                self._fail_panic(line, None, expected=want)

    def _fail_panic(self, line, pattern, prefix="kernel panicked: ", expected=None):
        """Let the panic report (registers, backtrace) finish printing, then fail (lock held)."""
        settle = self.qemu_time() + 3 * self.scale
        ceiling = time.monotonic() + emuclock.WALL_FACTOR * 3 * self.scale
        while not self._eof and self.qemu_time() < settle and time.monotonic() < ceiling:
            self._cond.wait(5 * POLL)
        raise TestFailure(prefix + line, expected or (_show(pattern) if pattern else None))

    def _qemu_said(self):
        said = [line for line in self._stderr if line]
        return "; QEMU said: " + " | ".join(said[-5:]) if said else ""


class HostRun:
    """What a test with emulator="host" gets instead of a Machine: it runs
    programs on this machine (the host unit tests of a stage's code, such as
    the FAT library's) and checks their output with the same expect calls.
    """

    def __init__(self, timeout):
        self.timeout = timeout * timeout_scale()
        self.output = []
        self.expectations = 0
        self.boot_time = self.test_time = 0.0
        self._next = 0

    def run(self, argv):
        """Run argv from the top of the tree; its output (stdout and stderr
        together) joins self.output.  Returns its exit status."""
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace",
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            self.output.extend((e.output or "").splitlines())
            raise TestFailure("{} did not finish within {:.0f}s".format(argv[0], self.timeout))
        self.output.extend(proc.stdout.splitlines())
        self.test_time += time.monotonic() - start
        return proc.returncode

    def expect(self, regex):
        """The next line of the output so far that matches regex (re.search)."""
        self.expectations += 1
        pattern = re.compile(regex)
        for i in range(self._next, len(self.output)):
            match = pattern.search(self.output[i])
            if match:
                self._next = i + 1
                return match
        raise TestFailure("no line matching {!r} in the output".format(regex), regex)

    def close(self):
        pass


