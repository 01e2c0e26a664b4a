"""Host unit tests of labs/ and its reader, grade/labs.py: no QEMU needed.

    cd grade && python3 -m unittest test_labs

A made-up tree shows how the stage list, drafts, points and fixtures are
read and which mistakes are refused; the real tree is checked for what must
agree between labs/, the handouts, the stage markers and the GNUmakefile
(each README lists the files of its stage's marked blocks, each stage has
its handout under the same number, make's stage list is the graders').
"""

import subprocess
import tempfile
import unittest
from pathlib import Path

import gradelib
import labs

ROOT = labs.ROOT


class MadeUpTree(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.write("labs/00-boot/lab.toml", 'title = "Boot"\n[points]\n"banner" = 3\n')
        self.write("labs/01-heap/lab.toml", 'title = "Heap"\n')
        self.write("labs/01-heap/errnos.toml", '[open]\n"a missing file" = "ENOENT"\n')
        self.write("labs/02-sched/lab.toml", 'title = "Scheduler"\ndraft = true\n')
        self.write("labs/README.md", "not a lab\n")
        self.write("labs/old/mutants/x.patch", "not a lab either\n")
        labs._configs.clear()

    def tearDown(self):
        self.tmp.cleanup()
        labs._configs.clear()

    def write(self, name, text):
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_text(text)

    def test_stages_in_order_drafts_last(self):
        self.assertEqual(labs.stages(self.root), ["boot", "heap"])
        self.assertEqual(labs.stages(self.root, drafts=True), ["boot", "heap", "sched"])
        self.assertEqual(labs.lab_dir("heap", self.root), self.root / "labs/01-heap")

    def test_fixture(self):
        self.assertEqual(labs.fixture("heap", "errnos", self.root),
                         {"open": {"a missing file": "ENOENT"}})
        with self.assertRaises(SystemExit):
            labs.fixture("heap", "missing", self.root)

    def test_points(self):
        tests = [gradelib.Test("boot", "boots and prints the banner", None),
                 gradelib.Test("boot", "the memory map", None),
                 gradelib.Test("heap", "kmalloc", None)]
        labs.weigh(tests, self.root)
        self.assertEqual([t.points for t in tests], [3, 1, 1])

    def test_points_that_match_nothing(self):
        tests = [gradelib.Test("boot", "the memory map", None)]
        with self.assertRaises(SystemExit) as e:
            labs.weigh(tests, self.root)
        self.assertIn('"banner" is part of no test', str(e.exception))
        labs.weigh(tests, self.root, strict=False)   # a student's tree: hidden tests gone
        self.assertEqual(tests[0].points, 1)

    def test_mistakes_are_refused(self):
        cases = [
            ("labs/03-net/notes.txt", "", "no lab.toml"),
            ("labs/03-net/lab.toml", 'title = "Net"\nweight = 3\n', "unknown key weight"),
            ("labs/03-net/lab.toml", "draft = true\n", "no title"),
            ("labs/03-net/lab.toml", 'title = "Net"\n[points]\n"x" = 1.5\n', "whole numbers"),
            ("labs/03-net/lab.toml", 'title = "Net\n', "lab.toml"),
            ("labs/04-heap/lab.toml", 'title = "Heap again"\n', "two folders of stage heap"),
        ]
        for name, text, message in cases:
            with self.subTest(name=name, text=text):
                self.write(name, text)
                labs._configs.clear()
                with self.assertRaises(SystemExit) as e:
                    labs.stages(self.root, drafts=True)
                self.assertIn(message, str(e.exception))
                (self.root / name).unlink()
                (self.root / name).parent.rmdir()


class RealTree(unittest.TestCase):
    def test_each_readme_lists_its_stages_files(self):
        for stage, folder in labs.labs().items():
            listing = subprocess.run(["git", "grep", "-l", "-E", r"BEGIN STAGE {}\b".format(stage)],
                                     cwd=ROOT, capture_output=True, text=True).stdout.split()
            marked = {f for f in listing if not f.startswith(("grade/", "labs/"))}
            readme = (folder / "README.md").read_text()
            listed = set(l[3:-1] for l in readme.splitlines() if l.startswith("- `"))
            with self.subTest(stage=stage):
                self.assertEqual(listed, marked)
                self.assertIn("handouts/{}.md".format(folder.name), readme)
                self.assertIn("make grade STAGE={}".format(stage), readme)

    def test_each_stage_has_its_handout_under_its_number(self):
        for stage, folder in labs.labs().items():
            if not labs.config(stage).get("draft"):
                self.assertTrue((ROOT / "handouts" / (folder.name + ".md")).exists(), folder.name)
        numbered = sorted(p.stem for p in (ROOT / "handouts").glob("[0-9][0-9]-*.md"))
        self.assertEqual(numbered, [f.name for s, f in labs.labs().items()
                                    if not labs.config(s).get("draft")])

    def test_make_reads_the_same_list(self):
        out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT),
                              "-f", "conf/stages.mk", "-f", "-", "show"],
                             input="show:\n\t@echo $(STAGES)\n", capture_output=True, text=True)
        self.assertEqual(out.stdout.split(), labs.stages())


if __name__ == "__main__":
    unittest.main()
