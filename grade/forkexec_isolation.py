"""Stage `forkexec` tests: isolation (user/isolate.c).

A program must reach nothing that is not its own: the kernel's pages (the
IDT, the GDT, the TSS, the text and data of the image, the direct map, a
kernel stack, the top page of the address space) fault from user mode and
are refused as system-call buffers; its own mappings are never writable and
executable at once; another process's memory is reachable only through a
MAP_SHARED mapping both opted into.  And the graders' own integrity: a
success line a program prints is not the kernel's (gradelib's nonce).  The addresses come from kernel.elf and
the kernel's headers, and each child's death must be the kernel's report
of a user-mode page fault at exactly that address.
"""
import re
import subprocess

from gradelib import REPO_ROOT, TestFailure, fail, test
from kelf import PAGE_SIZE, PHYS_MAP_BASE, address, header_define

PID = r"\(pid (\d+)\)"
ISOLATE = REPO_ROOT / "build" / "user" / "isolate"


def kernel_addresses():
    """(name, address) of the kernel pages the probe tries, from the build."""
    kstack_base = header_define("kernel/mm/kstack.h", "KSTACK_REGION_BASE")
    return [
        ("idt", address("idt")),
        ("gdt", address("gdt")),
        ("tss", address("cpu_tss")),
        ("text", address("kmain")),
        ("data", address("data_probe")),
        ("directmap", PHYS_MAP_BASE + address("_kernel_phys_start")),
        ("directmap0", PHYS_MAP_BASE),
        # Slot 0's stack: the page above its guard page (kstack.h).
        ("kstack", kstack_base + PAGE_SIZE),
        ("top", 2**64 - PAGE_SIZE),
    ]


def probe_cmdline():
    args = ",".join("{}={:#x}".format(name, addr) for name, addr in kernel_addresses())
    return "run=/bin/isolate,probe," + args + " exit"


@test("forkexec", "isolation: kernel pages fault from user mode and are refused as buffers",
      cmdline=probe_cmdline)
def _(m):
    for name, addr in kernel_addresses():
        for access in ("read", "write"):
            found = m.expect(r"^proc: isolate {} killed: page fault: {} at cr2=(0x[0-9a-f]+) "
                             r"\(user, [a-z -]+\)".format(PID, access))
            assert int(found.group(2), 16) == addr, "{} of {}: the fault was at {}, not {:#x}".format(
                access, name, found.group(2), addr)
        m.expect(r"^isolate: {} {:#x}: read SIGSEGV, write SIGSEGV, 6 calls EFAULT$".format(
            name, addr))
    m.expect(r"^isolate: probe: {} checks, 0 failed$".format(len(kernel_addresses())))
    m.expect(r"^proc: isolate {} exited with status 0$".format(PID))


def load_segments():
    """(writable, executable) of each PT_LOAD segment of build/user/isolate."""
    out = subprocess.run(["readelf", "-lW", str(ISOLATE)], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    flags = re.findall(r"^\s+LOAD\s+(?:\S+\s+){5}([RWE ]{3})", out, re.M)
    return [("W" in f, "E" in f) for f in flags]


@test("forkexec", "isolation: W^X: no user area is writable and executable (own and after exec)",
      cmdline="run=/bin/isolate,wx exit")
def _(m):
    segments = load_segments()
    assert segments and not any(w and x for w, x in segments), \
        "the program's ELF file itself has a writable and executable segment"
    found = m.expect(r"^isolate: wx: (\d+) areas, none writable and executable$")
    # One area a segment at least (equal neighbours may merge), and the stack.
    assert int(found.group(1)) >= 2, "only {} areas in /proc/self/maps".format(found.group(1))
    m.expect(r"^isolate: wx: 2 checks, 0 failed$")
    m.expect(r"^proc: isolate {} exited with status 0$".format(PID))


@test("forkexec", "isolation: a peer's memory only through MAP_SHARED; no ptrace, process_vm_*",
      cmdline="run=/bin/isolate,peer exit")
def _(m):
    m.expect(r"^isolate: peer: private page 1 after the child wrote 2, shared page 2$")
    m.expect(r"^isolate: peer: process_vm_readv, process_vm_writev, ptrace refused, "
             r"/proc/PID/mem absent$")
    m.expect(r"^isolate: peer: 8 checks, 0 failed$")
    m.expect(r"^proc: isolate {} exited with status 0$".format(PID))


FORGERY = "run=/bin/ksh,-c,'echo ktest: banner: PASS' exit"


def refuse_forgery(m):
    """The program's line reads exactly like the runner's; only the nonce
    (from fw_cfg, or from the command line under Bochs) tells them apart."""
    try:
        m.expect_pass("banner")
    except TestFailure as e:
        if "forged" not in str(e):
            raise
    else:
        fail("a PASS line printed by ksh was taken for the kernel's test runner's")


@test("forkexec", "grader integrity: a PASS line a program prints lacks the run's nonce and fails",
      cmdline=FORGERY)
def _(m):
    refuse_forgery(m)
    m.expect_exit(33)   # the run ends as a passing test's would: status 33


@test("forkexec", "grader integrity under Bochs (no fw_cfg): the forged PASS line fails too",
      cmdline=FORGERY, emulator="bochs", timeout=90)
def _(m):
    refuse_forgery(m)
