#!/usr/bin/env python3
"""Make the ramdisk image: a FAT volume that GRUB loads as the module
"ramdisk" and, from stage fuse on, the FAT server mounts at /.

The tree is assembled in ROOT (build/ramdisk-root), then copied into a
fresh image made by mkfs.fat, with mmd for the directories and mcopy for
the files (mtools, with no configuration file: `-i IMAGE` names the image):

    /               conf/ramdisk/ (text files in nested directories, with
                    long, mixed-case and non-ASCII names)
    /bin/NAME       each user program, without debug information
    /bin/ALIAS      --alias ALIAS=NAME: a copy of /bin/NAME under another
                    name (FAT has no links): /bin/[ is test
    /data/Generated Large File.bin
                    BIG_SIZE bytes made at build time, the first bytes of
                    the SHAKE-256 stream of b"kestrel ramdisk\\n", so a test
                    can compute them without the file
    /tmp, /mnt, /hello  empty directories (the kernel mounts a tmpfs at /tmp;
                    init mounts the second disk at /mnt, hellofs at /hello)
    /var/tmp        an empty directory: scratch space on the FAT volume
                    itself, where the tests of the FAT server write
    EXTRA/          --extra (make RAMDISK_EXTRA=dir), merged last: its files
                    replace same-named ones, its directories merge into
                    same-named ones (names compared without case, as FAT
                    does; two names in one directory that differ only in
                    case are refused)

The FAT type is --fat 12, 16 or 32, or by default the first of them that
fits the contents.  The layout follows the spec's rule ("FAT Type
Determination"): the type is decided by the count of data clusters only,
FAT12 below 4085, FAT16 below 65525, FAT32 from there on.  Readers that
are off by a few exist, so the count is kept 16 clusters away from each
bound.  For a type, the cluster size is the smallest of 512 B, 1, 2 and
4 KiB (a page) with which the contents plus as much again of free room (at
least 1 MiB, for the write tests of later stages) fit under the type's
largest count; the count is then raised to the type's smallest.  So FAT12
takes contents up to about 8 MiB (a volume of up to 16 MiB), FAT16 up to
about 128 MiB, and FAT32 always makes a volume of at least 32 MiB (65,541
clusters of 512 B).  mkfs.fat itself only warns about a FAT32 volume with
too few clusters, so the image's boot sector is read back and checked.

usage: mkramdisk.py [-v] [--fat 12|16|32] [--extra DIR] [--objcopy PROG]
                    [--alias ALIAS=NAME...] --base DIR --root DIR IMAGE [PROGRAM...]
"""
import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

SECTOR = 512
CLUSTER_SIZES = (512, 1024, 2048, 4096)
MARGIN = 16
# Data cluster counts each type may have, MARGIN inside the spec's bounds.
CLUSTER_RANGE = {12: (1, 4085 - 1 - MARGIN), 16: (4085 + MARGIN, 65525 - 1 - MARGIN),
                 32: (65525 + MARGIN, 0x0FFFFFF5 - 2)}
MIN_ROOM = 1 << 20
ROOT_ENTRIES = 512          # FAT12/16: slots of the fixed root directory
RESERVED = {12: 1, 16: 1, 32: 32}
LABEL = "KESTREL"
VOLUME_ID = "6b657374"      # "kest"

BIG_NAME = "data/Generated Large File.bin"
BIG_SIZE = 3 * 512 * 1024 + 13       # 1.5 MiB and a bit: no cluster size divides it
EMPTY_DIRS = ("tmp", "mnt", "hello", "var/tmp")
FORBIDDEN = set('"*/:<>?\\|') | {chr(c) for c in range(32)}

ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")


def fail(msg):
    sys.exit("mkramdisk: " + msg)


def big_file_bytes(size=BIG_SIZE):
    """The generated file's contents."""
    return hashlib.shake_256(b"kestrel ramdisk\n").digest(size)


def check_name(path):
    name = path.name
    if any(c in FORBIDDEN for c in name) or name.endswith((".", " ")) or \
            len(name.encode("utf-16-le")) // 2 > 255:
        fail("{}: not a valid FAT long name".format(path))


def merge(src, dst):
    """Copy the tree src into dst.  An entry of src replaces the entry of
    dst whose name is the same but for case, except that two directories
    merge, under dst's spelling."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    seen = {}
    for entry in sorted(src.iterdir()):
        check_name(entry)
        key = entry.name.casefold()
        if key in seen:
            fail("{} and {}: one name on FAT, which ignores case".format(seen[key], entry))
        seen[key] = entry
        old = next((p for p in dst.iterdir() if p.name.casefold() == key), None)
        if entry.is_dir():
            if old is not None and not old.is_dir():
                old.unlink()
                old = None
            merge(entry, old or dst / entry.name)
        elif entry.is_file():
            if old is not None and old.is_dir():
                shutil.rmtree(old)
            elif old is not None:
                old.unlink()
            shutil.copy2(entry, dst / entry.name)  # its time too, for mcopy -m
        else:
            fail("{}: neither a file nor a directory".format(entry))


def assemble(root, base, programs, extra, objcopy, aliases=()):
    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    merge(base, root)
    (root / "bin").mkdir(exist_ok=True)
    for prog in programs:
        out = root / "bin" / Path(prog).name
        if objcopy:
            subprocess.run([objcopy, "--strip-debug", str(prog), str(out)], check=True)
        else:
            shutil.copyfile(prog, out)
    for alias in aliases:
        name, _, prog = alias.partition("=")
        if not name or "/" in name or not (root / "bin" / prog).is_file():
            fail("--alias {}: not ALIAS=NAME with a program NAME".format(alias))
        shutil.copyfile(root / "bin" / prog, root / "bin" / name)
    big = root / BIG_NAME
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_bytes(big_file_bytes())
    for d in EMPTY_DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
    if extra:
        if not Path(extra).is_dir():
            fail("RAMDISK_EXTRA={}: not a directory".format(extra))
        merge(extra, root)


def walk(root):
    """(directories, files) of the tree, as paths relative to root, parents first."""
    dirs, files = [], []
    for top, subdirs, names in os.walk(root):
        subdirs.sort()
        rel = Path(top).relative_to(root)
        if str(rel) != ".":
            dirs.append(rel)
        files += [rel / n for n in sorted(names)]
    return dirs, files


def dir_slots(root, rel):
    """32-byte entries a directory needs: its dot entries and, for each
    name, the 8.3 entry and the long-name slots (13 UTF-16 units each)."""
    slots = 0 if str(rel) == "." else 2
    for name in os.listdir(Path(root) / rel):
        slots += 1 + (len(name.encode("utf-16-le")) // 2 + 12) // 13
    return slots


def layout(root, fat):
    """(type, cluster size, cluster count) for the tree at root; fat is 12,
    16, 32 or None for the first type that fits."""
    dirs, files = walk(root)
    sizes = [(Path(root) / f).stat().st_size for f in files]
    root_slots = dir_slots(root, Path("."))
    for t in ([fat] if fat else [12, 16, 32]):
        if t != 32 and root_slots > ROOT_ENTRIES:
            continue
        for c in CLUSTER_SIZES:
            used = sum((s + c - 1) // c for s in sizes)
            used += sum((dir_slots(root, d) * 32 + c - 1) // c for d in dirs)
            if t == 32:
                used += (root_slots * 32 + c - 1) // c
            want = used + max(used, (MIN_ROOM + c - 1) // c)
            lo, hi = CLUSTER_RANGE[t]
            if want <= hi:
                return t, c, max(want, lo)
    if fat:
        fail("the contents do not fit on FAT{} with clusters of at most 4 KiB "
             "and {} root entries: try another RAMDISK_FAT".format(fat, ROOT_ENTRIES))
    fail("the contents fit on no FAT type")


def boot_sector(image):
    """(FAT type by the spec's rule, data clusters, cluster size) of an image."""
    with open(image, "rb") as f:
        b = f.read(512)
    bps, spc, rsvd, nfats, root_entries, tot16 = struct.unpack_from("<HBHBHH", b, 11)
    fatsz = struct.unpack_from("<H", b, 22)[0] or struct.unpack_from("<I", b, 36)[0]
    total = tot16 or struct.unpack_from("<I", b, 32)[0]
    root_sectors = (root_entries * 32 + bps - 1) // bps
    clusters = (total - rsvd - nfats * fatsz - root_sectors) // spc
    t = 12 if clusters < 4085 else 16 if clusters < 65525 else 32
    return t, clusters, bps * spc


def run(cmd):
    done = subprocess.run([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV,
                          timeout=120)
    if done.returncode != 0:
        fail("{} exited {}:\n{}".format(" ".join(map(str, cmd)), done.returncode,
                                        done.stdout.decode("utf-8", "replace")))


def mkfs(image, t, c, clusters):
    """Make the volume; grow it until the boot sector says t and clusters."""
    spc = c // SECTOR
    root_sectors = 0 if t == 32 else ROOT_ENTRIES * 32 // SECTOR
    want = clusters
    for _ in range(8):
        fat_sectors = ((want + 2) * t // 8 + SECTOR) // SECTOR
        sectors = RESERVED[t] + 2 * fat_sectors + root_sectors + want * spc
        if os.path.exists(image):
            os.unlink(image)
        cmd = ["mkfs.fat", "-C", "-F", t, "-S", SECTOR, "-s", spc, "-f", 2, "-R", RESERVED[t],
               "-n", LABEL, "-i", VOLUME_ID]
        if t != 32:
            cmd += ["-r", ROOT_ENTRIES]
        run(cmd + [image, (sectors * SECTOR + 1023) // 1024])
        made, n, size = boot_sector(image)
        if made == t and n >= clusters and size == c:
            return n
        want += clusters - n + 1
    fail("mkfs.fat made no FAT{} volume of {} clusters".format(t, clusters))


def fill(image, root):
    dirs, files = walk(root)
    if dirs:
        run(["mmd", "-i", image] + ["::/" + d.as_posix() for d in dirs])
    by_dir = {}
    for f in files:
        by_dir.setdefault(f.parent, []).append(Path(root) / f)
    for d, paths in sorted(by_dir.items()):
        target = "::/" if str(d) == "." else "::/" + d.as_posix() + "/"
        run(["mcopy", "-m", "-i", image] + paths + [target])


def main():
    ap = argparse.ArgumentParser(description="Make the FAT ramdisk image.")
    ap.add_argument("--fat", choices=["12", "16", "32"], help="FAT type (default: what fits)")
    ap.add_argument("--extra", help="a directory merged into the image's root")
    ap.add_argument("--objcopy", help="strip the programs' debug information with this")
    ap.add_argument("--alias", action="append", default=[], metavar="ALIAS=NAME",
                    help="/bin/ALIAS: a copy of the program NAME")
    ap.add_argument("--base", required=True, help="the tree the image starts from")
    ap.add_argument("--root", required=True, help="where to assemble the tree")
    ap.add_argument("-v", "--verbose", action="store_true", help="say what was made")
    ap.add_argument("image")
    ap.add_argument("programs", nargs="*", help="the programs for /bin")
    args = ap.parse_args()
    assemble(args.root, args.base, args.programs, args.extra, args.objcopy, args.alias)
    t, c, clusters = layout(args.root, int(args.fat) if args.fat else None)
    # Made beside the image and renamed: a failed build leaves no image.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.image)),
                               prefix=".ramdisk.")
    os.close(fd)
    try:
        clusters = mkfs(tmp, t, c, clusters)
        fill(tmp, args.root)
        os.replace(tmp, args.image)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if args.verbose:
        print("{}: FAT{}, {} clusters of {} bytes".format(args.image, t, clusters, c))


if __name__ == "__main__":
    main()
