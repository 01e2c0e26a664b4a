"""Grader of stage `ramdisk`: the driver-memory call os_physmap(2) and the FAT
server's check mode, before there is a VFS.

The kernel prints where GRUB put the ramdisk (`module: ramdisk at A-B, N
bytes`); each test boots to the kernel monitor, reads that line and types
`run PROG --image 0xA:N ...` (programs are still GRUB modules at this
stage).  What they print is checked against facts the grader finds for
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
- The FAT16 and FAT32 builds of the same tree (conf/mkramdisk.py --fat,
  what `make RAMDISK_FAT=16|32` makes) read back and write as FAT12 does.
"""
import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from gradelib import REPO_ROOT, fail, main, test

sys.path.insert(0, str(Path(__file__).resolve().parent / "host"))
from fatimg import fsck, mdir_listing, mtype  # noqa: E402

BUILD = REPO_ROOT / "build"
ROOT = BUILD / "ramdisk-root"
IMAGE = BUILD / "ramdisk.img"
WORK = BUILD / "grade" / "ramdisk"
MODULE = r"^module: ramdisk at ([0-9a-f]+)-([0-9a-f]+), (\d+) bytes$"
PROMPT = r"kmon> "
PAGE = 4096

# The write test of check.c: its steps in order, and what it leaves.
WRITE_STEPS = [
    "/tmp exists", "mkdir /tmp/check", "create /tmp/Check File.TXT",
    "write 20000 bytes in pieces", "read back", "lookup ignores case",
    "rename to /tmp/check/Moved Across.txt", "old name gone", "new name found",
    "moved file intact", "truncate to 1000", "truncated file", "extend to 3000",
    "extension reads zeros", "create /tmp/check/gone.txt", "write gone.txt",
    "unlink gone.txt", "gone.txt gone", "free clusters back after unlink",
    "mkdir /tmp/check/sub", "rmdir /tmp/check (not empty)", "rmdir /tmp/check/sub",
    "sub gone", "free clusters back after rmdir", "mkdir /tmp/dir-a",
    "rename /tmp/dir-a to /tmp/check/dir-b", "dir-b's .. is /tmp/check", "dir-a gone",
]
MOVED = "/tmp/check/Moved Across.txt"


def pattern(n):
    return bytes((i * 31 + 7) % 251 for i in range(n))


MOVED_BYTES = pattern(1000) + bytes(2000)

# physmap's bad ranges, in its order, and the errno each must get.
PHYSMAP_BAD = ["len 0", "unaligned", "past the end", "one page over the end", "before the start",
               "kernel memory",
               "wrapping", "huge", "bad prot"]


# ---- facts from the build --------------------------------------------------------

def build_tree(root):
    """({dir paths}, {file path: (size, crc32)}) of a ramdisk tree on the host."""
    dirs, files = set(), {}
    for p in sorted(Path(root).rglob("*")):
        rel = "/" + str(p.relative_to(root))
        if p.is_dir():
            dirs.add(rel)
        else:
            data = p.read_bytes()
            files[rel] = (len(data), zlib.crc32(data))
    if not files:
        fail("{} is empty: run make".format(root))
    return dirs, files


def user_programs():
    """The programs of the build (build/user-programs, written by the makefile)."""
    text = (BUILD / "user-programs").read_text().strip()
    return text.split("=", 1)[1].split()


def variant(fat):
    """The ramdisk built with --fat fat from the same tree: (image bytes, root)."""
    root, image = WORK / "fat{}-root".format(fat), WORK / "fat{}.img".format(fat)
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(REPO_ROOT / "conf" / "mkramdisk.py"), "--fat", str(fat),
                    "--base", str(REPO_ROOT / "conf" / "ramdisk"), "--root", str(root),
                    str(image)] + [str(BUILD / "user" / p) for p in user_programs()],
                   check=True, capture_output=True)
    return image.read_bytes(), root


def variant_image(fat):
    return lambda: variant(fat)[0]


def truncated_image():
    return IMAGE.read_bytes()[:64 * 1024]


def bad_bpb_image():
    """BPB_BytsPerSec 1000: not a sector size the spec allows."""
    data = bytearray(IMAGE.read_bytes())
    data[11:13] = (1000).to_bytes(2, "little")
    return bytes(data)


def entry_outside_image():
    """/etc/motd's directory entry points at a cluster past the volume's end."""
    data = bytearray(IMAGE.read_bytes())
    at = [m.start() for m in re.finditer(re.escape(b"MOTD       "), bytes(data))
          if m.start() % 32 == 0 and data[m.start() + 11] & 0x18 == 0]
    if len(at) != 1:
        fail("build/ramdisk.img: {} directory entries MOTD (expected 1)".format(len(at)))
    data[at[0] + 26:at[0] + 28] = (0xff0).to_bytes(2, "little")  # FAT12 clusters end below
    return bytes(data)


# ---- the guest ---------------------------------------------------------------------

def boot_to_monitor(m):
    """Wait for the kernel's ramdisk line and the monitor: (phys, size)."""
    match = m.expect(MODULE)
    m.expect(PROMPT, partial=True)
    return int(match.group(1), 16), int(match.group(3))


def run(m, line, timeout=60):
    """Type a monitor command; returns the lines it printed (up to the prompt)."""
    start = len(m.output)
    m.send(line + "\r")
    m.expect(PROMPT, partial=True, timeout=timeout)
    return m.output[start:]


def exit_status(lines, prog):
    for line in lines:
        match = re.match(r"^proc: {} \(pid \d+\) (exited with status|killed)(.*)$".format(prog),
                         line)
        if match:
            assert match.group(1).startswith("exited"), line
            return int(match.group(2))
    fail("no exit line of {} in:\n{}".format(prog, "\n".join(lines[-10:])))


def frames_after(lines):
    """'run: N frames free' + 'run: the heap holds M pages': N + M."""
    free = [int(x) for x in re.findall(r"^run: (\d+) frames free", "\n".join(lines), re.M)]
    heap = [int(x) for x in re.findall(r"^run: the heap holds (\d+) pages", "\n".join(lines),
                                       re.M)]
    assert free and heap, "no memory lines after the program"
    return free[-1] + heap[-1]


def check_lines(lines, prefix):
    """The check mode's PREFIX: lines as (kind, path, size, crc)."""
    nodes = []
    for line in lines:
        match = re.match(r"^{}: (dir|file|bad) (?:(\S+) (?:([0-9a-f]{{8}}) )?)?(/.*)$".format(
            prefix), line)
        if not match:
            continue
        kind, num, crc, path = match.groups()
        if kind == "file":
            nodes.append(("file", path, int(num), int(crc, 16)))
        elif kind == "bad":
            nodes.append(("bad", path, int(num), None))
        else:
            nodes.append(("dir", path, None, None))
    return nodes


def compare_tree(nodes, root, image, skip=()):
    """The check lines name every node of the build tree, files with its sizes and
    CRC-32s, each directory's names in the order mdir lists them."""
    dirs, files = build_tree(root)
    seen_dirs = {p for k, p, _, _ in nodes if k == "dir"}
    seen_files = {p: (s, c) for k, p, s, c in nodes if k == "file"}
    bad = [p for k, p, _, _ in nodes if k == "bad" and p not in skip]
    assert not bad, "unreadable: {}".format(", ".join(bad))
    missing = sorted((dirs | set(files)) - seen_dirs - set(seen_files) - set(skip))
    assert not missing, "not listed: {}".format(", ".join(missing[:8]))
    extra = sorted((seen_dirs | set(seen_files)) - dirs - set(files))
    assert not extra, "listed but not in {}: {}".format(root.name, ", ".join(extra[:8]))
    for path, (size, crc) in files.items():
        if path in skip:
            continue
        got = seen_files.get(path)
        assert got is not None, "{} is listed as a directory".format(path)
        assert got[0] == size, "{}: size {}, the build tree's is {}".format(path, got[0], size)
        assert got[1] == crc, "{}: CRC-32 {:08x}, the build tree's is {:08x}".format(
            path, got[1], crc)
    order = {}
    for _, path, _, _ in nodes:
        parent, name = path.rsplit("/", 1)
        order.setdefault(parent, []).append(name)
    for d, entries in mdir_listing(image).items():
        want = [e[0] for e in entries]
        assert order.get(d, []) == want, "{}: listed as {}, mdir lists {}".format(
            d or "/", order.get(d, []), want)


def check_summary(lines, nodes):
    match = [re.match(r"^check: (\d+) files, (\d+) directories, (\d+) bytes$", l)
             for l in lines]
    match = [x for x in match if x]
    assert match, "no 'check: N files, M directories, B bytes' line"
    files = [n for n in nodes if n[0] == "file"]
    got = tuple(int(x) for x in match[0].groups())
    want = (len(files), sum(1 for n in nodes if n[0] == "dir"), sum(n[2] for n in files))
    assert got == want, "the summary says {}, the lines add up to {}".format(got, want)


def check_writes(lines):
    steps = []
    for line in lines:
        match = re.match(r"^write: (.*): (ok|FAILED.*)$", line)
        if match:
            steps.append(match.groups())
    names = [s for s, _ in steps]
    assert names == WRITE_STEPS, "write test steps {}, expected {}".format(names, WRITE_STEPS)
    failed = ["{}: {}".format(s, r) for s, r in steps if r != "ok"]
    assert not failed, "write test: " + "; ".join(failed)
    after = check_lines(lines, "after")
    want = [("dir", "/tmp/check", None, None),
            ("file", MOVED, len(MOVED_BYTES), zlib.crc32(MOVED_BYTES)),
            ("dir", "/tmp/check/dir-b", None, None)]
    assert sorted(after) == sorted(want), "/tmp after the writes: {}, expected {}".format(
        after, want)


def run_check(m, phys, size, timeout=90):
    lines = run(m, "run fatfs --image {:#x}:{} --check".format(phys, size), timeout=timeout)
    assert any(re.match(r"^check: done, \d+ failed$", l) for l in lines), \
        "the check mode did not finish: no 'check: done' line"
    return lines


# ---- QMP: the image out of the guest ----------------------------------------------

QMP_DIR = Path(tempfile.mkdtemp(prefix="grade-qmp-"))
atexit.register(shutil.rmtree, QMP_DIR, True)


def qmp_socket(name):
    return QMP_DIR / (name + ".sock")


def qmp_args(name):
    return ("-qmp", "unix:{},server=on,wait=off".format(qmp_socket(name)))


def qmp(name, command, **arguments):
    """Run one QMP command on the test's QEMU; returns its "return" value."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(qmp_socket(name)))
        f = s.makefile("rwb")

        def call(cmd, args=None):
            f.write(json.dumps({"execute": cmd, "arguments": args or {}}).encode() + b"\n")
            f.flush()
            while True:
                reply = json.loads(f.readline() or b"null")
                if reply is None:
                    fail("QMP: QEMU closed the socket during {}".format(cmd))
                if "return" in reply:
                    return reply["return"]
                if "error" in reply:
                    fail("QMP {}: {}".format(cmd, reply["error"].get("desc")))

        json.loads(f.readline())  # the greeting
        call("qmp_capabilities")
        return call(command, arguments)


def take_image(name, phys, size):
    """The guest's ramdisk, copied out of its memory into a file."""
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / "{}-{}.img".format(name, os.getpid())
    qmp(name, "pmemsave", val=phys, size=size, filename=str(out))
    for _ in range(100):  # QEMU writes it before it replies; be sure it is all there
        if out.exists() and out.stat().st_size == size:
            return out
        time.sleep(0.05)
    fail("pmemsave left {} bytes of {}".format(out.stat().st_size if out.exists() else 0, size))


def check_taken_image(image, root):
    """fsck.fat -n finds nothing; mdir and mtype show the write test's result and the
    rest of the tree as it was."""
    status, report = fsck(image)
    assert status == 0 and len(report) == 1, "fsck.fat -n on the image after the run:\n" + \
        "\n".join(report)
    listing = mdir_listing(image)
    names = {e[0]: e for e in listing.get("/tmp/check", [])}
    assert set(names) == {"Moved Across.txt", "dir-b"}, \
        "mdir ::/tmp/check lists {}".format(sorted(names))
    assert names["Moved Across.txt"][3] == len(MOVED_BYTES)
    assert names["dir-b"][2], "dir-b is not a directory"
    assert [e[0] for e in listing.get("/tmp", [])] == ["check"], \
        "mdir ::/tmp lists {}".format(listing.get("/tmp"))
    assert mtype(image, MOVED) == MOVED_BYTES, "mtype {}: other bytes".format(MOVED)
    for path in ("/etc/motd", "/bin/hello"):
        assert mtype(image, path) == (root / path[1:]).read_bytes(), \
            "mtype {}: not the build tree's bytes".format(path)


# ---- os_physmap ----------------------------------------------------------------------

@test("ramdisk", "physmap: a program without the right gets EPERM from every call",
      cmdline="")
def _(m):
    phys, size = boot_to_monitor(m)
    lines = run(m, "run physmap {:#x}:{}".format(phys, size))
    results = dict(re.findall(r"^physmap: ([^:]+): (.*)$", "\n".join(lines), re.M))
    assert results.get("map") == "EPERM", "map: {}".format(results.get("map"))
    for case in PHYSMAP_BAD:
        assert results.get(case) == "EPERM", "{}: {}".format(case, results.get(case))
    assert exit_status(lines, "physmap") == 0


@test("ramdisk", "physmap: the ramdisk mapped twice shares its pages; bad ranges get EINVAL; "
      "nothing freed at exit", cmdline="devmem=physmap")
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
      "listed in mdir's order", cmdline="", timeout=60)
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
      "fsck.fat -n and mtype", cmdline="", timeout=60, qemu_args=qmp_args("writes"))
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
    lines = run(m, "run hello")
    assert "hello, world" in lines, "the kernel did not carry on after the refusal"


@test("ramdisk", "bad image: a truncated ramdisk is refused with the library's reason",
      cmdline="", ramdisk=truncated_image)
def _(m):
    expect_refused(m, "truncated")


@test("ramdisk", "bad image: a boot sector with 1000 bytes per sector is refused",
      cmdline="", ramdisk=bad_bpb_image)
def _(m):
    expect_refused(m, "bytes per sector")


@test("ramdisk", "bad image: a file whose entry points outside the volume reads EIO, the rest "
      "reads fine", cmdline="", timeout=60, ramdisk=entry_outside_image)
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
    image, root = WORK / "fat{}.img".format(fat), WORK / "fat{}-root".format(fat)
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


@test("ramdisk", "FAT16 (RAMDISK_FAT=16): reads back, writes, passes fsck.fat", cmdline="",
      timeout=60, ramdisk=variant_image(16), qemu_args=qmp_args("fat16"))
def _(m):
    check_variant(m, 16, "fat16")


@test("ramdisk", "FAT32 (RAMDISK_FAT=32): reads back, writes, passes fsck.fat", cmdline="",
      timeout=90, ramdisk=variant_image(32), qemu_args=qmp_args("fat32"))
def _(m):
    check_variant(m, 32, "fat32")


if __name__ == "__main__":
    main(stages=["ramdisk"])
