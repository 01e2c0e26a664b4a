"""Host tests of the utilities of user/cmd/ against this machine's coreutils.

Each utility whose output format is standard (wc, sort, uniq, head, tail,
grep, test) is built here with Debian's `musl-gcc -static` (the sources
are plain POSIX C) into build/host/cmd/, run on the same inputs as the
coreutils program with LC_ALL=C, and must print the same and exit with
the same status.  The inputs: files of the ramdisk tree and a generated
file of numbers and words with repeated lines.
"""
import os
import random
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "host" / "cmd"
ETC = ROOT / "conf" / "ramdisk" / "etc"
ENV = dict(os.environ, LC_ALL="C")


def words(seed, n=200):
    rnd = random.Random(seed)
    vocab = ["a", "B", "abc", "Abc", "zz", "-", "10", "9", "x y", ""]
    lines = []
    while len(lines) < n:
        if lines and rnd.random() < 0.3:
            lines.append(lines[-1])
        elif rnd.random() < 0.5:
            lines.append("{}{}{}".format(rnd.choice(["", " ", "\t", "-"]),
                                         rnd.randrange(-100, 1000) / rnd.choice([1, 10, 100]),
                                         rnd.choice(["", " " + rnd.choice(vocab)])))
        else:
            lines.append(" ".join(rnd.choice(vocab) for _ in range(rnd.randrange(1, 4))))
    return "".join(line + "\n" for line in lines)


@unittest.skipUnless(shutil.which("musl-gcc"), "no musl-gcc (Debian's musl-tools)")
class CoreutilsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        OUT.mkdir(parents=True, exist_ok=True)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)
        for k in range(3):
            (cls.dir / "words{}".format(k)).write_text(words(k))
        (cls.dir / "nonl").write_text("no newline at the end")
        (cls.dir / "empty").write_text("")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def build(self, name):
        exe = OUT / name
        src = ROOT / "user" / "cmd" / (name + ".c")
        if not exe.exists() or exe.stat().st_mtime < max(
                p.stat().st_mtime for p in src.parent.glob("*.[ch]")):
            subprocess.run(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                            str(exe), str(src)], check=True)
        return exe

    def compare(self, name, cases, stdin=None):
        exe = self.build(name)
        for args in cases:
            args = [str(a) for a in args]
            with self.subTest(cmd=" ".join([name] + args)):
                ours = subprocess.run([str(exe)] + args, input=stdin, capture_output=True,
                                      env=ENV, cwd=self.dir)
                theirs = subprocess.run([name] + args, input=stdin, capture_output=True,
                                        env=ENV, cwd=self.dir)
                self.assertEqual(ours.stdout.decode(), theirs.stdout.decode())
                self.assertEqual(ours.returncode, theirs.returncode)

    def test_wc(self):
        self.compare("wc", [["words0"], ["-l", "words0"], ["-w", "-c", "words1", "words2"],
                            ["nonl", "empty", ETC / "passwd"], ["-c", "empty"], [], ["-l"]],
                     stdin=b"one two\nthree\n")

    def test_sort(self):
        cases = []
        for opts in ([], ["-r"], ["-n"], ["-n", "-r"], ["-u"], ["-n", "-u"], ["-r", "-u"],
                     ["-r", "-n", "-u"]):
            cases += [opts + ["words0"], opts + ["words1", "words2", "nonl"]]
        self.compare("sort", cases)

    def test_uniq(self):
        self.compare("uniq", [["words0"], ["-c", "words1"], ["-c", "nonl"], ["empty"]])

    def test_head_tail(self):
        cases = [["words0"], ["-n", "3", "words1"], ["-n", "0", "words1"],
                 ["-n", "500", "nonl"], ["-n", "2", "words0", "nonl", "empty"]]
        self.compare("head", cases)
        self.compare("tail", cases)

    def test_grep(self):
        self.compare("grep", [["abc", "words0"], ["-i", "abc", "words0"],
                              ["-n", "-v", "[0-9]", "words1"], ["-c", "^-", "words1", "words2"],
                              ["-E", "^(a|B)( |$)", "words2"], ["-c", "nothing", "words0"],
                              ["x\\{2\\}", "words0"], ["-n", "end", "nonl"]])

    def test_test(self):
        exe = self.build("test")
        cases = [["1", "-eq", "1"], ["1", "-lt", "0"], ["-d", ETC], ["-f", ETC], ["!", "-e", ETC],
                 ["-s", ETC / "passwd"], ["abc"], [""], ["-n", ""], ["-z", ""],
                 ["a", "=", "a", "-a", "b", "!=", "b"], ["a", "=", "a", "-o", "b", "!=", "b"],
                 ["(", "2", "-ge", "3", ")"], ["x", "-eq", "1"]]
        for args in cases:
            args = [str(a) for a in args]
            with self.subTest(cmd=" ".join(["test"] + args)):
                ours = subprocess.run([str(exe)] + args, capture_output=True)
                theirs = subprocess.run(["test"] + args, capture_output=True)
                self.assertEqual(ours.returncode, theirs.returncode)


if __name__ == "__main__":
    unittest.main()
