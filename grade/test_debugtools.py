"""Host tests of the debugging set-up in GNUmakefile and .gdbinit: `make gdb`
with no QEMU waiting fails at once with a hint, and QEMU's GDB stub listens
on the loopback interface only.  (The graders check kbt itself, in GDB
sessions against QEMU: grade/kgdb.py.)"""

import socket
import subprocess
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_ELF = ROOT / "build" / "kernel.elf"

# GDB's default is to retry a refused connection for 15 seconds
# (`set tcp connect-timeout`); failing fast means well under that, even on a
# busy machine where starting GDB takes a few seconds.
FAST = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MakeGdbTest(unittest.TestCase):

    @unittest.skipUnless(KERNEL_ELF.exists(), "needs build/kernel.elf (run make)")
    def test_fails_fast_without_qemu(self):
        port = free_port()          # nobody listens there
        start = time.monotonic()
        proc = subprocess.run(["make", "-s", "gdb", "GDBPORT={}".format(port)], cwd=ROOT,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=60)
        seconds = time.monotonic() - start
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("make qemu-nox-gdb", proc.stdout)
        self.assertNotIn("Traceback", proc.stdout)
        self.assertLess(seconds, FAST, "make gdb took {:.1f}s to give up:\n{}".format(
            seconds, proc.stdout))

    def test_stub_listens_on_loopback_only(self):
        proc = subprocess.run(["make", "-n", "qemu-nox-gdb", "GDBPORT=25999"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=60)
        self.assertRegex(proc.stdout, r"-gdb tcp:127\.0\.0\.1:25999\b")


if __name__ == "__main__":
    unittest.main()
