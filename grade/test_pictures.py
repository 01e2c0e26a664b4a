"""Host tests of conf/pictures.py's parsers (the drawing needs matplotlib and a
kernel run: `make pictures`)."""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "conf"))
import pictures  # noqa: E402

TRACE = """\
schedtrace: hz 100 events 5 dropped 0
schedtrace: thread 0 4 main
schedtrace: thread 3 2 punctual
noise: not a trace line
schedtrace: 1000 0 wake 3 2
schedtrace: 1100 0 switch 0 R 3 2
schedtrace: 3100 1 switch 3 S 0 4
schedtrace: 9000 4 switch 0 B 1 8
schedtrace: 21000 10 switch 1 R 0 4
schedtrace: end
""".splitlines()

MEMORY = """\
mmap: 0000000000000000-000000000009fbff available
mmap: 0000000000100000-0000000007fdffff available
module: ramdisk at 35b000-dd7400, 10994688 bytes
K kernel image    636 KiB  M modules 11304 KiB
00400000-00401000 r--p 00000000 00:00 0
00401000-00405000 r-xp 00000000 00:00 0
7fffffffe000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]
""".splitlines()


class PicturesTest(unittest.TestCase):

    def test_parse_schedtrace(self):
        names, events = pictures.parse_schedtrace(TRACE)
        self.assertEqual(names, {0: "main", 3: "punctual"})
        self.assertEqual([e["kind"] for e in events], ["wake"] + ["switch"] * 4)
        self.assertEqual(events[1], {"tsc": 1100, "tick": 0, "kind": "switch", "tid": 0,
                                     "state": "R", "next": 3, "prio": 2})

    def test_turns_pair_switches(self):
        _, events = pictures.parse_schedtrace(TRACE)
        # A turn runs from the switch to a thread to the switch away from it,
        # at the priority it was switched in with; main's first turn began
        # before the trace, so it is not one.
        self.assertEqual(pictures.turns(events), [(3, 1100, 3100, 2, "S"),
                                                  (0, 3100, 9000, 4, "B"),
                                                  (1, 9000, 21000, 8, "R")])

    def test_tsc_fitted_to_ticks(self):
        _, events = pictures.parse_schedtrace(TRACE)
        ms = pictures.tsc_to_ms(events)
        # 10 ticks at 100 Hz are 100 ms over 20000 TSC counts.
        self.assertAlmostEqual(ms(1000), 0.0)
        self.assertAlmostEqual(ms(21000), 100.0)
        self.assertAlmostEqual(ms(11000), 50.0)

    def test_memory_regions(self):
        phys, virt = pictures.memory_regions(MEMORY)
        self.assertIn((0x100000, 0x100000 + 636 * 1024, "kernel image"), phys)
        self.assertIn((0x35b000, 0xdd7400, "module ramdisk"), phys)
        self.assertEqual(phys[0], (0, 0x9fc00, "available"))
        self.assertEqual(virt, [(0x400000, 0x401000, "read-only data r--"),
                                (0x401000, 0x405000, "text r-x"),
                                (0x7fffffffe000, 0x7ffffffff000, "[stack]")])


if __name__ == "__main__":
    unittest.main()
