"""ksyms: what the graders know about the kernel without asking it.

Symbol addresses and sizes come from `nm -S build/kernel.elf`; the size of
the symbols module from build/kernel.sym.  Graders compare what the kernel
prints with these, so a test never trusts the kernel's own account.
"""
import functools
import os
import subprocess

from gradelib import REPO_ROOT

KERNEL_ELF = REPO_ROOT / "build" / "kernel.elf"
KERNEL_SYM = REPO_ROOT / "build" / "kernel.sym"
KERNEL_VMA = 0xffffffff80000000
PHYS_MAP_BASE = 0xffff800000000000
PAGE_SIZE = 4096
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@functools.lru_cache(maxsize=None)
def symbols():
    """{name: (address, size)} for every symbol of build/kernel.elf."""
    out = subprocess.run(["nm", "-S", str(KERNEL_ELF)], capture_output=True, text=True,
                         check=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
        elif len(parts) == 3:
            table[parts[2]] = (int(parts[0], 16), 0)
    return table


def address(name):
    """The address of symbol `name`."""
    return symbols()[name][0]


def check_site(text, function):
    """Check that `text`, "function+0xOFF", names a byte inside `function`."""
    name, _, offset = text.partition("+0x")
    start, size = symbols()[function]
    assert name == function, "call site {} is not in {}".format(text, function)
    assert offset and int(offset, 16) < size, \
        "call site {}: {} is only 0x{:x} bytes long".format(text, function, size)


def symbols_module_bytes():
    """The size of build/kernel.sym, which GRUB loads as the "symbols" module."""
    return os.path.getsize(KERNEL_SYM)


def module_files():
    """The files GRUB loads as modules, from the `module2` lines of the
    grub.cfg on the boot image: kernel.sym, and (from stage syscalls on) the
    user programs."""
    isodir = REPO_ROOT / "build" / "isodir"
    files = []
    for line in (isodir / "boot" / "grub" / "grub.cfg").read_text().splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "module2":
            files.append(isodir / words[1].lstrip("/"))
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
