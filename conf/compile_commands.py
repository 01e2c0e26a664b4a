#!/usr/bin/env python3
"""compile_commands.py: write the compilation database (`make compile_commands.json`).

    compile_commands.py OUTPUT --kernel "CC FLAGS" --user "CC FLAGS" FILE...

One entry per C file, for clangd, clang-tidy and editors: kernel/... files
with the kernel's compiler and flags, user/... files with the user
programs' (which name the musl sysroot's headers).  The makefile passes its
own variables, so the entries are the commands the build runs, and nothing
is compiled, rebuilt or cleaned to find them.  The output path of each entry
is where the build puts the object (a one-file user program is compiled and
linked in one step; its entry compiles it to the object a multi-file program
would have).
"""

import argparse
import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def entry(directory, compiler, source, output):
    return {
        "directory": directory,
        "arguments": compiler + ["-c", "-o", output, source],
        "file": source,
        "output": output,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--kernel", required=True, help="kernel compiler and flags")
    parser.add_argument("--user", required=True, help="user programs' compiler and flags")
    parser.add_argument("--build", default="build", help="the build directory")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    kernel, user = shlex.split(args.kernel), shlex.split(args.user)
    directory = str(ROOT)
    entries = []
    for source in args.files:
        if source.startswith("kernel/"):
            entries.append(entry(directory, kernel, source,
                                 "{}/{}.o".format(args.build, source)))
        elif source.startswith("user/"):
            entries.append(entry(directory, user, source, "{}/obj/{}.o".format(
                args.build, source[:-len(".c")])))
        else:
            sys.exit("compile_commands: {}: neither kernel/ nor user/".format(source))
    Path(args.output).write_text(json.dumps(entries, indent=2) + "\n")
    print("compile_commands: {} entries in {}".format(len(entries), args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
