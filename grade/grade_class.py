#!/usr/bin/env python3
"""grade_class.py: grade a class's submissions with the instructor's graders.

    python3 grade/grade_class.py DIR [--stage S] [-j N] [-k TEXT] [--out OUTDIR]
    make grade-class DIR=submissions/ [STAGE=s]

DIR holds one entry a student: an archive from `make handin` (NAME.tar.gz)
or a directory (a clone of the student's repository).  Each is unpacked
into build/class/NAME/, and then, whatever the student did to them, its
grade/ and labs/ and conf/stages.mk are replaced by the instructor's (so
the hidden tests in labs/*/hidden/ are graded too, and an edited grader has
no effect).  The tree is built (`make iso`, starting from the build of the
stage's handout if `make check-handouts` left one in build/handout/STAGE,
so only what the student changed compiles, else from a copy of the
instructor's C library) and graded with
`grade/grade.py STAGE --no-build --json`.  The stage is --stage, or the one
the student's HANDIN (or .handout-stage) names.

OUTDIR (default build/class/) gets class.csv, one line a student:

    student,stage,score,max,passed,failed,status,graders,answers
    alice,heap,16,16,14,0,graded,same,yes

(status `graded`, `does not build`, `grader error`, `bad archive` or `too
large`; graders `same` when the digest in HANDIN matches the instructor's
grade/, `changed` or `unknown` otherwise; answers `yes` when the tree has
answers/STAGE.md, the lab README's written part, to grade by hand), and
NAME.json with every test's result (grade.py's Gradescope-style JSON) and
the build's last lines when it failed.  -j N grades N submissions at once (each with 2 // N QEMUs, at
least one); -k TEXT grades only the tests whose name contains TEXT.

A submission cannot take the machine with it: its archive may unpack to at
most MAX_TREE_BYTES, and the build and the grader run in a process group of
their own (killed whole at the time limit) with limits on CPU time a
process, the size of a file it writes and core dumps.
"""
import argparse
import concurrent.futures
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import check_handouts
import handin

ROOT = Path(__file__).resolve().parent.parent
PRISTINE = ("grade", "labs", "conf/stages.mk")
BUILD_TIMEOUT = 900
GRADE_TIMEOUT = 3600
MAX_TREE_BYTES = 256 << 20     # a handin of sources is a few MiB
MAX_FILE_BYTES = 2 << 30       # the largest file a build or test writes (disk images)
FIELDS = ["student", "stage", "score", "max", "passed", "failed", "status", "graders",
          "answers"]


class TooLarge(Exception):
    """A submission that unpacks to more than MAX_TREE_BYTES."""


def unpack(entry, tree):
    """Put the submission `entry` (archive or directory) at tree; its HANDIN info."""
    if tree.exists():
        shutil.rmtree(tree)
    if entry.is_dir():
        shutil.copytree(entry, tree, symlinks=True,
                        ignore=shutil.ignore_patterns("build", ".git", "__pycache__"))
    else:
        with tarfile.open(entry) as tar:
            if sum(m.size for m in tar.getmembers()) > MAX_TREE_BYTES:
                raise TooLarge("unpacks to more than {} MiB".format(MAX_TREE_BYTES >> 20))
            for member in tar.getmembers():
                if member.name.startswith("/") or ".." in Path(member.name).parts \
                        or not (member.isfile() or member.isdir()):
                    raise ValueError("unsafe member {}".format(member.name))
            tar.extractall(tree)
    handin_file = tree / "HANDIN"
    return handin.read_handin(handin_file.read_text()) if handin_file.exists() else {}


def install_pristine(tree):
    """Replace the submission's graders, fixtures and stage list by the instructor's."""
    mine = handin.source_files(ROOT)
    for part in PRISTINE:
        target = tree / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        for name in mine:
            if name == part or name.startswith(part + "/"):
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, tree / name)


def limited(command, cpu_seconds):
    """The command under the limits a submission's commands run with (util-linux's
    prlimit: preexec_fn is not safe in the threads that grade submissions)."""
    return ["prlimit", "--cpu={}".format(cpu_seconds), "--fsize={}".format(MAX_FILE_BYTES),
            "--core=0", "--"] + command


def run(command, cwd, timeout):
    """Run a command of the submission's tree: (status, output); -1 at the time limit,
    when its whole process group (make's compilers, the grader's QEMUs) is killed."""
    proc = subprocess.Popen(limited(command, timeout), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        return -1, out + "\ntimed out after {} s".format(timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)   # whatever it left running


def grade_one(entry, stage_arg, workdir, qemus, only=None):
    """Grade one submission: (csv row, json document)."""
    name = entry.name[:-len(".tar.gz")] if entry.name.endswith(".tar.gz") else entry.stem
    tree = workdir / name
    row = dict(student=name, stage=stage_arg or "", score=0, max=0, passed=0, failed=0,
               status="graded", graders="unknown", answers="no")
    doc = {"student": name}
    try:
        info = unpack(entry, tree)
    except TooLarge as e:
        row["status"] = "too large"
        doc["error"] = str(e)
        return row, doc
    except (OSError, ValueError, tarfile.TarError) as e:
        row["status"] = "bad archive"
        doc["error"] = str(e)
        return row, doc
    stage = stage_arg or info.get("stage") or handin.tree_stage(tree)
    row["stage"] = stage
    row["answers"] = "yes" if handin.answers_file(tree, stage).is_file() else "no"
    if "graders" in info:
        row["graders"] = "same" if info["graders"] == handin.graders_digest(ROOT) else "changed"
    install_pristine(tree)
    # The build starts from the handout's, if the handout check has built it here.
    check_handouts.share_build(tree, check_handouts.HANDOUT_DIR / stage)
    status, out = run(["make", "-s", "-j{}".format(qemus), "iso"], tree, BUILD_TIMEOUT)
    if status != 0:
        row["status"] = "does not build"
        doc["build"] = out.splitlines()[-30:]
        return row, doc
    results = tree / "build" / "results.json"
    status, out = run([sys.executable, "grade/grade.py", stage, "--no-build", "-j", str(qemus),
                       "--json", str(results)] + (["-k", only] if only else []), tree,
                      GRADE_TIMEOUT)
    if not results.exists():
        row["status"] = "grader error"
        doc["grader"] = out.splitlines()[-30:]
        return row, doc
    doc.update(json.loads(results.read_text()))
    tests = doc.get("tests", [])
    row.update(score=doc.get("score", 0), max=sum(t["max_score"] for t in tests),
               passed=sum(t["status"] == "passed" for t in tests),
               failed=sum(t["status"] != "passed" for t in tests))
    return row, doc


def submissions(folder):
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_dir() or p.name.endswith(".tar.gz"))


def grade_class(folder, stage=None, jobs=1, out=None, only=None):
    """Grade every submission in folder; the rows, also written to OUT/class.csv."""
    out = Path(out or ROOT / "build" / "class")
    workdir = out / "trees"
    workdir.mkdir(parents=True, exist_ok=True)
    qemus = max(1, 2 // jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        graded = list(pool.map(lambda e: grade_one(e, stage, workdir, qemus, only),
                               submissions(folder)))
    with open(out / "class.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row, doc in graded:
            writer.writerow(row)
            (out / "{}.json".format(row["student"])).write_text(json.dumps(doc, indent=2) + "\n")
    return [row for row, _ in graded]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grade every submission in a folder.")
    parser.add_argument("folder")
    parser.add_argument("--stage", help="the stage to grade (default: each HANDIN's)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="submissions at once")
    parser.add_argument("--out", help="where class.csv and the JSON go (default build/class)")
    parser.add_argument("-k", dest="only", help="only the tests whose name contains this")
    args = parser.parse_args(argv)
    for row in grade_class(args.folder, args.stage, args.jobs, args.out, args.only):
        print("grade-class: {student}: {stage} {score}/{max} ({status}, graders {graders})"
              .format(**row))


if __name__ == "__main__":
    main()
