"""emuclock.py: the emulator's clocks, which limit a test's time and catch hangs.

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
"""
import collections
import os
import time
from dataclasses import dataclass
from pathlib import Path

from emulator import die

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


# --------------------------------------------------------------------------
# The emulator's clocks (see the module's story above)
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


def emulator_idle(samples):
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


