"""Host unit tests of check_graders.py: reading mutant patches, and writing
them again from a copy of the tree (python3 -m unittest discover -s grade)."""
import subprocess
import tempfile
import unittest
from pathlib import Path

import check_graders

PATCH = """Breaks: the slice is never used up
Exercise: 2 (sched_account)
Killed-by: two busy threads
Quick: yes

--- a/kernel/sched/sched.c
+++ b/kernel/sched/sched.c
@@ -1,3 +1,3 @@
 a
-b
+c
 d
"""


class ReadMutant(unittest.TestCase):
    def read(self, text, **kw):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "07-never-used-up.patch"
            path.write_text(text)
            return check_graders.read_mutant("scheduler", path, **kw)

    def test_header_and_files(self):
        m = self.read(PATCH)
        self.assertEqual(m.name, "scheduler/07-never-used-up")
        self.assertEqual(m.header["breaks"], "the slice is never used up")
        self.assertEqual(m.killer, "two busy threads")
        self.assertEqual(m.header["quick"], "yes")
        self.assertEqual(m.files, ["kernel/sched/sched.c"])

    def test_breaks_is_required(self):
        with self.assertRaises(check_graders.MutantError):
            self.read(PATCH.replace("Breaks:", "Broken:"))

    def test_a_diff_is_required_unless_checking_out(self):
        header = PATCH.split("\n--- ")[0] + "\n"
        with self.assertRaises(check_graders.MutantError):
            self.read(header)
        self.assertEqual(self.read(header, need_diff=False).files, [])


class DiffTree(unittest.TestCase):
    def test_the_diff_applies_to_the_tree(self):
        with tempfile.TemporaryDirectory() as tmp:
            root, copy = Path(tmp) / "root", Path(tmp) / "copy"
            for tree in (root, copy):
                (tree / "kernel").mkdir(parents=True)
                (tree / "kernel" / "f.c").write_text("".join("line {}\n".format(i)
                                                             for i in range(20)))
            (copy / "kernel" / "f.c").write_text(
                (copy / "kernel" / "f.c").read_text().replace("line 9\n", "line nine\n"))
            saved = check_graders.ROOT
            check_graders.ROOT = root
            try:
                diff = check_graders.diff_tree(copy)
            finally:
                check_graders.ROOT = saved
            self.assertIn("-line 9\n+line nine\n", diff)
            self.assertEqual(diff.count("\n "), 2)        # one line of context each side
            subprocess.run(["patch", "-p1", "--batch", "--fuzz=0", "--quiet"], cwd=root,
                           input=diff, text=True, check=True)
            self.assertEqual((root / "kernel" / "f.c").read_text(),
                             (copy / "kernel" / "f.c").read_text())


if __name__ == "__main__":
    unittest.main()
