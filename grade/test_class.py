"""The class grader (grade/grade_class.py) on three sample submissions, made
here from the solution tree with the handout generator and graded on stage
`boot` (its memory-map tests): the solution (boot solved: every point), the boot handout itself
with its grader tampered to pass everything (the tampering must not count:
fewer points), and a tree that does not build (no points).  Also what `make
handin` puts in an archive.  Needs the built tree (make)."""

import csv
import io
import json
import zipfile
import shutil
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
import grade_class  # noqa: E402
import gradescope  # noqa: E402
import handin  # noqa: E402
import handout  # noqa: E402

ROOT = gradelib.REPO_ROOT
WORK = ROOT / "build" / "class-test"
BUILT = (ROOT / "build" / "sysroot" / ".stamp").exists()


ONLY = "memory map"   # three tests of stage boot, to keep the run short


def boot_points():
    """The points of the boot tests the class grader is asked for (-k ONLY)."""
    gradelib.load_stage_scripts(["boot"])
    return sum(t.points for t in gradelib.REGISTRY if t.stage == "boot" and ONLY in t.name)


class HandinTest(unittest.TestCase):

    def test_archive_holds_sources_and_digest(self):
        out = WORK / "handin-self.tar.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        info = handin.read_handin(handin.make_archive(ROOT, out))
        with tarfile.open(out) as tar:
            names = set(tar.getnames())
        self.assertIn("kernel/main.c", names)
        self.assertIn("HANDIN", names)
        self.assertFalse(any(n.startswith("build/") for n in names))
        self.assertEqual(info["graders"], handin.graders_digest(ROOT))
        self.assertEqual(int(info["files"]), len(names) - 1)


class GradescopeTest(unittest.TestCase):

    def test_results_shape(self):
        ok = {"score": 2, "tests": [{"name": "a", "score": 1, "max_score": 1, "output": "",
                                     "status": "passed", "visibility": "visible"},
                                    {"name": "b", "score": 1, "max_score": 1, "output": "x"}]}
        self.assertEqual(gradescope.validate(ok), [])
        bad = {"score": "2", "tests": [{"name": "a", "score": 3, "max_score": 1, "output": "",
                                        "visibility": "sometimes"}]}
        self.assertEqual(len(gradescope.validate(bad)), 3)
        failed = gradescope.to_gradescope({"status": "does not build"}, {"build": ["error"]})
        self.assertEqual(gradescope.validate(failed), [])
        self.assertEqual(failed["score"], 0)

    def test_package(self):
        out = gradescope.package("heap", WORK / "gradescope-heap.zip")
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
            mode = z.getinfo("run_autograder").external_attr >> 16
            run = z.read("run_autograder").decode()
        self.assertTrue({"setup.sh", "run_autograder", "grade/grade.py", "kernel/main.c",
                         "labs/02-heap/hidden/small_memory.py"} <= names)
        self.assertTrue(mode & 0o100, "run_autograder is not executable")
        self.assertIn("gradescope.py run heap", run)


class LimitsTest(unittest.TestCase):
    def test_too_large(self):
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "big.tar.gz"
            with tarfile.open(archive, "w:gz") as tar:
                member = tarfile.TarInfo("kernel/big.c")
                member.size = 4096
                tar.addfile(member, io.BytesIO(bytes(4096)))
            with mock.patch.object(grade_class, "MAX_TREE_BYTES", 1024):
                row, doc = grade_class.grade_one(archive, "boot", Path(tmp) / "trees", 1)
            self.assertEqual(row["status"], "too large")
            self.assertFalse((Path(tmp) / "trees" / "big").exists())

    def test_commands_run_limited(self):
        status, out = grade_class.run(["sh", "-c", "ulimit -t; ulimit -f; ulimit -c"], ROOT, 77)
        self.assertEqual((status, out.split()), (0, ["77", str(grade_class.MAX_FILE_BYTES // 512),
                                                     "0"]))
        status, out = grade_class.run(["sh", "-c", "sleep 30 & sleep 30"], ROOT, 1)
        self.assertEqual(status, -1)
        self.assertIn("timed out", out)


@unittest.skipUnless(BUILT, "needs the built tree (make)")
class GradeClassTest(unittest.TestCase):

    def setUp(self):
        shutil.rmtree(WORK, ignore_errors=True)
        self.subs = WORK / "submissions"
        stages = gradelib.read_stages()
        handout.generate(ROOT, "paging", self.subs / "solved", stages)
        handout.generate(ROOT, "boot", self.subs / "stubbed", stages)
        handout.generate(ROOT, "paging", self.subs / "broken", stages)
        # The stubbed tree's student "fixed" the grader: as many tests as
        # the real one has points, each passing at once.
        (self.subs / "stubbed" / "grade" / "stage_boot.py").write_text(
            "from gradelib import test\n"
            "for i in range({}):\n"
            "    test('boot', 'memory map free point {{}}'.format(i), cmdline='test=banner')"
            "(lambda m: None)\n"
            .format(boot_points()))
        main_c = self.subs / "broken" / "kernel" / "main.c"
        main_c.write_text(main_c.read_text() + "\n#error this does not build\n")
        (self.subs / "solved" / "answers").mkdir()
        (self.subs / "solved" / "answers" / "boot.md").write_text("1. Because ...\n")
        # An archive, as `make handin` makes them, for the solved tree.
        handin.make_archive(self.subs / "solved", self.subs / "solved-archive.tar.gz")
        shutil.rmtree(self.subs / "solved")

    def test_three_submissions(self):
        rows = grade_class.grade_class(self.subs, "boot", jobs=1, out=WORK / "out", only=ONLY)
        by = {r["student"]: r for r in rows}
        full = boot_points()
        self.assertEqual(set(by), {"solved-archive", "stubbed", "broken"})
        self.assertEqual((by["solved-archive"]["status"], by["solved-archive"]["score"]),
                         ("graded", full), by["solved-archive"])
        self.assertEqual(by["solved-archive"]["graders"], "same")
        self.assertEqual([by[n]["answers"] for n in ("solved-archive", "stubbed")], ["yes", "no"])
        self.assertEqual(by["stubbed"]["status"], "graded")
        self.assertLess(by["stubbed"]["score"], full, "the tampered grader counted")
        self.assertEqual(by["stubbed"]["max"], full)
        self.assertEqual((by["broken"]["status"], by["broken"]["score"]), ("does not build", 0))
        with open(WORK / "out" / "class.csv") as f:
            table = list(csv.DictReader(f))
        self.assertEqual(sorted(r["student"] for r in table), sorted(by))
        self.assertTrue((WORK / "out" / "stubbed.json").exists())
        # Each, as Gradescope's results.json, has the documented shape.
        for name, row in by.items():
            doc = json.loads((WORK / "out" / "{}.json".format(name)).read_text())
            result = gradescope.to_gradescope(row, doc)
            self.assertEqual(gradescope.validate(result), [], name)
            self.assertEqual(result["score"], row["score"])
            if row["status"] == "graded":
                self.assertIn("stage boot (Booting", result["output"])


if __name__ == "__main__":
    unittest.main()
