#!/usr/bin/env python3
"""gradescope.py: a Gradescope autograder and a GitHub Classroom workflow,
both made from this tree's graders.

    python3 grade/gradescope.py package STAGE [--out FILE]   (make gradescope STAGE=s)
    python3 grade/gradescope.py run STAGE [--submission DIR] [--results FILE]
    python3 grade/gradescope.py workflow STAGE [--out FILE]

`package` writes build/gradescope-STAGE.zip, the file Gradescope's
"Configure Autograder" page takes: the instructor's tree (what git tracks,
hidden tests included) and at its top

    setup.sh        run once on Gradescope's Ubuntu image: conf/deps.sh
                    installs the tools, then `make iso` builds the C library
                    and the kernel the submissions share
    run_autograder  run for each submission: `gradescope.py run STAGE`

`run` grades /autograder/submission (a student's tree, or their handin
archive) as grade_class.py does, with the pristine graders, and writes
/autograder/results/results.json in Gradescope's format: score, output,
and a test each with name, score, max_score, status, output and visibility
(`after_published` for the hidden tests of labs/*/hidden/, `visible` for the
others).  A submission that does not build gets 0 and the build's last
lines as its output.  `validate` checks a results.json against that shape
(grade/test_class.py runs it).

`workflow` writes .github/workflows/classroom.yml for GitHub Classroom: on
every push it installs the tools, builds and runs grade.py STAGE, and
reports the points.
"""
import argparse
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import grade_class
import handin
import labs

ROOT = Path(__file__).resolve().parent.parent
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

SETUP = """#!/bin/bash
# Gradescope runs this once, as root, on its image: the tools, then the
# build the submissions start from (C library, kernel, ISO).
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
sh conf/deps.sh
make -s iso
"""

RUN = """#!/bin/bash
# Gradescope runs this for each submission.
cd /autograder/source
exec python3 grade/gradescope.py run {stage}
"""

WORKFLOW = """# GitHub Classroom: grade stage {stage} on every push (made by
# grade/gradescope.py workflow {stage}).
name: autograding
on: [push, workflow_dispatch]
jobs:
  grade:
    runs-on: ubuntu-22.04
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - name: tools
        run: sudo sh conf/deps.sh
      - name: build
        run: make -s iso
      - name: grade
        run: python3 grade/grade.py {stage} --no-build --json results.json
      - name: points
        if: always()
        run: python3 -c "import json; d = json.load(open('results.json')); print('Points', d['score'])"
"""


def package(stage, out):
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in handin.source_files(ROOT):
            z.write(ROOT / name, name)
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(stage=stage))):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
    return out


def title(stage):
    """ (the stage's title from its lab.toml), or nothing for a stage labs/ lacks."""
    return " ({})".format(labs.config(stage)["title"]) if stage in labs.labs() else ""


def to_gradescope(row, doc):
    """Gradescope's results.json from grade_class's row and document."""
    if row["status"] != "graded":
        lines = doc.get("build") or doc.get("grader") or [doc.get("error", "")]
        return {"score": 0, "output": "{}:\n{}".format(row["status"], "\n".join(lines)),
                "tests": []}
    return {"score": doc["score"], "execution_time": doc.get("execution_time", 0),
            "output": "stage {}{}: {}/{} points".format(row["stage"], title(row["stage"]),
                                                       row["score"], row["max"]),
            "tests": doc["tests"]}


def validate(doc):
    """The problems of a results.json document against Gradescope's format (empty: fine)."""
    problems = []
    if not isinstance(doc.get("score"), (int, float)):
        problems.append("score is not a number")
    if not isinstance(doc.get("tests"), list):
        return problems + ["tests is not a list"]
    for i, t in enumerate(doc["tests"]):
        for key, kind in (("name", str), ("score", (int, float)), ("max_score", (int, float)),
                          ("output", str)):
            if not isinstance(t.get(key), kind):
                problems.append("tests[{}].{} is missing or not a {}".format(i, key, kind))
        if t.get("status") not in (None, "passed", "failed"):
            problems.append("tests[{}].status is {!r}".format(i, t.get("status")))
        if t.get("visibility", "visible") not in VISIBILITIES:
            problems.append("tests[{}].visibility is {!r}".format(i, t.get("visibility")))
        if isinstance(t.get("score"), (int, float)) and isinstance(t.get("max_score"),
                                                                  (int, float)) \
                and not 0 <= t["score"] <= t["max_score"]:
            problems.append("tests[{}].score is outside 0..max_score".format(i))
    return problems


def run(stage, submission, results):
    """Grade one submission folder; write and return its results.json document."""
    work = Path(tempfile.mkdtemp(prefix="kestrel-gs-"))
    try:
        entry = Path(submission)
        archives = sorted(entry.glob("*.tar.gz")) if entry.is_dir() else []
        if len(archives) == 1 and not (entry / "GNUmakefile").exists():
            entry = archives[0]             # a handin archive uploaded alone
        row, doc = grade_class.grade_one(entry, stage, work, 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = to_gradescope(row, doc)
    Path(results).parent.mkdir(parents=True, exist_ok=True)
    Path(results).write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description="Gradescope and GitHub Classroom autograders.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("package")
    p.add_argument("stage")
    p.add_argument("--out")
    p = sub.add_parser("run")
    p.add_argument("stage")
    p.add_argument("--submission", default="/autograder/submission")
    p.add_argument("--results", default="/autograder/results/results.json")
    p = sub.add_parser("workflow")
    p.add_argument("stage")
    p.add_argument("--out", default=str(ROOT / ".github" / "workflows" / "classroom.yml"))
    args = parser.parse_args(argv)
    if args.command == "package":
        out = package(args.stage, args.out or ROOT / "build" / "gradescope-{}.zip".format(
            args.stage))
        print("gradescope: wrote {}".format(out))
    elif args.command == "run":
        result = run(args.stage, args.submission, args.results)
        problems = validate(result)
        print("gradescope: score {}{}".format(result["score"], "; " + "; ".join(problems)
                                              if problems else ""))
        return 1 if problems else 0
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(WORKFLOW.format(stage=args.stage))
        print("gradescope: wrote {}".format(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
