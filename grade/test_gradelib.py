"""Host unit tests for the grading tools: no QEMU, no kernel needed.

    python3 -m unittest discover -s grade -p 'test_*.py'

They cover what can go wrong quietly: the stage-marker transformation of
handout.py (several stages, stubs, hints, indentation, both comment styles,
every marker error with its file:line), the handout tree written to disk, the
512-byte ARGS.img sector that carries the kernel command line to GRUB, the
serial output cleaning and the parsing of conf/stages.mk.

handout.py also reads this file (it is a .py file in the tree), so the
Python-style markers below are written with "@" for "#" and converted by
`hash_source`; a line starting with a real marker would be taken as one.
"""

import os
import tempfile
import textwrap
import unittest
from pathlib import Path

import gradelib
import handout
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

    def test_read_stages(self):
        with tempfile.NamedTemporaryFile("w", suffix=".mk", delete=False) as f:
            f.write("# stages, in order\nOTHER := x\nSTAGES := boot heap \\\n\tsched # last\n")
        try:
            self.assertEqual(gradelib.read_stages(f.name), STAGES)
        finally:
            os.unlink(f.name)

    def test_describe_status(self):
        self.assertEqual(gradelib.describe_status(33), "ktest PASS")
        self.assertIn("triple fault", gradelib.describe_status(0))
        self.assertIn("signal 9", gradelib.describe_status(-9))


if __name__ == "__main__":
    unittest.main()
