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

Time
----
A busy host must not turn a correct kernel into a failure, and a hung kernel
must fail in seconds, so no limit counts plain wall-clock time.

* QEMU time.  While QEMU runs, a sampler thread reads every POLL seconds the
  CPU time it has used (utime + stime of /proc/PID/stat, all threads), its
  demand (the time its threads ran or waited, runnable, for a CPU:
  /proc/PID/task/TID/schedstat) and whether a thread of it is runnable right
  now.  All are taken over the processes QEMU started too, since a
  GRADE_QEMU wrapper may fork.  A QEMU that computes wants a whole CPU
  however busy the host is, and QEMU time advances by the CPU time it got; a
  QEMU whose guest sits in `hlt` wants almost none (under IDLE_DEMAND of one
  CPU, and runnable in under that share of the samples), and QEMU time
  advances by wall time, which an idle guest's timers follow.  So QEMU time
  is about the time the test would take on an idle host: the time QEMU waits
  for a CPU that other processes hold does not count.
* Limits.  A test's `timeout=` (default 20) is seconds of QEMU time from the
  kernel's first line: the first byte on the serial port (under Bochs, the
  first after Bochs' own banner and debugger prompt).  BIOS and GRUB do not
  eat into it; they have BOOT_LIMIT of their own.  `expect(timeout=)` limits
  one wait further, from the wait's start.  A wall-clock ceiling of
  WALL_FACTOR times these limits is the last resort, for a QEMU that gets no
  CPU at all.
* Hangs.  While an `expect*` waits, the kernel is supposed to print: tests
  send input only after awaiting a prompt, so a kernel that waits for input
  at a prompt is never inside an expect.  Two checks end a wait early:
  - spinning: no output while QEMU used STALL_LIMIT CPU seconds (a loop
    that never ends, or under `-icount ... sleep=off` an idle guest, whose
    QEMU skips ahead at full speed);
  - halted: no output for IDLE_WINDOW wall seconds in which QEMU was idle
    (a kernel halted with interrupts off, a lost wake-up, a deadlock with
    only the timer ticking).
  New output, input sent with `send`, and the start of each wait reset
  both.  The `stall=` and `idle=` of `@test` raise them for a test whose
  kernel computes or sleeps silently for longer on purpose.  Once a test has
  failed by a hang, the tests of its stage that start later in the same run
  get AFTER_HANG times the default budgets (a test's own stall= or idle=
  stays): a kernel that hangs once mostly hangs in every test, and the
  student learns so in seconds, not minutes; their failure says so, and
  `-k` runs one test alone with the full budget.
* GRADE_TIMEOUT_SCALE multiplies every limit and budget.  A timeout message
  says which clock ran out; a hang message what kind of hang it saw.  Without
  schedstat (a host kernel without CONFIG_SCHED_INFO) demand is judged by
  CPU time and the runnable samples alone.

Environment
-----------
GRADE_QEMU           QEMU command to run instead of `qemu-system-x86_64`
                     (split like a shell would, so it may add arguments).
GRADE_TIMEOUT_SCALE  factor applied to every time limit and hang budget
                     (a float, default 1), for a slow machine.

Running
-------
`main()` is the command-line front end shared by `grade/grade.py` (all
stages) and the stage scripts (one stage).  It builds the ISO with one
`make -s iso`, runs the selected tests in parallel (one QEMU each), prints one
line per test in registration order, a score per stage, a total, and a last
line `N passed, M failed`; it can also write Gradescope-style JSON and JUnit
XML.  Each test's full output is kept in `build/grade/<test>.log`.
`--under-load N` grades twice, without and with N CPU hogs running, and
compares the verdicts: the test of the clocks above on a real kernel.
"""

import argparse
import collections
import concurrent.futures
import contextlib
import importlib.util
import json
import os
import re
import secrets
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

import labs
import qmp

GRADE_DIR = Path(__file__).resolve().parent
REPO_ROOT = GRADE_DIR.parent
ISO = REPO_ROOT / "build" / "os.iso"
LOG_DIR = REPO_ROOT / "build" / "grade"
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

# The fw_cfg file that carries a run's nonce (Machine.nonce, expect_pass).
NONCE_FILE = "opt/kestrel/nonce"

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


def make_args_image(cmdline, ramdisk=None, video=None):
    """The 512-byte ARGS.img sector that makes GRUB boot with `cmdline`.

    GRUB reads it with `source (hd0)0+1`, so it holds one line of GRUB script,
    `set kargs="CMDLINE"`, padded with NUL bytes.  Inside GRUB's double quotes
    `"`, `$` and `\\` are special and a newline would end the command, so such
    command lines are refused rather than quoted.

    With `ramdisk` (bytes), the disk carries that image from its second
    sector on, and a second line, `set ramdisk_file="(hd0)1+N"`, makes GRUB
    load it as the module "ramdisk" instead of the ISO's (conf/grub.cfg).
    With `video` ("1024x768x32"), `set kvideo=...` makes GRUB leave the
    machine in that graphics mode (the framebuffer console, /dev/fb0).
    """
    bad = sorted({c for c in cmdline if c in '"$\\' or ord(c) < 0x20 or ord(c) == 0x7f})
    if bad:
        raise ValueError("kernel command line {!r} contains {}: GRUB's quoting cannot "
                         "carry these characters".format(cmdline, ", ".join(map(repr, bad))))
    data = 'set kargs="{}"\n'.format(cmdline).encode("utf-8")
    if video is not None:
        if not re.fullmatch(r"\d+x\d+(x\d+)?", video):
            raise ValueError("video mode {!r} is not WIDTHxHEIGHT[xDEPTH]".format(video))
        data += "set kvideo={}\n".format(video).encode("utf-8")
    sectors = 0
    if ramdisk is not None:
        sectors = (len(ramdisk) + ARGS_SECTOR_SIZE - 1) // ARGS_SECTOR_SIZE
        data += 'set ramdisk_file="(hd0)1+{}"\n'.format(sectors).encode("utf-8")
    if len(data) > ARGS_SECTOR_SIZE:
        raise ValueError("kernel command line is too long ({} bytes; at most {})".format(
            len(cmdline.encode("utf-8")),
            ARGS_SECTOR_SIZE - len(data) + len(cmdline.encode("utf-8"))))
    image = data.ljust(ARGS_SECTOR_SIZE, b"\0")
    if ramdisk is not None:
        image += bytes(ramdisk).ljust(sectors * ARGS_SECTOR_SIZE, b"\0")
    return image


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
# The emulator's clocks (see "Time" above)
# --------------------------------------------------------------------------

POLL = 0.1            # seconds between two samples of the emulator's clocks
BOOT_LIMIT = 30       # QEMU time from QEMU's start to the kernel's first line
STALL_LIMIT = 10      # CPU seconds of QEMU without output while a wait runs
IDLE_WINDOW = 3       # wall seconds without output and with QEMU idle
IDLE_DEMAND = 0.25    # QEMU is idle while it wants less than this share of one CPU
AFTER_HANG = 0.4      # the hang budgets' factor once a test of the stage hung
WALL_FACTOR = 10      # the wall-clock ceiling, in multiples of the QEMU-time limits

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SCHEDSTAT = Path("/proc/self/schedstat").exists()


@dataclass
class Sample:
    """What an emulator had used at one moment (seconds)."""
    wall: float       # time.monotonic()
    cpu: float        # CPU time of its processes
    demand: float     # time its threads ran or waited to run; None without schedstat
    runnable: bool    # a thread of it was running or runnable (or in disk wait) then


def _proc_stat(pid, tid=None):
    """The fields of /proc/PID/stat (or of thread TID) after the command name, or None."""
    name = "/proc/{}/stat".format(pid) if tid is None else "/proc/{}/task/{}/stat".format(pid, tid)
    try:
        text = Path(name).read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_tree(root):
    """`root` and every process descended from it, found by their parent ids."""
    children = collections.defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _proc_stat(entry.name)
            if fields:
                children[int(fields[1])].append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children[pid])
    return tree


class EmulatorClock:
    """The CPU time and the demand of an emulator and the processes it started.

    CPU time is utime + stime of each process (all its threads).  Demand is
    the time each thread ran plus the time it waited, runnable, for a CPU
    (schedstat); the kernel adds a wait only when it ends, so each sample
    also notes whether a thread is runnable right now: a QEMU starved of CPU
    is, an idle one mostly is not.  Each process and thread adds what it
    used since it was last seen, so both totals only grow, also when a child
    exits.  The process tree is looked up again every `rescan` seconds (a
    scan of /proc costs a few milliseconds).  Used by one thread at a time.
    """

    def __init__(self, pid, rescan=1.0):
        self.root = pid
        self.rescan = rescan
        self._tree = [pid]
        self._scanned = None
        self._seen = {}
        self._cpu = 0.0
        self._demand = 0.0 if SCHEDSTAT else None

    def sample(self):
        now = time.monotonic()
        if self._scanned is None or now - self._scanned >= self.rescan:
            self._tree = process_tree(self.root)
            self._scanned = now
        runnable = False
        for pid in self._tree:
            fields = _proc_stat(pid)
            if fields:
                self._cpu += self._grow(pid, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
            for tid in _threads(pid):
                fields = _proc_stat(pid, tid)
                runnable = runnable or bool(fields and fields[0] in ("R", "D"))
                if self._demand is not None:
                    self._demand += self._grow((pid, tid), _schedstat(pid, tid))
        return Sample(now, self._cpu, self._demand, runnable)

    def _grow(self, key, value):
        """How much `value` of `key` grew since the last sample."""
        if value is None:
            return 0.0
        grown = value - self._seen.get(key, 0.0)
        self._seen[key] = value
        return max(grown, 0.0)


def _threads(pid):
    """The thread ids of process `pid` (none once it is gone)."""
    try:
        return os.listdir("/proc/{}/task".format(pid))
    except OSError:
        return []


def _schedstat(pid, tid):
    """Seconds thread `tid` ran plus seconds it waited for a CPU, or None."""
    try:
        run, wait = Path("/proc/{}/task/{}/schedstat".format(pid, tid)).read_text().split()[:2]
        return (int(run) + int(wait)) / 1e9
    except (OSError, ValueError):
        return None


def _idle(samples):
    """Whether the emulator was idle over `samples` (oldest first).

    Idle: it wanted less than IDLE_DEMAND of one CPU (by schedstat, else by
    its CPU time), and was runnable in less than that share of the samples."""
    first, last = samples[0], samples[-1]
    if last.demand is not None and first.demand is not None:
        used = last.demand - first.demand
    else:
        used = last.cpu - first.cpu
    runnable = sum(s.runnable for s in samples) / len(samples)
    return used < IDLE_DEMAND * (last.wall - first.wall) and runnable < IDLE_DEMAND


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

    `hang` is true when the kernel stopped making progress (see "Time")."""

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
    replace STALL_LIMIT and IDLE_WINDOW (all unscaled; see "Time").
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
        # The limits, scaled (see "Time"): QEMU time for the test and the boot,
        # CPU time for a spinning kernel, wall time for an idle one and the ceiling.
        self.time_limit = timeout * self.scale
        self.boot_limit = BOOT_LIMIT * self.scale
        self.stall_limit = (STALL_LIMIT if stall is None else stall) * self.scale
        self.idle_window = (IDLE_WINDOW if idle is None else idle) * self.scale
        self.wall_limit = WALL_FACTOR * (self.boot_limit + self.time_limit)
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
        idle = _idle([last, sample])
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
        """Seconds of QEMU time since QEMU's start (see "Time")."""
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
                limit is not None and now - wall >= WALL_FACTOR * limit):
            ceiling = self.wall_limit if limit is None else min(self.wall_limit,
                                                                 WALL_FACTOR * limit)
            return ("timeout: the wall-clock ceiling of {:.0f}s ({} times the limits in QEMU "
                    "time) passed while waiting for {}, with {:.1f}s of QEMU time used: QEMU "
                    "hardly gets a CPU on this host; {}".format(
                        ceiling, WALL_FACTOR, want, self.qemu_time(), scale))
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
        if last.wall - first.wall >= self.idle_window and _idle(self._quiet):
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
        ceiling = time.monotonic() + WALL_FACTOR * 3 * self.scale
        while not self._eof and self.qemu_time() < settle and time.monotonic() < ceiling:
            self._cond.wait(5 * POLL)
        raise TestFailure(prefix + line, expected or (_show(pattern) if pattern else None))

    def _qemu_said(self):
        said = [line for line in self._stderr if line]
        return "; QEMU said: " + " | ".join(said[-5:]) if said else ""


# --------------------------------------------------------------------------
# Test registry
# --------------------------------------------------------------------------


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
    stall: float = None
    idle: float = None
    ramdisk: object = None
    video: str = None
    setup: object = None

    @property
    def name(self):
        return "{}: {}".format(self.stage, self.title)

    @property
    def slug(self):
        return re.sub(r"[^A-Za-z0-9]+", "-", self.name).strip("-").lower()


REGISTRY = []   # every registered test, in registration (file) order


def test(stage, title, cmdline="", timeout=20, mem=DEFAULT_MEM, cpu=DEFAULT_CPU,
         qemu_args=(), emulator="qemu", stall=None, idle=None, ramdisk=None, video=None,
         setup=None):
    """Register the decorated function `f(machine)` as a test of `stage`.

    `cmdline` is the kernel command line (for example "test=kfree_reuse"),
    or a function returning it, called when the test starts (for a command
    line made of facts from the build, such as kernel addresses),
    `timeout` the time limit in seconds of QEMU time from the kernel's first
    line (scaled by GRADE_TIMEOUT_SCALE; see "Time"), `mem`/`cpu` QEMU's
    -m/-cpu and `qemu_args` extra QEMU arguments such as
    ("-icount", "shift=0,align=off,sleep=off").  `emulator="bochs"` boots
    the test in Bochs instead (mem, cpu and qemu_args then do not apply).
    `stall` (CPU seconds) and `idle` (wall seconds) replace the hang budgets
    STALL_LIMIT and IDLE_WINDOW for a kernel that computes or sleeps
    silently for longer on purpose.  `ramdisk`, a function returning bytes,
    gives the image GRUB loads as the module "ramdisk" instead of the ISO's
    (called when the test starts, after the build).  `video`
    ("1024x768x32") boots in that graphics mode (make_args_image).
    `setup`, a function of no arguments, is called when the test starts,
    before QEMU: to write the files its qemu_args name (a disk image).
    A test is worth 1 point unless its lab's lab.toml weighs it ([points]).
    """
    if not callable(cmdline):
        make_args_image(cmdline, video=video)  # refuse a bad command line when the script loads

    def register(func):
        REGISTRY.append(Test(stage, title, func, cmdline, 1, timeout, mem, cpu,
                             tuple(qemu_args), emulator, stall, idle, ramdisk, video, setup))
        return func
    return register


# --------------------------------------------------------------------------
# Stages and stage scripts
# --------------------------------------------------------------------------

def read_stages(root=REPO_ROOT):
    """The course's stage names, in order, from labs/NN-STAGE/ (grade/labs.py)."""
    return labs.stages(root)


def graded_stages(root=REPO_ROOT):
    """The stages graders know: the course's, then those being built (drafts)."""
    return labs.stages(root, drafts=True)


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
    """Import grade/stage_<name>.py for each stage that has one (tests register),
    then the instructor's hidden tests of the stage, labs/NN-<name>/hidden/*.py,
    which handouts leave out (grade/handout.py), and weigh the tests by the
    labs' [points] tables (in a handout tree, whose hidden tests are gone, a
    table's entry that matches nothing is let be)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    running = Path(main_file).resolve() if main_file else None
    for stage in stages:
        path = stage_script(stage)
        name = "stage_" + stage
        if path.exists() and path.resolve() == running:
            sys.modules.setdefault(name, sys.modules["__main__"])  # for the hidden tests
        elif path.exists() and name not in sys.modules:
            import_file(name, path)
        for hidden in sorted((labs.lab_dir(stage) / "hidden").glob("*.py")):
            if "hidden_{}_{}".format(stage, hidden.stem) not in sys.modules:
                import_file("hidden_{}_{}".format(stage, hidden.stem), hidden)
    labs.weigh([t for t in REGISTRY if t.stage in stages], strict=handout_stage() is None)


def import_file(name, path):
    """Import the Python file at path as module `name`."""
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
    boot_time: float = 0.0     # QEMU time to the kernel's first line (see "Time")
    test_time: float = 0.0     # QEMU time from there on

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


class HangLog:
    """The first test of each stage that failed by a hang in one run.

    Tests of that stage that start later get AFTER_HANG times the hang
    budgets (see "Time").  Shared by the runner's threads."""

    def __init__(self):
        self._first = {}
        self._lock = threading.Lock()

    def first(self, stage):
        with self._lock:
            return self._first.get(stage)

    def hung(self, t):
        with self._lock:
            self._first.setdefault(t.stage, t.name)


def run_test(t, log_name=None, hangs=None):
    """Boot QEMU for test `t`, run its function, and return a Result.

    With a HangLog `hangs`, a test whose stage hung before gets the short hang
    budgets, and a hang of this test is logged."""
    start = time.monotonic()
    machine = None
    passed, reason, expected = False, "", None
    stall, idle = t.stall, t.idle
    earlier = hangs.first(t.stage) if hangs else None
    if stall is not None and idle is not None:
        earlier = None                 # the test's own budgets stay
    if earlier:
        stall = AFTER_HANG * STALL_LIMIT if stall is None else stall
        idle = AFTER_HANG * IDLE_WINDOW if idle is None else idle
    try:
        if t.emulator == "host":
            machine = HostRun(t.timeout)
        else:
            if t.setup:
                t.setup()
            cmdline = t.cmdline() if callable(t.cmdline) else t.cmdline
            machine = Machine(cmdline, mem=t.mem, cpu=t.cpu, qemu_args=t.qemu_args,
                              timeout=t.timeout, emulator=t.emulator, stall=stall, idle=idle,
                              ramdisk=t.ramdisk() if t.ramdisk else None, video=t.video)
            machine.start()
        t.func(machine)
        if machine.expectations == 0:
            raise TestFailure("the test checked nothing (no expect call)")
        passed = True
    except TestFailure as e:
        reason, expected = e.reason, e.expected
        if e.hang and earlier:
            reason += (" [a short budget: '{}' hung earlier in this run; `-k` runs this test "
                       "alone with the full budget]".format(earlier))
        elif e.hang and hangs:
            hangs.hung(t)
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
    return Result(t, passed, time.monotonic() - start, reason, expected, output, log,
                  machine.boot_time if machine else 0.0, machine.test_time if machine else 0.0)


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
    hangs = [HangLog() for _ in range(repeat)]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = []
        for run, t in runs:
            log_name = t.slug + (".run{}".format(run + 1) if repeat > 1 else "") + ".log"
            futures.append(pool.submit(run_test, t, log_name, hangs[run]))
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
    print_scores(results, stages, out)
    passed = sum(r.passed for r in results)
    print("{} passed, {} failed".format(passed, len(results) - passed), file=out)


def print_scores(results, stages, out=sys.stdout):
    """The score per stage and the total."""
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


# --------------------------------------------------------------------------
# Grading under load: the test of the clocks on a real kernel
# --------------------------------------------------------------------------

HOG_SECONDS = 3600   # a CPU hog ends by itself after this long at the latest

# A CPU hog: busy until its parent (the grader) is gone or its time is up,
# optionally on the given CPUs only.
_HOG = """
import os, sys, time
parent, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
if sys.argv[3:]:
    os.sched_setaffinity(0, [int(cpu) for cpu in sys.argv[3:]])
while os.getppid() == parent and time.monotonic() < end:
    for _ in range(20000):
        pass
"""


@contextlib.contextmanager
def cpu_hogs(count, cpus=(), seconds=HOG_SECONDS):
    """Keep `count` busy processes running (on `cpus` only, if given) in the block.

    They are killed when the block ends; each also ends by itself after
    `seconds` or when this process dies."""
    hogs = []
    try:
        for _ in range(count):
            hogs.append(subprocess.Popen([sys.executable, "-c", _HOG, str(os.getpid()),
                                          str(seconds)] + [str(cpu) for cpu in cpus]))
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def grade_under_load(tests, jobs, hogs, stages, out=sys.stdout):
    """Grade `tests`, then again with `hogs` CPU hogs running; compare the verdicts.

    Prints both runs and every test whose verdict changed; returns the
    loaded run's Results and the number of tests with the same verdict."""
    print("== without hogs", file=out)
    start = time.monotonic()
    idle = run_tests(tests, jobs, out=out)[0]
    idle_seconds = time.monotonic() - start
    print("== the same tests with {} CPU hogs running".format(hogs), file=out)
    start = time.monotonic()
    with cpu_hogs(hogs):
        loaded = run_tests(tests, jobs, out=out)[0]
    loaded_seconds = time.monotonic() - start
    print("== without hogs:", file=out)
    print_scores(idle, stages, out)
    print("== with {} hogs:".format(hogs), file=out)
    print_scores(loaded, stages, out)
    same = 0
    for a, b in zip(idle, loaded):
        if a.passed == b.passed:
            same += 1
        else:
            print("verdict changed under load: {}: {} without hogs, {} with them".format(
                a.test.name, "OK" if a.passed else "FAIL", "OK" if b.passed else "FAIL"),
                file=out)
    scale = timeout_scale()
    over = [r for r in loaded if r.seconds > r.test.timeout * scale]
    slowest = max(loaded, key=lambda r: r.seconds / r.test.timeout)
    fullest = max(loaded, key=lambda r: r.test_time / r.test.timeout)
    print("with hogs the run took {:.0f}s against {:.0f}s; {} tests took longer than their "
          "time limit by the wall clock (the slowest: {}, {:.1f}s for {:g}s)".format(
              loaded_seconds, idle_seconds, len(over), slowest.test.name, slowest.seconds,
              slowest.test.timeout * scale), file=out)
    print("by QEMU time, the longest boot took {:.1f}s of {:g}s, and the test nearest its "
          "limit used {:.1f}s of {:g}s ({})".format(
              max(r.boot_time for r in loaded), BOOT_LIMIT * scale, fullest.test_time,
              fullest.test.timeout * scale, fullest.test.name), file=out)
    print("same verdict without and with {} hogs: {} of {} tests".format(
        hogs, same, len(tests)), file=out)
    return loaded, same


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
            # An instructor's hidden test (labs/*/hidden/) shows once grades are published.
            "visibility": "after_published" if r.test.func.__module__.startswith("hidden_")
            else "visible",
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


HELP_EPILOG = """\
examples:
  grade.py heap -k frames   only the heap tests whose name contains "frames"
  grade.py -x               stop at the first failing test
  grade.py heap --list      the test names that -k chooses from
  (with make: make grade STAGE=heap GRADEFLAGS="-k frames -x")

time limits:
  A test's limit counts QEMU time from the kernel's first line: the CPU time
  QEMU gets while it computes, wall time while the guest idles; so a busy
  machine does not fail a correct kernel.  A kernel that prints nothing while
  QEMU spins for {stall:g} CPU seconds, or sits idle for {idle:g} s, is reported
  as hung at once.  A wall-clock ceiling of {factor:g} times the limits is the
  last resort.

environment:
  GRADE_TIMEOUT_SCALE=2   double every limit and hang budget (a slow machine)
  GRADE_QEMU=CMD          the QEMU command to run instead of qemu-system-x86_64
""".format(stall=STALL_LIMIT, idle=IDLE_WINDOW, factor=WALL_FACTOR)


def parse_args(argv, fixed_stages):
    parser = argparse.ArgumentParser(
        description="Boot the kernel in QEMU and grade it.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=HELP_EPILOG)
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
    parser.add_argument("--under-load", type=int, metavar="N", default=0,
                        help="grade twice, idle and with N CPU hogs running, and count a "
                             "test as passed when its verdict is the same in both runs "
                             "(a test of the grader's clocks)")
    parser.add_argument("--json", metavar="FILE", help="write Gradescope-style results.json")
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    parser.add_argument("--list", action="store_true", help="list the selected tests and exit")
    parser.add_argument("--no-build", action="store_true", help="skip `make -s iso`")
    parser.add_argument("--sample", type=int, metavar="N", default=0,
                        help="of each stage's selected tests run at most N, spread evenly "
                             "over its list (the handout check's quick mode)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.repeat < 1 or args.under_load < 0 or args.sample < 0:
        parser.error("-j and --repeat need a positive number, --under-load and --sample "
                     "a count")
    if args.under_load and (args.repeat > 1 or args.stop_on_failure):
        parser.error("--under-load runs every test once idle and once loaded: "
                     "not with --repeat or -x")
    return args


def check_stage_names(requested, all_stages):
    """Exit with a message if a requested stage is not one of all_stages."""
    unknown = [s for s in requested if s not in all_stages]
    if unknown:
        die("unknown stage {} (stages: {})".format(", ".join(unknown), " ".join(all_stages)))


def select_stages(requested, all_stages):
    """The stages to grade, in stage order; exit with a message on a bad name."""
    if requested:
        check_stage_names(requested, all_stages)
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


def sample_tests(tests, n):
    """At most n of each stage's tests, spread evenly over its list, the first
    always among them: the same choice every run."""
    chosen = []
    for stage in dict.fromkeys(t.stage for t in tests):
        of_stage = [t for t in tests if t.stage == stage]
        step = max(1, -(-len(of_stage) // n))
        chosen += of_stage[::step]
    return chosen


def main(stages=None, argv=None):
    """Grade from the command line and exit; `stages` fixes the stages (stage scripts).

    The exit status is 0 if every selected test passed, 1 otherwise, 2 on a
    usage error.
    """
    sys.exit(_grade(stages, argv))


def _grade(stages, argv):
    args = parse_args(argv, fixed_stages=stages is not None)
    timeout_scale()  # complain about a bad GRADE_TIMEOUT_SCALE before any test runs
    all_stages = graded_stages()
    selected = select_stages(stages or args.stages, all_stages)
    load_stage_scripts(selected)
    unknown = sorted({t.stage for t in REGISTRY} - set(all_stages))
    if unknown:
        die("tests registered for unknown stage {} (stages: {})".format(
            ", ".join(unknown), " ".join(all_stages)))
    tests = [t for t in REGISTRY if t.stage in selected
             and (not args.keyword or args.keyword.lower() in t.name.lower())]
    if args.sample:
        tests = sample_tests(tests, args.sample)
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
    if args.under_load:
        try:
            results, same = grade_under_load(tests, args.jobs, args.under_load, selected)
        except KeyboardInterrupt:
            print("interrupted")
            return 130
        print("{} passed, {} failed".format(same, len(tests) - same))
        _write_reports(args, results, selected, start)
        return 0 if same == len(tests) else 1
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
    _write_reports(args, results, selected, start)
    return 0 if all(r.passed for r in results) else 1


def _write_reports(args, results, stages, start):
    """The --json and --junit files, if asked for."""
    if args.json:
        write_json(args.json, results, time.monotonic() - start)
    if args.junit:
        write_junit(args.junit, results, stages)


if __name__ == "__main__":
    if sys.argv[1:] == ["--print-qemu"]:
        print(shlex.join(qemu_command(_relative(ISO), "ARGS.img")))
    else:
        sys.exit("usage: {} --print-qemu   (graders: grade/grade.py)".format(sys.argv[0]))
