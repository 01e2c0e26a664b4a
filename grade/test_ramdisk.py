"""Host tests of the ramdisk image that `make` builds as build/ramdisk.img.

conf/mkramdisk.py is run directly, into a scratch directory, with two small
host programs (built with -g here) standing in for the user programs, for
the default FAT type and for each of FAT12, FAT16 and FAT32, and with a
RAMDISK_EXTRA directory.  The expected tree is computed here from the
sources: conf/ramdisk/, the programs stripped by objcopy, the generated file
(SHAKE-256, as the script's opening comment says), the empty directories.
Each image must:

- pass fsck.fat -n with nothing reported;
- be of the FAT type asked for, by the spec's rule on the count of data
  clusters (and its boot sector's type string agree), the count 16
  clusters away from the type's bounds;
- list under mdir exactly the expected files and directories, with sizes;
- give every file back byte-identical (mcopy -s out of the image).

And: the default type is FAT12 for the tree as it is and FAT16 once the
contents outgrow FAT12; FAT12 asked for with too much is refused; an extra
directory merges (new files and directories, files replaced, names compared
without case); names that FAT cannot tell apart are refused.

Run alone: python3 -m unittest discover -s grade -p 'test_ramdisk.py' -v
"""
import concurrent.futures
import hashlib
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "host"))
import fatimg  # noqa: E402
from fatimg import Bpb, fsck, mdir_listing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "conf" / "mkramdisk.py"
BASE = ROOT / "conf" / "ramdisk"
BIG = "/data/Generated Large File.bin"
BIG_DATA = hashlib.shake_256(b"kestrel ramdisk\n").digest(3 * 512 * 1024 + 13)
PROGRAMS = ("hello", "args")
# The spec's bounds, 16 clusters inside.
RANGE = {12: (1, 4068), 16: (4101, 65508), 32: (65541, 0x0FFFFFF0)}
FSTYPE = {12: (54, b"FAT12   "), 16: (54, b"FAT16   "), 32: (82, b"FAT32   ")}

tmp = None
progs = []          # the programs given to the script
stripped = {}       # "/bin/NAME": what objcopy --strip-debug makes of it
made = {}           # key: (image, status, output)


def make_image(key, fat=None, extra=None):
    image = tmp / (key + ".img")
    cmd = [sys.executable, SCRIPT, "--objcopy", "objcopy", "--base", BASE,
           "--root", tmp / ("root-" + key), image, *progs]
    if fat:
        cmd[2:2] = ["--fat", str(fat)]
    if extra:
        cmd[2:2] = ["--extra", extra]
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=fatimg.ENV, timeout=120)
    made[key] = (image, done.returncode, done.stdout.decode("utf-8", "replace"))


def setUpModule():
    global tmp
    tmp = Path(tempfile.mkdtemp(prefix="ramdisk-test."))
    src = tmp / "prog.c"
    src.write_text("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
    for name in PROGRAMS:
        prog = tmp / "progs" / name
        prog.parent.mkdir(exist_ok=True)
        subprocess.run([fatimg.CC, "-g", "-O0", "-o", str(prog), str(src)], check=True)
        out = tmp / (name + ".stripped")
        subprocess.run(["objcopy", "--strip-debug", str(prog), str(out)], check=True)
        stripped["/bin/" + name] = out.read_bytes()
        progs.append(prog)

    extra = tmp / "extra"
    (extra / "Etc").mkdir(parents=True)
    (extra / "Etc" / "motd").write_bytes(b"the instructor's motd\n")
    (extra / "Etc" / "PASSWD").write_bytes(b"grader:x:0:0::/:/bin/hello\n")
    (extra / "tests" / "Deep Dir").mkdir(parents=True)
    (extra / "tests" / "Deep Dir" / "Hidden Test Data.bin").write_bytes(bytes(range(256)) * 40)
    (extra / "Instructor Notes.txt").write_bytes(b"merged at grading time\n")
    big = tmp / "big"
    big.mkdir()
    (big / "nine MiB.bin").write_bytes(hashlib.shake_256(b"big").digest(9 << 20))
    clash = tmp / "clash"
    clash.mkdir()
    (clash / "Same.txt").write_bytes(b"one\n")
    (clash / "SAME.TXT").write_bytes(b"two\n")

    jobs = [("auto", None, None), ("fat12", 12, None), ("fat16", 16, None),
            ("fat32", 32, None), ("extra", 16, extra), ("big", None, big),
            ("big12", 12, big), ("clash", None, clash)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda j: make_image(*j), jobs))


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


def expected_tree(extra=None):
    """{"/path": bytes or None for a directory} that the image must hold."""
    tree = {}
    for p in sorted(BASE.rglob("*")):
        rel = "/" + p.relative_to(BASE).as_posix()
        tree[rel] = None if p.is_dir() else p.read_bytes()
    tree["/bin"] = None
    tree.update(stripped)
    tree["/data"] = None
    tree[BIG] = BIG_DATA
    tree["/tmp"] = tree["/mnt"] = tree["/hello"] = tree["/var"] = tree["/var/tmp"] = None
    for p in sorted(Path(extra).rglob("*")) if extra else ():
        parent, name = place(tree, "/" + p.relative_to(extra).as_posix())
        old = [k for k in tree if k.casefold() == (parent + "/" + name).casefold()]
        if p.is_dir() and old and tree[old[0]] is None:
            continue                        # merges into the existing directory
        for k in old:                       # a file replaces a file or a directory
            for gone in [g for g in tree if g == k or g.startswith(k + "/")]:
                del tree[gone]
        tree[parent + "/" + name] = None if p.is_dir() else p.read_bytes()
    return tree


def place(tree, path):
    """(parent, name) of path, the parent spelled as in tree (FAT ignores case)."""
    parent = ""
    for part in path.strip("/").split("/")[:-1]:
        here = parent + "/" + part
        parent = next((k for k in tree if k.casefold() == here.casefold() and tree[k] is None),
                      here)
    return parent, path.rsplit("/", 1)[1]


def extracted_tree(image):
    out = Path(tempfile.mkdtemp(dir=tmp))
    fatimg.run(["mcopy", "-s", "-n", "-i", image, "::/*", out])
    tree = {}
    for p in sorted(out.rglob("*")):
        tree["/" + p.relative_to(out).as_posix()] = None if p.is_dir() else p.read_bytes()
    return tree


class Image(unittest.TestCase):
    def built(self, key):
        image, status, text = made[key]
        self.assertEqual(status, 0, text)
        return image

    def check_image(self, key, fat, extra=None):
        image = self.built(key)
        status, lines = fsck(image)
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertEqual(len(lines), 1, "fsck.fat -n reported:\n" + "\n".join(lines))

        bpb = Bpb(image)
        self.assertEqual(bpb.type, fat, "{} clusters".format(bpb.clusters))
        lo, hi = RANGE[fat]
        self.assertTrue(lo <= bpb.clusters <= hi, bpb.clusters)
        offset, name = FSTYPE[fat]
        self.assertEqual(image.read_bytes()[offset:offset + 8], name)

        want = expected_tree(extra)
        self.assertGreater(len(want[BIG]), 1 << 20)
        listed = {}
        for d, entries in mdir_listing(image).items():
            for name, _short, is_dir, size, _time in entries:
                listed[d + "/" + name] = None if is_dir else size
        self.assertEqual(listed, {k: None if v is None else len(v) for k, v in want.items()})

        got = extracted_tree(image)
        self.assertEqual(sorted(got), sorted(want))
        for path, data in want.items():
            with self.subTest(path=path):
                self.assertEqual(got[path], data)
        # The programs lost their debug sections on the way in.
        for p in PROGRAMS:
            self.assertNotIn(b".debug_info", got["/bin/" + p])
        self.assertIn(b".debug_info", progs[0].read_bytes())

    def test_default_is_fat12(self):
        self.check_image("auto", 12)

    def test_fat12(self):
        self.check_image("fat12", 12)

    def test_fat16(self):
        self.check_image("fat16", 16)

    def test_fat32(self):
        self.check_image("fat32", 32)

    def test_extra(self):
        extra = tmp / "extra"
        self.check_image("extra", 16, extra)
        got = extracted_tree(made["extra"][0])
        self.assertEqual(got["/etc/motd"], b"the instructor's motd\n")
        self.assertEqual(got["/etc/PASSWD"], b"grader:x:0:0::/:/bin/hello\n")
        self.assertNotIn("/etc/passwd", got)
        self.assertNotIn("/Etc", got)
        self.assertIn("/etc/fstab", got)

    def test_default_grows(self):
        """Contents over FAT12's room make the default FAT16, and FAT12 is refused."""
        self.assertEqual(Bpb(self.built("big")).type, 16)
        image, status, text = made["big12"]
        self.assertNotEqual(status, 0)
        self.assertIn("do not fit on FAT12", text)
        self.assertFalse(image.exists())

    def test_case_clash_refused(self):
        image, status, text = made["clash"]
        self.assertNotEqual(status, 0)
        self.assertIn("one name on FAT", text)
        self.assertFalse(image.exists())

    def test_grub_loads_it(self):
        """module2 $ramdisk_file ramdisk, the variable set to the ISO's image before
        the args disk's script may point it elsewhere."""
        cfg = (ROOT / "conf" / "grub.cfg").read_text()
        self.assertIn("module2 $ramdisk_file ramdisk\n", cfg)
        self.assertLess(cfg.index("set ramdisk_file=/boot/ramdisk.img\n"),
                        cfg.index("source (hd0)0+1\n"))


if __name__ == "__main__":
    unittest.main()
