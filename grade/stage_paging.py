"""Grader of stage `paging`: the frame allocator, the kernel's own page
tables and the page-table API, the memory map picture.

Every expectation is checked against what the grader knows itself: the -m
size and CPU model it boots with, symbol addresses from build/kernel.elf and
the size of the symbols module (kelf.py).
"""
import re

from gradelib import main, test
from kelf import (GIB, KERNEL_VMA, KIB, MIB, PAGE_SIZE, PHYS_MAP_BASE, address, parse_size,
                   ram_top, symbols_module_bytes, module_files, modules_bytes)

FRAMES_RE = r"^frames: (\d+) total, (\d+) free, (\d+) used \((\d+) KiB free\)"
STATUS_PANIC = 37


def image_bytes():
    return address("_kernel_phys_end") - address("_kernel_phys_start")


def boot_frames(m):
    """The boot line with the frame totals, checked for consistency."""
    match = m.expect(FRAMES_RE)
    total, free, used, kib = (int(g) for g in match.groups())
    assert total == free + used, "{} total != {} free + {} used".format(total, free, used)
    assert kib == free * 4, "{} KiB free but {} free frames".format(kib, free)
    return total, free, used


def check_totals(m, mem):
    """The frame totals fit the -m size: all RAM but the low 1 MiB, the kernel
    image, the modules, the multiboot information, the frame table (five bytes
    per frame: owner and 32-bit reference count) and what the BIOS reserves."""
    total, free, used = boot_frames(m)
    size = parse_size(mem)
    managed = total * PAGE_SIZE
    excluded = MIB + image_bytes() + modules_bytes() + 5 * ram_top(size) // PAGE_SIZE
    assert managed <= size - MIB - image_bytes(), \
        "{} frames ({} KiB) is more than -m {} can hold".format(total, managed // KIB, mem)
    assert managed >= size - excluded - 2 * MIB, \
        "only {} frames ({} KiB) of -m {}".format(total, managed // KIB, mem)
    assert used < 1024, "{} frames used right after boot".format(used)
    m.expect_pass("frame_stats")


@test("paging", "frame totals at boot match -m 128M", cmdline="test=frame_stats")
def _(m):
    check_totals(m, "128M")


@test("paging", "boots with -m 64M", cmdline="test=frame_stats", mem="64M")
def _(m):
    check_totals(m, "64M")


@test("paging", "boots with -m 4G", cmdline="test=frame_stats", mem="4G")
def _(m):
    check_totals(m, "4G")


@test("paging", "frames: allocate until none left, free all, same count",
      cmdline="test=frame_exhaust")
def _(m):
    _, free, _ = boot_frames(m)
    match = m.expect(r"^frame_exhaust: allocated (\d+) frames of (\d+) free")
    assert int(match.group(1)) == free and int(match.group(2)) == free, \
        "allocated {} of {} frames, but {} were free at boot".format(
            match.group(1), match.group(2), free)
    m.expect(r"^frame_exhaust: freed them: {0} free; allocated {0} again; {0} free at the end"
             .format(free))
    m.expect_pass("frame_exhaust")


@test("paging", "frames: freed frames are handed out again, zeroed",
      cmdline="test=frame_reuse")
def _(m):
    m.expect(r"^frame_reuse: frame 0x[0-9a-f]+ freed and handed out again, zeroed")
    m.expect_pass("frame_reuse")


@test("paging", "frames: none overlaps the kernel, the modules or the boot info",
      cmdline="test=frame_overlap")
def _(m):
    _, free, _ = boot_frames(m)
    match = m.expect(r"^frame_overlap: kernel 0x([0-9a-f]+)-0x([0-9a-f]+),")
    start, end = int(match.group(1), 16), int(match.group(2), 16)
    assert (start, end) == (address("_kernel_phys_start"), address("_kernel_phys_end")), \
        "kernel 0x{:x}-0x{:x}, but build/kernel.elf says 0x{:x}-0x{:x}".format(
            start, end, address("_kernel_phys_start"), address("_kernel_phys_end"))
    match = m.expect(r"^frame_overlap: module symbols 0x([0-9a-f]+)-0x([0-9a-f]+)")
    size = int(match.group(2), 16) - int(match.group(1), 16)
    assert size == symbols_module_bytes(), \
        "symbols module of {} bytes, but build/kernel.sym has {}".format(
            size, symbols_module_bytes())
    m.expect(r"^frame_overlap: checked {} frames: none overlaps".format(free))
    m.expect_pass("frame_overlap")


@test("paging", "frames: 2 MiB-aligned contiguous runs", cmdline="test=frame_contig")
def _(m):
    match = m.expect(r"^frame_contig: 2 MiB runs at 0x([0-9a-f]+) and 0x([0-9a-f]+)")
    for run in match.groups():
        assert int(run, 16) % (2 * MIB) == 0, "run at 0x{} is not 2 MiB aligned".format(run)
    # A frame taken inside the lowest free 2 MiB run: the next run must be
    # the next aligned one, not one starting just past the taken frame.
    taken, run = (int(g, 16) for g in m.expect(
        r"^frame_contig: with frame 0x([0-9a-f]+) taken, the next 2 MiB run is at "
        r"0x([0-9a-f]+)$").groups())
    want = (taken // (2 * MIB) + 1) * 2 * MIB
    assert run == want, "with frame 0x{:x} taken, the 2 MiB run went to 0x{:x}, expected " \
        "0x{:x}".format(taken, run, want)
    m.expect_pass("frame_contig")


@test("paging", "frames: freeing a free frame panics", cmdline="test=frame_double_free")
def _(m):
    match = m.expect(r"^frame_double_free: freeing frame 0x([0-9a-f]+) a second time")
    m.expect_panic(r"frame_free: frame 0x{} is already free".format(match.group(1)))


def expect_translation(m, name, offset=0):
    va = address(name) + offset
    match = m.expect(r"^vm_translate: {} 0x([0-9a-f]+) -> 0x([0-9a-f]+) \((\d+) KiB page\)"
                     .format(name))
    got_va, got_pa = int(match.group(1), 16), int(match.group(2), 16)
    assert got_va == va, "{} printed at 0x{:x}; build/kernel.elf says 0x{:x}".format(
        name, got_va, va)
    assert got_pa == va - KERNEL_VMA, "{} 0x{:x} translates to 0x{:x}, not 0x{:x}".format(
        name, va, got_pa, va - KERNEL_VMA)


@test("paging", "kernel symbols translate to their physical addresses",
      cmdline="test=vm_translate")
def _(m):
    expect_translation(m, "kmain")
    expect_translation(m, "boot_info")
    expect_translation(m, "boot_stack_bottom")
    m.expect(r"^vm_translate: direct map of 0x1234567 0x{:x} -> 0x1234567 ".format(
        PHYS_MAP_BASE + 0x1234567))
    m.expect(r"^vm_translate: boot_stack_guard 0x{:x} is not mapped".format(
        address("boot_stack_guard")))
    m.expect_pass("vm_translate")


@test("paging", "kernel sections have the right permissions, NX on", cmdline="test=vm_perms")
def _(m):
    for section, perms in (("text", "r-x"), ("rodata", "r--"), ("data", "rw-"),
                           ("bss", "rw-"), ("stack", "rw-"), ("directmap", "rw-")):
        match = m.expect(r"^vm_perms: {}\s+0x([0-9a-f]+) (\S+)".format(section))
        assert match.group(2) == perms, "{} is {}, expected {}".format(
            section, match.group(2), perms)
        if section == "text":
            assert int(match.group(1), 16) == address("kmain"), "text probe is not kmain"
    m.expect(r"^vm_perms: NX on, CR0.WP on")
    m.expect_pass("vm_perms")



@test("paging", "W^X: no kernel page is writable and executable or user-accessible",
      cmdline="test=vm_wx")
def _(m):
    found = m.expect(r"^vm_wx: (\d+) kernel mappings: (\d+) writable and executable, "
                     r"(\d+) user-accessible$")
    leaves, wx, user = (int(g) for g in found.groups())
    # Every page of the image is mapped with 4 KiB pages (but the boot
    # stack's guard), plus the direct map: the walk must have seen them.
    least = image_bytes() // PAGE_SIZE
    assert leaves >= least, "the walk saw {} mappings, fewer than the image's {} pages".format(
        leaves, least)
    assert wx == 0 and user == 0, found.group(0)
    m.expect_pass("vm_wx")

def check_page_sizes(m, mem, giant):
    """The direct map covers at least 4 GiB and all RAM, with 1 GiB pages iff
    the CPU has them; the kernel image is mapped with 4 KiB pages, all but
    the boot stack's guard page."""
    end = max(4 * GIB, -(-ram_top(parse_size(mem)) // GIB) * GIB)
    m.expect(r"^vm_page_sizes: 1 GiB pages {}".format(
        "supported" if giant else "not supported"))
    want = (end // GIB, 0) if giant else (0, end // (2 * MIB))
    m.expect(r"^vm_page_sizes: direct map 0-0x{:x}: {} x 1G, {} x 2M, 0 x 4K$".format(
        end, *want))
    start = KERNEL_VMA + address("_kernel_phys_start")
    pages = (address("_end") - start) // PAGE_SIZE - 1
    m.expect(r"^vm_page_sizes: kernel image 0x{:x}-0x{:x}: 0 x 1G, 0 x 2M, {} x 4K$".format(
        start, address("_end"), pages))
    m.expect_pass("vm_page_sizes")


@test("paging", "direct map with 1 GiB pages (-cpu max)", cmdline="test=vm_page_sizes")
def _(m):
    check_page_sizes(m, "128M", True)


@test("paging", "direct map with 2 MiB pages (-cpu qemu64)", cmdline="test=vm_page_sizes",
      cpu="qemu64")
def _(m):
    check_page_sizes(m, "128M", False)


@test("paging", "direct map of 5 GiB with 1 GiB pages (-m 4G)", cmdline="test=vm_page_sizes",
      mem="4G")
def _(m):
    check_page_sizes(m, "4G", True)


@test("paging", "direct map of 5 GiB with 2 MiB pages (-m 4G -cpu qemu64)",
      cmdline="test=vm_page_sizes", mem="4G", cpu="qemu64")
def _(m):
    check_page_sizes(m, "4G", False)


@test("paging", "vm_map/unmap/protect 4 KiB pages; TLB flushed; empty tables freed",
      cmdline="test=vm_map_4k")
def _(m):
    m.expect(r"^vm_map_4k: mapped 0x[0-9a-f]+ -> 0x[0-9a-f]+ with 2 new page tables")
    m.expect(r"^vm_map_4k: unmapped; 0 page tables left over")
    m.expect_pass("vm_map_4k")


@test("paging", "vm_map out of frames: -ENOMEM and no half-built tables",
      cmdline="test=vm_map_nomem")
def _(m):
    m.expect(r"^vm_map_nomem: -ENOMEM with one frame left, 0 page tables left over")
    m.expect_pass("vm_map_nomem")


@test("paging", "vm_map of 2 MiB and 1 GiB pages", cmdline="test=vm_map_huge")
def _(m):
    m.expect(r"^vm_map_huge: 2 MiB page at 0x[0-9a-f]+ -> 0x[0-9a-f]+: ok")
    m.expect(r"^vm_map_huge: 1 GiB page at 0x[0-9a-f]+ -> 0: ok")
    m.expect_pass("vm_map_huge")


@test("paging", "vm_map refuses 1 GiB pages without CPU support (-cpu qemu64)",
      cmdline="test=vm_map_huge", cpu="qemu64")
def _(m):
    m.expect(r"^vm_map_huge: 2 MiB page at 0x[0-9a-f]+ -> 0x[0-9a-f]+: ok")
    m.expect(r"^vm_map_huge: no 1 GiB pages on this CPU: vm_map refuses them")
    m.expect_pass("vm_map_huge")


@test("paging", "kernel-stack region and user half: tables made and freed on demand",
      cmdline="test=vm_map_regions")
def _(m):
    m.expect(r"^vm_map_regions: kernel stack pages at 0xffffff7f40000000: ok")
    m.expect(r"^vm_map_regions: user page at 0x[0-9a-f]+: ok")
    m.expect_pass("vm_map_regions")


@test("paging", "writing to kernel text faults with a page-fault report",
      cmdline="test=paging_text_write")
def _(m):
    match = m.expect(r"^paging: writing to kernel text at 0x([0-9a-f]+)")
    addr = int(match.group(1), 16)
    assert addr == address("kmain"), "the test writes to 0x{:x}, not kmain (0x{:x})".format(
        addr, address("kmain"))
    m.expect_exit(STATUS_PANIC)
    # The report (from the trap handler) names the exception and CR2, on one
    # line ("page fault: ... cr2=0x...") or on several.
    report = m.output[m.output.index(match.string) + 1:]
    assert any(re.search(r"page fault", line, re.IGNORECASE) for line in report), \
        "no page-fault report after the write"
    cr2 = re.compile(r"cr2[=: ]+(0x)?0*{:x}\b".format(addr), re.IGNORECASE)
    assert any(cr2.search(line) for line in report), \
        "the fault report does not give cr2=0x{:x}".format(addr)


def check_memmap(m, free_frames):
    """The picture: kernel image at 1 MiB, exact totals in the legend."""
    match = m.expect(r"^memmap: physical memory 0-0x([0-9a-f]+), one cell = (\d+) frames")
    per_cell = int(match.group(2))
    rows = {}
    while True:
        line = m.expect(r"^(0x[0-9a-f]{9} \S+|. \w)").string
        if not line.startswith("0x"):
            legend = line
            break
        addr, cells = line.split()
        rows[int(addr, 16)] = cells
    kernel = address("_kernel_phys_start")
    row_bytes = 64 * per_cell * PAGE_SIZE
    row = rows[kernel // row_bytes * row_bytes]
    assert row[kernel % row_bytes // (per_cell * PAGE_SIZE)] == "K", \
        "the cell of 0x{:x} does not show the kernel: {}".format(kernel, row)
    legend += " " + m.expect(r"^. \w").string + " " + m.expect(r"^. \w").string
    totals = {name.strip(): int(kib) for name, kib in
              re.findall(r"\S ([a-z ]+?)\s+(\d+) KiB", legend)}
    image_kib = -(-(address("_kernel_phys_end") - kernel) // PAGE_SIZE) * 4
    assert totals.get("kernel image") == image_kib, \
        "kernel image {} KiB, build/kernel.elf says {}".format(totals.get("kernel image"),
                                                                image_kib)
    module_kib = modules_bytes() // KIB
    assert module_kib <= (totals.get("modules") or 0) <= module_kib + 4 * len(module_files()), \
        "modules {} KiB, but the module files take {} KiB".format(totals.get("modules"),
                                                                  module_kib)
    assert totals.get("free") == free_frames * 4, "free {} KiB, {} free frames".format(
        totals.get("free"), free_frames)
    assert totals.get("page tables", 0) > 0, "no page tables in the map"


@test("paging", "the mem option shows the memory map at boot", cmdline="mem test=banner")
def _(m):
    _, free, _ = boot_frames(m)
    check_memmap(m, free)
    m.expect_pass("banner")


@test("paging", "the monitor's mem command shows the memory map", cmdline="monitor")
def _(m):
    _, free, _ = boot_frames(m)
    m.expect(r"kmon> ", partial=True)
    m.send("mem\r")
    check_memmap(m, free)
    m.expect(r"kmon> ", partial=True)     # type only at the prompt: echo would race it
    m.send("halt\r")
    m.expect(r"^halting")
    m.expect_exit(33)


@test("paging", "boots in Bochs on the kernel's own page tables", cmdline="test=vm_translate",
      emulator="bochs", timeout=60)
def _(m):
    m.expect(r"^vm: kernel page tables at 0x[0-9a-f]+; direct map of \d+ GiB")
    expect_translation(m, "kmain")
    m.expect_pass("vm_translate")


if __name__ == "__main__":
    main(["paging"])
