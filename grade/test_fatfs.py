"""Host tests of the FAT library of the ramdisk server (user/fatfs).

The library is compiled for the host under AddressSanitizer and
UndefinedBehaviorSanitizer (grade/host/fatimg.py builds build/fatfs/fattool,
which runs scripts of library calls on an image file, build/fatfs/fat_unit,
the unit tests of the name and time rules, and build/fatfs/fat_fuzz, which
mounts thousands of damaged copies of an image; their sources are in
user/fatfs/test/).  grade/host/fatmodel.py holds the model of a tree that
random scripts are checked against.  Images
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
  with a reason or EIO for the bad file, never a sanitizer report or a hang
  (every program runs under a timeout).

Run alone: python3 -m unittest discover -s grade -p 'test_fatfs.py' -v
- The library compiles alone with strict flags, with the host's headers and
  (when build/sysroot exists) the OS's musl headers, including only
  standard C headers.
"""
import random
import re
import shutil
import struct
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "host"))
import fatimg  # noqa: E402
from fatimg import Bpb, fsck, tool  # noqa: E402
from fatmodel import Model, mtools_name, random_script  # noqa: E402

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
tmp = None
images = {}


# Small images for the mount refusals: index into IMAGES, or "r12" "r16" "r32".
SMALL = {"r12": (12, 1440, 1), "r16": (16, 2600, 1), "r32": (32, 34000, 1)}


def setUpModule():
    global tmp
    fatimg.build()
    tmp = Path(tempfile.mkdtemp(prefix="fatfs-test."))
    for key, (fat, kib, spc) in SMALL.items():
        images[key] = (fatimg.mkfs(tmp / (key + ".img"), fat, kib, 512, spc), None, None, None)
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
        lib = sorted(fatimg.SRC.glob("fat*.c"))
        self.assertGreaterEqual(len(lib), 6)
        strict = ["-std=c11", "-Wpedantic", "-Wall", "-Wextra", "-Werror", "-O2", "-c",
                  "-o", "/dev/null"]
        sysroot = fatimg.ROOT / "build" / "sysroot" / "include"
        gcc_include = fatimg.run([fatimg.CC, "-print-file-name=include"])[1].strip()
        # USER_CFLAGS of libc/libc.mk: what the FAT server will be built with.
        musl = ["-nostdinc", "-isystem", sysroot, "-isystem", gcc_include, "-Wall", "-Wextra",
                "-Werror", "-O2", "-g", "-fno-pie", "-fstack-protector-strong", "-c", "-o",
                "/dev/null"]
        for c in lib:
            with self.subTest(file=c.name):
                fatimg.run([fatimg.CC, *strict, c])
                if sysroot.is_dir():
                    fatimg.run([fatimg.CC, *musl, c])

    def test_headers(self):
        """Only standard C headers and errno.h: nothing the OS's musl would lack."""
        allowed = {"errno.h", "stdarg.h", "stddef.h", "stdint.h", "stdio.h", "string.h"}
        for f in sorted(fatimg.SRC.glob("fat*.[ch]")):
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


class Write(unittest.TestCase):
    def test_random_operations(self):
        for n, (fat, kib, bps, spc, label) in enumerate(IMAGES):
            with self.subTest(fat=fat, kib=kib, sector=bps, cluster=bps * spc):
                self.random_run(n, bps * spc, seed=100 + n)

    def random_run(self, n, cluster, seed):
        _, _, files, dirs = images[n]
        image = copy_image(n, "write{}.img".format(n))
        model = Model(files, dirs, cluster)
        script, expect = random_script(model, random.Random(seed), tmp / "data{}".format(n))
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
                # What the library wrote (mtype cannot name characters past U+FFFF).
                if node.kind == "f" and node.mtime is not None and mtools_name(p) == p:
                    self.assertEqual(fatimg.mtype(image, p), bytes(node.data), p)


def fresh(name, fat=12, kib=4096, bps=512, spc=4, root_entries=None):
    return fatimg.mkfs(tmp / name, fat, kib, bps, spc, root_entries=root_entries)


def entries(lines):
    """fattool's "entry" lines as (name, short name, mode, id, next offset)."""
    out = []
    for line in lines:
        f = line.split("\t")
        if f[0] == "entry":
            out.append((f[1], f[2], int(f[3], 8), int(f[4]), int(f[5])))
    return out


def ok_lines(case, lines, script):
    """Every command of a script printed "ok" (or more than one line, a listing)."""
    for line, out in zip(script, lines):
        case.assertFalse(out.startswith("err"), "{} -> {}".format(line, out))


LONG_NAMES = ["Long File Name {}.txt".format(i) for i in range(1, 13)]
# (name, 8.3 name it gets, slots it takes)
NAME_CASES = [
    ("lower.txt", "LOWER.TXT", 1),
    ("UPPER.TXT", "UPPER.TXT", 1),
    ("Mixed.TXT", "MIXED.TXT", 2),
    ("readme", "README", 1),
    (".profile", "PROFIL~1", 2),
    ("data.tar.gz", "DATA~1.GZ", 2),
    ("a+b.txt", "A_B~1.TXT", 2),
    ("caf\u00e9.txt", "CAF_~1.TXT", 2),
    ("name with spaces.text", "NAMEWI~1.TEX", 3),
    ("Collide Name 2.txt", "COLLID~2.TXT", 3),
    ("x" * 255, "XXXXXX~1", 21),
    ("\U0001F600 smile", "_SMILE~1", 2),
    ("\u65e5" * 255, "______~1", 21),
] + [(n, "LONGFI~{}.TXT".format(i) if i < 10 else "LONGF~{}.TXT".format(i), 3)
     for i, n in enumerate(LONG_NAMES, 1)]


class Names(unittest.TestCase):
    def test_names(self):
        image = fresh("names.img")
        host = tmp / "Collide Name.txt"
        host.write_bytes(b"made by mcopy, alias COLLID~1.TXT\n")
        fatimg.run(["mmd", "-i", image, "::/n"])
        fatimg.run(["mcopy", "-i", image, host, "::/n/"])
        script = ["create\t/n/" + n for n, _, _ in NAME_CASES] + ["ls\t/n"]
        status, lines = tool(image, script)
        ok_lines(self, lines, script)
        got = entries(lines)[3:]  # after ".", "..", and mcopy's file
        self.assertEqual([(e[0], e[1]) for e in got], [(n, s) for n, s, _ in NAME_CASES])
        prev = entries(lines)[2][4]
        for (name, _, slots), e in zip(NAME_CASES, got):
            self.assertEqual(e[4] - prev, slots, name)
            prev = e[4]
        clean_fsck(self, image)
        listing = fatimg.mdir_listing(image)["/n"]
        self.assertEqual([(mtools_name(n), s) for n, s, _ in NAME_CASES],
                         [(e[0], e[1]) for e in listing[1:]])
        ids = {e[0]: e[3] for e in entries(lines)}
        checks = [  # (command, expected output)
            ("lookup\t/n\tLOWER.TXT", "ok\t{}".format(ids["lower.txt"])),
            ("lookup\t/n\tlongfi~3.txt", "ok\t{}".format(ids[LONG_NAMES[2]])),
            ("lookup\t/n\tDATA~1.GZ", "ok\t{}".format(ids["data.tar.gz"])),
            ("lookup\t/n\treadme...", "ok\t{}".format(ids["readme"])),
            ("lookup\t/n\t\u00c9", "err -2"),
            ("create\t/n/lower.TXT", "err -17"),
            ("create\t/n/longfi~1.txt", "err -17"),
            ("mkdir\t/n/collid~1.txt", "err -17"),
            ("create\t/n/bad:name", "err -22"),
            ("create\t/n/bad*name", "err -22"),
            ("create\t/n/trailing ", "err -22"),
            ("create\t/n/.", "err -22"),
            ("mkdir\t/n/..", "err -22"),
            ("create\t/n/" + "y" * 256, "err -36"),
            ("create\t/n/" + "\u65e5" * 256, "err -36"),
            ("create\t/n/dots...", "ok"),
            ("lookup\t/n\tdots.", "ok\t"),
            ("create\t/n/\udcff", "err -22"),  # the byte 0xFF: not UTF-8
        ]
        status, lines = tool(image, [c for c, _ in checks] + ["ls\t/n"])
        for (command, want), got in zip(checks, lines):
            if want == "ok\t":
                self.assertTrue(got.startswith("ok\t"), command)
            else:
                self.assertEqual(got, want, command)
        self.assertIn("dots", [e[0] for e in entries(lines)])
        clean_fsck(self, image)


class Times(unittest.TestCase):
    def test_times_modes_links(self):
        image = fresh("times.img")
        data = tmp / "hundred"
        data.write_bytes(bytes(range(100)))
        day = 86400
        script = [
            "time\t1709000000", "mkdir\t/t",
            "time\t1709214359", "create\t/t/f", "stat\t/t/f", "stat\t/t",
            "time\t1709300001", "write\t/t/f\t0\t" + str(data), "stat\t/t/f",
            "time\t1709400000", "read\t/t/f\t98\t10", "stat\t/t/f",
            "times\t/t/f\t1600000000\t1650000001", "stat\t/t/f",
            "time\t100", "create\t/t/old", "stat\t/t/old",
            "time\t5000000000", "create\t/t/future", "stat\t/t/future",
            "chmod\t/t/f\t444", "stat\t/t/f", "chmod\t/t/f\t644", "stat\t/t/f",
            "mkdir\t/t/d1", "mkdir\t/t/d2", "stat\t/t", "stat\t/",
        ]
        status, lines = tool(image, script)
        ok_lines(self, lines, script)
        stats = [l.split("\t")[1:] for l in lines if l.startswith("ok\t") and l.count("\t") == 7]
        f = [[int(st[0]), int(st[1], 8)] + [int(x) for x in st[2:]] for st in stats]
        # size, mode, nlink, atime, mtime, ctime, blocks
        self.assertEqual(f[0], [0, 0o100644, 1, 1709164800, 1709214358, 1709214359, 0])
        self.assertEqual(f[1][1:3], [0o40755, 2])
        self.assertEqual(f[1][4], 1709214358)  # the directory changed when f was made
        self.assertEqual(f[2], [100, 0o100644, 1, 1709300001 // day * day, 1709300000,
                                1709214359, 4])
        self.assertEqual(f[3][3:5], [1709400000 // day * day, 1709300000])
        self.assertEqual(f[4][3:5], [1600000000 // day * day, 1650000000])
        self.assertEqual(f[5][3:6], [315532800] * 3)
        self.assertEqual(f[6][4:6], [4354819198] * 2)
        self.assertEqual((f[7][1], f[8][1]), (0o100444, 0o100644))
        self.assertEqual(f[9][1:3], [0o40755, 4])
        self.assertEqual(f[10][1:3], [0o40755, 3])
        self.assertIn("ok\t2\t6263", lines)  # bytes 98 and 99
        listing = {e[0]: e for e in fatimg.mdir_listing(image)["/t"]}
        self.assertEqual(listing["f"][4], "2022-04-15 05:20")
        self.assertEqual(listing["old"][4], "1980-01-01 00:00")
        self.assertEqual(listing["future"][4], "2107-12-31 23:59")
        clean_fsck(self, image)


class Ids(unittest.TestCase):
    def test_ids_and_offsets(self):
        image = copy_image(2, "ids.img")
        status, lines = tool(image, ["ls\t/", "ls\t/many", "ls\t/Dir One", "ls\t/etc"])
        root, many, dir_one, etc = [], [], [], []
        groups = iter([root, many, dir_one, etc])
        current = None
        for line in lines:
            if line == "ok":
                current = None
                continue
            if current is None:
                current = next(groups)
            current.append(entries([line])[0])
        self.assertEqual([(e[0], e[3]) for e in root[:2]], [(".", 1), ("..", 1)])
        ids = {e[0]: e[3] for e in root}
        self.assertEqual((many[0][3], many[1][3]), (ids["many"], 1))
        motd = {e[0]: e[3] for e in etc}["motd"]
        data = tmp / "seven"
        data.write_bytes(b"1234567")
        target = many[12]
        script = [
            "lookup\t/\t.", "lookup\t/\t..", "lookup\t/many\t..", "lookup\t/Dir One/Sub Two\t..",
            "lookup\t/many\t" + target[0], "statid\t{}".format(motd),
            "write\t/etc/motd\t100\t" + str(data), "statid\t{}".format(motd),
            "mv\t/etc/motd\t/bin/motd2", "statid\t{}".format(motd), "lookup\t/bin\tmotd2",
            "readdir\t/many\t{}".format(many[11][4]),
            "rm\t/many/" + many[5][0], "readdir\t/many\t{}".format(many[11][4]),
            "readdir\t/many\t{}".format(many[-1][4]), "statid\t1",
        ]
        status, lines = tool(image, script)
        self.assertEqual(lines[0:5], ["ok\t1", "ok\t1", "ok\t1", "ok\t{}".format(ids["Dir One"]),
                                      "ok\t{}".format(target[3])])
        self.assertTrue(lines[5].startswith("ok\t20\t100644\t1\t"), lines[5])
        self.assertEqual(lines[6], "ok")
        self.assertTrue(lines[7].startswith("ok\t107\t"), lines[7])
        self.assertEqual(lines[8:10], ["ok", "err -2"])
        new_id = int(lines[10].split("\t")[1])
        self.assertNotEqual(new_id, motd)
        self.assertEqual(entries([lines[11]])[0], target)
        self.assertEqual(lines[12], "ok")
        self.assertEqual(entries([lines[13]])[0], target)
        self.assertEqual(lines[14], "end")
        self.assertTrue(lines[15].startswith("ok\t"), lines[15])
        status, lines = tool(image, ["statid\t{}".format(new_id), "get\t/bin/motd2\t" +
                                     str(tmp / "motd2")])
        self.assertTrue(lines[0].startswith("ok\t107\t"))
        self.assertEqual((tmp / "motd2").read_bytes(),
                         b"Welcome to kestrel.\n" + bytes(80) + b"1234567")
        clean_fsck(self, image)


def statfs(image):
    status, lines = tool(image, ["statfs"])
    return tuple(map(int, lines[0].split("\t")[1:]))


class Space(unittest.TestCase):
    def test_volume_full(self):
        image = fresh("full.img", fat=12, kib=256, spc=1)
        _, free, cs = statfs(image)
        blob = tmp / "blob"
        blob.write_bytes(random.Random(1).randbytes(20480))
        need = -(-20480 // cs)
        script, expect, left = [], [], free
        for i in range(free // need + 2):
            script.append("put\t{}\t/f{}\t4096".format(blob, i))
            expect.append("ok" if left >= need else "err -28")
            left -= need if left >= need else 0
        last = "/f{}".format(free // need + 1)
        script += ["stat\t" + last, "trunc\t/f0\t9999999", "stat\t/f0", "rm\t/f0",
                   "put\t{}\t{}\t4096".format(blob, last), "statfs"]
        status, lines = tool(image, script)
        self.assertEqual(lines[:len(expect)], expect)
        rest = lines[len(expect):]
        self.assertTrue(rest[0].startswith("ok\t0\t"), rest[0])
        self.assertEqual(rest[1], "err -28")
        self.assertTrue(rest[2].startswith("ok\t20480\t"), rest[2])
        self.assertEqual(rest[3:5], ["ok", "ok"])
        summary = clean_fsck(self, image)
        used, total = map(int, re.search(r"(\d+)/(\d+) clusters", summary).groups())
        self.assertEqual(int(rest[5].split("\t")[2]), total - used)
        self.assertEqual(fatimg.mtype(image, last), blob.read_bytes())

    def test_fixed_root_full(self):
        image = fresh("root.img", fat=12, kib=1440, spc=1, root_entries=16)
        before = statfs(image)
        script = ["create\t/F{}".format(i) for i in range(17)]
        script += ["mkdir\t/D", "rm\t/F3", "create\t/Long name here.txt", "create\t/F3.TXT"]
        status, lines = tool(image, script)
        self.assertEqual(lines, ["ok"] * 16 + ["err -28", "err -28", "ok", "err -28", "ok"])
        self.assertEqual(statfs(image), before)
        clean_fsck(self, image)

    def test_directory_grows(self):
        image = fresh("grow.img", fat=16, kib=16384, spc=1)
        names = ["entry number {:03d} in a growing directory".format(i) for i in range(200)]
        script = ["mkdir\t/grow"] + ["create\t/grow/" + n for n in names]
        script += ["rm\t/grow/" + n for n in names[::2]]
        script += ["mkdir\t/grow/" + n.upper() for n in names[::4]]
        script += ["stat\t/grow"]
        status, lines = tool(image, script)
        ok_lines(self, lines, script)
        # 200 names of 4 slots and the dot entries: 51 clusters of 16 slots; the
        # new names fit in the runs the removed ones left.
        self.assertTrue(lines[-1].startswith("ok\t{}\t40755\t{}\t".format(51 * 512, 2 + 50)),
                        lines[-1])
        clean_fsck(self, image)
        status, lines = tool(image, ["tree"])
        self.assertEqual(fatimg.tool_listing(lines), fatimg.mdir_listing(image))
        self.assertEqual(len(fatimg.mdir_listing(image)["/grow"]), 150)


def patched(n, name, edits):
    """A copy of image n with edits: (offset, bytes) pairs or functions of (data, bpb)."""
    image = copy_image(n, name)
    data = bytearray(image.read_bytes())
    bpb = Bpb(image)
    for e in edits:
        if callable(e):
            e(data, bpb)
        else:
            data[e[0]:e[0] + len(e[1])] = e[1]
    image.write_bytes(data)
    return image


def u16(x):
    return struct.pack("<H", x)


def u32(x):
    return struct.pack("<I", x)


def cut(size):
    def edit(data, bpb):
        del data[size:]
    return edit


# (image, what is wrong, edits, words of the refusal)
REFUSALS = [
    ("r16", "signature", [(510, b"\0\0")], "signature"),
    ("r16", "jump", [(0, b"\0")], "jump instruction"),
    ("r16", "sector size 1000", [(11, u16(1000))], "bytes per sector 1000"),
    ("r16", "sector size 256", [(11, u16(256))], "bytes per sector 256"),
    ("r16", "sector size 8192", [(11, u16(8192))], "bytes per sector 8192"),
    ("r16", "cluster of 3 sectors", [(13, b"\3")], "sectors per cluster 3"),
    ("r16", "cluster of 0 sectors", [(13, b"\0")], "sectors per cluster 0"),
    ("r16", "no reserved sectors", [(14, u16(0))], "reserved sector count"),
    ("r16", "no FATs", [(16, b"\0")], "FAT count"),
    ("r16", "media byte", [(21, b"\x12")], "media byte"),
    ("r16", "no sectors", [(19, u16(0)), (32, u32(0))], "total sector count"),
    ("r16", "volume past the image", [(19, u16(0)), (32, u32(0xFFFFFFF0))], "image truncated"),
    ("r16", "FATs past the volume", [(22, u16(0x7FFF))], "do not add up"),
    ("r16", "no root directory", [(17, u16(0))], "no root directory entries"),
    ("r16", "FAT too small", [(22, u16(1))], "cannot hold"),
    ("r16", "FAT32 BPB, FAT16 count",
     [lambda d, b: d.__setitem__(slice(36, 40), u32(b.fatsz)), (22, u16(0)), (17, u16(0))],
     "FAT32 BPB"),
    ("r16", "label says FAT12", [(54, b"FAT12   ")], "declared FAT12"),
    ("r16", "FAT[0]", [lambda d, b: d.__setitem__(b.fat_offset, 0x12)], "FAT[0]"),
    ("r16", "no whole cluster",
     [(13, b"\2"), lambda d, b: d.__setitem__(slice(19, 21), u16(b.data_offset // b.bps + 1))],
     "no whole cluster"),
    ("r16", "empty image", [cut(0)], "smaller than a boot sector"),
    ("r16", "cut to 100 bytes", [cut(100)], "smaller than a boot sector"),
    ("r16", "cut to 1 MiB", [cut(1 << 20)], "image truncated"),
    ("r12", "label says FAT16", [(54, b"FAT16   ")], "declared FAT16"),
    ("r12", "cut in the FAT", [cut(1000)], "image truncated"),
    ("r32", "root cluster 0", [(44, u32(0))], "root cluster 0 out of range"),
    ("r32", "root cluster past the end", [(44, u32(0x0FFFFFF0))], "root cluster"),
    ("r32", "FAT32 version", [(42, u16(1))], "version"),
    ("r32", "active FAT 5 of 2", [(40, u16(0x85))], "active FAT"),
    ("r32", "FAT16 BPB, FAT32 count",
     [lambda d, b: d.__setitem__(slice(22, 24), u16(b.fatsz)), (17, u16(16))], "FAT32 count"),
    ("r32", "cut before the end", [cut(20 << 20)], "image truncated"),
]

BAD_FILES = ["/bin/hello", "/cluster plus one.bin", "/Mixed Case Name.Text", "/noext",
             "/a very long file name that needs several long-name slots to hold it.data",
             "/etc/hosts", "/Dir One", "/many"]


class Corrupt(unittest.TestCase):
    def test_refused(self):
        for n, what, edits, words in REFUSALS:
            with self.subTest(fat=SMALL[n][0], what=what):
                image = patched(n, "refuse.img", edits)
                status, lines = tool(image, ["tree"], ok=(2,))
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("refused: fat: "), lines[0])
                self.assertIn(words, lines[0])

    def test_bad_files(self):
        for n in (1, 2, 5):
            with self.subTest(fat=IMAGES[n][0], cluster=IMAGES[n][2] * IMAGES[n][3]):
                self.bad_files(n)

    def bad_files(self, n):
        image = copy_image(n, "bad.img")
        status, lines = tool(image, ["lookup\t{}\t{}".format(*p.rsplit("/", 1)) if
                                     p.count("/") > 1 else "lookup\t/\t" + p[1:]
                                     for p in BAD_FILES])
        entry = {p: int(l.split("\t")[1]) * 32 for p, l in zip(BAD_FILES, lines)}

        def chain(d, b, p):
            return b.chain(d, b.entry_cluster(d, entry[p]))

        def damage(d, b):
            c = chain(d, b, "/bin/hello")
            b.set(d, c[-1], c[0])                      # a loop
            b.set(d, chain(d, b, "/cluster plus one.bin")[0], b.clusters + 10)  # leaves
            b.set(d, chain(d, b, "/Mixed Case Name.Text")[0], b.eoc())  # ends too soon
            b.set(d, chain(d, b, BAD_FILES[4])[1], 0)  # a free cluster inside
            b.set_entry_cluster(d, entry["/noext"], b.clusters + 100)
            b.set_entry_cluster(d, entry["/etc/hosts"], 0)
            b.set_entry_cluster(d, entry["/Dir One"], b.clusters + 50)
            c = chain(d, b, "/many")
            b.set(d, c[-1], c[0])                      # a directory that loops
        image = patched(n, "bad.img", [damage])
        status, lines = tool(image, ["tree"])
        bad = {l.split("\t")[1].rstrip("/"): l.split("\t")[2] for l in lines
               if l.startswith("bad")}
        self.assertEqual(bad, {p: "-5" for p in BAD_FILES})
        script = ["write\t/bin/hello\t0\t" + str(tmp / "seven"), "trunc\t/bin/hello\t1",
                  "read\t/bin/hello\t0\t1", "create\t/many/new", "lookup\t/many\tnot there",
                  "stat\t/Dir One", "ls\t/Dir One", "rmdir\t/Dir One", "read\t/noext\t0\t1",
                  "read\t/etc/hosts\t0\t1", "rm\t/bin/hello", "read\t/etc/motd\t0\t7"]
        (tmp / "seven").write_bytes(b"1234567")
        status, lines = tool(image, script)
        self.assertEqual(lines, ["err -5"] * 10 + ["ok", "ok\t7\t" + b"Welcome".hex()])

    def test_fuzz(self):
        for n, runs in ((0, 500), (2, 150), (5, 50)):
            with self.subTest(fat=IMAGES[n][0], runs=runs):
                status, text = fatimg.run([fatimg.FAT_FUZZ, images[n][0], 1000 + n, runs],
                                          timeout=120)
                self.assertNotIn("Sanitizer", text)
                m = re.search(r"fat_fuzz: (\d+) runs, (\d+) mounted, (\d+) refused, "
                              r"(\d+) errors, 0 bad errnos$", text.strip())
                self.assertIsNotNone(m, text[-2000:])
                self.assertEqual(int(m.group(1)), runs)
                self.assertGreater(int(m.group(2)), runs // 2)


if __name__ == "__main__":
    unittest.main()
