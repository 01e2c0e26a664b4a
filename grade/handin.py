#!/usr/bin/env python3
"""handin.py: the archive a student hands in (`make handin`).

    python3 grade/handin.py [--out FILE]

Writes build/handin-STAGE.tar.gz (STAGE from `.handout-stage`, "full" in the
solution tree): the tree's sources, that is the files git tracks plus the
new ones it does not ignore (or, outside a checkout, everything but build/
and .git/), and a file HANDIN with

    stage: heap
    graders: <sha256 of grade/ as the student tested with it>
    files: <how many>
    answers: yes     (answers/STAGE.md, the written part: see labs/NN-STAGE/README.md)

The instructor's class grader (grade/grade_class.py) reads the stage from
it, and reports when the graders the student ran differ from the pristine
ones it grades with (they are never used: a submission's grade/ and labs/
are replaced).
"""
import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP = ".handout-stage"


def source_files(root):
    """The files to hand in, relative to root, sorted."""
    root = Path(root)
    if (root / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=root, check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        names = {p for p in out.split("\0") if p}
    else:
        names = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    return sorted(n for n in names if (root / n).is_file() and not n.startswith(("build/", ".git/"))
                  and "__pycache__" not in n)


def graders_digest(root):
    """sha256 over the names and contents of grade/, the graders (labs/ differs
    between a handout and the instructor's tree: mutants and hidden tests)."""
    digest = hashlib.sha256()
    for name in source_files(root):
        if name.startswith("grade/"):
            digest.update(name.encode() + b"\0" + (Path(root) / name).read_bytes() + b"\0")
    return digest.hexdigest()


def tree_stage(root):
    try:
        return (Path(root) / STAMP).read_text().strip() or "full"
    except OSError:
        return "full"


def answers_file(root, stage):
    """Where a student writes the answers to the handout's Questions."""
    return Path(root) / "answers" / "{}.md".format(stage)


def read_handin(text):
    """{key: value} of a HANDIN file."""
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def make_archive(root, out):
    root = Path(root)
    files = source_files(root)
    stage = tree_stage(root)
    answers = "yes" if answers_file(root, stage).is_file() else "no"
    info = "stage: {}\ngraders: {}\nfiles: {}\nanswers: {}\n".format(
        stage, graders_digest(root), len(files), answers)
    with tarfile.open(out, "w:gz") as tar:
        for name in files:
            tar.add(root / name, arcname=name, recursive=False)
        data = info.encode()
        member = tarfile.TarInfo("HANDIN")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description="Make the hand-in archive of this tree.")
    parser.add_argument("--out", help="the archive (default build/handin-STAGE.tar.gz)")
    args = parser.parse_args(argv)
    out = Path(args.out or ROOT / "build" / "handin-{}.tar.gz".format(tree_stage(ROOT)))
    out.parent.mkdir(parents=True, exist_ok=True)
    info = make_archive(ROOT, out)
    sys.stdout.write(info)
    if "answers: no" in info:
        print("handin: note: no {} (the answers to the handout's Questions)".format(
            answers_file(ROOT, tree_stage(ROOT)).relative_to(ROOT)))
    print("handin: wrote {} ({} bytes)".format(out, out.stat().st_size))


if __name__ == "__main__":
    main()
