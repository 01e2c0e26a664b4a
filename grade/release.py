#!/usr/bin/env python3
"""release.py: the students' repository, one tagged commit a stage.

    python3 grade/release.py DEST                (make release DEST=dir)
    python3 grade/release.py --check DEST        (make check-release DEST=dir)
    python3 grade/release.py --check --build DEST   (... TAGS=build)

The release is a git repository at DEST with one commit and tag a stage,
lab-00-boot, lab-01-paging, ..., each a child of the one before, as JOS
hands out its labs:

  * The code is the handout of the first stage at every tag: every stage's
    marked blocks are stubs (`TODO(stage ...)`), and nothing of the
    instructor's solution is in the repository, ever.
  * Tag N adds what stage N brings for the student: its handout
    (handouts/NN-STAGE.md), its grader (grade/stage_STAGE.py and the
    grade/STAGE_*.py modules) and its labs/NN-STAGE/ folder (lab.toml,
    which puts the stage in the tree's stage list, README.md and fixtures;
    never the mutants or the hidden tests), and `.handout-stage` names it.

So a student works on a branch from lab-00-boot and, when stage N is done,
runs `git merge lab-NN+1-NEXT`: the merge only adds files and changes
`.handout-stage`, and never touches the code they wrote.  `--check` proves
it for every pair of tags on a clone: stage N solved (the instructor's
solution of the stages up to N written into the marked blocks, as a student
would) and committed, then tag N+1 merged: no conflict, and the merged code
is exactly the handout of stage N+1 (stages up to N solved, the rest
stubbed).  The instructor's tree keeps the solutions.  `--build` also
clones each tag by itself, checks that its stage list (labs/) runs up to its
own stage, builds it and runs its stage's grader, which must fail it (the
code is stubs: a grader that passes it grades nothing).
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import check_handouts
import gradelib
import handout
import labs

ROOT = gradelib.REPO_ROOT
GIT_ID = ["-c", "user.name=kestrel release", "-c", "user.email=release@kestrel.invalid"]


def git(repo, *args):
    return subprocess.run(["git", *GIT_ID, *args], cwd=repo, check=True, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout


def tag_name(stages, stage):
    return "lab-{:02d}-{}".format(stages.index(stage), stage)


def stage_of(rel, stages):
    """The stage a file belongs to (it appears with that stage's tag), or None."""
    parts = Path(rel).parts
    if parts[0] == "handouts":
        m = re.match(r"^\d\d-(\w+)\.md$", parts[-1])
        return m.group(1) if m and m.group(1) in stages else None
    if parts[0] == "labs" and len(parts) > 2:
        m = labs.FOLDER_RE.match(parts[1])
        return m.group(2) if m and m.group(2) in stages else None
    if parts[0] == "grade" and len(parts) == 2:
        m = re.match(r"^(?:stage_)?([a-z]+)(?:_\w+)?\.py$", parts[1])
        return m.group(1) if m and m.group(1) in stages else None
    return None


def files_of(tree):
    return sorted(str(p.relative_to(tree)) for p in Path(tree).rglob("*")
                  if (p.is_file() or p.is_symlink()) and ".git" not in p.relative_to(tree).parts)


def sync(base, repo, keep):
    """Make repo's work tree hold exactly the files of base for which keep(rel)."""
    wanted = {rel for rel in files_of(base) if keep(rel)}
    for rel in files_of(repo):
        if rel not in wanted:
            (Path(repo) / rel).unlink()
    for rel in sorted(wanted):
        if not (Path(repo) / rel).exists():
            (Path(repo) / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(base) / rel, Path(repo) / rel, follow_symlinks=False)


def make_release(dest, stages):
    """Write the release repository at dest; its tags, in order."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit("{} exists and is not empty".format(dest))
    dest.mkdir(parents=True, exist_ok=True)
    git(dest, "init", "-q", "-b", "main")
    tags = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "stubbed"
        handout.generate(ROOT, stages[0], base, stages)
        for i, stage in enumerate(stages):
            later = set(stages[i + 1:])
            sync(base, dest, lambda rel: stage_of(rel, stages) not in later
                 and rel != gradelib.HANDOUT_STAMP)
            (dest / gradelib.HANDOUT_STAMP).write_text(stage + "\n")
            git(dest, "add", "-A")
            git(dest, "commit", "-q", "-m", "{}: the handout and grader of stage {}".format(
                tag_name(stages, stage), stage))
            git(dest, "tag", tag_name(stages, stage))
            tags.append(tag_name(stages, stage))
    return tags


def check_release(dest, stages, merges=None):
    """Every merge of tag N+1 into stage N solved (the first `merges` of them,
    or all) is clean and gives the handout of N+1; the problems found."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "student"
        git(tmp, "clone", "-q", str(Path(dest).resolve()), str(clone))
        git(clone, "checkout", "-q", "-b", "work", tag_name(stages, stages[0]))
        for i, stage in enumerate(stages[:-1][:merges]):
            solved = Path(tmp) / "solved-{}".format(stage)
            handout.generate(ROOT, stages[i + 1], solved, stages)   # stages <= stage solved
            marked = [rel for rel in files_of(clone) if handout.syntax_for(rel)
                      and (solved / rel).exists()]
            for rel in marked:
                shutil.copy2(solved / rel, clone / rel)
            git(clone, "commit", "-q", "-a", "--allow-empty", "-m", "stage {} solved".format(stage))
            nxt = tag_name(stages, stages[i + 1])
            merge = subprocess.run(["git", *GIT_ID, "merge", "-q", "--no-edit", nxt], cwd=clone,
                                   text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if merge.returncode != 0:
                problems.append("merging {} into stage {} solved: {}".format(
                    nxt, stage, merge.stdout.strip()))
                git(clone, "merge", "--abort")
                break
            differ = [rel for rel in marked if (clone / rel).read_bytes() !=
                      (solved / rel).read_bytes()]
            if differ:
                problems.append("after merging {}: {} differ from the handout of {}".format(
                    nxt, ", ".join(differ[:5]), stages[i + 1]))
            shutil.rmtree(solved)
    return problems


def check_builds(dest, stages, which=None):
    """Each tag (of the stages in `which`, or all) builds on a clone, its stage
    list is the stages up to its own, and its own stage's grader fails it (the
    code is stubs); the problems found."""
    problems = []
    for stage in which or stages:
        tag = tag_name(stages, stage)
        with tempfile.TemporaryDirectory() as tmp:
            clone = Path(tmp) / tag
            git(tmp, "clone", "-q", "--branch", tag, str(Path(dest).resolve()), str(clone))
            listed = labs.stages(clone)
            if listed != stages[:stages.index(stage) + 1]:
                problems.append("{}: its stage list is {}".format(tag, " ".join(listed)))
            # Every tag's code is the first stage's handout: start from its build, if
            # the handout check made one.
            check_handouts.share_build(clone, check_handouts.HANDOUT_DIR / stages[0])
            built = subprocess.run(["make", "-s", "-j2", "iso"], cwd=clone, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if built.returncode != 0:
                problems.append("{} does not build:\n{}".format(tag, built.stdout[-2000:]))
                continue
            graded = subprocess.run([sys.executable, "grade/grade.py", stage, "--no-build", "-x"],
                                    cwd=clone, text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            if graded.returncode != 1 or not re.search(r"^\d+ passed, [1-9]\d* failed$",
                                                       graded.stdout, re.M):
                problems.append("{}: its stage's grader did not fail it (status {}):\n{}".format(
                    tag, graded.returncode, graded.stdout[-2000:]))
            else:
                print("release: {} builds and fails grade.py {} as it should".format(tag, stage))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write or check the students' release.")
    parser.add_argument("--check", action="store_true", help="check an existing release")
    parser.add_argument("--build", action="store_true",
                        help="with --check: also build each tag and run its stage's grader")
    parser.add_argument("dest")
    args = parser.parse_args(argv)
    stages = gradelib.read_stages()
    if not args.check:
        for tag in make_release(args.dest, stages):
            print("release: {}".format(tag))
        return 0
    problems = check_release(args.dest, stages)
    if args.build:
        problems += check_builds(args.dest, stages)
    for p in problems:
        print("release: FAILED: " + p)
    print("release: {} merges checked, {} failed".format(len(stages) - 1, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
