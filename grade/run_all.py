"""`make test`: everything a change must pass, with one verdict at the end.

Runs, in order, every stage's grader on the full solution, a sample of them
on a debug build with the kernel's invariant checks (grade/kdebug.py), a
sample of the planted bugs of labs/*/mutants (each must fail its stage's
grader; `make check-graders` checks them all), the handout check (every
stage's handout builds, a sample of the stage before's grader passes on it
and its own grader does not; `make check-handouts` runs the whole grader),
the host unit tests (grade/test_*.py; last but one, so that the class
grader's and the release's tests build from the handouts just built), and
the static checks (conf/lint.py: cppcheck, pyflakes, clang-format).  Each part prints its own report; this script adds
up their "N passed, M failed" lines and ends with the total in the same form,
exiting non-zero on any failure.
"""
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed")


def run_part(title, command):
    """Run one part, echoing its output; return (passed, failed)."""
    print("==> {}".format(title), flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    passed = failed = None
    unittest_ran = unittest_failed = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        match = SUMMARY.match(line)
        if match:
            passed, failed = int(match.group(1)), int(match.group(2))
        # unittest's own closing lines: "Ran N tests" and "OK" / "FAILED (...)"
        match = re.match(r"^Ran (\d+) tests?", line)
        if match:
            unittest_ran = int(match.group(1))
        match = re.match(r"^FAILED \((?:failures|errors)=(\d+)(?:, (?:errors|failures)=(\d+))?",
                         line)
        if match:
            unittest_failed = int(match.group(1)) + int(match.group(2) or 0)
    status = proc.wait()
    if passed is None and unittest_ran is not None:
        failed = unittest_failed or 0
        passed = unittest_ran - failed
    if passed is None:
        # A part that crashed before reporting counts as one failure.
        passed, failed = 0, 1
    elif status != 0 and failed == 0:
        failed = 1
    print("==> {}: {} passed, {} failed ({:.0f}s)\n".format(title, passed, failed,
                                                          time.monotonic() - start), flush=True)
    return passed, failed


def main():
    parts = [
        ("graders", [sys.executable, "grade/grade.py", "--no-build"]),
        ("graders on a KDEBUG=1 build (a sample)", [sys.executable, "grade/kdebug.py"]),
        ("graders against planted bugs (a sample)",
         [sys.executable, "grade/check_graders.py", "--no-build", "--quick"]),
        ("handout check (the stage before's grader sampled)",
         [sys.executable, "grade/check_handouts.py", "--quick"]),
        # After the handout check: the class grader's and the release's tests
        # build their trees from the handouts it built (check_handouts.share_build).
        ("host unit tests", [sys.executable, "-m", "unittest", "discover", "-s", "grade",
                             "-p", "test_*.py"]),
        ("lint", [sys.executable, "conf/lint.py"]),
    ]
    total_passed = total_failed = 0
    for title, command in parts:
        passed, failed = run_part(title, command)
        total_passed += passed
        total_failed += failed
    print("{} passed, {} failed".format(total_passed, total_failed))
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
