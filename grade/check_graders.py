#!/usr/bin/env python3
"""check_graders.py: prove that the graders catch wrong solutions (mutation testing).

    python3 grade/check_graders.py [STAGE ...] [-k NAME] [-j N] [--quick] [--full]
    python3 grade/check_graders.py --list [STAGE ...]
    python3 grade/check_graders.py --checkout MUTANT
    python3 grade/check_graders.py --refresh MUTANT ...

A handout check shows that the stubs fail a stage's grader; this shows that a
*wrong* solution fails it too.  Each stage keeps planted bugs, "mutants", as
small patches against the solution in labs/NN-STAGE/mutants/NN-name.patch
(labs/README.md describes the format).  For each selected mutant this script

  1. makes a copy of the tree in build/mutants/STAGE/NAME/: the sources as
     hard links (cheap), the tree's build copied with its timestamps, and
     the built C library linked, so that only what the patch changes is
     rebuilt and musl never is (the tree's own build must be complete:
     the script runs `make -s iso` there first, unless --no-build);
  2. applies the patch strictly (no fuzz): a patch that no longer applies is
     reported, with the command that refreshes it;
  3. builds the copy with `make -s iso`;
  4. runs the stage's grader in the copy, stopping at its first failing
     test.  The test named by the patch's `Killed-by:` line runs first, so
     that a mutant is usually killed by one boot.

and prints one line per mutant, for example

    check-graders: scheduler/04-resched-every-tick  killed by "scheduler: two busy ..." (3.1s)
    check-graders: scheduler/07-no-slice-preemption  SURVIVED with 14/14 points (31.0s)

ending with `N passed, M failed` (a killed mutant passes).  The exit status
is 0 only if every mutant was killed; a survivor, a patch that does not apply
and a mutant that does not build all fail.  Two mutants are checked at a time
(-j), each grader running its tests one by one.  The copy of a mutant that was
killed is removed; the copy of any other is kept for a look.

Options: -k NAME keeps the mutants whose "stage/name" contains NAME;
--quick checks only the sample marked `Quick: yes` (what `make test` runs);
--full runs each mutant's whole grader without stopping, to report its score.

Keeping patches fresh: `--checkout MUTANT` makes a copy to edit in
build/mutants/STAGE/NAME.edit/ with the patch applied (with fuzz, ignoring
white space, leaving *.rej files for what still does not apply) and prints
its path.  `--refresh MUTANT` then writes the patch again from the
difference between that copy and the tree, keeping its header; without a
copy it checks one out first, so that a patch that merely drifted (code
moved, reformatted) is refreshed in one step.  Remove the .edit copy when
done: --refresh prefers it to a fresh one.  A new mutant starts as a patch
file with only its header: --checkout gives an unchanged copy to plant the
bug in, and --refresh writes the diff.
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import gradelib
import labs

ROOT = gradelib.REPO_ROOT
WORK = ROOT / "build" / "mutants"
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)
RESULT_RE = re.compile(r"^(\S.*?)  (OK|FAIL)(?: .*)?$", re.M)  # gradelib.result_line
POINTS_RE = re.compile(r"^(\w+): (\d+)/(\d+) points$", re.M)
CONTEXT = 1            # lines of context in refreshed patches: small survives reformatting
TAIL_LINES = 20

# What a copy shares with the tree.  Sources are hard links: patching replaces
# a file (it is copied first), never writes through a link.  The C library is
# linked too unless the patch touches its inputs; the rest of build/ is
# copied with its timestamps (objects, stamps such as build-flags), so make
# rebuilds only what the patch changes and the tree's own build is never
# written to.  What is made anew anyway, or belongs to other tools, is left.
SOURCES = ("GNUmakefile", ".gdbinit", "conf", "grade", "kernel", "libc", "user", "labs")
BUILD_LINKED = ("download", "libc", "sysroot")
BUILD_SKIPPED = ("mutants", "handout", "grade", "host", "fuzz", "isodir", "os.iso")
LIBC_INPUTS = ("libc/", "kernel/include/uapi/os/")


class MutantError(Exception):
    """A mutant could not be checked: why, and the output that shows it."""

    def __init__(self, what, output=""):
        super().__init__(what)
        self.what = what
        self.output = output


@dataclass
class Mutant:
    stage: str
    path: Path
    header: dict = field(default_factory=dict)
    files: list = field(default_factory=list)     # paths the patch changes

    @property
    def name(self):
        return "{}/{}".format(self.stage, self.path.stem)

    @property
    def workdir(self):
        """Where the mutant is checked."""
        return WORK / self.stage / self.path.stem

    @property
    def editdir(self):
        """Where --checkout puts the copy to edit by hand (a check never touches it)."""
        return WORK / self.stage / (self.path.stem + ".edit")

    @property
    def killer(self):
        return self.header.get("killed-by", "")


def read_mutant(stage, path, need_diff=True):
    """Parse a mutant patch: `Key: value` header lines, then a unified diff."""
    mutant = Mutant(stage, path)
    in_header = True
    for line in path.read_text().splitlines():
        if line.startswith(("--- ", "diff ")):
            in_header = False
        if in_header:
            match = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if match:
                mutant.header[match.group(1).lower()] = match.group(2).strip()
        elif line.startswith("+++ "):
            name = line[4:].split("\t")[0].strip()
            mutant.files.append(name[2:] if name.startswith("b/") else name)
    if "breaks" not in mutant.header:
        raise MutantError("{}: no `Breaks:` line saying what the mutant breaks".format(
            os.path.relpath(path)))
    if need_diff and not mutant.files:
        raise MutantError("{}: no diff in the patch".format(os.path.relpath(path)))
    return mutant


def find_mutants(stages, need_diff=True):
    mutants = []
    for stage in stages:
        for path in sorted((labs.lab_dir(stage) / "mutants").glob("*.patch")):
            mutants.append(read_mutant(stage, path, need_diff))
    return mutants


def mutant_by_name(name, all_stages):
    """The mutant `stage/NN-name` (or a unique part of such a name)."""
    try:
        mutants = find_mutants(all_stages, need_diff=False)
    except MutantError as e:
        gradelib.die(e.what)
    matches = [m for m in mutants if name in m.name]
    exact = [m for m in matches if m.name == name or m.path.stem == name]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    gradelib.die("no mutant named {!r}".format(name) if not matches else
                 "{!r} names several mutants: {}".format(name, ", ".join(m.name for m in matches)))


# --------------------------------------------------------------------------
# The copy of the tree
# --------------------------------------------------------------------------

def clean_env():
    """The environment for commands in a copy: no make jobserver of ours."""
    env = dict(os.environ)
    for key in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(key, None)
    return env


def run(command, cwd, stdin=None):
    proc = subprocess.run(command, cwd=cwd, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace",
                          env=clean_env())
    return proc.returncode, proc.stdout


def make_copy(mutant, for_editing=False):
    """A fresh copy of the tree for `mutant`, sharing what it safely can.

    A copy to be edited by hand (in mutant.editdir) gets its own sources:
    an editor that writes a file in place would change the tree's through a
    hard link."""
    tree = mutant.editdir if for_editing else mutant.workdir
    link_sources = not for_editing
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for name in SOURCES:
        source = ROOT / name
        copy = os.link if link_sources else shutil.copy2
        if source.is_dir():
            shutil.copytree(source, tree / name, copy_function=copy, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            copy(source, tree / name)
    build = ROOT / "build"
    relink_libc = not any(f.startswith(LIBC_INPUTS) for f in mutant.files)
    (tree / "build").mkdir()
    for source in sorted(build.iterdir()):
        name = source.name
        if name in BUILD_SKIPPED:
            continue
        link = relink_libc and name in BUILD_LINKED
        if source.is_dir():
            shutil.copytree(source, tree / "build" / name, symlinks=True,
                            copy_function=os.link if link else shutil.copy2)
        else:
            shutil.copy2(source, tree / "build" / name)
    # Files the patch changes become the copy's own (and get a new mtime).
    for name in mutant.files:
        path = tree / name
        if path.exists():
            data = path.read_bytes()
            path.unlink()
            path.write_bytes(data)
    return tree


def apply_patch(mutant, tree, fuzzy=False):
    """Apply the mutant to `tree`; raise MutantError if it does not apply."""
    command = ["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch"]
    command += ["--fuzz=3", "--ignore-whitespace"] if fuzzy else ["--fuzz=0", "--reject-file=-"]
    status, output = run(command, tree, stdin=mutant.path.read_text())
    if status != 0:
        raise MutantError("the patch does not apply (refresh it: python3 grade/check_graders.py "
                          "--refresh {})".format(mutant.name), output)
    return output


def source_files(top):
    for name in SOURCES:
        path = top / name
        if path.is_file():
            yield Path(name)
        elif path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.is_file() and "__pycache__" not in sub.parts \
                        and not sub.name.endswith((".rej", ".orig")):
                    yield sub.relative_to(top)


def diff_tree(tree):
    """The unified diff from the tree's sources to the copy's, with small context."""
    chunks = []
    for rel in source_files(tree):
        mine, theirs = ROOT / rel, tree / rel
        if mine.exists() and (os.path.samefile(mine, theirs)
                              or mine.read_bytes() == theirs.read_bytes()):
            continue
        old = mine.read_text().splitlines(keepends=True) if mine.exists() else []
        new = theirs.read_text().splitlines(keepends=True)
        chunks.extend(difflib.unified_diff(old, new, "a/{}".format(rel), "b/{}".format(rel),
                                           n=CONTEXT))
    return "".join(chunks)


def write_refreshed(mutant, tree):
    diff = diff_tree(tree)
    if not diff:
        gradelib.die("{}: the copy {} does not differ from the tree".format(
            mutant.name, os.path.relpath(tree)))
    text = mutant.path.read_text()
    start = re.search(r"^(--- |diff )", text, re.M)
    header = text[:start.start()] if start else text
    mutant.path.write_text(header + diff)
    print("{}: rewritten from {}".format(os.path.relpath(mutant.path), os.path.relpath(tree)))


# --------------------------------------------------------------------------
# Checking one mutant
# --------------------------------------------------------------------------

@dataclass
class Outcome:
    mutant: Mutant
    killed: bool
    seconds: float
    text: str               # what to print after the name
    output: str = ""        # shown (its tail) when the mutant was not killed


def grade(tree, stage, extra):
    status, output = run([sys.executable, "grade/grade.py", "--no-build", "-j1", stage] + extra,
                         tree)
    if output.strip() == "no tests selected":
        return status, output, []
    summary = SUMMARY_RE.findall(output)
    if status not in (0, 1) or not summary:
        raise MutantError("the grader did not run properly (exit status {})".format(status),
                          output)
    failed = [name for name, verdict in RESULT_RE.findall(output) if verdict == "FAIL"]
    return status, output, failed


def score(output, stage):
    for name, got, possible in POINTS_RE.findall(output):
        if name == stage:
            return "{}/{}".format(got, possible)
    return "?"


def check(mutant, full):
    start = time.monotonic()
    tree = make_copy(mutant)
    apply_patch(mutant, tree)
    status, output = run(["make", "-s", "iso"], tree)
    if status != 0:
        raise MutantError("the mutant does not build (make exited with {})".format(status),
                          output)
    if full:
        status, output, failed = grade(tree, mutant.stage, [])
        killed = bool(failed)
        text = "score {}".format(score(output, mutant.stage))
        if killed:
            text += ", failed: " + "; ".join('"{}"'.format(f) for f in failed)
    else:
        failed = []
        if mutant.killer:
            status, output, failed = grade(tree, mutant.stage, ["-x", "-k", mutant.killer])
            if not RESULT_RE.search(output):
                raise MutantError("`Killed-by: {}` names no test of stage {}".format(
                    mutant.killer, mutant.stage), output)
        if not failed:
            status, output, failed = grade(tree, mutant.stage, ["-x"])
        killed = bool(failed)
        text = 'killed by "{}"'.format(failed[0]) if killed else ""
        if killed and mutant.killer and mutant.killer.lower() not in failed[0].lower():
            text += " (Killed-by: says {!r})".format(mutant.killer)
    if not killed:
        text = "SURVIVED with {} points".format(score(output, mutant.stage))
    if killed:
        shutil.rmtree(tree, ignore_errors=True)
    return Outcome(mutant, killed, time.monotonic() - start, text, output)


def check_safely(mutant, full):
    start = time.monotonic()
    try:
        return check(mutant, full)
    except MutantError as e:
        return Outcome(mutant, False, time.monotonic() - start, "ERROR: " + e.what, e.output)


def tail(text):
    lines = text.rstrip().splitlines()[-TAIL_LINES:]
    return "\n".join("    | " + line for line in lines)


def check_all(mutants, jobs, full):
    """Check the mutants on `jobs` threads, printing results in order."""
    print_lock = threading.Lock()
    killed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(check_safely, m, full) for m in mutants]
        try:
            for future in futures:
                outcome = future.result()
                killed += outcome.killed
                with print_lock:
                    print("check-graders: {}  {} ({:.1f}s)".format(
                        outcome.mutant.name, outcome.text, outcome.seconds))
                    if not outcome.killed:
                        print("    breaks: {}".format(outcome.mutant.header["breaks"]))
                        if outcome.output.strip():
                            print(tail(outcome.output))
                        if outcome.mutant.workdir.exists():
                            print("    the mutant's tree is kept in {}".format(
                                os.path.relpath(outcome.mutant.workdir)))
                    sys.stdout.flush()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    return killed


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Apply each planted bug (labs/NN-STAGE/mutants/*.patch) to a copy of the "
                    "tree, build it, and check that the stage's grader fails it.")
    parser.add_argument("stages", nargs="*", metavar="STAGE",
                        help="stages whose mutants to check (default: all)")
    parser.add_argument("-k", metavar="NAME", dest="keyword",
                        help="only mutants whose 'stage/name' contains NAME")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="mutants checked at once (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="only the sample marked `Quick: yes` (run by make test)")
    parser.add_argument("--full", action="store_true",
                        help="run every test of each grader (slower) and report the score")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--checkout", metavar="MUTANT",
                        help="make the mutant's copy (patch applied with fuzz) and print it")
    parser.add_argument("--refresh", metavar="MUTANT", nargs="+",
                        help="rewrite the patches from their copies (checked out if missing)")
    parser.add_argument("--no-build", action="store_true",
                        help="do not bring the tree's own build up to date first")
    args = parser.parse_args(argv)
    all_stages = gradelib.read_stages()
    gradelib.check_stage_names(args.stages, all_stages)
    if args.jobs < 1:
        parser.error("-j needs a positive number")
    # A copy starts from the tree's build, so that build must be complete.
    if not args.no_build and not args.list and not gradelib.build(ROOT):
        return 1

    if args.checkout or args.refresh:
        for name in [args.checkout] if args.checkout else args.refresh:
            mutant = mutant_by_name(name, all_stages)
            tree = mutant.editdir
            if args.checkout or not tree.exists():
                tree = make_copy(mutant, for_editing=True)
                try:
                    if mutant.files:
                        print(apply_patch(mutant, tree, fuzzy=True).rstrip())
                except MutantError as e:
                    print(e.output.rstrip())
                    print("{}: some hunks do not apply; fix the copy in {} (see *.rej), then "
                          "run --refresh {}".format(mutant.name, os.path.relpath(tree),
                                                    mutant.name))
                    if not args.checkout:
                        return 1
            if args.checkout:
                print("{}: copy in {}".format(mutant.name, os.path.relpath(tree)))
            else:
                write_refreshed(mutant, tree)
        return 0

    try:
        mutants = find_mutants([s for s in all_stages if not args.stages or s in args.stages])
    except MutantError as e:
        gradelib.die(e.what)
    if args.keyword:
        mutants = [m for m in mutants if args.keyword.lower() in m.name.lower()]
    if args.quick:
        mutants = [m for m in mutants if m.header.get("quick", "").lower() == "yes"]
    if args.list:
        for m in mutants:
            print("{}: {}".format(m.name, m.header["breaks"]))
        return 0
    if not mutants:
        print("no mutants selected")
        return 2
    try:
        killed = check_all(mutants, args.jobs, args.full)
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    print("{} mutants killed, {} not".format(killed, len(mutants) - killed))
    print("{} passed, {} failed".format(killed, len(mutants) - killed))
    return 0 if killed == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
