#!/usr/bin/env python3
"""grade_class.py: grade a class's submissions with the instructor's graders.

    python3 grade/grade_class.py DIR [--stage S] [-j N] [-k TEXT] [--out OUTDIR]
    make grade-class DIR=submissions/ [STAGE=s]

DIR holds one entry a student: an archive from `make handin` (NAME.tar.gz)
or a directory (a clone of the student's repository).  Each is unpacked
into build/class/NAME/, and then, whatever the student did to them, its
grade/ and labs/ and conf/stages.mk are replaced by the instructor's (so
the hidden tests in labs/*/hidden/ are graded too, and an edited grader has
no effect).  The tree is built (`make iso`, starting from a copy of the
instructor's C library as the handout check does) and graded with
`grade/grade.py STAGE --no-build --json`.  The stage is --stage, or the one
the student's HANDIN (or .handout-stage) names.

OUTDIR (default build/class/) gets class.csv, one line a student:

    student,stage,score,max,passed,failed,status,graders
    alice,heap,12,12,12,0,graded,same

(status `graded`, `does not build`, `grader error` or `bad archive`;
graders `same` when the digest in HANDIN matches the instructor's grade/,
`changed` or `unknown` otherwise), and NAME.json with every test's
result (grade.py's Gradescope-style JSON) and the build's last lines when it
failed.  -j N grades N submissions at once (each with 2 // N QEMUs, at
least one); -k TEXT grades only the tests whose name contains TEXT.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import handin

ROOT = Path(__file__).resolve().parent.parent
PRISTINE = ("grade", "labs", "conf/stages.mk")
BUILD_TIMEOUT = 900
GRADE_TIMEOUT = 3600
FIELDS = ["student", "stage", "score", "max", "passed", "failed", "status", "graders"]


def unpack(entry, tree):
    """Put the submission `entry` (archive or directory) at tree; its HANDIN info."""
    if tree.exists():
        shutil.rmtree(tree)
    if entry.is_dir():
        shutil.copytree(entry, tree, symlinks=True,
                        ignore=shutil.ignore_patterns("build", ".git", "__pycache__"))
    else:
        with tarfile.open(entry) as tar:
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


def share_build(tree):
    """The instructor's download and C library, as the handout check shares them."""
    build = tree / "build"
    build.mkdir(parents=True, exist_ok=True)
    if (ROOT / "build" / "download").is_dir():
        os.symlink(ROOT / "build" / "download", build / "download")
    if (ROOT / "build" / "sysroot" / ".stamp").exists():
        for part in ("libc", "sysroot"):
            shutil.copytree(ROOT / "build" / part, build / part, symlinks=True)


def run(command, cwd, timeout):
    try:
        proc = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", timeout=timeout)
        return proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as e:
        return -1, (e.stdout or "") if isinstance(e.stdout, str) else "timed out"


def grade_one(entry, stage_arg, workdir, qemus, only=None):
    """Grade one submission: (csv row, json document)."""
    name = entry.name[:-len(".tar.gz")] if entry.name.endswith(".tar.gz") else entry.stem
    tree = workdir / name
    row = dict(student=name, stage=stage_arg or "", score=0, max=0, passed=0, failed=0,
               status="graded", graders="unknown")
    doc = {"student": name}
    try:
        info = unpack(entry, tree)
    except (OSError, ValueError, tarfile.TarError) as e:
        row["status"] = "bad archive"
        doc["error"] = str(e)
        return row, doc
    stage = stage_arg or info.get("stage") or handin.tree_stage(tree)
    row["stage"] = stage
    if "graders" in info:
        row["graders"] = "same" if info["graders"] == handin.graders_digest(ROOT) else "changed"
    install_pristine(tree)
    share_build(tree)
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
