"""Grader of stage `boot`: the kernel boots, talks on the console, parses the
multiboot2 information and reports a panic with a symbolic backtrace."""
import os
import re
import socket
import subprocess

import kgdb
from gradelib import REPO_ROOT, main, test, timeout_scale
from kelf import header_define, symbol, symbols, symbols_module_bytes


@test("boot", "boots and prints the banner", cmdline="test=banner")
def _(m):
    m.expect(r"^kestrel: x86_64 teaching kernel booting")
    m.expect_pass("banner")


@test("boot", "boots in Bochs too", cmdline="test=banner", emulator="bochs", timeout=60)
def _(m):
    m.expect(r"^kestrel: x86_64 teaching kernel booting")
    m.expect(r"^mmap: \d+ KiB available")
    m.expect_pass("banner")


@test("boot", "a CPU without long mode gets a clear message", cmdline="test=banner",
      cpu="qemu32")
def _(m):
    m.expect(r"^boot: this CPU has no 64-bit long mode; halting", partial=True)
    assert not any("kestrel:" in line for line in m.output), "the 64-bit kernel ran"


@test("boot", "the kernel command line arrives", cmdline="test=banner color=blue n=42")
def _(m):
    m.expect(r'command line "test=banner color=blue n=42"')
    m.expect_pass("banner")


def check_memory_total(m, megabytes):
    match = m.expect(r"^mmap: (\d+) KiB available, top of memory ([0-9a-f]+)$")
    kib, top = int(match.group(1)), int(match.group(2), 16)
    # The BIOS keeps a little below 1 MiB and at the top of low memory.
    assert megabytes * 1024 * 0.97 <= kib <= megabytes * 1024, \
        "{} KiB available with -m {}M".format(kib, megabytes)
    # The total and the top, worked out again from the regions listed.
    available = []
    for line in m.output:
        region = re.match(r"^mmap: ([0-9a-f]{16})-([0-9a-f]{16}) available$", line)
        if region:
            available.append((int(region.group(1), 16), int(region.group(2), 16) + 1))
    assert sum(end - base for base, end in available) // 1024 == kib, \
        "the available regions listed add up to {} KiB, the total says {}".format(
            sum(end - base for base, end in available) // 1024, kib)
    assert available and max(end for _, end in available) == top, \
        "top of memory {:x}, but the highest available region ends at {:x}".format(
            top, max(end for _, end in available) if available else 0)
    m.expect_pass("banner")


@test("boot", "memory map totals match -m 128M", cmdline="test=banner", mem="128M")
def _(m):
    check_memory_total(m, 128)


@test("boot", "memory map totals match -m 48M", cmdline="test=banner", mem="48M")
def _(m):
    check_memory_total(m, 48)


@test("boot", "the symbols module is listed with its size", cmdline="test=banner")
def _(m):
    match = m.expect(r"^module: symbols at ([0-9a-f]+)-([0-9a-f]+), (\d+) bytes")
    start, end, size = int(match.group(1), 16), int(match.group(2), 16), int(match.group(3))
    assert size == symbols_module_bytes(), \
        "module size {} but build/kernel.sym has {} bytes".format(size, symbols_module_bytes())
    assert end - start == size and start % 4096 == 0, "module range and size disagree"
    m.expect_pass("banner")


def python_format(fmt, kind, arg):
    """What C's printf gives for fmt and arg, computed by Python's % operator."""
    pyfmt = re.sub(r"l+|z", "", fmt)
    if kind == "s":
        return pyfmt % arg
    if kind == "n":
        return pyfmt % ()
    value = int(arg)
    if kind == "c":
        return pyfmt % chr(value)
    if "p" in pyfmt:
        return pyfmt.replace("%p", "0x%x") % value
    if kind == "u":
        pyfmt = pyfmt.replace("u", "d")
    return pyfmt % value


@test("boot", "kprintf formats numbers, strings and widths", cmdline="test=kprintf")
def _(m):
    m.expect_pass("kprintf")
    cases = [line for line in m.output if line.startswith("kprintf-case: ")]
    assert len(cases) >= 20, "only {} kprintf cases printed".format(len(cases))
    for line in cases:
        fmt, arg, out, _ = line[len("kprintf-case: "):].split("|")
        kind, value = arg.split(":", 1)
        want = python_format(fmt, kind, value)
        assert out == want, "{!r} of {} gave {!r}, expected {!r}".format(fmt, value, out, want)


@test("boot", "a panic prints a symbolic backtrace", cmdline="test=panic")
def _(m):
    m.expect_panic(r"deliberate panic at depth 3")
    frames = []
    for line in m.output:
        match = re.match(r"\s+#(\d+) 0x([0-9a-f]+) (\S+)\+0x([0-9a-f]+)$", line)
        if match:
            frames.append((int(match.group(2), 16), match.group(3), int(match.group(4), 16)))
    names = [name for _, name, _ in frames]
    chain = ["panic_chain_c", "panic_chain_b", "panic_chain_a", "ktest_fn_panic"]
    assert names[:4] == chain, "backtrace starts {}, expected {}".format(names[:4], chain)
    assert "kmain" in names, "backtrace does not reach kmain: {}".format(names)
    for addr, name, offset in frames:
        start, size = symbol(name)
        assert start <= addr < start + size and addr - start == offset, \
            "0x{:x} is not {}+0x{:x} in build/kernel.elf".format(addr, name, offset)


@test("boot", "the stack protector catches a buffer overrun and names the function",
      cmdline="test=stack_smash")
def _(m):
    wrote = m.expect(r"^stack_smash: writing (\d+) bytes into a buffer of (\d+)$")
    assert int(wrote.group(1)) > int(wrote.group(2)), "the test does not overrun its buffer"
    p = m.expect_panic(r"^panic: stack smashing detected in (\S+) \((\S+)\+0x([0-9a-f]+)\)")
    assert p.group(1) == p.group(2) == "stackprot_victim", \
        "the report names {}, expected stackprot_victim".format(p.group(1))
    start, size = symbol("stackprot_victim")
    assert int(p.group(3), 16) < size, \
        "stackprot_victim+0x{} is past the function's {} bytes".format(p.group(3), size)


def function_at(addr):
    """"name+0xOFF" for addr, from nm's symbols of build/kernel.elf."""
    for name, (start, size) in symbols().items():
        if size and start <= addr < start + size:
            return "{}+0x{:x}".format(name, addr - start)
    return "?"


BACKTRACE_CASES = ["zero return", "rip first", "misaligned", "user half", "loop"]


@test("boot", "backtraces of made-up frame chains stop at the right frame",
      cmdline="test=backtrace")
def _(m):
    m.expect_pass("backtrace")
    max_frames = header_define("kernel/debug/panic.c", "MAX_FRAMES")
    lines = m.output
    at = 0
    for case in BACKTRACE_CASES:
        while not lines[at].startswith("backtrace_case: {}: ".format(case)):
            at += 1
        found = re.match(r"^backtrace_case: .*: rip 0x([0-9a-f]+), frames((?: 0x[0-9a-f]+)*)$",
                         lines[at])
        assert found, "badly formed line: " + lines[at]
        rip, rets = int(found.group(1), 16), [int(x, 16) for x in found.group(2).split()]
        # What backtrace_print must print: rip as it is (if any), then each
        # return address minus one, up to a zero one; the chain of "loop"
        # never ends, so MAX_FRAMES frames of it in all.
        want = [rip] if rip else []
        for ret in rets:
            if ret == 0:
                break
            want.append(ret - 1)
        if case == "loop":
            want = [rets[0] - 1] * max_frames
        assert lines[at + 1] == "backtrace:", "{}: no backtrace: line".format(case)
        got = []
        at += 2
        while at < len(lines) and re.match(r"^\s+#\d+ ", lines[at]):
            got.append(lines[at].strip())
            at += 1
        expected = ["#{} 0x{:x} {}".format(i, addr, function_at(addr))
                    for i, addr in enumerate(want)]
        assert got == expected, "{}: the chain {} (rip 0x{:x}) gave the backtrace\n  {}\n" \
            "expected\n  {}".format(case, " ".join(hex(r) for r in rets), rip,
                                    "\n  ".join(got), "\n  ".join(expected))


@test("boot", "the memory map: entries entry_size apart, totals of available memory",
      cmdline="test=mmap_parse")
def _(m):
    m.expect_pass("mmap_parse")
    entries, regions = [], []
    for line in m.output:
        found = re.match(r"^mmap_parse: (entry|region) \d+: base 0x([0-9a-f]+) length "
                         r"0x([0-9a-f]+) type (\d+)$", line)
        if found:
            (entries if found.group(1) == "entry" else regions).append(
                (int(found.group(2), 16), int(found.group(3), 16), int(found.group(4))))
    summary = [re.match(r"^mmap_parse: (\d+) regions, available 0x([0-9a-f]+), top "
                        r"0x([0-9a-f]+)$", line) for line in m.output]
    summary = [s for s in summary if s]
    assert summary, "no mmap_parse summary line"
    count, available, top = (int(g, 0 if i == 0 else 16)
                             for i, g in enumerate(summary[0].groups()))
    assert regions == entries, "the memory map tag held\n  {}\nbut boot_info has\n  {}".format(
        entries, regions)
    want_available = sum(length for _, length, kind in entries if kind == 1)
    want_top = max(base + length for base, length, kind in entries if kind == 1)
    assert (count, available, top) == (len(entries), want_available, want_top), \
        "{} regions, available 0x{:x}, top 0x{:x}: expected {}, 0x{:x}, 0x{:x} (the end of " \
        "the highest available region)".format(count, available, top, len(entries),
                                              want_available, want_top)


@test("boot", "a line typed on serial comes back", cmdline="test=echo")
def _(m):
    m.expect(r"^echo: type a line")
    m.send("hello from serial\r")
    m.expect(r'^echo: got "hello from serial"$')
    m.expect_pass("echo")


@test("boot", "the kernel monitor runs commands", cmdline="monitor")
def _(m):
    m.expect(r"kmon> ", partial=True)
    m.send("echo monitor says hi\r")
    m.expect(r"^monitor says hi$")
    m.expect(r"kmon> ", partial=True)     # type only at the prompt: echo would race it
    m.send("halt\r")
    m.expect(r"^halting")
    m.expect_exit(33)


def free_port():
    """A TCP port nobody listens on now, for QEMU's GDB stub."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


GDB_PORT = free_port()


@test("boot", "GDB with .gdbinit stops at kmain from the reset vector", cmdline="test=banner",
      qemu_args=("-S", "-gdb", "tcp:127.0.0.1:{}".format(GDB_PORT)), timeout=kgdb.TIMEOUT)
def _(m):
    kgdb.wait_for_stub(m, GDB_PORT)
    env = dict(os.environ, GDBPORT=str(GDB_PORT))
    gdb = subprocess.run(["gdb", "-q", "-nx", "-batch", "-x", ".gdbinit", "-ex", "continue",
                          "-ex", "next", "-ex", "kbt", "-ex", "kpte kmain", "-ex", "continue"],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=kgdb.GDB_TIMEOUT * timeout_scale())
    out = gdb.stdout
    assert "0x000000000000fff0 in" in out, "GDB did not start at the reset vector:\n" + out
    # 0x36d76289, the multiboot2 magic, as GDB prints kmain's first argument.
    assert re.search(r"Breakpoint 1, kmain \(magic=920085129, .*kernel/main.c:\d+", out), \
        "GDB did not stop at kmain with its source line:\n" + out
    assert re.search(r"#0 0x[0-9a-f]+ kmain\+0x[0-9a-f]+ .*\n#1 0x[0-9a-f]+ kernel_entry64\+", out), \
        "kbt did not walk from kmain to kernel_entry64:\n" + out
    assert re.search(r"-> phys 0x{:x} ".format(symbol("kmain")[0] - 0xffffffff80000000), out), \
        "kpte did not translate kmain to its physical address:\n" + out
    m.expect_pass("banner")


if __name__ == "__main__":
    main(["boot"])
