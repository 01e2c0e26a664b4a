#!/usr/bin/env python3
"""check_handouts.py: prove that every stage's handout is a fair starting point.

    python3 grade/check_handouts.py [STAGE ...] [-j N]

For each stage (all of labs/ by default, in order) it

  1. writes the handout to `build/handout/STAGE/` with handout.py,
  2. builds it once with `make -s -C build/handout/STAGE iso`,
  3. runs that tree's own graders with --no-build: the grader of the stage
     before must pass fully (with --all-earlier: the graders of every earlier
     stage), and the stage's own grader must fail at least one test (otherwise
     the handout gives the stage's solution away, or the grader does not test
     what the stage asks for).

Why the stage before is enough: the handout of stage S keeps the solutions of
the stages before S and stubs those of S and every later stage.  So the
grader of stage R meets the most stubs in the handout of R + 1, where it is
run; the handouts after that stub a subset of those stubs and keep more
solutions.  Checking every earlier grader on every handout costs time
quadratic in the number of stages (about 6 minutes for seven stages, and
growing); `make check-handouts` runs the linear check, and --all-earlier, the
full one, is for a release, where a solution of a later stage might in
principle break an earlier one's grader against a stub of a stage after both.
`make test` runs --quick: of the stage before's grader only a sample of
QUICK_SAMPLE tests spread over its list (grade.py --sample), so that the
whole check stays a few minutes as the stages grow; the stubs a handout adds
break a boot, a system call or a program that most tests share, which a
sample meets as surely as the whole list.  --quick also builds each handout
incrementally, from the build of the handout checked before it
(share_build: only the files the two differ in compile); without it every
handout builds from scratch but for the C library.

It prints one line per stage, for example

    check-handouts: heap: builds, paging passes, own grader fails  OK (21.2s)

with the reason and the tail of the relevant output under a failing one, and
ends with `N passed, M failed`.  The exit status is 0 when every stage passed.

The main tree's `build/download` (the musl source package) is shared with each
handout through a symlink `build/handout/STAGE/build/download`, so the C
library source is downloaded once per machine, not once per handout, and
the built C library is a copy of the main tree's (make recompiles the libc
sources the stubs change).  The environment (GRADE_QEMU, GRADE_TIMEOUT_SCALE) passes through to the graders.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import gradelib
import handout

HANDOUT_DIR = gradelib.REPO_ROOT / "build" / "handout"
TAIL_LINES = 20
QUICK_SAMPLE = 8  # tests of the earlier stage's grader that --quick runs
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


class CheckFailure(Exception):
    """One check of a handout failed: what went wrong, and the output that shows it."""

    def __init__(self, what, output=""):
        super().__init__(what)
        self.what = what
        self.output = output


def share_downloads(tree):
    """Point tree/build/download at the main tree's download folder, if it has one."""
    downloads = gradelib.REPO_ROOT / "build" / "download"
    if not downloads.is_dir():
        return
    (tree / "build").mkdir(parents=True, exist_ok=True)
    os.symlink(downloads, tree / "build" / "download")


LIBC_INPUTS = ("libc", "kernel/include/uapi/os")   # what the C library is built from


def share_libc(tree):
    """Give the tree (a handout, a release clone, a submission) a copy of the
    main tree's built C library instead of building musl again (half a minute
    to a minute).  Each input of the library that is byte for byte the main
    tree's gets the main tree's timestamp (the handout generator keeps them
    already; a git clone or an unpacked archive does not), so make finds the
    copy up to date, or recompiles the libc/src files that differ (see
    libc/libc.mk); a changed header or patch makes it build its own."""
    main = gradelib.REPO_ROOT
    if not (main / "build" / "sysroot" / ".stamp").exists():
        return
    for part in ("libc", "sysroot"):
        shutil.copytree(main / "build" / part, tree / "build" / part, symlinks=True)
    for folder in LIBC_INPUTS:
        for path in sorted((tree / folder).rglob("*")):
            if path.is_file() and not path.is_symlink():
                take_times_if_same(path, main / path.relative_to(tree))


def take_times_if_same(path, source):
    """Give path source's timestamps if the two hold the same bytes; whether they did."""
    if not source.is_file() or source.is_symlink() or path.read_bytes() != source.read_bytes():
        return False
    stat = source.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return True


def share_build(tree, reference):
    """Start tree's build from the build of reference, a tree of mostly the same
    sources (a handout this check built, build/handout/STAGE): a copy of its
    build/, and reference's timestamps on each of tree's files that is byte
    for byte reference's.  make then rebuilds only what a differing file
    feeds (a student's code, a stage's stubs), because every other file is
    made newer than the copied objects; an unchanged file's object was
    compiled from the same bytes.  Without such a build it falls back
    to share_downloads and share_libc.  Returns whether reference served."""
    reference = Path(reference)
    if not (reference / "build" / "os.iso").exists():
        share_downloads(tree)
        share_libc(tree)
        return False
    shutil.copytree(reference / "build", tree / "build", symlinks=True,
                    ignore=shutil.ignore_patterns("grade"))
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree)
        if rel.parts[0] in ("build", ".git") or path.is_symlink() or not path.is_file():
            continue
        if not take_times_if_same(path, reference / rel):
            os.utime(path)   # newer than every copied object, whatever time it came with
    return True


def run(command, cwd=None):
    """Run `command`; return (exit status, stdout and stderr together)."""
    proc = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    return proc.returncode, proc.stdout


def run_grader(tree, stages, jobs, extra=()):
    """Run the graders of `stages` in `tree`; return (status, output, failed count)."""
    status, output = run([sys.executable, str(tree / "grade" / "grade.py"), "--no-build",
                          "-j", str(jobs)] + list(extra) + stages, cwd=tree)
    summary = SUMMARY_RE.findall(output)
    failed = int(summary[-1][1]) if summary else None
    return status, output, failed


def check_stage(stage, stages, jobs, all_earlier, quick, reference=None):
    """Run every check on the handout of `stage`; raise CheckFailure on the first failure.
    With `reference` (--quick: the handout checked just before) the build starts
    from that handout's (share_build), so only the files the two differ in compile."""
    tree = HANDOUT_DIR / stage
    try:
        handout.generate(gradelib.REPO_ROOT, stage, tree, stages)
    except handout.MarkerError as e:
        raise CheckFailure("the stage markers are broken", str(e))
    if reference is not None:
        share_build(tree, reference)
    else:
        share_downloads(tree)
        share_libc(tree)

    status, output = run(["make", "-s", "-j{}".format(jobs), "-C", str(tree), "iso"])
    if status != 0:
        raise CheckFailure("the handout does not build (make exited with {})".format(status),
                           output)

    earlier = [s for s in stages[:stages.index(stage)]
               if gradelib.stage_script(s, tree).exists()]
    if not all_earlier:
        earlier = earlier[-1:]
    if earlier:
        sample = ["--sample", str(QUICK_SAMPLE)] if quick else []
        status, output, failed = run_grader(tree, earlier, jobs, sample)
        if status != 0:
            raise CheckFailure("the graders of earlier stages fail on it (exit status {})"
                               .format(status), output)

    ran = "earlier stages pass" if len(earlier) > 1 else (
        "{} passes".format(earlier[0]) if earlier else "nothing before it")
    if not gradelib.stage_script(stage, tree).exists():
        raise CheckFailure("no grader for stage {}: {} is missing".format(
            stage, os.path.join("grade", gradelib.stage_script(stage).name)))
    # One failing test is enough to show the stage is left to do.
    status, output, failed = run_grader(tree, [stage], jobs, ["--stop-on-failure"])
    if status == 0:
        raise CheckFailure("its own grader passes on the handout", output)
    if status != 1 or not failed:
        raise CheckFailure("its own grader did not run properly (exit status {})".format(
            status), output)
    return ran


def indent_tail(text):
    lines = text.rstrip().splitlines()[-TAIL_LINES:]
    return "\n".join("    | " + line for line in lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Check that each stage's handout builds, passes the grader of the stage "
                    "before (with --all-earlier: of every earlier stage) and fails its own.")
    parser.add_argument("stages", nargs="*", metavar="STAGE",
                        help="stages to check (default: all, from labs/)")
    parser.add_argument("-j", "--jobs", type=int, default=gradelib.default_jobs(),
                        help="tests each grader runs at once (default: the number of CPUs)")
    parser.add_argument("--all-earlier", action="store_true",
                        help="run the graders of every earlier stage on each handout, not "
                             "only the stage before's (slower: for a release)")
    parser.add_argument("--quick", action="store_true",
                        help="of the earlier stage's grader run a sample of {} tests, and "
                             "build each handout from the one checked before it (what "
                             "`make test` runs)".format(QUICK_SAMPLE))
    args = parser.parse_args(argv)
    if args.quick and args.all_earlier:
        parser.error("--quick samples the stage before's grader: not with --all-earlier")
    all_stages = gradelib.read_stages()
    gradelib.check_stage_names(args.stages, all_stages)
    selected = [s for s in all_stages if s in args.stages] if args.stages else all_stages

    passed = 0
    reference = None
    for stage in selected:
        start = time.monotonic()
        try:
            ran = check_stage(stage, all_stages, args.jobs, args.all_earlier, args.quick,
                              reference)
        except CheckFailure as e:
            print("check-handouts: {}: {}  FAIL ({:.1f}s)".format(
                stage, e.what, time.monotonic() - start))
            if e.output.strip():
                print(indent_tail(e.output))
        else:
            passed += 1
            print("check-handouts: {}: builds, {}, own grader fails  OK ({:.1f}s)".format(
                stage, ran, time.monotonic() - start))
            reference = HANDOUT_DIR / stage if args.quick else None
        sys.stdout.flush()
    print("{} passed, {} failed".format(passed, len(selected) - passed))
    return 0 if passed == len(selected) else 1


if __name__ == "__main__":
    sys.exit(main())
