"""The students' release (grade/release.py): one tagged commit a stage, no
solution in it, and merging the next tag into a solved stage is clean.  A
planted change to a later stage's block in a tag is caught."""

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
import release  # noqa: E402

MERGES = 3   # the first merges: each is the same kind of check


class ReleaseTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dest = Path(cls.tmp.name) / "release"
        cls.stages = gradelib.read_stages()
        cls.tags = release.make_release(cls.dest, cls.stages)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def git(self, *args, repo=None):
        return release.git(repo or self.dest, *args)

    def test_tags_and_contents(self):
        self.assertEqual(self.tags, ["lab-{:02d}-{}".format(i, s) for i, s in
                                     enumerate(self.stages)])
        first = self.git("ls-tree", "-r", "--name-only", self.tags[0]).split()
        last = self.git("ls-tree", "-r", "--name-only", self.tags[-1]).split()
        self.assertIn("grade/stage_boot.py", first)
        self.assertNotIn("grade/stage_paging.py", first)
        self.assertNotIn("handouts/01-paging.md", first)
        self.assertIn("handouts/12-drivers.md", last)
        self.assertFalse([f for f in last if "/mutants/" in f or "/hidden/" in f])
        # No solution: kmalloc's block is a stub at the last tag too.
        heap = self.git("show", "{}:kernel/mm/heap.c".format(self.tags[-1]))
        self.assertIn("TODO(stage heap)", heap)
        self.assertEqual(self.git("show", "{}:.handout-stage".format(self.tags[3])),
                         self.stages[3] + "\n")

    def test_a_tag_builds_and_fails_its_grader(self):
        # One tag past the first (each builds the same stubbed code; the first is
        # built and graded by the handout check): ~40 s.
        self.assertEqual(release.check_builds(self.dest, self.stages, [self.stages[1]]), [])

    def test_merges_are_clean(self):
        self.assertEqual(release.check_release(self.dest, self.stages, MERGES), [])

    def test_planted_change_is_caught(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad"
            shutil.copytree(self.dest, bad, symlinks=True)
            # Tag lab-01 rewritten to change a stub of a later stage (heap's).
            self.git("checkout", "-q", self.tags[1], repo=bad)
            heap = bad / "kernel" / "mm" / "heap.c"
            heap.write_text(heap.read_text().replace("TODO(stage heap)", "TODO(stage heap) !", 1))
            self.git("commit", "-q", "-a", "-m", "a planted change", repo=bad)
            self.git("tag", "-f", self.tags[1], repo=bad)
            subprocess.run(["git", "checkout", "-q", "main"], cwd=bad, check=True)
            problems = release.check_release(bad, self.stages, 1)
            self.assertTrue(problems and "kernel/mm/heap.c" in problems[0], problems)


if __name__ == "__main__":
    unittest.main()
