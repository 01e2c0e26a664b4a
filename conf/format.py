#!/usr/bin/env python3
"""format.py: keep the C sources in the house style (.clang-format).

    python3 conf/format.py            rewrite the files that are not formatted
    python3 conf/format.py --check    only name them; exit status 1 if any

`make format` and `make format-check` run it.  The files are the C sources
and headers under kernel/, user/, libc/src/, libc/include/ and grade/host/
(or the FILEs given).  Formatted means: what clang-format makes of the file (the version
named by $CLANG_FORMAT, clang-format-14 by default: another version formats
some constructs differently), with one more rule clang-format cannot apply
because the line is inside a comment: the `END STAGE x */` line of a stage
marker's stub is indented like the `/* STUB` line that opens the comment.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ["kernel", "user", "libc/src", "libc/include", "grade/host"]
VIOLATION = re.compile(r"^(.+?):\d+:\d+: (?:warning|error): code should be clang-formatted")
STUB = re.compile(r"^([ \t]*)/\* STUB$")
STUB_END = re.compile(r"^[ \t]*END STAGE \w+ \*/$")


def default_files():
    """Every .c and .h file of the trees, as paths relative to the top."""
    files = []
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.[ch]")):
            files.append(str(path.relative_to(ROOT)))
    return files


def clang_format(args):
    """Run clang-format on the top of the tree; return its stderr."""
    tool = os.environ.get("CLANG_FORMAT", "clang-format-14")
    if not shutil.which(tool):
        sys.exit("format: {} not found; install it with `apt-get install {}` "
                 "(conf/deps.sh does, as root)".format(tool, tool))
    proc = subprocess.run([tool, "--style=file"] + args, cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit("format: {} failed:\n{}".format(tool, proc.stderr))
    return proc.stderr


def indent_stub_ends(text):
    """text with each stub's END STAGE line indented like its /* STUB line."""
    lines = text.split("\n")
    indent = None
    for i, line in enumerate(lines):
        match = STUB.match(line)
        if match:
            indent = match.group(1)
        elif indent is not None and STUB_END.match(line):
            lines[i] = indent + line.lstrip()
            indent = None
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="name the files that are not formatted, change nothing")
    parser.add_argument("files", nargs="*", help="files to format (default: all)")
    args = parser.parse_args()
    files = args.files or default_files()

    if args.check:
        report = clang_format(["--dry-run"] + files)
        bad = {m.group(1) for m in map(VIOLATION.match, report.splitlines()) if m}
    else:
        clang_format(["-i"] + files)
        bad = set()
    for name in files:
        path = ROOT / name
        text = path.read_text()
        fixed = indent_stub_ends(text)
        if fixed != text:
            bad.add(name)
            if not args.check:
                path.write_text(fixed)
    if args.check and bad:
        for name in sorted(bad):
            print("{}: not formatted".format(name))
        print("format: {} file(s) not formatted; `make format` rewrites them".format(len(bad)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
