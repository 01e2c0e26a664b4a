"""kelf: what a grader can learn about the kernel without running it.

Graders compare what the kernel prints with facts they find for themselves:
symbol addresses and sizes from `nm build/kernel.elf`, the instruction at an
address from `objdump -d`, and constants from the kernel's headers.  Call
these from inside a test (the kernel is built before tests run, not before
grading scripts are imported).
"""

import functools
import re
import subprocess

from gradelib import REPO_ROOT, fail

KERNEL_ELF = REPO_ROOT / "build" / "kernel.elf"


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


def in_function(address, name):
    """Is `address` inside the function `name` (by nm's address and size)?"""
    start, size = symbol(name)
    return start <= address < start + max(size, 1)


def instruction_at(address):
    """The disassembled instruction at `address`, e.g. 'div    %rax'."""
    out = _run(["objdump", "-d", "--no-show-raw-insn", "--start-address={:#x}".format(address),
                "--stop-address={:#x}".format(address + 16), str(KERNEL_ELF)])
    for line in out.splitlines():
        match = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if match and int(match.group(1), 16) == address:
            return match.group(2).strip()
    fail("no instruction at {:#x} in {}".format(address, KERNEL_ELF.name))


def header_define(path, name):
    """The integer value of `#define NAME value` in the kernel source file `path`."""
    text = (REPO_ROOT / path).read_text()
    match = re.search(r"^#define\s+{}\s+\(?(0x[0-9a-fA-F]+|\d+)".format(re.escape(name)), text,
                      re.M)
    if not match:
        fail("{}: no #define {}".format(path, name))
    return int(match.group(1), 0)
