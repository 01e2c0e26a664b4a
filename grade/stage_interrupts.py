#!/usr/bin/env python3
"""Grader of stage interrupts: exceptions decoded and reported, the PIC, the
timer, serial input by interrupt, spinlocks.

Fault reports are checked against what the grader knows itself: the
function each faulting instruction is in (`nm`), the instruction at the
reported rip (`objdump`), the addresses the self-tests touch (the scratch
window of kernel/mm/kstack.h), the selector the #GP test loads, the PIT rate
TIMER_HZ in kernel/arch/x86_64/timer.h, the line the grader types.
"""

import re

import kelf
from gradelib import main, test

HEX = r"0x([0-9a-f]+)"
RIP = r"rip=" + HEX + r" <([^>]*)>"
# Guest time follows executed instructions, and the RTC follows guest time,
# so the timer's rate is measured exactly whatever the host's load.  With
# shift=3 each instruction is 8 ns of guest time: a guest second passes in
# an eighth of the instructions shift=0 would need.
ICOUNT = ("-icount", "shift=3,align=off,sleep=off", "-rtc", "clock=vm")


def scratch(offset):
    """An address in the self-tests' scratch window (kstack.h), as the tests use it."""
    return kelf.header_define("kernel/mm/kstack.h", "KSTACK_REGION_END") + offset


def check_rip(match_rip, match_symbol, function, mnemonic=None):
    """The report's rip lies in `function`, is named after it, and holds `mnemonic`."""
    rip = int(match_rip, 16)
    assert kelf.in_function(rip, function), "rip {:#x} is not in {}".format(rip, function)
    assert match_symbol.startswith(function + "+0x"), \
        "the report names <{}>, expected <{}+0x...>".format(match_symbol, function)
    if mnemonic:
        insn = kelf.instruction_at(rip)
        assert re.match(mnemonic, insn), "the instruction at rip is `{}`, expected {}".format(
            insn, mnemonic)


def check_backtrace(m):
    assert any(line == "backtrace:" for line in m.output), "the report has no backtrace"


@test("interrupts", "divide error reported by name with its rip", cmdline="test=fault_divide")
def _(m):
    m.expect(r"^fault_divide: dividing by zero$")
    p = m.expect_panic(r"^panic: divide error: #DE in kernel mode, " + RIP + "$")
    check_rip(p.group(1), p.group(2), "fault_do_divide", r"div")
    check_backtrace(m)


@test("interrupts", "invalid opcode reported by name with its rip",
      cmdline="test=fault_invalid_opcode")
def _(m):
    m.expect(r"^fault_invalid_opcode: executing ud2$")
    p = m.expect_panic(r"^panic: invalid opcode: #UD in kernel mode, " + RIP + "$")
    check_rip(p.group(1), p.group(2), "fault_do_invalid_opcode", r"ud2")
    check_backtrace(m)


@test("interrupts", "general protection fault with its selector error code", cmdline="test=fault_gp")
def _(m):
    m.expect(r"^fault_gp: loading selector 0x1238 into ds$")
    # #GP(selector): error code = the selector without its RPL; 0x1238 >> 3 = 583.
    p = m.expect_panic(r"^panic: general protection fault: #GP in kernel mode, error=0x1238 "
                       r"\(GDT selector, index 583\), " + RIP + "$")
    check_rip(p.group(1), p.group(2), "fault_do_load_selector", r"mov\s+%\w+,%ds")
    check_backtrace(m)


def check_page_fault(m, access, address, detail, function, mnemonic=None):
    p = m.expect_panic(r"^panic: page fault: {} at cr2=0x{:x} \({}\), {}$".format(
        access, address, re.escape(detail), RIP))
    if function:
        check_rip(p.group(1), p.group(2), function, mnemonic)
    check_backtrace(m)
    return p


@test("interrupts", "page fault on a read: cr2, read, kernel, not present", cmdline="test=fault_read")
def _(m):
    m.expect(r"^fault_read: reading 0x{:x}$".format(scratch(0x10)))
    check_page_fault(m, "read", scratch(0x10), "kernel, not present",
                     "fault_do_read", r"mov")


@test("interrupts", "page fault on a write to a read-only page: write, present",
      cmdline="test=fault_write")
def _(m):
    check_page_fault(m, "write", scratch(0x1008), "kernel, present",
                     "fault_do_write", r"mov")


@test("interrupts", "page fault on an instruction fetch: exec, rip = cr2", cmdline="test=fault_exec")
def _(m):
    p = check_page_fault(m, "exec", scratch(0x2000), "kernel, not present", None)
    assert int(p.group(1), 16) == scratch(0x2000), "rip is not the address called"


@test("interrupts", "instruction fetch without NX (-cpu qemu64,-nx): exec, from rip = cr2",
      cmdline="test=fault_exec", cpu="qemu64,-nx")
def _(m):
    # Without NX the CPU does not set the I/D bit of the error code: a fetch
    # from a missing page shows itself only by rip == cr2.
    p = check_page_fault(m, "exec", scratch(0x2000), "kernel, not present", None)
    assert int(p.group(1), 16) == scratch(0x2000), "rip is not the address called"


@test("interrupts", "page fault on a reserved bit in a page-table entry: RSVD reported",
      cmdline="test=fault_reserved")
def _(m):
    found = m.expect(r"^fault_reserved: bit (\d+) set in the entry of {}, now reading {}$".format(
        HEX, HEX))
    va = int(found.group(3), 16)
    assert va == scratch(0x3010), "the test read {:#x}, expected {:#x}".format(va, scratch(0x3010))
    # The error code has RSVD (bit 3); whether P is set as well differs
    # between CPUs and emulators, so either word is accepted.
    p = m.expect_panic(r"^panic: page fault: read at cr2=0x{:x} \(kernel, (?:not )?present, "
                       r"reserved bit set\), {}$".format(va, RIP))
    check_rip(p.group(1), p.group(2), "fault_do_read", r"mov")


@test("interrupts", "guard-page hit reported as a kernel stack overflow", cmdline="test=guard_page")
def _(m):
    line = m.expect(r"^guard_page: writing {}, below the stack of 'guard_victim' \(top {}\)$".format(
        HEX, HEX))
    va, top = int(line.group(1), 16), int(line.group(2), 16)
    pages = kelf.header_define("kernel/mm/kstack.h", "KSTACK_PAGES")
    guard = top - (pages + 1) * 4096
    assert guard <= va < guard + 4096, "the test's address is not in the guard page"
    p = m.expect_panic(r"^panic: page fault: kernel stack overflow in thread 'guard_victim': "
                       r"write at cr2=0x{:x} \(kernel, not present\), {}$".format(va, RIP))
    check_rip(p.group(1), p.group(2), "fault_do_write")


@test("interrupts", "breakpoint (int3) reported, execution resumes", cmdline="test=breakpoint")
def _(m):
    for _ in range(2):
        p = m.expect(r"^breakpoint at " + RIP + r", resuming$")
        check_rip(p.group(1), p.group(2), "breakpoint_site", r"int3")
    m.expect(r"^breakpoint: execution resumed after both int3 \(2\)$")
    m.expect_pass("breakpoint")


# Names of the exceptions (Intel SDM Vol. 3A, "Exception and Interrupt Reference").
EXCEPTION_NAMES = {
    0: r"divide", 1: r"debug", 2: r"non-maskable|nmi", 3: r"breakpoint", 4: r"overflow",
    5: r"bound", 6: r"invalid opcode", 7: r"device not available", 8: r"double fault",
    9: r"coprocessor segment overrun", 10: r"invalid tss", 11: r"segment not present",
    12: r"stack.segment", 13: r"general protection", 14: r"page fault",
    16: r"x87|floating.point", 17: r"alignment check", 18: r"machine check",
    19: r"simd", 20: r"virtualization", 21: r"control.protection",
}


@test("interrupts", "every exception vector has its name", cmdline="test=exception_names")
def _(m):
    for vector in range(32):
        name = m.expect(r"^exception {}: (.+)$".format(vector)).group(1)
        want = EXCEPTION_NAMES.get(vector)
        if want:
            assert re.search(want, name, re.I), "vector {} is called '{}'".format(vector, name)
    m.expect_pass("exception_names")


@test("interrupts", "timer ticks at TIMER_HZ against the RTC (within 10%)",
      cmdline="test=timer_rate", timeout=30, qemu_args=ICOUNT)
def _(m):
    hz = kelf.header_define("kernel/arch/x86_64/timer.h", "TIMER_HZ")
    line = m.expect(r"^timer: (\d+) ticks in (\d+) RTC seconds, uptime advanced (\d+) ms")
    ticks, seconds, ms = (int(g) for g in line.groups())
    assert seconds >= 1, "measured over {} seconds".format(seconds)
    rate = ticks / seconds
    assert abs(rate - hz) <= 0.1 * hz, "{:.1f} ticks per RTC second, TIMER_HZ is {}".format(rate, hz)
    assert abs(ms - 1000 * seconds) <= 100 * seconds, \
        "uptime advanced {} ms in {} RTC seconds".format(ms, seconds)
    m.expect_pass("timer_rate")


@test("interrupts", "timer and IRQ table work in Bochs too", cmdline="test=irq_table",
      emulator="bochs", timeout=60)
def _(m):
    m.expect(r"^irq_table: int \$0x27 and int \$0x2f: 2 spurious IRQs")
    m.expect(r"^irq_table: the timer still ticks: ([3-9]|\d\d+) ticks later$")
    m.expect_pass("irq_table")


LINE = "interrupts carry this line 42"


@test("interrupts", "a line typed on serial arrives through the receive interrupt",
      cmdline="test=serial_irq")
def _(m):
    m.expect(r"^serial: type a line$")
    m.send(LINE + "\n")
    got = m.expect(r'^serial: got "(.*)" by interrupt: (\d+) receive interrupts brought (\d+) bytes$')
    assert got.group(1) == LINE, "the kernel read {!r}, the grader typed {!r}".format(
        got.group(1), LINE)
    assert int(got.group(2)) >= 1, "no receive interrupt"
    assert int(got.group(3)) >= len(LINE) + 1, "the interrupts brought fewer bytes than typed"
    m.expect_pass("serial_irq")


@test("interrupts", "IRQ table: handlers by IRQ, spurious IRQ 7/15 ignored", cmdline="test=irq_table")
def _(m):
    m.expect(r"^irq_table: int \$0x25 reached the IRQ 5 handler 1 time\(s\) with vector 37$")
    m.expect(r"^irq_table: int \$0x27 and int \$0x2f: 2 spurious IRQs, IRQ 7 handler called 0 time\(s\)$")
    ticks = int(m.expect(r"^irq_table: the timer still ticks: (\d+) ticks later$").group(1))
    assert ticks >= 3, "timer_sleep_ticks(3) returned after {} ticks".format(ticks)
    m.expect_pass("irq_table")


@test("interrupts", "slave PIC: every IRQ 8 and a real IRQ 15 arrive; a spurious IRQ 15 gets its "
      "master EOI", cmdline="test=irq_slave")
def _(m):
    base = kelf.header_define("kernel/arch/x86_64/trap.h", "IRQ_BASE")
    calls, ticks, vector = (int(g) for g in m.expect(
        r"^irq_slave: RTC at 1024 Hz: IRQ 8 handler called (\d+) times in (\d+) ticks, vector "
        r"(\d+)$").groups())
    # 1024 Hz for about 100 ms: a hundred, less on a loaded host.  One or
    # two mean the PICs were not both given their EOI.
    assert calls >= 5, "the RTC's 1024 Hz interrupt reached its handler {} times in {} ticks " \
        "(is the slave PIC given its EOI?)".format(calls, ticks)
    assert vector == base + 8, "IRQ 8 arrived with vector {}, expected {}".format(vector, base + 8)
    calls, vector = (int(g) for g in m.expect(
        r"^irq_slave: IDENTIFY PACKET DEVICE on the secondary IDE channel: IRQ 15 handler called "
        r"(\d+) times, vector (\d+)$").groups())
    assert calls == 1 and vector == base + 15, "the CD-ROM drive's IRQ 15 reached its handler " \
        "{} times with vector {}: expected once with {} (a real IRQ 15 has its ISR bit " \
        "set)".format(calls, vector, base + 15)
    found = m.expect(r"^irq_slave: master polled 0x([0-9a-f]+) \(ISR 0x([0-9a-f]+)\), then int "
                     r"\$0x2f: (\d+) spurious, master ISR 0x([0-9a-f]+)$")
    assert found.groups()[:2] == ("82", "4"), "the test did not get IRQ 2 in service at the " \
        "master: {}".format(found.group(0))
    assert found.group(3) == "1" and found.group(4) == "0", \
        "a spurious IRQ 15 (master IRQ 2 in service, slave nothing): {} spurious, master ISR " \
        "0x{} afterwards; expected 1 and 0 (the master gets its EOI)".format(found.group(3),
                                                                        found.group(4))
    after = int(m.expect(r"^irq_slave: afterwards IRQ 8 still comes: (\d+) times in 5 ticks$")
                .group(1))
    assert after >= 1, "after the spurious IRQ 15 no IRQ 8 came any more"
    m.expect_pass("irq_slave")


@test("interrupts", "the tick hook runs after the tick is counted", cmdline="test=tick_hook")
def _(m):
    before, saw = (int(g) for g in m.expect(
        r"^tick_hook: installed at tick (\d+), first called at tick (\d+)$").groups())
    assert saw == before + 1, "a hook installed at tick {} saw timer_ticks() = {} at the next " \
        "tick: count the tick before calling the hook".format(before, saw)
    m.expect_pass("tick_hook")


@test("interrupts", "releasing a spinlock that is not held panics", cmdline="test=spinlock_unheld")
def _(m):
    m.expect(r"^spinlock_unheld: releasing test-c, which nobody holds$")
    m.expect_panic(r"^panic: spinlock 'test-c': released but not held")


@test("interrupts", "spinlocks keep interrupts off; irq_save nests; recursion panics",
      cmdline="test=spinlock")
def _(m):
    m.expect(r"^spinlock: holding two locks, interrupts off$")
    m.expect(r"^spinlock: released the inner one, interrupts off$")
    m.expect(r"^spinlock: timer IRQ pending while locked: yes, ticks moved by 0$")
    moved = int(m.expect(r"^spinlock: released the outer one, interrupts on, ticks moved by (\d+)$")
                .group(1))
    assert moved >= 1, "the pending tick was not delivered when the lock was released"
    m.expect(r"^irq_save: nested restore leaves interrupts off$")
    m.expect(r"^irq_save: outer restore turns interrupts on$")
    m.expect_panic(r"^panic: spinlock 'test-a': acquired while already held")


if __name__ == "__main__":
    main(["interrupts"])
