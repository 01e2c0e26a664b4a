"""FAT images for grade/test_fatfs.py: make them, fill them, read them back,
and run the library on them.

- build(): compile user/fatfs with the host cc under AddressSanitizer and
  UndefinedBehaviorSanitizer into build/fatfs/fattool (runs a script of
  library calls on an image file; its commands are listed at the top of
  user/fatfs/test/fattool.c), build/fatfs/fat_unit (unit tests) and
  build/fatfs/fat_fuzz (corrupt copies of an image, see its opening comment).
- mkfs(), fill(), tree(): images made by mkfs.fat and filled by mcopy/mmd
  from a generated tree of files (nested directories, long, mixed-case and
  non-ASCII names, an empty file, files of one cluster and one byte more, a
  file over 1 MiB, a directory spanning several clusters).
- tool(): run fattool, failing on any sanitizer report or timeout.
- mdir_listing(), fsck(), mtype(): what mtools and dosfstools make of an image.
- Bpb: the boot sector's numbers, to corrupt an image on purpose or to
  compare its FAT copies.

Standard library only.
"""
import concurrent.futures
import os
import random
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SRC = ROOT / "user" / "fatfs"
OUT = ROOT / "build" / "fatfs"
CC = shutil.which("cc") or "gcc"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8",
           ASAN_OPTIONS="detect_leaks=0:exitcode=99", UBSAN_OPTIONS="exitcode=99")
TIMEOUT = 20
FATTOOL = OUT / "fattool"
FAT_UNIT = OUT / "fat_unit"
FAT_FUZZ = OUT / "fat_fuzz"


def run(cmd, input=None, ok=(0,), timeout=TIMEOUT):
    """Run cmd (bytes in, text out); fail unless its status is in ok."""
    done = subprocess.run([str(c) for c in cmd], input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=ENV, timeout=timeout)
    text = done.stdout.decode("utf-8", "replace")
    if done.returncode not in ok:
        raise AssertionError("{} exited {}:\n{}".format(
            " ".join(map(str, cmd)), done.returncode, text[-3000:]))
    return done.returncode, text


_built = False


def build():
    """Compile the library once, and fattool, fat_unit and fat_fuzz with it."""
    global _built
    if _built:
        return
    OUT.mkdir(parents=True, exist_ok=True)
    flags = ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", *SANITIZE]
    # The library is user/fatfs/fat*.c; the server's own files there (server.c,
    # ...) need the OS's headers and are not built for the host.
    sources = sorted(SRC.glob("fat*.c")) + sorted((SRC / "test").glob("*.c"))
    objects = [OUT / (c.stem + ".o") for c in sources]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c, o: run([CC, *flags, "-c", "-o", o, c], timeout=120),
                      sources, objects))
    lib = [o for c, o in zip(sources, objects) if c.parent == SRC]
    for program in (FATTOOL, FAT_UNIT, FAT_FUZZ):
        run([CC, *SANITIZE, "-o", program, OUT / (program.name + ".o"), *lib])
    _built = True


def tool(image, lines, ok=(0,)):
    """Run fattool on image with a script (a str that is not UTF-8 carries
    its bytes as surrogate escapes); returns (status, output lines after
    "mounted")."""
    script = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    status, text = run([FATTOOL, image], input=script, ok=ok)
    for bad in ("Sanitizer", "runtime error", "AddressSanitizer"):
        if bad in text:
            raise AssertionError("sanitizer report:\n" + text[-3000:])
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    if status == 0:
        if not out or not out[0].startswith("mounted FAT"):
            raise AssertionError("fattool did not mount:\n" + text[-2000:])
        out = out[1:]
    return status, out


def mkfs(path, fat, kib, sector=512, cluster=None, root_entries=None, label=None):
    """A fresh image of kib KiB made by mkfs.fat."""
    path = Path(path)
    if path.exists():
        path.unlink()
    cmd = ["mkfs.fat", "-C", "-F", fat, "-S", sector, "-i", "12345678"]
    if cluster:
        cmd += ["-s", cluster]
    if root_entries:
        cmd += ["-r", root_entries]
    if label:
        cmd += ["-n", label]
    run(cmd + [path, kib])
    return path


def fill(image, src, new_dirs=()):
    """Copy the tree at src into the image's root with mcopy, then make new_dirs with mmd."""
    entries = sorted(os.listdir(src))
    run(["mcopy", "-s", "-i", image, *[Path(src) / e for e in entries], "::/"])
    for d in new_dirs:
        run(["mmd", "-i", image, "::" + d])


def tree(root, seed, cluster, big=True):
    """Write a test tree under root.  Returns {"/path": bytes}, the set of its
    directories ("" for the root), and empty directories left for fill() to
    make with mmd."""
    rng = random.Random(seed)
    files, dirs = {}, {""}

    def add(rel, data):
        path = Path(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files["/" + rel] = data

    add("readme.txt", b"hello from a plain 8.3 name in lower case\n")
    add("README2.TXT", rng.randbytes(700))
    add("Mixed Case Name.Text", rng.randbytes(3000))
    add("ReadMe.md", b"# mixed case, fits 8.3\n")
    add(".hidden", rng.randbytes(10))
    add("a very long file name that needs several long-name slots to hold it.data",
        rng.randbytes(5000))
    add("caf\u00e9 cr\u00e8me.txt", "caf\u00e9\n".encode())
    add("\u65e5\u672c\u8a9e\u306e\u30d5\u30a1\u30a4\u30eb.txt", rng.randbytes(100))
    add("a.b.c.d", rng.randbytes(1))
    add("noext", rng.randbytes(333))
    add("empty.bin", b"")
    add("one cluster.bin", rng.randbytes(cluster))
    add("cluster plus one.bin", rng.randbytes(cluster + 1))
    if big:
        add("big/Large File.bin", rng.randbytes(3 * 512 * 1024 + 77))
    add("bin/hello", rng.randbytes(20000))
    add("etc/motd", b"Welcome to kestrel.\n")
    add("etc/hosts", b"127.0.0.1 localhost\n")
    add("Dir One/Sub Two/deep three/four/file at depth.txt", rng.randbytes(1234))
    for i in range(60):
        add("many/file number {:03d} with a long name.txt".format(i),
            rng.randbytes(rng.randrange(0, 2000)))
    for p in Path(root).rglob("*"):
        if p.is_dir():
            dirs.add("/" + str(p.relative_to(root)))
    empty = ["/empty dir", "/Dir One/Empty"]
    return files, dirs | set(empty), empty


MDIR_LINE = re.compile(r"^(.{8}) (.{3}) (.{9}) (\d{4}-\d\d-\d\d) +(\d+):(\d\d)(.*)$")


def mdir_listing(image):
    """{"/dir": [(name, SHORT, is_dir, size or None, "YYYY-MM-DD HH:MM")]} as mdir lists them."""
    _, text = run(["mdir", "-/", "-a", "-i", image, "::"])
    listing, cur = {}, None
    for line in text.split("\n"):
        if line.startswith("Directory for ::"):
            cur = line[len("Directory for ::"):].rstrip("/")
            listing[cur] = []
            continue
        m = MDIR_LINE.match(line)
        if m is None or cur is None:
            continue
        base, ext, size, date, hh, mm, rest = m.groups()
        short = base.rstrip() + ("." + ext.rstrip() if ext.strip() else "")
        if short in (".", ".."):
            continue
        name = rest[2:] if rest.startswith("  ") else short
        is_dir = size.strip() == "<DIR>"
        short = "".join(c if c.isascii() else "?" for c in short.upper())
        listing[cur].append((name, short, is_dir, None if is_dir else int(size),
                             "{} {:02d}:{}".format(date, int(hh), mm)))
    return listing


def tool_listing(lines):
    """The same shape from fattool's "node" lines."""
    listing = {"": []}
    for line in lines:
        f = line.split("\t")
        if f[0] != "node":
            continue
        path, kind, size, short, mtime = f[1], f[2], int(f[3]), f[4], int(f[5])
        parent = path.rsplit("/", 1)[0]
        if kind == "d":
            listing.setdefault(path, [])
        listing.setdefault(parent, []).append(
            (path.rsplit("/", 1)[1], short, kind == "d", None if kind == "d" else size,
             time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))))
    return listing


def fsck(image):
    """fsck.fat -n: (status, output lines after its version line)."""
    done = subprocess.run(["fsck.fat", "-n", str(image)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=ENV, timeout=TIMEOUT)
    lines = done.stdout.decode("utf-8", "replace").strip().split("\n")
    return done.returncode, [l for l in lines if not l.startswith("fsck.fat ")]


def mtype(image, path):
    done = subprocess.run(["mtype", "-i", str(image), "::" + path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=ENV, timeout=TIMEOUT)
    if done.returncode != 0:
        raise AssertionError("mtype {}: {}".format(path, done.stderr.decode()))
    return done.stdout


class Bpb:
    """The numbers of an image's boot sector, computed as the spec does."""

    def __init__(self, image):
        self.path = Path(image)
        b = self.path.read_bytes()[:512]
        self.bps, self.spc = struct.unpack_from("<HB", b, 11)
        self.rsvd, self.nfats, self.root_entries, tot16 = struct.unpack_from("<HBHH", b, 14)
        self.fatsz = struct.unpack_from("<H", b, 22)[0] or struct.unpack_from("<I", b, 36)[0]
        total = tot16 or struct.unpack_from("<I", b, 32)[0]
        root_sectors = (self.root_entries * 32 + self.bps - 1) // self.bps
        self.fat_offset = self.rsvd * self.bps
        self.root_offset = (self.rsvd + self.nfats * self.fatsz) * self.bps
        self.data_offset = self.root_offset + root_sectors * self.bps
        self.cluster_size = self.bps * self.spc
        self.clusters = (total - self.data_offset // self.bps) // self.spc
        self.type = 12 if self.clusters < 4085 else 16 if self.clusters < 65525 else 32
        self.fsinfo = struct.unpack_from("<H", b, 48)[0] if self.type == 32 else 0

    def fat_copies(self):
        data = self.path.read_bytes()
        size = self.fatsz * self.bps
        return [data[self.fat_offset + i * size:self.fat_offset + (i + 1) * size]
                for i in range(self.nfats)]

    def fsinfo_free(self):
        data = self.path.read_bytes()
        return struct.unpack_from("<I", data, self.fsinfo * self.bps + 488)[0]

    def get(self, data, n):
        fat = self.fat_offset
        if self.type == 12:
            x = struct.unpack_from("<H", data, fat + n + n // 2)[0]
            return x >> 4 if n & 1 else x & 0xFFF
        if self.type == 16:
            return struct.unpack_from("<H", data, fat + 2 * n)[0]
        return struct.unpack_from("<I", data, fat + 4 * n)[0] & 0x0FFFFFFF

    def set(self, data, n, value):
        """Set FAT entry n in every copy of bytearray data."""
        for i in range(self.nfats):
            fat = self.fat_offset + i * self.fatsz * self.bps
            if self.type == 12:
                x = struct.unpack_from("<H", data, fat + n + n // 2)[0]
                x = (x & 0xF) | (value << 4) if n & 1 else (x & 0xF000) | (value & 0xFFF)
                struct.pack_into("<H", data, fat + n + n // 2, x)
            elif self.type == 16:
                struct.pack_into("<H", data, fat + 2 * n, value)
            else:
                struct.pack_into("<I", data, fat + 4 * n, value)

    def eoc(self):
        return {12: 0xFFF, 16: 0xFFFF, 32: 0x0FFFFFFF}[self.type]

    def entry_cluster(self, data, entry):
        hi = struct.unpack_from("<H", data, entry + 20)[0] if self.type == 32 else 0
        return hi << 16 | struct.unpack_from("<H", data, entry + 26)[0]

    def set_entry_cluster(self, data, entry, c):
        struct.pack_into("<H", data, entry + 26, c & 0xFFFF)
        if self.type == 32:
            struct.pack_into("<H", data, entry + 20, c >> 16)

    def chain(self, data, first):
        out = [first]
        while True:
            n = self.get(data, out[-1])
            if n >= self.eoc() - 7 or len(out) > self.clusters:
                return out
            out.append(n)
