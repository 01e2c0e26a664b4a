"""Kernel-aware GDB commands, loaded by .gdbinit.

    kbt              backtrace by following saved frame pointers (works where
                     GDB's own unwinder gives up, e.g. in trap frames)
    kpte VADDR       walk the 4-level page tables for VADDR and show each entry
"""
import gdb

PHYS_MAP_BASE = 0xffff800000000000


def read_u64(addr):
    inferior = gdb.selected_inferior()
    return int.from_bytes(inferior.read_memory(addr, 8).tobytes(), "little")


def describe(addr):
    block = gdb.current_progspace().block_for_pc(addr)
    while block and not block.function:
        block = block.superblock
    return block.function.name if block and block.function else "?"


class KernelBacktrace(gdb.Command):
    """kbt: follow the rbp chain from the current frame."""

    def __init__(self):
        super().__init__("kbt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        rip = int(gdb.parse_and_eval("$rip"))
        rbp = int(gdb.parse_and_eval("$rbp"))
        print("#0 0x%016x %s" % (rip, describe(rip)))
        depth = 1
        while rbp and depth < 32:
            ret = read_u64(rbp + 8)
            if not ret:
                break
            print("#%d 0x%016x %s" % (depth, ret, describe(ret - 1)))
            rbp = read_u64(rbp)
            depth += 1


class PageTableWalk(gdb.Command):
    """kpte VADDR: show the page-table entries that translate VADDR."""

    def __init__(self):
        super().__init__("kpte", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        # The cast accepts numbers, pointers and function names alike.
        va = int(gdb.parse_and_eval("(unsigned long)(%s)" % arg))
        table = int(gdb.parse_and_eval("$cr3")) & ~0xfff
        for level, shift in (("PML4", 39), ("PDPT", 30), ("PD", 21), ("PT", 12)):
            index = (va >> shift) & 0x1ff
            entry = self.read_entry(table + index * 8)
            flags = "".join(name for bit, name in ((0, "P"), (1, "W"), (2, "U"), (7, "H"),
                                                  (63, "NX")) if entry >> bit & 1)
            print("%-4s[%3d] = 0x%016x %s" % (level, index, entry, flags))
            if not entry & 1:
                print("not mapped")
                return
            if level != "PT" and entry & 0x80:
                size = 1 << shift
                print("-> phys 0x%x (%d KiB page)" % ((entry & 0x000ffffffffff000 & ~(size - 1))
                                                      + (va & (size - 1)), size // 1024))
                return
            table = entry & 0x000ffffffffff000
        print("-> phys 0x%x" % (table + (va & 0xfff)))

    @staticmethod
    def read_entry(phys):
        # Page tables are reached through the direct map once the kernel runs;
        # before that (boot tables), physical addresses are identity mapped.
        try:
            return read_u64(PHYS_MAP_BASE + phys)
        except gdb.MemoryError:
            return read_u64(phys)


KernelBacktrace()
PageTableWalk()
