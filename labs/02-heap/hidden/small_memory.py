"""An instructor's hidden test of stage `heap` (labs/02-heap/hidden/): graded
with the stage's own tests, never handed out (grade/handout.py leaves
labs/*/hidden/ out of every student tree), so a solution tuned to the
published tests alone can still fail here.

A hidden test is an ordinary grader test: it registers with @test for its
stage and may use the stage script's helpers.
"""
from gradelib import test
from stage_heap import boot_free_frames, expect_baseline


@test("heap", "hidden: random sequences in 48 MiB of RAM leave the heap as it started",
      cmdline="test=heap_random", mem="48M")
def _(m):
    free = boot_free_frames(m)
    expect_baseline(m, "heap_random", free)
