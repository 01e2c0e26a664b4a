#!/usr/bin/env python3
"""lint.py: the static checks a change must pass (`make lint`).

Runs, each on the whole tree, and reports each as passed or failed:

  cppcheck        kernel/ (with the kernel's include paths) and user/
  pyflakes        the Python of grade/ and conf/ (Debian's python3-pyflakes)
  stage markers   grade/handout.py --check
  clang-format    conf/format.py --check (the house style, .clang-format)

Every check runs even when an earlier one fails; the last line is
"N passed, M failed" (as `make test` expects of each of its parts) and the
exit status is 1 if any check failed.  The tools are named by $CPPCHECK,
$PYFLAKES and $CLANG_FORMAT (conf/env.mk sets them).
"""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Errors only (cppcheck's default severity); the system headers are not
# looked for: the kernel has none, and user programs see musl's only once
# the sysroot is built.
CPPCHECK_FLAGS = ["--quiet", "--error-exitcode=1", "--std=c11", "--inline-suppr",
                  "--suppress=missingIncludeSystem"]


def checks():
    cppcheck = shlex.split(os.environ.get("CPPCHECK", "cppcheck"))
    pyflakes = shlex.split(os.environ.get("PYFLAKES", "/usr/bin/python3 -m pyflakes"))
    python = sys.executable
    python_files = sorted(str(p.relative_to(ROOT)) for d in ("grade", "conf")
                          for p in (ROOT / d).glob("*.py"))
    return [
        ("cppcheck kernel/", cppcheck + CPPCHECK_FLAGS + ["-Ikernel/include", "-Ikernel",
                                                          "kernel"]),
        ("cppcheck user/", cppcheck + CPPCHECK_FLAGS + ["user"]),
        ("pyflakes grade/ conf/", pyflakes + python_files),
        ("stage markers", [python, "grade/handout.py", "--check"]),
        ("clang-format", [python, "conf/format.py", "--check"]),
    ]


def main():
    passed = failed = 0
    for title, command in checks():
        start = time.monotonic()
        try:
            status = subprocess.call(command, cwd=ROOT)
        except OSError as err:
            print("lint: {}: cannot run {}: {}".format(title, command[0], err))
            status = -1
        verdict = "ok" if status == 0 else "FAILED"
        print("lint: {}: {} ({:.1f}s)".format(title, verdict, time.monotonic() - start),
              flush=True)
        if status == 0:
            passed += 1
        else:
            failed += 1
    print("{} passed, {} failed".format(passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
