#!/usr/bin/env python3
"""grade.py: grade the kernel, all stages or the ones named.

    python3 grade/grade.py [STAGE ...] [-k SUBSTRING] [-x] [-j N] [--list]
                           [--json F] [--junit F] [--repeat N]
                           [--under-load N] [--no-build]

The stage list and its order come from `labs/` (grade/labs.py).  For each selected
stage that has a grading script `grade/stage_<name>.py`, the script is
imported (which registers its tests with gradelib), the ISO is built once with
`make -s iso` (unless --no-build), and the tests run in parallel, one QEMU
each.  Without STAGE arguments every stage with a grader is graded; in a
handout tree (one with a `.handout-stage` file) only the stages up to the
handout's own.  `-k` keeps the tests whose name contains a text, `-x` stops
at the first failure.  The last line printed is `N passed, M failed`; the
exit status is 0 when every test passed, 1 otherwise, 2 on a usage error.

Time limits count QEMU time from the kernel's first line, not wall-clock
time, and a kernel that stops making progress fails in seconds as a hang;
GRADE_TIMEOUT_SCALE multiplies every limit for a slow machine (see
emuclock.py, and `--help`).  `--under-load N` grades twice, idle and with N
CPU hogs running, and counts a test as passed when its verdict is the same.

Everything else lives in `gradelib.py` (the registry and the runner) and the
modules it is made of: `machine.py` (the Machine), `emulator.py` (QEMU's and
Bochs' command lines, GRADE_QEMU), `emuclock.py` (the clocks,
GRADE_TIMEOUT_SCALE) and `reports.py` (the report formats); each stage script
can also be run on its own (`python3 grade/stage_boot.py`).
"""

import gradelib

if __name__ == "__main__":
    gradelib.main()
