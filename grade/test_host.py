"""Host unit tests of kernel code: each grade/host/NAME_test.c tests one kernel
file, kernel/<path>/NAME.c (found by name), on this machine.

The kernel file is compiled freestanding with the kernel's headers, as in the
kernel build, and its defined symbols are renamed k_NAME with objcopy so that
they cannot clash with the host's C library; the test is linked with it under
AddressSanitizer and UndefinedBehaviorSanitizer.  A test prints one line per
failed check and ends "NAME_test: N checks, M failed", exiting 0 only if all
passed.  Objects go to build/host/.
"""
import shutil
import subprocess
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST_DIR = ROOT / "grade" / "host"
OUT = ROOT / "build" / "host"
CC = shutil.which("cc") or "gcc"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def run(cmd):
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise AssertionError("{} failed:\n{}".format(" ".join(map(str, cmd)), done.stdout))
    return done.stdout


def kernel_source(test):
    """kernel/**/NAME.c for grade/host/NAME_test.c."""
    name = test.name[:-len("_test.c")] + ".c"
    found = sorted((ROOT / "kernel").rglob(name))
    if len(found) != 1:
        raise AssertionError("{}: {} kernel files named {}".format(test.name, len(found), name))
    return found[0]


def build(test):
    """Compile the kernel file and the test; return the executable's path."""
    source = kernel_source(test)
    OUT.mkdir(parents=True, exist_ok=True)
    obj = OUT / (source.stem + ".o")
    gcc_include = run([CC, "-print-file-name=include"]).strip()
    run([CC, "-std=gnu11", "-O1", "-g", "-ffreestanding", "-fno-builtin", "-nostdinc",
         "-isystem", gcc_include, "-I", ROOT / "kernel" / "include", "-I", ROOT / "kernel",
         "-Wall", "-Wextra", "-Werror", *SANITIZE, "-c", "-o", obj, source])
    defined = run(["nm", "--defined-only", "-g", obj]).split("\n")
    renames = OUT / (source.stem + ".syms")
    renames.write_text("".join("{0} k_{0}\n".format(line.split()[-1])
                               for line in defined if line.strip()))
    run(["objcopy", "--redefine-syms", renames, obj])
    exe = OUT / test.stem
    run([CC, "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", *SANITIZE,
         "-o", exe, test, obj])
    return exe


class KernelOnHost(unittest.TestCase):
    def test_each(self):
        tests = sorted(HOST_DIR.glob("*_test.c"))
        self.assertTrue(tests, "no host tests in grade/host")
        for test in tests:
            with self.subTest(test=test.name):
                exe = build(test)
                done = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, timeout=60)
                last = done.stdout.strip().split("\n")[-1]
                self.assertEqual(done.returncode, 0, done.stdout)
                self.assertRegex(last, r"^{}: [1-9]\d* checks, 0 failed$".format(test.stem))


if __name__ == "__main__":
    unittest.main()
