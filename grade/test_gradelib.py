"""Host unit tests for the grading tools: no QEMU, no kernel needed.

    python3 -m unittest discover -s grade -p 'test_*.py'

They cover what can go wrong quietly: the stage-marker transformation of
handout.py (several stages, stubs, hints, indentation, both comment styles,
every marker error with its file:line), the handout tree written to disk, the
512-byte ARGS.img sector that carries the kernel command line to GRUB, the
serial output cleaning, and the Machine's
clocks: a fake QEMU (a Python script run through GRADE_QEMU) that computes,
sleeps, spins or halts shows that a slow but correct machine passes on a host
kept busy by CPU hogs and that a hung one fails in seconds, with the message
that names its clock.

handout.py also reads this file (it is a .py file in the tree), so the
Python-style markers below are written with "@" for "#" and converted by
`hash_source`; a line starting with a real marker would be taken as one.
"""

import os
import shlex
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path
from unittest import mock

import emuclock
import gradelib
import handout
import machine
import qmp
from handout import MarkerError, transform

STAGES = ["boot", "heap", "sched"]


def source(text):
    return textwrap.dedent(text).lstrip("\n")


def hash_source(text):
    """A Python/make source whose markers are written with '@' instead of '#'."""
    return source(text).replace("@", "#")


C_FULL = source("""
    int a;
    /* BEGIN STAGE boot */
    int boot_done = 1;
    /* END STAGE boot */
    void *kmalloc(size_t n)
    {
    \t/* BEGIN STAGE heap: find a free block */
    \treturn heap_alloc(n);
    \t/* STUB
    \t(void)n;
    \treturn NULL;
    \tEND STAGE heap */
    }
    void schedule(void)
    {
        /* BEGIN STAGE sched */
        run_next();
        /* END STAGE sched */
    }
""")


class CTransformTest(unittest.TestCase):
    def test_handout_of_middle_stage(self):
        self.assertEqual(transform(C_FULL, "k.c", STAGES, "heap"), source("""
            int a;
            int boot_done = 1;
            void *kmalloc(size_t n)
            {
            \t/* TODO(stage heap): find a free block */
            \t(void)n;
            \treturn NULL;
            }
            void schedule(void)
            {
                /* TODO(stage sched): your code here */
            }
        """))

    def test_handout_of_first_stage_removes_everything(self):
        out = transform(C_FULL, "k.c", STAGES, "boot")
        self.assertIn("/* TODO(stage boot): your code here */\n", out)
        self.assertNotIn("boot_done", out)
        self.assertNotIn("heap_alloc", out)
        self.assertNotIn("run_next", out)

    def test_handout_of_last_stage_keeps_earlier_solutions(self):
        out = transform(C_FULL, "k.c", STAGES, "sched")
        self.assertIn("\treturn heap_alloc(n);\n", out)
        self.assertNotIn("STAGE heap", out)
        self.assertNotIn("return NULL", out)
        self.assertIn("    /* TODO(stage sched): your code here */\n", out)

    def test_check_only_returns_text_unchanged(self):
        self.assertEqual(transform(C_FULL, "k.c", STAGES), C_FULL)

    def test_stub_may_be_empty_and_hint_may_have_spaces(self):
        text = source("""
            /* BEGIN STAGE heap:  free it: all of it  */
            kfree(p);
            /* STUB
            END STAGE heap */
        """)
        self.assertEqual(transform(text, "k.h", STAGES, "heap"),
                         "/* TODO(stage heap): free it: all of it */\n")

    def test_assembly_and_linker_scripts_use_c_markers(self):
        text = "/* BEGIN STAGE heap */\nmov %rax, %rbx\n/* END STAGE heap */\n"
        for name in ("entry.S", "kernel.ld"):
            self.assertEqual(transform(text, name, STAGES, "boot"),
                             "/* TODO(stage heap): your code here */\n")

    def test_other_files_are_not_touched(self):
        text = "/* BEGIN STAGE nosuch */\n"
        self.assertEqual(transform(text, "README.md", STAGES, "boot"), text)


class HashTransformTest(unittest.TestCase):
    FULL = hash_source("""
        def kmalloc(n):
            @ BEGIN STAGE heap: call the allocator
            return heap_alloc(n)
            @ STUB
            @ del n
            @
            @ return None
            @ END STAGE heap

        @ BEGIN STAGE boot
        BOOT = 1
        @ END STAGE boot
    """)

    def test_stub_is_uncommented(self):
        self.assertEqual(transform(self.FULL, "x.py", STAGES, "heap"), source("""
            def kmalloc(n):
                # TODO(stage heap): call the allocator
                del n

                return None

            BOOT = 1
        """))

    def test_makefiles(self):
        text = hash_source("""
            @ BEGIN STAGE sched
            OBJS += sched.o
            @ STUB
            @ OBJS +=
            @ END STAGE sched
        """)
        expected = "# TODO(stage sched): your code here\nOBJS +=\n"
        for name in ("GNUmakefile", "conf/stages.mk", "Makefile"):
            self.assertEqual(transform(text, name, STAGES, "heap"), expected)

    def test_prose_mentioning_markers_is_not_a_marker(self):
        text = hash_source("""
            @ blocks are marked with
            @ BEGIN STAGE / END STAGE, and a grader
        """)
        self.assertEqual(transform(text, "stages.mk", STAGES, "boot"), text)


class MarkerErrorTest(unittest.TestCase):
    def assertMarkerError(self, text, where, words, name="k.c"):
        with self.assertRaises(MarkerError) as caught:
            transform(source(text), name, STAGES, "boot")
        message = str(caught.exception)
        self.assertTrue(message.startswith(where + ": "), message)
        self.assertIn(words, message)
        # Checking alone finds the same error.
        with self.assertRaises(MarkerError):
            transform(source(text), name, STAGES)

    def test_unknown_stage(self):
        self.assertMarkerError("""
            x;
            /* BEGIN STAGE hep */
            /* END STAGE hep */
        """, "k.c:2", "unknown stage 'hep'")

    def test_end_without_begin(self):
        self.assertMarkerError("""
            x;
            /* END STAGE heap */
        """, "k.c:2", "without a BEGIN STAGE")

    def test_stub_end_without_begin(self):
        self.assertMarkerError("""
            END STAGE heap */
        """, "k.c:1", "without a BEGIN STAGE")

    def test_end_of_another_stage(self):
        self.assertMarkerError("""
            /* BEGIN STAGE heap */
            x;
            /* END STAGE sched */
        """, "k.c:3", "END STAGE sched closes BEGIN STAGE heap of line 1")

    def test_nested_begin(self):
        self.assertMarkerError("""
            /* BEGIN STAGE heap */
              /* BEGIN STAGE sched */
              /* END STAGE sched */
            /* END STAGE heap */
        """, "k.c:2", "do not nest")

    def test_never_closed(self):
        self.assertMarkerError("""
            a;
            /* BEGIN STAGE heap */
            b;
            /* STUB
            c;
        """, "k.c:2", "never closed")

    def test_malformed_marker(self):
        self.assertMarkerError("""
            /* BEGIN STAGE heap
            x;
        """, "k.c:1", "malformed marker")

    def test_comment_inside_c_stub(self):
        self.assertMarkerError("""
            /* BEGIN STAGE heap */
            /* STUB
            return 0; /* for now */
            END STAGE heap */
        """, "k.c:3", "cannot hold one")

    def test_python_stub_line_must_be_commented(self):
        self.assertMarkerError(hash_source("""
            @ BEGIN STAGE heap
            x = 1
            @ STUB
            x = 0
            @ END STAGE heap
        """), "m.py:4", "does not start with '# '", name="m.py")

    def test_stub_outside_block(self):
        self.assertMarkerError(hash_source("""
            @ STUB
        """), "m.py:1", "without a BEGIN STAGE", name="m.py")


class GenerateTest(unittest.TestCase):
    """A handout written to disk from a small tree that is not a git checkout."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name) / "src"
        self.out = Path(self.tmp.name) / "out"
        files = {
            "kernel/heap.c": C_FULL,
            "README.md": "/* BEGIN STAGE heap */ stays\n",
            "build/os.iso": "not copied",
            "tools/run.sh": "#!/bin/sh\n",
            "labs/00-boot/lab.toml": 'title = "Boot"\n',
            "labs/00-boot/hidden/extra.py": "# an instructor's hidden test\n",
            "labs/00-boot/README.md": "what to hand in\n",
            "labs/00-boot/mutants/01-bug.patch": "Breaks: boot\n",
            "labs/01-heap/lab.toml": 'title = "Heap"\n',
            "labs/01-heap/mutants/01-bug.patch": "Breaks: heap\n",
            "labs/02-sched/lab.toml": 'title = "Scheduler"\n',
        }
        for name, text in files.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text)
        os.chmod(self.root / "tools/run.sh", 0o755)

    def tearDown(self):
        self.tmp.cleanup()

    def test_tree(self):
        handout.generate(self.root, "heap", self.out, STAGES)
        self.assertEqual((self.out / ".handout-stage").read_text(), "heap\n")
        self.assertEqual((self.out / "kernel/heap.c").read_text(),
                         transform(C_FULL, "heap.c", STAGES, "heap"))
        self.assertEqual((self.out / "README.md").read_text(), "/* BEGIN STAGE heap */ stays\n")
        self.assertFalse((self.out / "build").exists())
        self.assertTrue(os.access(self.out / "tools/run.sh", os.X_OK))
        # Hidden tests stay out of every student tree, even of a later stage.
        self.assertFalse((self.out / "labs/00-boot/hidden").exists())
        self.assertTrue((self.out / "labs/00-boot/README.md").exists())
        # The planted bugs of the stages before stay (their code is solved), the rest go.
        self.assertTrue((self.out / "labs/00-boot/mutants/01-bug.patch").exists())
        self.assertFalse((self.out / "labs/01-heap/mutants").exists())

    def test_replaces_an_earlier_handout_only(self):
        handout.generate(self.root, "heap", self.out, STAGES)
        (self.out / "stale.c").write_text("")
        handout.generate(self.root, "sched", self.out, STAGES)
        self.assertFalse((self.out / "stale.c").exists())
        self.assertEqual((self.out / ".handout-stage").read_text(), "sched\n")

        (self.out / ".handout-stage").unlink()
        with self.assertRaises(SystemExit):
            handout.generate(self.root, "heap", self.out, STAGES)
        with self.assertRaises(SystemExit):
            handout.generate(self.root, "heap", self.root, STAGES)

    def test_error_writes_nothing(self):
        (self.root / "kernel/bad.c").write_text("/* BEGIN STAGE heap */\n")
        with self.assertRaises(MarkerError) as caught:
            handout.generate(self.root, "heap", self.out, STAGES)
        self.assertIn("bad.c:1:", str(caught.exception))
        self.assertFalse(self.out.exists())
        self.assertEqual(handout.check_tree(self.root, STAGES),
                         [str(caught.exception)])


class ArgsImageTest(unittest.TestCase):
    def test_content(self):
        image = gradelib.make_args_image("test=banner quiet")
        self.assertEqual(len(image), 512)
        self.assertEqual(image, b'set kargs="test=banner quiet"\n'.ljust(512, b"\0"))

    def test_empty_command_line(self):
        self.assertEqual(gradelib.make_args_image(""), b'set kargs=""\n'.ljust(512, b"\0"))

    def test_refuses_grub_special_characters(self):
        for bad in ('say "hi"', "a=$x", "two\nlines", "back\\slash", "cr\r"):
            with self.assertRaises(ValueError, msg=repr(bad)):
                gradelib.make_args_image(bad)

    def test_length_limit(self):
        longest = 512 - len('set kargs=""\n')
        self.assertEqual(len(gradelib.make_args_image("x" * longest)), 512)
        with self.assertRaises(ValueError):
            gradelib.make_args_image("x" * (longest + 1))

    def test_ramdisk_after_the_script(self):
        image = gradelib.make_args_image("run=x", ramdisk=b"FAT" * 200)
        self.assertEqual(len(image), 512 + 1024)
        self.assertEqual(image[:512], b'set kargs="run=x"\nset ramdisk_file="(hd0)1+2"\n'
                         .ljust(512, b"\0"))
        self.assertEqual(image[512:], (b"FAT" * 200).ljust(1024, b"\0"))

    def test_video_mode_line(self):
        image = gradelib.make_args_image("monitor", video="640x480x32")
        self.assertEqual(image, b'set kargs="monitor"\nset kvideo=640x480x32\n'
                         .ljust(512, b"\0"))
        for bad in ("text; boot", "640x480x", "big"):
            with self.assertRaises(ValueError, msg=repr(bad)):
                gradelib.make_args_image("", video=bad)

    def test_qemu_command_attaches_the_image(self):
        cmd = gradelib.qemu_command("os.iso", "/tmp/a,b/ARGS.img", cpu="qemu64", mem="4G",
                                    extra=["-icount", "shift=0"])
        self.assertIn("file=/tmp/a,,b/ARGS.img,format=raw,if=ide,index=0", cmd)
        self.assertEqual(cmd[cmd.index("-cpu") + 1], "qemu64")
        self.assertEqual(cmd[cmd.index("-m") + 1], "4G")
        self.assertEqual(cmd[-2:], ["-icount", "shift=0"])


class HelpersTest(unittest.TestCase):
    def test_clean_line(self):
        raw = b"\x1b[2J\x1b[HWelcome to \x1b[1;32mthe OS\x1b[0m\r"
        self.assertEqual(gradelib.clean_line(raw), "Welcome to the OS")

    def test_sample_tests(self):
        tests = [gradelib.Test(stage, str(i), None) for stage, n in (("a", 10), ("b", 3))
                 for i in range(n)]
        chosen = [(t.stage, t.title) for t in gradelib.sample_tests(tests, 4)]
        self.assertEqual(chosen, [("a", "0"), ("a", "3"), ("a", "6"), ("a", "9"),
                                  ("b", "0"), ("b", "1"), ("b", "2")])

    def test_qmp_helpers(self):
        self.assertEqual(qmp.key_combo("A"), ["shift", "a"])
        self.assertEqual(qmp.key_combo("\n"), ["ret"])
        self.assertEqual(qmp.key_combo("|"), ["shift", "backslash"])
        self.assertEqual(qmp.parse_ppm(b"P6\n# c\n2 1\n255\n" + bytes(range(6))),
                         (2, 1, bytes(range(6))))
        with self.assertRaises(qmp.QMPError):
            qmp.parse_ppm(b"P6 2 1 255\n\0")

    def test_describe_status(self):
        self.assertEqual(gradelib.describe_status(33), "ktest PASS")
        self.assertIn("triple fault", gradelib.describe_status(0))
        self.assertIn("signal 9", gradelib.describe_status(-9))


# A fake QEMU: its arguments up to the first "-" (where the Machine's QEMU
# arguments begin) are steps, run in order:
#   pin=CPU      run on that CPU only        say=TEXT    print a line
#   burn=S       compute S CPU seconds, silently
#   work=S       compute S CPU seconds, printing a line every 0.05
#   sleep=S      sleep S seconds, silently   tick=S      print a line every S seconds, forever
#   prompt=TEXT  print TEXT without a newline, read a line, print "got LINE"
#   spin         compute forever, silently   halt        sleep forever
#   exit=N       exit with status N
FAKE_QEMU = r"""
import os, sys, time

def out(text):
    os.write(1, text.encode())

def compute(seconds, every=None):
    end = time.process_time() + seconds
    mark = time.process_time()
    while time.process_time() < end:
        if every and time.process_time() - mark >= every:
            mark = time.process_time()
            out("work %.2f\n" % (end - mark))

for step in sys.argv[1:]:
    if step.startswith("-"):
        break
    name, _, arg = step.partition("=")
    if name == "pin":
        os.sched_setaffinity(0, [int(arg)])
    elif name == "say":
        out(arg + "\n")
    elif name == "burn":
        compute(float(arg))
    elif name == "work":
        compute(float(arg), every=0.05)
    elif name == "sleep":
        time.sleep(float(arg))
    elif name == "tick":
        while True:
            out("tick\n")
            time.sleep(float(arg))
    elif name == "prompt":
        out(arg)
        line = b""
        while not line.endswith(b"\r"):      # the Enter key, as send() types it
            line += os.read(0, 1)
        out("\ngot %s\n" % line.decode().strip())
    elif name == "spin":
        compute(1e9)
    elif name == "halt":
        time.sleep(1e9)
    elif name == "exit":
        sys.exit(int(arg))
"""


class FakeQemuTest(unittest.TestCase):
    """The Machine's clocks and hang checks, on a fake QEMU: a few seconds each."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.fake = Path(cls.tmp.name) / "fake_qemu.py"
        cls.fake.write_text(FAKE_QEMU)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def machine(self, *steps, wrapper=(), **kwargs):
        """A started Machine whose 'QEMU' runs `steps` (see FAKE_QEMU)."""
        command = list(wrapper) + [sys.executable, str(self.fake)] + list(steps)
        with mock.patch.dict(os.environ, GRADE_QEMU=shlex.join(command)):
            m = gradelib.Machine("", **kwargs)
            self.addCleanup(m.close)
            return m.start()

    def assertFails(self, m, regex, *words):
        """The next expect fails; return (reason, seconds it took)."""
        start = time.monotonic()
        with self.assertRaises(gradelib.TestFailure) as caught:
            m.expect(regex)
        reason = caught.exception.reason
        for word in words:
            self.assertIn(word, reason)
        return caught.exception, time.monotonic() - start

    def test_clock_starts_at_the_kernels_first_line(self):
        # 1.5 CPU seconds of "BIOS and GRUB" do not count against a 1 s limit.
        m = self.machine("burn=1.5", "say=kernel", "work=0.3", "say=done", timeout=1)
        m.expect("^kernel$")
        m.expect("^done$")
        self.assertGreater(m.boot_time, 1.2)

    def test_slow_but_correct_machine_passes_on_a_busy_host(self):
        # Three hogs share one CPU with the fake QEMU, which so gets at most a
        # quarter of it, as with 6 hogs and 2 QEMUs on 2 CPUs: 0.5 CPU seconds
        # of work take over 2 s of wall time.  The 1 s limit counts QEMU time
        # and holds; a wall-clock limit would have run out.
        cpu = min(os.sched_getaffinity(0))
        with gradelib.cpu_hogs(3, cpus=[cpu], seconds=60) as hogs:
            start = time.monotonic()
            m = self.machine("pin={}".format(cpu), "say=kernel", "work=0.5", "say=done",
                             "exit=33", timeout=1)
            m.expect("^done$")
            m.expect_exit(33)
            wall = time.monotonic() - start
        self.assertTrue(all(hog.poll() is not None for hog in hogs), "a hog survived")
        self.assertGreater(wall, 1.5, "the hogs did not slow the fake QEMU down")

    def test_raw_output_keeps_the_escapes(self):
        m = self.machine("say=kernel", "say=\x1b[1mhi\x1b[0m\r", "exit=33")
        m.expect("^hi$")                      # the lines are cleaned ...
        m.expect_exit(33)
        self.assertTrue(m.raw_output.endswith(b"kernel\n\x1b[1mhi\x1b[0m\r\n"))  # ... not these

    def test_spinning_kernel_is_a_hang_in_seconds(self):
        with mock.patch.object(emuclock, "STALL_LIMIT", 1):
            m = self.machine("say=kernel", "spin", timeout=20)
        m.expect("^kernel$")
        failure, seconds = self.assertFails(m, "^never$", "hang: no output for 1.0 CPU seconds",
                                            "waiting for a line matching /^never$/",
                                            "not at the test's 20.0s limit")
        self.assertTrue(failure.hang)
        self.assertLess(m.test_time, 2)       # QEMU time: the host may be busy

    def test_halted_kernel_is_a_hang_in_seconds(self):
        with mock.patch.object(emuclock, "IDLE_WINDOW", 1):
            m = self.machine("say=kernel", "halt", timeout=20)
        m.expect("^kernel$")
        failure, seconds = self.assertFails(m, "^never$", "hang: no output for 1.0s with QEMU idle",
                                            "halted")
        self.assertTrue(failure.hang)
        self.assertLess(seconds, 10)

    def test_short_silences_and_prompts_are_not_hangs(self):
        # Silent computing and sleeping just below the budgets, and a kernel
        # idle at a prompt until the test types: all pass.
        with mock.patch.object(emuclock, "STALL_LIMIT", 1), \
                mock.patch.object(emuclock, "IDLE_WINDOW", 1):
            m = self.machine("say=kernel", "burn=0.6", "say=computed", "sleep=0.5",
                             "say=slept", "prompt=> ", "exit=33", timeout=20)
        m.expect("^computed$")
        m.expect("^slept$")
        m.expect("^> ", partial=True)
        time.sleep(1.2)       # the test's own business: no wait is running
        m.send("hi\n")
        m.expect("^got hi$")
        m.expect_exit(33)

    def test_a_wrapper_that_forks_is_measured_with_its_child(self):
        # sh runs the fake QEMU as a child: its CPU time and demand count.
        wrapper = ["sh", "-c", '"$@"; exit $?', "sh"]
        with mock.patch.object(emuclock, "IDLE_WINDOW", 0.6):
            m = self.machine("say=kernel", "burn=1", "say=done", "exit=33", wrapper=wrapper,
                             timeout=20)
        m.expect("^done$")
        m.expect_exit(33)
        self.assertGreater(m.test_time, 0.8)

    def test_time_limit_names_its_clock_and_the_scale(self):
        with mock.patch.dict(os.environ, GRADE_TIMEOUT_SCALE="2"):
            m = self.machine("say=kernel", "work=30", timeout=0.4)
        self.assertFails(m, "^never$", "timeout: the test's time limit of 0.8s of QEMU time",
                         "from the kernel's first line", "GRADE_TIMEOUT_SCALE (now 2)")
        self.assertLess(m.test_time, 1.5)

    def test_an_idle_guest_spends_wall_time(self):
        # A guest that idles but prints never hangs; its clock runs with the wall.
        m = self.machine("say=kernel", "tick=0.1", timeout=1)
        failure, seconds = self.assertFails(m, "^never$", "the test's time limit of 1.0s")
        self.assertFalse(failure.hang)
        self.assertLess(seconds, 10)

    def test_wall_clock_ceiling_is_the_last_resort(self):
        # Were the emulator never seen idle, its clock would be CPU time alone
        # and only the wall-clock ceiling would end a wait for a line that never
        # comes from a guest that idles while it prints.
        with mock.patch.object(machine, "emulator_idle", lambda samples: False), \
                mock.patch.object(emuclock, "BOOT_LIMIT", 0.1), \
                mock.patch.object(emuclock, "WALL_FACTOR", 5):
            m = self.machine("say=kernel", "tick=0.1", timeout=0.3)
            failure, seconds = self.assertFails(m, "^never$", "the wall-clock ceiling of 2s",
                                                "GRADE_TIMEOUT_SCALE")
        self.assertLess(seconds, 10)

    def test_later_tests_of_a_hung_stage_get_short_budgets(self):
        def spins(m):
            m.expect("^kernel$")
            m.expect("^never$")
        command = shlex.join([sys.executable, str(self.fake), "say=kernel", "spin"])
        tests = [gradelib.Test("s", "first", spins), gradelib.Test("s", "second", spins),
                 gradelib.Test("other", "third", spins),
                 gradelib.Test("s", "own budgets", spins, stall=0.5, idle=3)]
        with mock.patch.dict(os.environ, GRADE_QEMU=command), \
                mock.patch.object(emuclock, "STALL_LIMIT", 0.6), \
                mock.patch.object(emuclock, "AFTER_HANG", 0.5), \
                open(os.devnull, "w") as devnull:
            first, second, third, own = gradelib.run_tests(tests, jobs=1, out=devnull)[0]
        self.assertIn("no output for 0.6 CPU seconds", first.reason)
        self.assertIn("no output for 0.3 CPU seconds", second.reason)
        self.assertIn("'s: first' hung earlier in this run", second.reason)
        self.assertIn("no output for 0.6 CPU seconds", third.reason)
        self.assertIn("no output for 0.5 CPU seconds", own.reason)
        self.assertNotIn("hung earlier", own.reason)
        self.assertLess(second.test_time, first.test_time)

    def test_grade_under_load_compares_verdicts(self):
        def passes(m):
            m.expect("^kernel$")
            m.expect_exit(33)

        def fails(m):
            m.expect("^never$")
        command = shlex.join([sys.executable, str(self.fake), "say=kernel", "exit=33"])
        tests = [gradelib.Test("s", "passes", passes), gradelib.Test("s", "fails", fails)]
        with mock.patch.dict(os.environ, GRADE_QEMU=command), \
                tempfile.TemporaryFile("w+") as out:
            results, same = gradelib.grade_under_load(tests, 2, 1, ["s"], out=out)
            out.seek(0)
            report = out.read()
        self.assertEqual([r.passed for r in results], [True, False])
        self.assertEqual(same, 2)
        self.assertIn("same verdict without and with 1 hogs: 2 of 2 tests", report)


if __name__ == "__main__":
    unittest.main()
