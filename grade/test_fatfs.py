"""Host tests of the FAT library of the ramdisk server (user/fatfs).

The library is compiled for the host under AddressSanitizer and
UndefinedBehaviorSanitizer (grade/host/fatimg.py builds build/fatfs/fattool,
which runs scripts of library calls on an image file, and
build/fatfs/fat_unit, the unit tests of the name and time rules).  Images
come from mkfs.fat (FAT12, FAT16, FAT32; clusters of 512 B to 8 KiB; 512-
and 4096-byte sectors) filled by mcopy and mmd, and the checks are:

- Reading: every file byte-identical to its source, every directory listed
  as mdir lists it (order, long and 8.3 names, sizes, times).
- Writing: random creates, writes (with holes), truncates, renames (across
  directories, over files and empty directories), unlinks, mkdirs and
  rmdirs, each result checked against a model of the tree, errno included;
  then fsck.fat -n reports nothing, mdir and mtype read back the model, the
  FAT copies are identical and FSInfo's free count is the true one.
- Names, times, node ids, readdir offsets, running out of space.
- Bad images: truncated, bad boot sector fields, chains that loop or leave
  the volume, entries pointing outside, random corruption: mount refused
  with a reason or EIO for the bad file, never a sanitizer report or a hang.
- The library compiles alone with strict flags, with the host's headers and
  (when build/sysroot exists) the OS's musl headers, including only
  standard C headers.
"""
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "host"))
import fatimg  # noqa: E402
from fatimg import Bpb, fsck, tool  # noqa: E402

# (FAT type, KiB, bytes per sector, sectors per cluster, label)
IMAGES = [
    (12, 1440, 512, 1, None),
    (12, 4096, 512, 4, "KESTREL"),
    (16, 16384, 512, 4, None),
    (16, 20480, 4096, 1, None),
    (16, 40960, 512, 16, None),
    (32, 40960, 512, 1, None),
    (32, 73728, 512, 2, "FAT32VOL"),
]
EIO, ENOENT, EEXIST, ENOTDIR, EISDIR, EINVAL, ENOSPC = -5, -2, -17, -20, -21, -22, -28
ENAMETOOLONG, ENOTEMPTY = -36, -39
tmp = None
images = {}


def setUpModule():
    global tmp
    fatimg.build()
    tmp = Path(tempfile.mkdtemp(prefix="fatfs-test."))
    for n, (fat, kib, bps, spc, label) in enumerate(IMAGES):
        src = tmp / "src{}".format(n)
        files, dirs, empty = fatimg.tree(src, seed=n, cluster=bps * spc, big=kib > 1440)
        image = fatimg.mkfs(tmp / "orig{}.img".format(n), fat, kib, bps, spc, label=label)
        fatimg.fill(image, src, empty)
        images[n] = (image, src, files, dirs)


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


def copy_image(n, name):
    dst = tmp / name
    shutil.copyfile(images[n][0], dst)
    return dst


def clean_fsck(case, image):
    status, lines = fsck(image)
    case.assertEqual(status, 0, "\n".join(lines))
    case.assertEqual(len(lines), 1, "fsck.fat -n reported:\n" + "\n".join(lines))
    return lines[0]


class Build(unittest.TestCase):
    def test_unit(self):
        _, text = fatimg.run([fatimg.FAT_UNIT])
        self.assertRegex(text.strip().split("\n")[-1], r"^fat_unit: [1-9]\d* checks, 0 failed$")

    def test_strict_compile(self):
        """Each library file alone: strict C11, and against musl if the sysroot is built."""
        lib = sorted(fatimg.SRC.glob("*.c"))
        self.assertGreaterEqual(len(lib), 6)
        strict = ["-std=c11", "-Wpedantic", "-Wall", "-Wextra", "-Werror", "-O2", "-c",
                  "-o", "/dev/null"]
        sysroot = fatimg.ROOT / "build" / "sysroot" / "include"
        gcc_include = fatimg.run([fatimg.CC, "-print-file-name=include"])[1].strip()
        musl = ["-nostdinc", "-isystem", sysroot, "-isystem", gcc_include, "-std=gnu11",
                "-Wall", "-Wextra", "-Werror", "-O2", "-fno-pie", "-fstack-protector-strong",
                "-c", "-o", "/dev/null"]
        for c in lib:
            with self.subTest(file=c.name):
                fatimg.run([fatimg.CC, *strict, c])
                if sysroot.is_dir():
                    fatimg.run([fatimg.CC, *musl, c])

    def test_headers(self):
        """Only standard C headers and errno.h: nothing the OS's musl would lack."""
        allowed = {"errno.h", "stdarg.h", "stddef.h", "stdint.h", "stdio.h", "string.h"}
        for f in sorted(fatimg.SRC.glob("*.[ch]")):
            for inc in re.findall(r'^#include [<"]([^>"]+)[>"]', f.read_text(), re.M):
                with self.subTest(file=f.name, include=inc):
                    self.assertTrue(inc in allowed or inc.startswith("fat"), inc)


class Read(unittest.TestCase):
    def test_read_every_image(self):
        for n, (fat, kib, bps, spc, label) in enumerate(IMAGES):
            with self.subTest(fat=fat, kib=kib, sector=bps, cluster=bps * spc):
                self.check_image(n, fat)

    def check_image(self, n, fat):
        image, src, files, dirs = images[n]
        out = tmp / "out{}".format(n)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        status, lines = tool(image, ["tree\t" + str(out), "statfs"])
        self.assertEqual([l for l in lines if l.startswith("bad")], [])
        got = {"/" + str(p.relative_to(out)): p.read_bytes()
               for p in out.rglob("*") if p.is_file()}
        self.assertEqual(sorted(got), sorted(files))
        for path, data in files.items():
            self.assertEqual(got[path], data, path)
        self.assertEqual({"/" + str(p.relative_to(out)) for p in out.rglob("*")
                          if p.is_dir()} | {""}, dirs)
        self.assertEqual(fatimg.tool_listing(lines), fatimg.mdir_listing(image))
        # statfs agrees with fsck.fat's count of used clusters.
        summary = clean_fsck(self, image)
        used, total = map(int, re.search(r"(\d+)/(\d+) clusters", summary).groups())
        clusters, free, _ = map(int, lines[-1].split("\t")[1:])
        self.assertEqual((clusters, free), (total, total - used))
        self.assertIn("mounted FAT{}".format(fat), fatimg.run(
            [fatimg.FATTOOL, image], input=b"")[1])


def fold(name):
    """The library's name matching: ASCII letters regardless of case."""
    return "".join(c.lower() if c.isascii() else c for c in name)


class Node:
    def __init__(self, kind, data=b"", now=None):
        self.kind, self.data = kind, bytearray(data)
        self.ctime = self.mtime = self.atime = None
        if now is not None:
            self.ctime, self.mtime, self.atime = now, now - now % 2, now - now % 86400


class Model:
    """What the tree should hold after each operation, and what each returns."""

    def __init__(self, files, dirs, cluster):
        self.nodes = {d: Node("d") for d in dirs}
        self.nodes.update({p: Node("f", data) for p, data in files.items()})
        self.cluster = cluster
        self.now = 1700000001

    def children(self, d):
        return [p for p in self.nodes if p and p.rsplit("/", 1)[0] == d]

    def find(self, path):
        """(stored path or None, error of the walk to its parent)."""
        if path == "":
            return "", 0
        parent, name = path.rsplit("/", 1)
        sp, err = self.find(parent)
        if err or sp is None:
            return None, err or ENOENT
        if self.nodes[sp].kind != "d":
            return None, ENOTDIR
        for p in self.children(sp):
            if fold(p.rsplit("/", 1)[1]) == fold(name):
                return p, 0
        return None, 0

    def touch(self, d):
        if d:
            self.nodes[d].mtime = self.now - self.now % 2

    def stamp(self, node):
        node.mtime, node.atime = self.now - self.now % 2, self.now - self.now % 86400

    def create(self, path, kind):
        parent, name = path.rsplit("/", 1)
        sp, err = self.find(path)
        if err or sp is not None:
            return err or EEXIST
        sparent = self.find(parent)[0]
        self.nodes[sparent + "/" + name] = Node(kind, now=self.now)
        self.touch(sparent)
        return 0

    def file_op(self, path, change):
        sp, err = self.find(path)
        if err or sp is None:
            return err or ENOENT
        node = self.nodes[sp]
        if node.kind == "d":
            return EISDIR
        return change(node)

    def write(self, path, off, data):
        def change(node):
            if len(node.data) < off:
                node.data.extend(bytes(off - len(node.data)))
            node.data[off:off + len(data)] = data
            self.stamp(node)
            return 0
        return self.file_op(path, change)

    def trunc(self, path, size):
        def change(node):
            if size != len(node.data):
                node.data = node.data[:size] + bytes(max(0, size - len(node.data)))
                self.stamp(node)
            return 0
        return self.file_op(path, change)

    def put(self, path, data):
        sp, err = self.find(path)
        if err:
            return err
        if sp is None:
            self.create(path, "f")
        elif self.nodes[sp].kind == "d":
            return EISDIR
        self.trunc(path, 0)
        return self.write(path, 0, data) if data else 0

    def read(self, path, off, n):
        sp, err = self.find(path)
        node = self.nodes[sp]
        if off < len(node.data):
            node.atime = self.now - self.now % 86400
        return node.data[off:off + n]

    def remove(self, path, kind):
        sp, err = self.find(path)
        if err or sp is None:
            return err or ENOENT
        if self.nodes[sp].kind != kind:
            return EISDIR if kind == "f" else ENOTDIR
        if self.children(sp):
            return ENOTEMPTY
        del self.nodes[sp]
        self.touch(sp.rsplit("/", 1)[0])
        return 0

    def rename(self, a, b):
        sa, err = self.find(a)
        if err:
            return err
        sb, err = self.find(b)
        if err:
            return err
        if sa is None:
            return ENOENT
        src = self.nodes[sa]
        new = self.find(b.rsplit("/", 1)[0])[0] + "/" + b.rsplit("/", 1)[1]
        if sb == sa and new == sa:
            return 0
        if sb is not None and sb != sa:
            dst = self.nodes[sb]
            if src.kind != dst.kind:
                return ENOTDIR if src.kind == "d" else EISDIR
            if self.children(sb):
                return ENOTEMPTY
        pa, pb = sa.rsplit("/", 1)[0], new.rsplit("/", 1)[0]
        if src.kind == "d" and pa != pb and (pb == sa or pb.startswith(sa + "/")):
            return EINVAL
        if sb is not None and sb != sa:
            del self.nodes[sb]
        for p in sorted(self.nodes):
            if p == sa or p.startswith(sa + "/"):
                self.nodes[new + p[len(sa):]] = self.nodes.pop(p)
        self.touch(pa)
        self.touch(pb)
        return 0

    def nlink(self, d):
        return 2 + sum(self.nodes[p].kind == "d" for p in self.children(d))


NAMES = ["a.txt", "A.TXT", "Report 2024.pdf", "notes", "NOTES.md", "x", "data.tar.gz",
         "\u00dcn\u00efc\u00f6d\u00e9.txt", "\u65e5\u672c.txt", "lower", "UPPER", "MiXeD",
         "long name with spaces and more than thirteen characters.text", "file.with.dots",
         ".dotfile", "\U0001F600 smile", "sub", "Sub Dir", "readme.txt", "z" * 100]


def mtools_name(name):
    """mtools 4.0 shows each half of a UTF-16 surrogate pair as '_'."""
    return re.sub("[\U00010000-\U0010FFFF]", "__", name)


class Write(unittest.TestCase):
    def test_random_operations(self):
        for n, (fat, kib, bps, spc, label) in enumerate(IMAGES):
            with self.subTest(fat=fat, kib=kib, sector=bps, cluster=bps * spc):
                self.random_run(n, bps * spc, seed=100 + n)

    def random_run(self, n, cluster, seed):
        rng = random.Random(seed)
        _, _, files, dirs = images[n]
        image = copy_image(n, "write{}.img".format(n))
        model = Model(files, dirs, cluster)
        host = tmp / "data{}".format(n)
        script, expect = [], []

        def do(line, result):
            script.append("time\t{}".format(model.now))
            expect.append("ok")
            script.append(line)
            expect.append("ok" if result == 0 else "err {}".format(result))

        def some_dir(root_ok=False):
            ds = [p for p, node in model.nodes.items() if node.kind == "d" and (p or root_ok)]
            return rng.choice(sorted(ds))

        def some_node():
            return rng.choice(sorted(p for p in model.nodes if p))

        for d in ("/work", "/work/one", "/work/two"):
            model.now += 1
            do("mkdir\t" + d, model.create(d, "d"))
        for i in range(160):
            model.now += rng.choice([1, 2, 3, 59, 3600, 86400 * 3 + 1])
            op = rng.choice(["create", "mkdir", "put", "put", "write", "write", "trunc",
                             "rm", "rmdir", "mv", "mv", "mv", "read", "stat"])
            path = some_dir() + "/" + rng.choice(NAMES)
            if rng.random() < 0.05:
                path = "/no such dir/" + rng.choice(NAMES)
            if op in ("create", "mkdir"):
                do("{}\t{}".format(op, path), model.create(path, "f" if op == "create" else "d"))
            elif op == "put":
                data = rng.randbytes(rng.choice([0, 1, 100, cluster, 3 * cluster + 5, 20000]))
                hostfile = host.with_suffix(".{}".format(i))
                hostfile.write_bytes(data)
                do("put\t{}\t{}\t{}".format(hostfile, path, rng.choice([1000, 4096, 65536])),
                   model.put(path, data))
            elif op in ("write", "trunc", "read", "stat"):
                path = some_node() if rng.random() < 0.9 else path
                if op == "write":
                    data = rng.randbytes(rng.randrange(1, 3 * cluster))
                    hostfile = host.with_suffix(".{}".format(i))
                    hostfile.write_bytes(data)
                    sp = model.find(path)[0]
                    size = len(model.nodes[sp].data) if sp else 0
                    off = rng.randrange(0, size + 2 * cluster)
                    do("write\t{}\t{}\t{}".format(path, off, hostfile),
                       model.write(path, off, data))
                elif op == "trunc":
                    size = rng.choice([0, 1, cluster, cluster + 1, rng.randrange(0, 50000)])
                    do("trunc\t{}\t{}".format(path, size), model.trunc(path, size))
                else:
                    sp, err = model.find(path)
                    if sp is None or model.nodes[sp].kind != "f" or model.nodes[sp].ctime is None:
                        continue
                    script.append("time\t{}".format(model.now))
                    expect.append("ok")
                    node = model.nodes[sp]
                    if op == "read":
                        off, count = rng.randrange(0, len(node.data) + 2), rng.randrange(1, 4000)
                        data = model.read(sp, off, count)
                        script.append("read\t{}\t{}\t{}".format(path, off, count))
                        expect.append("ok\t{}\t{}".format(len(data), data.hex()))
                    else:
                        size = len(node.data)
                        blocks = -(-size // cluster) * cluster // 512
                        script.append("stat\t" + path)
                        expect.append("ok\t{}\t100644\t1\t{}\t{}\t{}\t{}".format(
                            size, node.atime, node.mtime, node.ctime, blocks))
            elif op in ("rm", "rmdir"):
                path = some_node() if rng.random() < 0.7 else path
                do("{}\t{}".format(op, path), model.remove(path, "f" if op == "rm" else "d"))
            else:
                a = some_node()
                if rng.random() < 0.15:
                    b = a.rsplit("/", 1)[0] + "/" + a.rsplit("/", 1)[1].swapcase()
                elif rng.random() < 0.2:
                    b = some_node()
                else:
                    b = path
                do("mv\t{}\t{}".format(a, b), model.rename(a, b))
        status, lines = tool(image, script)
        for k, (line, want, got) in enumerate(zip(script, expect, lines)):
            self.assertEqual(got, want, "command {}: {}".format(k, line))
        self.assertEqual(len(lines), len(expect))
        self.verify(image, model)

    def verify(self, image, model):
        """fsck, FAT copies, FSInfo, then the model through fattool, mdir and mtype."""
        summary = clean_fsck(self, image)
        bpb = Bpb(image)
        copies = bpb.fat_copies()
        self.assertTrue(all(c == copies[0] for c in copies), "FAT copies differ")
        used, total = map(int, re.search(r"(\d+)/(\d+) clusters", summary).groups())
        out = tmp / "verify"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        status, lines = tool(image, ["tree\t" + str(out), "statfs"])
        self.assertEqual(int(lines[-1].split("\t")[2]), total - used)
        if bpb.type == 32:
            self.assertEqual(bpb.fsinfo_free(), total - used)
        self.assertEqual(lines[-2], "ok")
        nodes = {}
        for line in lines[:-2]:
            f = line.split("\t")
            self.assertEqual(f[0], "node", line)
            nodes[f[1]] = (f[2], int(f[3]), int(f[5]))
        self.assertEqual(sorted(nodes), sorted(p for p in model.nodes if p))
        for p, node in model.nodes.items():
            if not p:
                continue
            kind, size, mtime = nodes[p]
            self.assertEqual(kind, node.kind, p)
            if node.kind == "f":
                self.assertEqual(size, len(node.data), p)
                self.assertEqual((out / p[1:]).read_bytes(), node.data, p)
            if node.mtime is not None:
                self.assertEqual(mtime, node.mtime, p)
        listing = fatimg.mdir_listing(image)
        for d, node in model.nodes.items():
            if node.kind != "d":
                continue
            want = sorted((mtools_name(c.rsplit("/", 1)[1]), model.nodes[c].kind == "d",
                           None if model.nodes[c].kind == "d" else len(model.nodes[c].data))
                          for c in model.children(d))
            self.assertEqual(sorted(e[:1] + e[2:4] for e in listing[mtools_name(d)]), want, d)
            mtimes = {e[0]: e[4] for e in listing[mtools_name(d)]}
            for p in model.children(d):
                node = model.nodes[p]
                if node.mtime is not None:
                    self.assertEqual(mtimes[mtools_name(p.rsplit("/", 1)[1])], time.strftime(
                        "%Y-%m-%d %H:%M", time.gmtime(node.mtime)), p)
                if node.kind == "f" and mtools_name(p) == p:  # else mtype cannot name it
                    self.assertEqual(fatimg.mtype(image, p), bytes(node.data), p)


if __name__ == "__main__":
    unittest.main()
