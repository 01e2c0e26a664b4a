"""Stage `syscalls` tests of the kernel-state GDB commands (conf/gdb_kstate.py).

A GDB session stops the kernel in sys_exit_group of user/hello and runs
kps, krq, kvm and kfiles, then stops it at the page fault of `faults null`
and decodes the trapframe with ktf.  What they print is checked against the
build: hello's areas are its ELF file's PT_LOAD segments (with their rights)
and the stack, every mapped page lies in an area with no more rights than
it has, descriptors 0-2 are the console, and the faulting rip is in faults'
text with the page-fault error bits of a user read of an unmapped page.
"""
import re
import struct

import kgdb
from gradelib import REPO_ROOT, fail, test

USER = REPO_ROOT / "build" / "user"
PORT = kgdb.free_port()
PAGE = 4096
PF_X, PF_W = 1, 2


def load_segments(prog):
    """(start, end, 'rwx') of the PT_LOAD segments of build/user/prog, page aligned."""
    data = (USER / prog).read_bytes()
    e_phoff, = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    segments = []
    for i in range(e_phnum):
        p_type, flags, _, vaddr, _, _, memsz = struct.unpack_from("<IIQQQQQ", data,
                                                                  e_phoff + i * e_phentsize)
        if p_type == 1:
            start, end = vaddr & ~(PAGE - 1), -(-(vaddr + memsz) // PAGE) * PAGE
            segments.append((start, end, "r" + ("w" if flags & PF_W else "-") +
                             ("x" if flags & PF_X else "-")))
    return segments


def parse_ranges(text, regex):
    return [(int(a, 16), int(b, 16), rest) for a, b, rest in re.findall(regex, text, re.M)]


@test("syscalls", "GDB: kps, krq, kvm, kfiles show hello's process, queues, areas and files; "
      "ktf decodes a user page fault", cmdline="run=hello;faults,null exit",
      qemu_args=kgdb.stub_args(PORT), timeout=kgdb.TIMEOUT)
def _(m):
    out = kgdb.session(m, PORT, ["break sys_exit_group", "continue", "kps", "krq", "kvm",
                                 "kfiles", "delete", "break trap if tf->vector == 14",
                                 "continue", "ktf tf", "delete", "continue"])
    pid = int(m.expect(r"^proc: hello \(pid (\d+)\) exited with status 0$").group(1))

    if not re.search(r"^\s+{}\s+\d+ RUNNING\s+hello$".format(pid), out["kps"], re.M):
        fail("kps does not list hello as pid {}:\n{}".format(pid, out["kps"]))
    if not re.search(r"^\s+tid \d+\s+RUNNING\s+prio", out["kps"], re.M):
        fail("kps shows no running thread of hello:\n" + out["kps"])
    if not re.search(r"^running: tid \d+\s+RUNNING .* hello$", out["krq"], re.M):
        fail("krq does not show hello's thread running:\n" + out["krq"])
    if len(re.findall(r"^prio \d+: ", out["krq"], re.M)) < 2:
        fail("krq lists no run queues:\n" + out["krq"])

    kvm = out["kvm"]
    areas = parse_ranges(kvm, r"^  0x([0-9a-f]+)-0x([0-9a-f]+) ([r-][w-][x-]) flags")
    mapped = parse_ranges(kvm, r"^  0x([0-9a-f]+)-0x([0-9a-f]+) ([r-][w-][x-]u) \d+ x")
    for start, end, rights in load_segments("hello"):
        if not any(a <= start and end <= b and r == rights for a, b, r in areas):
            fail("kvm shows no {} area over hello's segment {:#x}-{:#x}:\n{}".format(
                rights, start, end, kvm))
    if not re.search(r"^  0x7fff[0-9a-f]+-0x7ffffffff000 rw- flags 0x2$", kvm, re.M):
        fail("kvm shows no stack area (flags 0x2, VMA_STACK) below the top:\n" + kvm)
    if not mapped:
        fail("kvm shows no mapped pages:\n" + kvm)
    for start, end, rights in mapped:
        inside = [r for a, b, r in areas if a <= start and end <= b]
        if not inside or any(got != "-" and got != want for got, want in zip(rights, inside[0])):
            fail("mapped {:#x}-{:#x} {} is outside an area with those rights:\n{}".format(
                start, end, rights, kvm))

    for fd in range(3):
        if not re.search(r"^fd {}\s+flags 0x0002 .* console_fops inode".format(fd),
                         out["kfiles"], re.M):
            fail("kfiles does not show descriptor {} on the console:\n{}".format(
                fd, out["kfiles"]))

    ktf = out["ktf tf"]
    if "trap 14 (page fault), from user mode, error 0x4 (not present, read, user)" not in ktf:
        fail("ktf did not decode a user read of an unmapped page:\n" + ktf)
    rip = re.search(r"^rip 0x([0-9a-f]+) \(user\)$", ktf, re.M)
    text = [(a, b) for a, b, r in load_segments("faults") if "x" in r]
    if not rip or not any(a <= int(rip.group(1), 16) < b for a, b in text):
        fail("ktf's rip is not in faults' text {}:\n{}".format(text, ktf))
    m.expect(r"^proc: faults \(pid \d+\) killed: page fault")
