"""kelf: what a grader can learn about the kernel without running it.

Graders compare what the kernel prints with facts they find for themselves:
symbol addresses and sizes from `nm build/kernel.elf`, the instruction at an
address from `objdump -d`, constants from the kernel's headers, the size of
the symbols module (build/kernel.sym) and where QEMU puts RAM for a -m size.  Call
these from inside a test (the kernel is built before tests run, not before
grading scripts are imported).
"""

import functools
import os
import re
import subprocess

from gradelib import REPO_ROOT, fail

KERNEL_ELF = REPO_ROOT / "build" / "kernel.elf"
KERNEL_SYM = REPO_ROOT / "build" / "kernel.sym"
KERNEL_VMA = 0xffffffff80000000
PHYS_MAP_BASE = 0xffff800000000000
PAGE_SIZE = 4096
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


def _run(command):
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        fail("`{}` failed: {}".format(" ".join(command), proc.stderr.strip()))
    return proc.stdout


@functools.lru_cache(maxsize=None)
def symbols():
    """{name: (address, size)} for every symbol defined in the kernel ELF."""
    table = {}
    for line in _run(["nm", "-S", "--defined-only", str(KERNEL_ELF)]).splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
        elif len(parts) == 3:
            table.setdefault(parts[2], (int(parts[0], 16), 0))
    return table


def symbol(name):
    """(address, size) of the kernel symbol `name`; fails the test if there is none."""
    if name not in symbols():
        fail("no symbol {} in {}".format(name, KERNEL_ELF.name))
    return symbols()[name]


def address(name):
    """The address of the kernel symbol `name`."""
    return symbol(name)[0]


def check_site(text, function):
    """Check that `text`, "function+0xOFF", names a byte inside `function`."""
    name, _, offset = text.partition("+0x")
    size = symbol(function)[1]
    assert name == function, "call site {} is not in {}".format(text, function)
    assert offset and int(offset, 16) < size, \
        "call site {}: {} is only 0x{:x} bytes long".format(text, function, size)


def in_function(address, name):
    """Is `address` inside the function `name` (by nm's address and size)?"""
    start, size = symbol(name)
    return start <= address < start + max(size, 1)


def instruction_at(address, elf=KERNEL_ELF):
    """The disassembled instruction at `address` of the kernel (or of the ELF file
    `elf`, a user program), e.g. 'div    %rax'."""
    out = _run(["objdump", "-d", "--no-show-raw-insn", "--start-address={:#x}".format(address),
                "--stop-address={:#x}".format(address + 16), str(elf)])
    for line in out.splitlines():
        match = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if match and int(match.group(1), 16) == address:
            return match.group(2).strip()
    fail("no instruction at {:#x} in {}".format(address, elf.name))


def header_define(path, name):
    """The integer value of `#define NAME value` in the kernel source file `path`."""
    text = (REPO_ROOT / path).read_text()
    match = re.search(r"^#define\s+{}\s+\(?(0x[0-9a-fA-F]+|\d+)".format(re.escape(name)), text,
                      re.M)
    if not match:
        fail("{}: no #define {}".format(path, name))
    return int(match.group(1), 0)


def symbols_module_bytes():
    """The size of build/kernel.sym, which GRUB loads as the "symbols" module."""
    return os.path.getsize(KERNEL_SYM)


def module_files():
    """The files GRUB loads as modules, from the `module2` lines of the
    grub.cfg on the boot image: kernel.sym, the ramdisk, and (from stage
    syscalls on) the user programs that are GRUB_PROGRAMS.  A file named by a variable
    (`module2 $ramdisk_file ramdisk`) is the one its `set` line gives."""
    isodir = REPO_ROOT / "build" / "isodir"
    files, variables = [], {}
    for line in (isodir / "boot" / "grub" / "grub.cfg").read_text().splitlines():
        words = line.split()
        setting = re.match(r"\s*set (\w+)=(\S*)\s*$", line)
        if setting:
            variables[setting.group(1)] = setting.group(2).strip('"')
        if len(words) >= 2 and words[0] == "module2":
            name = re.sub(r"\$(\w+)", lambda v: variables.get(v.group(1), v.group(0)),
                          words[1])
            files.append(isodir / name.lstrip("/"))
    return files


def modules_bytes():
    """The bytes of all modules, each rounded up to whole pages (GRUB starts
    each module on a page of its own)."""
    return sum(-(-os.path.getsize(f) // PAGE_SIZE) * PAGE_SIZE for f in module_files())


def parse_size(text):
    """QEMU's -m argument ("128M", "4G") in bytes."""
    units = {"K": KIB, "M": MIB, "G": GIB}
    if text[-1].upper() in units:
        return int(text[:-1]) * units[text[-1].upper()]
    return int(text) * MIB


def ram_top(mem):
    """The end of the highest RAM QEMU's pc machine gives a guest with `mem`
    bytes: RAM above 3.5 GiB does not fit below the 4 GiB PCI hole, and then
    QEMU puts 3 GiB below 4 GiB and the rest from 4 GiB up."""
    if mem < 0xe0000000:
        return mem
    return 4 * GIB + mem - 3 * GIB
