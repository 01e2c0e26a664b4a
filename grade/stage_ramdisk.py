"""Grader of stage `ramdisk`: the driver-memory call os_physmap(2) and the FAT
server's check mode, before there is a VFS.

The kernel prints where GRUB put the ramdisk (`module: ramdisk at A-B, N
bytes`); each test boots to the kernel monitor, reads that line and types
`run PROG --image 0xA:N ...` (programs are still GRUB modules at this
stage; in the full tree, with "/" unmounted, fatfs and physmap still are).  The command line says `noroot`: in a tree that has the stage fuse,
the kernel would otherwise mount the ramdisk at "/" before the first
program, and the check mode must be the only one writing it.  The helpers
are in fatcheck.py, which stage_fuse.py uses too.  What they print is checked against facts the grader finds for
itself:

- physmap (user/physmap.c) without the right (devmem= on the command line
  names the programs that have it; by default only fatfs) gets EPERM for
  every call; with it, the ramdisk's boot sector through two mappings that
  share their pages, EINVAL for every bad range, and no frame lost or freed
  when it exits.
- `fatfs --image ... --check` (user/fatfs/check.c) lists every file with its
  size and CRC-32: they must be those of the build tree build/ramdisk-root,
  in the order mdir lists the image.  Its write test must pass every step,
  and then the grader takes the image out of the guest's memory with QEMU's
  `pmemsave` (over a QMP socket): fsck.fat -n must report nothing, and
  mdir/mtype must show what the write test left, byte for byte.  A copy
  would leave the guest's ramdisk as it was, so that also proves os_physmap
  maps the pages.
- Bad images (carried on the args disk in place of the ISO's ramdisk, see
  gradelib.make_args_image): a truncated image and a bad boot sector are
  refused with the library's reason, a file whose entry points outside the
  volume reads as EIO while the rest reads fine, and the kernel carries on.
- The FAT library itself on the host (emulator="host": no QEMU):
  grade/test_fatfs.py builds it under AddressSanitizer and UBSan and checks
  it against images made by mkfs.fat and mcopy, fsck.fat, mdir and mtype;
  every one of its tests must pass.
- The FAT16 and FAT32 builds of the same tree (conf/mkramdisk.py --fat,
  what `make RAMDISK_FAT=16|32` makes) read back and write as FAT12 does.
"""
import re
import sys

from gradelib import main, test
from fatcheck import (IMAGE, ROOT, bad_bpb_image, boot_to_monitor, check_lines,
                      check_summary, check_taken_image, check_writes, compare_tree,
                      entry_outside_image, exit_status, frames_after, qmp_args, run,
                      run_check, take_image, truncated_image, variant_image,
                      variant_paths)

# physmap's bad ranges, in its order, and the errno each must get.
PHYSMAP_BAD = ["len 0", "unaligned", "past the end", "one page over the end", "before the start",
               "kernel memory", "wrapping", "huge", "bad prot"]


# ---- os_physmap ----------------------------------------------------------------------

@test("ramdisk", "physmap: a program without the right gets EPERM from every call",
      cmdline="noroot monitor")
def _(m):
    phys, size = boot_to_monitor(m)
    lines = run(m, "run physmap {:#x}:{}".format(phys, size))
    results = dict(re.findall(r"^physmap: ([^:]+): (.*)$", "\n".join(lines), re.M))
    assert results.get("map") == "EPERM", "map: {}".format(results.get("map"))
    for case in PHYSMAP_BAD:
        assert results.get(case) == "EPERM", "{}: {}".format(case, results.get(case))
    assert exit_status(lines, "physmap") == 0


@test("ramdisk", "physmap: the ramdisk mapped twice shares its pages; bad ranges get EINVAL; "
      "nothing freed at exit", cmdline="devmem=physmap noroot monitor")
def _(m):
    phys, size = boot_to_monitor(m)
    counts = []
    for _ in range(2):
        lines = run(m, "run physmap {:#x}:{}".format(phys, size))
        results = dict(re.findall(r"^physmap: ([^:]+): (.*)$", "\n".join(lines), re.M))
        assert results.get("map") == "ok, boot sector signature 55aa", \
            "map: {}".format(results.get("map"))
        assert results.get("shared") == "yes", "two mappings of the ramdisk do not share pages"
        assert results.get("munmap") == "0"
        assert results.get("after munmap") == "55aa", "munmap of one mapping broke the other"
        assert results.get("madvise dontneed") == "EINVAL", \
            "madvise(MADV_DONTNEED) on device memory: {}".format(results.get("madvise dontneed"))
        assert results.get("after madvise") == "55aa", "madvise zeroed device memory"
        for case in PHYSMAP_BAD:
            assert results.get(case) == "EINVAL", "{}: {}".format(case, results.get(case))
        assert exit_status(lines, "physmap") == 0
        counts.append(frames_after(lines))
    assert counts[0] == counts[1], "free frames + heap pages {} after one run, {} after the " \
        "next: the exit frees or keeps frames it should not".format(*counts)
    # devmem= names physmap only: fatfs has no right now.
    lines = run(m, "run fatfs --image {:#x}:{} --check".format(phys, size))
    assert any(re.match(r"^fatfs: cannot map the image .*: Operation not permitted$", l)
               for l in lines), "fatfs without the right: no EPERM message"
    assert exit_status(lines, "fatfs") == 1


# ---- the check mode -------------------------------------------------------------------

@test("ramdisk", "check mode: every file reads back with the build tree's size and CRC-32, "
      "listed in mdir's order", cmdline="noroot monitor", timeout=60)
def _(m):
    phys, size = boot_to_monitor(m)
    assert size == IMAGE.stat().st_size, "the module is {} bytes, build/ramdisk.img {}".format(
        size, IMAGE.stat().st_size)
    lines = run_check(m, phys, size)
    assert any(re.match(r"^fatfs: FAT12 volume at ", l) for l in lines), "no FAT12 mount line"
    nodes = check_lines(lines, "check")
    compare_tree(nodes, ROOT, IMAGE)
    check_summary(lines, nodes)
    assert exit_status(lines, "fatfs") == 0


@test("ramdisk", "check mode: the write test passes; the image taken out of the guest passes "
      "fsck.fat -n and mtype", cmdline="noroot monitor", timeout=60, qemu_args=qmp_args("writes"))
def _(m):
    phys, size = boot_to_monitor(m)
    lines = run_check(m, phys, size)
    check_writes(lines)
    assert exit_status(lines, "fatfs") == 0
    image = take_image("writes", phys, size)
    try:
        check_taken_image(image, ROOT)
    finally:
        image.unlink()


# ---- bad images -------------------------------------------------------------------------

def expect_refused(m, what):
    phys, size = boot_to_monitor(m)
    lines = run(m, "run fatfs --image {:#x}:{} --check".format(phys, size))
    refused = [l for l in lines if l.startswith("fatfs: ramdisk refused: ")]
    assert refused and len(refused[0]) > len("fatfs: ramdisk refused: ") + 3, \
        "{}: no 'fatfs: ramdisk refused: REASON' line".format(what)
    assert re.search(what, refused[0]), "{}: the reason does not say so: {}".format(
        what, refused[0])
    assert not any(l.startswith("check: ") for l in lines), "a refused image was walked"
    assert exit_status(lines, "fatfs") == 1
    # physmap, a GRUB module (there is no "/" with noroot), runs to its end.
    lines = run(m, "run physmap {:#x}:{}".format(phys, size))
    assert exit_status(lines, "physmap") == 0, "the kernel did not carry on after the refusal"


@test("ramdisk", "bad image: a truncated ramdisk is refused with the library's reason",
      cmdline="noroot monitor", ramdisk=truncated_image)
def _(m):
    expect_refused(m, "truncated")


@test("ramdisk", "bad image: a boot sector with 1000 bytes per sector is refused",
      cmdline="noroot monitor", ramdisk=bad_bpb_image)
def _(m):
    expect_refused(m, "bytes per sector")


@test("ramdisk", "bad image: a file whose entry points outside the volume reads EIO, the rest "
      "reads fine", cmdline="noroot monitor", timeout=60, ramdisk=entry_outside_image)
def _(m):
    phys, size = boot_to_monitor(m)
    lines = run_check(m, phys, size)
    nodes = check_lines(lines, "check")
    bad = [(p, n) for k, p, n, _ in nodes if k == "bad"]
    assert bad == [("/etc/motd", -5)], "unreadable files {}, expected /etc/motd with -5 " \
        "(EIO)".format(bad)
    compare_tree(nodes, ROOT, IMAGE, skip=("/etc/motd",))


# ---- FAT16 and FAT32 ------------------------------------------------------------------------

def check_variant(m, fat, name):
    phys, size = boot_to_monitor(m)
    image, root = variant_paths(name)
    assert size == image.stat().st_size, "the module is not the FAT{} image".format(fat)
    lines = run_check(m, phys, size, timeout=120)
    assert any(re.match(r"^fatfs: FAT{} volume at ".format(fat), l) for l in lines), \
        "no FAT{} mount line".format(fat)
    compare_tree(check_lines(lines, "check"), root, image)
    check_writes(lines)
    taken = take_image(name, phys, size)
    try:
        check_taken_image(taken, root)
    finally:
        taken.unlink()


@test("ramdisk", "FAT16 (RAMDISK_FAT=16): reads back, writes, passes fsck.fat", cmdline="noroot monitor",
      timeout=60, ramdisk=variant_image(16, "fat16"), qemu_args=qmp_args("fat16"))
def _(m):
    check_variant(m, 16, "fat16")


@test("ramdisk", "FAT32 (RAMDISK_FAT=32): reads back, writes, passes fsck.fat", cmdline="noroot monitor",
      timeout=90, ramdisk=variant_image(32, "fat32"), qemu_args=qmp_args("fat32"))
def _(m):
    check_variant(m, 32, "fat32")


@test("ramdisk", "the FAT library on the host: mkfs.fat/mcopy images read back, writes pass "
      "fsck.fat, corrupt images refused (grade/test_fatfs.py)", emulator="host", timeout=300)
def _(h):
    status = h.run([sys.executable, "grade/test_fatfs.py"])
    h.expect(r"^Ran [1-9]\d* tests? in ")
    assert status == 0, "grade/test_fatfs.py failed (status {}): {}".format(
        status, " | ".join(line for line in h.output if line.startswith(("FAIL", "ERROR"))))
    h.expect(r"^OK$")


if __name__ == "__main__":
    main(stages=["ramdisk"])
