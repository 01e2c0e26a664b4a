#!/usr/bin/env python3
"""Grader of stage tss: the GDT, the TSS with its IST stacks, guarded kernel stacks.

Everything is checked against facts the grader knows on its own: the
descriptor encodings of the Intel SDM (Vol. 3A, "Segment Descriptors",
"TSS Descriptor in 64-bit Mode"), the address of the kernel's TSS from
`nm`, and the kernel-stack layout of kernel/mm/kstack.h.
"""

import re

import kelf
import labs
from gradelib import main, test

# The GDT's segments, each a descriptor as a 64-bit number by its selector:
# labs/03-tss/gdt.toml.
EXPECTED_SEGMENTS = {int(sel, 16): (seg["what"], seg["descriptor"])
                     for sel, seg in labs.fixture("tss", "gdt").items()}
ACCESSED = 1 << 40
IST_OWNERS = {1: "ist1-double-fault", 2: "ist2-nmi", 3: "ist3-machine-check"}
IST_OF_VECTOR = {0: 0, 2: 2, 8: 1, 14: 0, 18: 3, 32: 0}
HEX = r"0x([0-9a-f]+)"


def kstack_layout():
    """(region base, stack size, slot size) from kernel/mm/kstack.h."""
    base = kelf.header_define("kernel/mm/kstack.h", "KSTACK_REGION_BASE")
    pages = kelf.header_define("kernel/mm/kstack.h", "KSTACK_PAGES")
    return base, pages * 4096, (pages + 1) * 4096


def check_guarded_stack(what, top, guard, low_word, guard_word):
    """A stack from kstack_alloc: top at a slot end, guard page right below the stack."""
    base, size, slot = kstack_layout()
    assert top > base and (top - base) % slot == 0, \
        "{}: top {:#x} is not the end of a slot of the kernel-stack region".format(what, top)
    assert guard == top - size - 4096, \
        "{}: guard page {:#x} is not the page below the stack ({:#x})".format(
            what, guard, top - size - 4096)
    assert low_word == "mapped", "{}: the stack is not mapped".format(what)
    assert guard_word == "unmapped", "{}: the guard page is mapped".format(what)


@test("tss", "GDT: null, kernel code/data, user code32/data/code64 in SYSRET order",
      cmdline="test=gdt_tss", timeout=20)
def _(m):
    gdtr = m.expect(r"^gdtr: base=" + HEX + r" limit=" + HEX)
    assert int(gdtr.group(2), 16) >= 0x37, "the GDT is too small for 0x00-0x38"
    m.expect(r"^segments: cs=0x08 ds=0x10 es=0x10 ss=0x10 tr=0x30$")
    m.expect(r"^gdt: \[0x00\] 0{16}$")
    for selector, (what, value) in EXPECTED_SEGMENTS.items():
        line = m.expect(r"^gdt: \[0x{:02x}\] ([0-9a-f]{{16}})$".format(selector))
        got = int(line.group(1), 16)
        assert got & ~ACCESSED == value, "GDT entry {:#04x} ({}) is {:#018x}, expected {:#018x}".format(
            selector, what, got, value)
    m.expect_pass("gdt_tss")


@test("tss", "TSS descriptor at 0x30 points at the kernel's TSS and is loaded in TR",
      cmdline="test=gdt_tss", timeout=20)
def _(m):
    lo = int(m.expect(r"^gdt: \[0x30\] ([0-9a-f]{16})$").group(1), 16)
    hi = int(m.expect(r"^gdt: \[0x38\] ([0-9a-f]{16})$").group(1), 16)
    base = ((lo >> 16) & 0xffffff) | ((lo >> 56) & 0xff) << 24 | (hi & 0xffffffff) << 32
    limit = (lo & 0xffff) | ((lo >> 48) & 0xf) << 16
    tss_address = kelf.symbol("cpu_tss")[0]
    assert base == tss_address, "the TSS descriptor's base is {:#x}, but cpu_tss is at {:#x}".format(
        base, tss_address)
    # The 64-bit TSS is 104 bytes (Intel SDM Vol. 3A, "64-Bit TSS"); the
    # limit is its last byte.  One more would put a byte of whatever follows
    # cpu_tss under the limit.  From stage drivers on, the I/O permission
    # bitmap follows it (8192 bytes and the terminating 0xff, Intel SDM
    # Vol. 1, "I/O Permission Bit Map"), and the limit covers that too.
    assert limit in (0x67, 0x67 + 8193), "the TSS limit is {:#x}, expected 0x67 (104 bytes " \
        "- 1), or {:#x} with the I/O bitmap".format(limit, 0x67 + 8193)
    assert (lo >> 40) & 0xf == 0xb, \
        "the TSS descriptor's type is {:#x}, expected 0xb (64-bit TSS, busy after ltr)".format(
            (lo >> 40) & 0xf)
    assert (lo >> 47) & 1 and (lo >> 44) & 1 == 0, "the TSS descriptor is not a present system descriptor"
    iomap = int(m.expect(r"^tss: iomap_base=" + HEX).group(1), 16)
    assert iomap >= 0x68, "the I/O map base {:#x} lies inside the TSS".format(iomap)
    m.expect_pass("gdt_tss")


@test("tss", "IST stacks for #DF, NMI, #MC with guard pages; IDT gates use them",
      cmdline="test=gdt_tss", timeout=20)
def _(m):
    tops = set()
    for ist, owner in IST_OWNERS.items():
        line = m.expect(r"^ist{}: stack: top={} stack (\S+), guard page {} (\S+), guard owner '([^']*)'$"
                        .format(ist, HEX, HEX))
        top, guard = int(line.group(1), 16), int(line.group(3), 16)
        check_guarded_stack("IST{}".format(ist), top, guard, line.group(2), line.group(4))
        assert line.group(5) == owner, "IST{}'s guard page belongs to '{}', expected '{}'".format(
            ist, line.group(5), owner)
        tops.add(top)
    assert len(tops) == 3, "the IST stacks are not distinct"
    for vector, ist in IST_OF_VECTOR.items():
        got = int(m.expect(r"^idt: vector {} ist=(\d)$".format(vector)).group(1))
        assert got == ist, "IDT vector {} uses IST{}, expected IST{}".format(vector, got, ist)
    m.expect_pass("gdt_tss")


@test("tss", "RSP0 is the boot stack; tss_set_kernel_stack sets the RSP0 the CPU uses",
      cmdline="test=gdt_tss", timeout=20)
def _(m):
    rsp0 = int(m.expect(r"^tss: rsp0=" + HEX + " while the boot thread runs$").group(1), 16)
    top = kelf.address("boot_stack_top64")
    assert rsp0 == top, "RSP0 is {:#x} while the boot thread runs, expected boot_stack_top64 " \
        "({:#x})".format(rsp0, top)
    m.expect(r"^tss: rsp0 after tss_set_kernel_stack\(0xffffff0000123450\) = 0xffffff0000123450$")
    m.expect_pass("gdt_tss")


@test("tss", "GDT, TSS and IST stacks load in Bochs too", cmdline="test=gdt_tss",
      emulator="bochs", timeout=60)
def _(m):
    m.expect(r"^segments: cs=0x08 ds=0x10 es=0x10 ss=0x10 tr=0x30$")
    m.expect(r"^idt: vector 8 ist=1$")
    m.expect_pass("gdt_tss")


@test("tss", "kstack_alloc: guard page below each stack, freed stacks unmapped and reused",
      cmdline="test=kstack", timeout=20)
def _(m):
    base, size, slot = kstack_layout()
    line = m.expect(r"^kstack: a={} b={} size={} slot={}$".format(HEX, HEX, HEX, HEX))
    assert int(line.group(3), 16) == size and int(line.group(4), 16) == slot, \
        "stack and slot sizes differ from kstack.h"
    for name, owner in (("a", "kstack-a"), ("b", "kstack-b-with-a-long-name-that-")):
        line = m.expect(r"^kstack {}: top={} stack (\S+), guard page {} (\S+), guard owner '([^']*)'$"
                        .format(name, HEX, HEX))
        check_guarded_stack("stack " + name, int(line.group(1), 16), int(line.group(3), 16),
                            line.group(2), line.group(4))
        assert line.group(5) == owner, "the guard of stack {} belongs to '{}', expected '{}'".format(
            name, line.group(5), owner)
    m.expect(r"^kstack: after free, a's stack is unmapped$")
    m.expect(r"^kstack: c=0x[0-9a-f]+ reuses a's slot: yes$")
    before, after = m.expect(r"^kstack: free frames before (\d+), after freeing them all (\d+)$"
                             ).groups()
    assert before == after, "kstack_free did not give back every frame: {} free before, {} " \
        "after".format(before, after)
    guard, owner = m.expect(r"^kstack: boot stack guard {} owner '([^']*)'$".format(HEX)).groups()
    assert int(guard, 16) == kelf.address("boot_stack_guard") and owner == "boot", \
        "the boot stack's guard page (boot_stack_guard, {:#x}) belongs to '{}', expected " \
        "'boot'".format(kelf.address("boot_stack_guard"), owner)
    m.expect(r"^kstack: just past the last slot, guard owner '\(none\)'$")
    # With too few frames left, kstack_alloc fails and undoes everything:
    # the slot's pages are unmapped and the slot is free for the next one.
    found = m.expect(r"^kstack: with \d+ frames left kstack_alloc returned 0x([0-9a-f]+); its "
                     r"slot's stack is (\S+), guard owner '([^']*)'$")
    assert found.groups() == ("0", "unmapped", "(none)"), \
        "kstack_alloc without enough frames: returned 0x{}, its slot's stack {}, its guard " \
        "owner '{}'; expected 0, unmapped, (none)".format(*found.groups())
    m.expect(r"^kstack: the next kstack_alloc reuses that slot: yes$")
    m.expect_pass("kstack")


@test("tss", "kernel stack overflow: double fault on IST1 names the thread",
      cmdline="test=stack_overflow", timeout=20)
def _(m):
    base, size, slot = kstack_layout()
    top = int(m.expect(r"^stack_overflow: stack 'stack_hog' top=" + HEX).group(1), 16)
    panic = m.expect_panic(r"^panic: double fault: kernel stack overflow in thread 'stack_hog': "
                           r"cr2=" + HEX + r" is in its guard page \(handled on the IST1 stack\), "
                           r"rip=" + HEX + r" <stack_hog_recurse\+0x[0-9a-f]+>")
    cr2, rip = int(panic.group(1), 16), int(panic.group(2), 16)
    guard = top - size - 4096
    assert guard <= cr2 < guard + 4096, \
        "cr2 {:#x} is not in the guard page {:#x} of stack_hog's stack".format(cr2, guard)
    assert kelf.in_function(rip, "stack_hog_recurse"), \
        "rip {:#x} is not in stack_hog_recurse".format(rip)
    frames = [line for line in m.output if re.match(r"^\s+#\d+ 0x[0-9a-f]+ stack_hog_recurse\+", line)]
    assert len(frames) >= 2, "the backtrace does not show the recursion"


if __name__ == "__main__":
    main(["tss"])
