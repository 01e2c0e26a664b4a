#!/usr/bin/env python3
"""handout.py: make the student tree of one stage from the full solution tree.

    python3 grade/handout.py STAGE OUTDIR   write the handout of STAGE to OUTDIR
    python3 grade/handout.py --check        only validate the markers of the tree

Marking solution code
---------------------
In the full tree, the code a student writes in stage `heap` sits between
marker lines, each alone on its line (indentation allowed).  In C sources
(.c .h .S .ld) the markers are comments, and the stub the student starts from
sits inside the closing comment, so the compiler sees only the solution:

    void *kmalloc(size_t size)
    {
        /* BEGIN STAGE heap: find a free block that is large enough */
        ...solution lines...
        /* STUB
        return NULL;
        END STAGE heap */
    }

A block without a stub ends with a plain comment line, `/* END STAGE heap */`,
and the hint after `BEGIN STAGE heap:` is optional.  Python and make files
(.py .mk GNUmakefile) use the same markers as `#` comments: a begin line
`# BEGIN STAGE heap: hint`, then the solution, then optionally a line `# STUB`
followed by the stub lines each commented out as `# line`, and last a line
`# END STAGE heap`.

The handout of stage S
----------------------
The stage order comes from `labs/` (grade/labs.py).  A block of a stage before S
keeps its solution; its marker lines and stub disappear.  A block of S or a
later stage becomes one line `/* TODO(stage heap): hint */` (`# TODO(...)` in
Python and make files; "your code here" without a hint) at the indentation of
its BEGIN line, followed by the stub lines as written (uncommented in Python
and make files).  Other files are copied unchanged.  The files copied are the
ones git tracks (`git ls-files`), or, outside a git checkout, the whole tree
except `build/` and `.git/`, leaving out the planted bugs of S and later
stages (`labs/NN-STAGE/mutants/`).  OUTDIR gets a `.handout-stage` file naming S;
an existing OUTDIR is replaced only if it holds such a file.

Errors -- a marker of an unknown stage, an END that does not close the open
BEGIN, a BEGIN inside a block, a block left open, a malformed marker, or a C
stub holding a comment (which would end or nest the enclosing one) -- are
reported as `file:line: message`, and the exit status is 1.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import gradelib
import labs

C_SUFFIXES = {".c", ".h", ".S", ".ld"}
HASH_SUFFIXES = {".py", ".mk"}
HASH_NAMES = {"GNUmakefile", "Makefile"}


class MarkerError(Exception):
    """A problem with the stage markers of a file, as `file:line: message`."""


@dataclass
class Syntax:
    """How the stage markers of one comment style look (matched on stripped lines)."""
    begin: re.Pattern        # BEGIN marker: stage, optional hint
    stub: re.Pattern         # the line that starts the stub
    end: re.Pattern          # END marker after the solution (no stub)
    stub_end: re.Pattern     # END marker after a stub
    looks_like_marker: re.Pattern  # what a marker starts with, to catch typos
    todo: str                # the TODO line, formatted with stage and hint
    stub_comment: str = ""   # prefix of each stub line, removed in the handout

    def uncomment_stub(self, line):
        """A stub line as the handout shows it; None if it lacks the prefix."""
        if not self.stub_comment:
            return line
        indent = line[:len(line) - len(line.lstrip())]
        body = line[len(indent):]
        if body in ("", self.stub_comment.rstrip()):
            return ""
        if body.startswith(self.stub_comment):
            return indent + body[len(self.stub_comment):]
        return None


C_SYNTAX = Syntax(
    begin=re.compile(r"/\* BEGIN STAGE (\w+)(?::\s*(.*?))?\s*\*/$"),
    stub=re.compile(r"/\* STUB$"),
    end=re.compile(r"/\* END STAGE (\w+) \*/$"),
    stub_end=re.compile(r"END STAGE (\w+) \*/$"),
    looks_like_marker=re.compile(r"(/\* )?(BEGIN|END) STAGE \w"),
    todo="/* TODO(stage {stage}): {hint} */",
)

HASH_SYNTAX = Syntax(
    begin=re.compile(r"# BEGIN STAGE (\w+)(?::\s*(.*?))?\s*$"),
    stub=re.compile(r"# STUB$"),
    end=re.compile(r"# END STAGE (\w+)$"),
    stub_end=re.compile(r"# END STAGE (\w+)$"),
    looks_like_marker=re.compile(r"# (BEGIN|END) STAGE \w"),
    todo="# TODO(stage {stage}): {hint}",
    stub_comment="# ",
)


def syntax_for(path):
    """The marker syntax of a file, or None if its markers are not processed."""
    path = Path(path)
    if path.suffix in C_SUFFIXES:
        return C_SYNTAX
    if path.suffix in HASH_SUFFIXES or path.name in HASH_NAMES:
        return HASH_SYNTAX
    return None


@dataclass
class Block:
    """One marked block while it is being read."""
    stage: str
    hint: str
    indent: str
    line: int
    solution: list = field(default_factory=list)
    stub: list = field(default_factory=list)
    in_stub: bool = False


def transform(text, filename, stages, handout_stage=None):
    """Return `text` as the handout of `handout_stage` shows it.

    With handout_stage=None the markers are only checked and `text` comes
    back unchanged.  Raises MarkerError naming `filename` and the line.
    """
    syntax = syntax_for(filename)
    if syntax is None:
        return text
    cut = stages.index(handout_stage) if handout_stage is not None else None
    out = []
    block = None

    def error(lineno, message):
        raise MarkerError("{}:{}: {}".format(filename, lineno, message))

    def check_stage(lineno, stage):
        if stage not in stages:
            error(lineno, "unknown stage '{}' (stages: {})".format(stage, " ".join(stages)))

    def close(lineno, stage):
        if stage != block.stage:
            error(lineno, "END STAGE {} closes BEGIN STAGE {} of line {}".format(
                stage, block.stage, block.line))
        if cut is None:
            return
        if stages.index(block.stage) < cut:
            out.extend(block.solution)
            return
        hint = block.hint or "your code here"
        out.append(block.indent + syntax.todo.format(stage=block.stage, hint=hint))
        out.extend(block.stub)

    for lineno, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if block is None:
            begin = syntax.begin.match(stripped)
            if begin:
                check_stage(lineno, begin.group(1))
                indent = line[:len(line) - len(line.lstrip())]
                block = Block(begin.group(1), begin.group(2) or "", indent, lineno)
            elif any(p.match(stripped) for p in (syntax.stub, syntax.end, syntax.stub_end)):
                error(lineno, "'{}' without a BEGIN STAGE before it".format(stripped))
            elif syntax.looks_like_marker.match(stripped):
                error(lineno, "malformed marker '{}'".format(stripped))
            else:
                out.append(line)
        elif block.in_stub:
            end = syntax.stub_end.match(stripped)
            if end:
                close(lineno, end.group(1))
                block = None
                continue
            if syntax.begin.match(stripped) or syntax.looks_like_marker.match(stripped):
                error(lineno, "marker inside the stub of the block of line {}".format(
                    block.line))
            if syntax is C_SYNTAX and ("/*" in line or "*/" in line):
                error(lineno, "a C stub sits inside a comment and cannot hold one")
            stub_line = syntax.uncomment_stub(line)
            if stub_line is None:
                error(lineno, "stub line does not start with '{}'".format(
                    syntax.stub_comment))
            block.stub.append(stub_line)
        else:
            end = syntax.end.match(stripped)
            if end:
                close(lineno, end.group(1))
                block = None
            elif syntax.stub.match(stripped):
                block.in_stub = True
            elif syntax.begin.match(stripped):
                error(lineno, "BEGIN STAGE inside the block of line {} (blocks do not "
                      "nest)".format(block.line))
            elif syntax.looks_like_marker.match(stripped):
                error(lineno, "malformed marker '{}'".format(stripped))
            else:
                block.solution.append(line)
    if block is not None:
        error(block.line, "BEGIN STAGE {} is never closed".format(block.stage))
    return text if cut is None else "\n".join(out)


def tracked_files(root):
    """The files of the tree, relative to `root`: git's list, or a walk of the tree."""
    root = Path(root)
    if (root / ".git").exists():
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True,
                                 stdout=subprocess.PIPE).stdout.decode()
        paths = [Path(p) for p in listing.split("\0") if p]
        return [p for p in paths if os.path.lexists(root / p)]
    found = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not (rel == Path(".") and d in ("build", ".git"))
                         and d != "__pycache__")
        found.extend(rel / f for f in sorted(files))
    return found


def read_source(path):
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise MarkerError("{}: not UTF-8 text ({})".format(path, e))


def transform_tree(root, files, stages, handout_stage=None):
    """Transform the marked source files among `files` of `root` (check only with None).

    Returns {relative path: handout text} for the files with marker syntax.
    Raises MarkerError listing every error of every file.
    """
    contents = {}
    errors = []
    for rel in files:
        path = Path(root) / rel
        if syntax_for(rel) is None or path.is_symlink():
            continue
        try:
            contents[rel] = transform(read_source(path), rel, stages, handout_stage)
        except MarkerError as e:
            errors.append(str(e))
    if errors:
        raise MarkerError("\n".join(errors))
    return contents


def check_tree(root, stages):
    """Validate the markers of every file; return the list of error messages."""
    try:
        transform_tree(root, tracked_files(root), stages)
    except MarkerError as e:
        return str(e).splitlines()
    return []


def prepare_outdir(outdir, root):
    """Make `outdir` empty, refusing to replace anything but an earlier handout."""
    outdir, root = Path(outdir).resolve(), Path(root).resolve()
    if outdir == root or outdir in root.parents:
        raise SystemExit("{}: refusing to write a handout over the source tree".format(outdir))
    if outdir.exists():
        if not (outdir / gradelib.HANDOUT_STAMP).exists() and any(outdir.iterdir()):
            raise SystemExit("{} exists and is not a handout (no {}): not replacing "
                             "it".format(outdir, gradelib.HANDOUT_STAMP))
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)


def generate(root, stage, outdir, stages):
    """Write the handout of `stage` from the tree at `root` to `outdir`."""
    if stage not in stages:
        raise SystemExit("unknown stage '{}' (stages: {})".format(stage, " ".join(stages)))
    root, outdir = Path(root), Path(outdir)
    # Transform everything before writing anything, so an error leaves no tree.
    # The planted bugs of this and later stages (labs/NN-S/mutants, see
    # check_graders.py) are patches against the solution: they stay out.
    folders = {s: labs.lab_dir(s, root).relative_to(root) for s in stages}
    hidden = {folders[s] / "mutants" for s in stages[stages.index(stage):]}
    # The instructor's hidden tests (labs/NN-S/hidden/) are never handed out.
    hidden |= {folders[s] / "hidden" for s in stages}
    files = [f for f in tracked_files(root) if not hidden & set(f.parents)]
    contents = transform_tree(root, files, stages, stage)
    prepare_outdir(outdir, root)
    for rel in files:
        src, dst = root / rel, outdir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif rel in contents and contents[rel] != read_source(src):
            dst.write_text(contents[rel], encoding="utf-8")
            shutil.copymode(src, dst)
        else:
            # Unchanged files keep their timestamps, so that build outputs
            # shared with the main tree (check_handouts.share_libc) stay fresh.
            shutil.copy2(src, dst)
    (outdir / gradelib.HANDOUT_STAMP).write_text(stage + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Write the student handout of a stage, or check the stage markers.")
    parser.add_argument("--check", action="store_true",
                        help="only validate the markers of the whole tree")
    parser.add_argument("stage", nargs="?", help="the stage of the handout")
    parser.add_argument("outdir", nargs="?", help="where to write it")
    args = parser.parse_args(argv)
    root = gradelib.REPO_ROOT
    stages = gradelib.read_stages()
    if args.check:
        if args.stage:
            parser.error("--check takes no other arguments")
        errors = check_tree(root, stages)
        for message in errors:
            print(message, file=sys.stderr)
        return 1 if errors else 0
    if not args.stage or not args.outdir:
        parser.error("give STAGE and OUTDIR, or --check")
    try:
        generate(root, args.stage, args.outdir, stages)
    except MarkerError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
