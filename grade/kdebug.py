#!/usr/bin/env python3
"""kdebug.py: grade a debug build of the kernel (make KDEBUG=1) once.

    python3 grade/kdebug.py [-j N] [--sample N] [-k TEXT] [--no-build]   (make grade-kdebug)

The debug build checks the kernel's invariants as it runs (kernel/lib/
assert.h: list links, spinlock order, no sleeping with a spinlock held or
interrupts off, run-queue consistency at every switch) and panics on a
broken one.  This script

  1. makes a copy of the tree in build/mutants/kdebug/ as check_graders.py
     makes a mutant's (sources hard-linked, the build copied with its
     timestamps, the C library shared), so the tree's own build is never
     touched, and builds it with `make -s iso KDEBUG=1`: only the kernel
     is recompiled;
  2. there, runs the self-tests of kernel/test/kdebug_tests.c, each of
     which breaks one invariant and must panic with the report that names
     it (the file and line of a KASSERT are looked up in the source), and a
     sample (--sample, 3 by default) of each of the stages whose code the
     checks watch most: interrupts, scheduler, syscalls, forkexec, threads
     and ipc, which must pass on the debug build as they do on the normal
     one.

It ends with `N passed, M failed` like grade.py; `make test` runs it once.
"""
import argparse
import re
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grade"))
import gradelib  # noqa: E402
from gradelib import test  # noqa: E402

COPY = ROOT / "build" / "mutants" / "kdebug"
STAGES = ["interrupts", "scheduler", "syscalls", "forkexec", "threads", "ipc"]
# The stage the self-tests below are listed under (gradelib knows only stages).
STAGE = "scheduler"


def kassert_line(path, text):
    """The line number of `KASSERT(text)` in path (relative to the tree)."""
    lines = (ROOT / path).read_text().split("\n")
    found = [i + 1 for i, line in enumerate(lines) if "KASSERT({});".format(text) in line]
    assert len(found) == 1, "{}: {} lines hold KASSERT({})".format(path, len(found), text)
    return found[0]


def expect_kassert(m, path, text):
    line = kassert_line(path, text)
    m.expect_panic(r"^panic: KASSERT failed at {}:{}: {}$".format(
        re.escape(path), line, re.escape(text)))


@test(STAGE, "KDEBUG: a node added to a list twice is caught",
      cmdline="test=kdebug_list_double_add")
def _(m):
    m.expect(r"^kdebug_list_double_add: adding the node again$")
    expect_kassert(m, "kernel/lib/list.h", "n != prev && n != next")


@test(STAGE, "KDEBUG: removing a node its neighbour forgot is caught",
      cmdline="test=kdebug_list_stale")
def _(m):
    m.expect(r"^kdebug_list_stale: removing a node its neighbour forgot$")
    expect_kassert(m, "kernel/lib/list.h", "n->prev->next == n && n->next->prev == n")


@test(STAGE, "KDEBUG: spinlocks released out of order are caught",
      cmdline="test=kdebug_spin_order")
def _(m):
    m.expect(r"^kdebug_spin_order: releasing kd-outer before kd-inner$")
    m.expect_panic(r"^panic: spinlock 'kd-outer': released while 'kd-inner', taken after it, "
                   r"is held$")


@test(STAGE, "KDEBUG: sleeping with a spinlock held is caught",
      cmdline="test=kdebug_sleep_spinlock")
def _(m):
    m.expect(r"^kdebug_sleep_spinlock: sleeping with kd-sleeper held$")
    m.expect_panic(r"^panic: schedule: thread 'main' gives up the CPU holding 1 spinlock\(s\)$")


@test(STAGE, "KDEBUG: sleeping with interrupts off is caught",
      cmdline="test=kdebug_sleep_irqoff")
def _(m):
    m.expect(r"^kdebug_sleep_irqoff: sleeping with interrupts off$")
    m.expect_panic(r"^panic: schedule: thread 'main' sleeps in a section its caller entered "
                   r"with interrupts off$")


@test(STAGE, "KDEBUG: a thread on the wrong run queue is caught at the next switch",
      cmdline="test=kdebug_runq")
def _(m):
    found = m.expect(r"^kdebug_runq: thread kd-low on queue (\d+) claims priority (\d+)$")
    assert found.group(1) != found.group(2), "the test did not break the invariant"
    expect_kassert(m, "kernel/sched/sched.c", "t->state == THREAD_READY && t->eff_prio == level")


def build_copy():
    """The copy of the tree, built with KDEBUG=1; False (and the output) on failure."""
    sys.path.insert(0, str(ROOT / "grade"))
    import check_graders
    tree = check_graders.make_copy(types.SimpleNamespace(workdir=COPY, editdir=None, files=()))
    status, out = check_graders.run(["make", "-s", "iso", "KDEBUG=1"], cwd=tree)
    if status != 0:
        print(out[-4000:])
        print("kdebug: `make iso KDEBUG=1` failed in {}".format(tree))
        return False
    return True


def grade_here(args):
    """Run the tests in this tree (the copy), whose build has KDEBUG=1."""
    flags = (ROOT / "build" / "kdebug-flag").read_text().strip() \
        if (ROOT / "build" / "kdebug-flag").exists() else ""
    if flags != "KDEBUG=1":
        gradelib.die("kdebug: {} is not a KDEBUG=1 build".format(ROOT / "build"))
    own = list(gradelib.REGISTRY)
    gradelib.load_stage_scripts(STAGES)
    others = [t for t in gradelib.REGISTRY if t not in own]
    if args.keyword:
        key = args.keyword.lower()
        own = [t for t in own if key in t.name.lower()]
        sampled = [t for t in others if key in t.name.lower()]
    else:
        sampled = gradelib.sample_tests(others, args.sample)
    if not own + sampled:
        print("no tests selected")
        return 2
    results = gradelib.combine_runs(gradelib.run_tests(own + sampled, args.jobs))
    gradelib.print_summary(results, STAGES)
    return 0 if all(r.passed for r in results) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=3, help="tests per stage")
    parser.add_argument("-k", dest="keyword", default="",
                        help="instead: every test of those stages whose name holds this")
    parser.add_argument("--no-build", action="store_true",
                        help="use the copy as it is (build/mutants/kdebug)")
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        return grade_here(args)
    if not args.no_build and not build_copy():
        print("0 passed, 1 failed")
        return 1
    command = [sys.executable, "grade/kdebug.py", "--here", "-j", str(args.jobs),
               "--sample", str(args.sample), "-k", args.keyword]
    return subprocess.run(command, cwd=COPY).returncode


if __name__ == "__main__":
    sys.exit(main())
