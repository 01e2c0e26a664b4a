"""fatcheck: what the graders of the FAT server share (stage_ramdisk.py, where
the server's check mode runs from the monitor, and stage_fuse.py, where
fscheck does the same through the VFS).

- The facts: the build tree build/ramdisk-root (every file's size and
  CRC-32), mdir's listing of the image, the FAT16/FAT32 builds of the same
  tree (conf/mkramdisk.py --fat), bad images made from build/ramdisk.img.
- The output of a check run (user/fatfs/check.c, user/fscheck.c): "check:"
  lines compared with the tree, "write:" steps, the "after:" walk of /var/tmp.
- The guest's ramdisk taken out of its memory with QEMU's `pmemsave` over a
  QMP socket (a test adds `qmp_args(name)` to its QEMU), then fsck.fat -n,
  mdir and mtype on it.
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

from gradelib import REPO_ROOT, fail

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
    "/var/tmp exists", "mkdir /var/tmp/check", "create /var/tmp/Check File.TXT",
    "write 20000 bytes in pieces", "read back", "lookup ignores case",
    "rename to /var/tmp/check/Moved Across.txt", "old name gone", "new name found",
    "moved file intact", "truncate to 1000", "truncated file", "extend to 3000",
    "extension reads zeros", "create /var/tmp/check/gone.txt", "write gone.txt",
    "unlink gone.txt", "gone.txt gone", "free clusters back after unlink",
    "mkdir /var/tmp/check/sub", "rmdir /var/tmp/check (not empty)", "rmdir /var/tmp/check/sub",
    "sub gone", "free clusters back after rmdir", "mkdir /var/tmp/dir-a",
    "rename /var/tmp/dir-a to /var/tmp/check/dir-b", "dir-b's .. is /var/tmp/check", "dir-a gone",
]
MOVED = "/var/tmp/check/Moved Across.txt"


def pattern(n):
    return bytes((i * 31 + 7) % 251 for i in range(n))


MOVED_BYTES = pattern(1000) + bytes(2000)

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


def variant_paths(name):
    """(image, root) of the variant a test named name builds (its own: tests
    run at the same time)."""
    return WORK / "{}.img".format(name), WORK / "{}-root".format(name)


def variant(fat, name):
    """The ramdisk built with --fat fat from the same tree, as name: its bytes."""
    image, root = variant_paths(name)
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(REPO_ROOT / "conf" / "mkramdisk.py"), "--fat", str(fat),
                    "--base", str(REPO_ROOT / "conf" / "ramdisk"), "--root", str(root),
                    str(image)] + [str(BUILD / "user" / p) for p in user_programs()],
                   check=True, capture_output=True)
    return image.read_bytes()


def variant_image(fat, name):
    """For @test(ramdisk=...): the FAT fat variant, built when the test starts."""
    return lambda: variant(fat, name)


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


def check_writes(lines, extra=()):
    """The write test's steps (WRITE_STEPS, then extra) all ok, /var/tmp as it leaves it."""
    steps = []
    for line in lines:
        match = re.match(r"^write: (.*): (ok|FAILED.*)$", line)
        if match:
            steps.append(match.groups())
    names = [s for s, _ in steps]
    want = WRITE_STEPS + list(extra)
    assert names == want, "write test steps {}, expected {}".format(names, want)
    failed = ["{}: {}".format(s, r) for s, r in steps if r != "ok"]
    assert not failed, "write test: " + "; ".join(failed)
    after = check_lines(lines, "after")
    want = [("dir", "/var/tmp/check", None, None),
            ("file", MOVED, len(MOVED_BYTES), zlib.crc32(MOVED_BYTES)),
            ("dir", "/var/tmp/check/dir-b", None, None)]
    assert sorted(after) == sorted(want), "/var/tmp after the writes: {}, expected {}".format(
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
    names = {e[0]: e for e in listing.get("/var/tmp/check", [])}
    assert set(names) == {"Moved Across.txt", "dir-b"}, \
        "mdir ::/var/tmp/check lists {}".format(sorted(names))
    assert names["Moved Across.txt"][3] == len(MOVED_BYTES)
    assert names["dir-b"][2], "dir-b is not a directory"
    assert [e[0] for e in listing.get("/var/tmp", [])] == ["check"], \
        "mdir ::/var/tmp lists {}".format(listing.get("/var/tmp"))
    assert mtype(image, MOVED) == MOVED_BYTES, "mtype {}: other bytes".format(MOVED)
    for path in ("/etc/motd", "/bin/hello"):
        assert mtype(image, path) == (root / path[1:]).read_bytes(), \
            "mtype {}: not the build tree's bytes".format(path)
