"""Grader of stage `ipc` (so far: signals from faults, sigaltstack, the
interval timer; the lead's stage_ipc.py replaces this and imports the
modules of the stage's helpers)."""
from gradelib import main

import ipc_signals

# The modules of this stage's tests, which register them with gradelib as
# they load (named here so that pyflakes sees them used).
TEST_MODULES = [ipc_signals]

if __name__ == "__main__":
    main(["ipc"])
