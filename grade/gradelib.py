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

The pieces: machine.py (a Machine: one run and its expect calls),
emulator.py (QEMU's and Bochs' command lines), emuclock.py (the clocks that
limit time and catch hangs), reports.py (scores, JSON, JUnit) and labs.py
(the stage list and points).

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
compares the verdicts: the test of emuclock.py's clocks on a real kernel.
"""
import argparse
import concurrent.futures
import contextlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import emuclock
import labs
from emuclock import STALL_LIMIT, timeout_scale
from emulator import (DEFAULT_CPU, DEFAULT_MEM, ISO, REPO_ROOT, STATUS_PASS, describe_status, die,
                      make_args_image, qemu_command)
from machine import HostRun, Machine, TestFailure, clean_line, fail
from reports import print_scores, print_summary, write_json, write_junit

# What grading scripts use, from here or from the modules gradelib is made of.
__all__ = ["GRADE_DIR", "REPO_ROOT", "STALL_LIMIT", "STATUS_PASS", "Machine", "TestFailure",
           "clean_line", "describe_status", "fail", "main", "test", "timeout_scale"]

GRADE_DIR = Path(__file__).resolve().parent
LOG_DIR = REPO_ROOT / "build" / "grade"
HANDOUT_STAMP = ".handout-stage"


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
    line (scaled by GRADE_TIMEOUT_SCALE; see emuclock.py), `mem`/`cpu` QEMU's
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
    boot_time: float = 0.0     # QEMU time to the kernel's first line (see emuclock.py)
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
    budgets (see emuclock.py).  Shared by the runner's threads."""

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
        stall = emuclock.AFTER_HANG * emuclock.STALL_LIMIT if stall is None else stall
        idle = emuclock.AFTER_HANG * emuclock.IDLE_WINDOW if idle is None else idle
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
              max(r.boot_time for r in loaded), emuclock.BOOT_LIMIT * scale, fullest.test_time,
              fullest.test.timeout * scale, fullest.test.name), file=out)
    print("same verdict without and with {} hogs: {} of {} tests".format(
        hogs, same, len(tests)), file=out)
    return loaded, same


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
""".format(stall=emuclock.STALL_LIMIT, idle=emuclock.IDLE_WINDOW, factor=emuclock.WALL_FACTOR)


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
