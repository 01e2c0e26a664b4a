"""Grader tests of stage `drivers` for the block driver (imported by
stage_drivers.py): user/ata.c, the ATA PIO driver of the second IDE disk,
and the FAT server on it at /mnt (`fatfs --blk ata /mnt --background`,
user/fatfs/blk.c), as /etc/inittab starts them under init (a `wait`
entry: /mnt is mounted before the shell starts).

Each test makes its own disk in build/grade/blk/ with mkfs.fat and mcopy,
with names and contents drawn here at random (seeded by the test's name,
so a failure repeats), and attaches it as the primary IDE slave
(`-drive file=...,if=ide,index=1`, as `make qemu` does with
build/disk.img).  The system boots init (`run=/bin/init`), whose ksh takes
commands over serial, each typed once the prompt is there.

- Read, write, persist: cat and wc of the grader's files, then echo into a
  new file, mkdir, cp of a multi-cluster file into the new directory, mv
  of a file into it under a long name, rm.
  Every change is on the disk when its system call returns (fatfs writes
  the dirty sectors back and flushes before it replies), so QEMU is then
  killed, not shut down: fsck.fat -n must pass on the image and mtype and
  mdir must show exactly the changes.  A second boot on the same image
  lists and reads the new files (persistence).
- No second disk: the driver says so, /mnt is not mounted, and the rest
  boots as always (hellofs at /hello, the shell).
- A corrupt disk (a boot sector of random bytes): fatfs refuses it with
  its reason; the kernel and shell carry on.
- The protocol from a client (user/blktest, which starts ata itself) on a
  raw disk of a pattern both sides compute: INFO, every sector read back,
  EINVAL for bad requests, EBUSY for a second client, writes across a
  request boundary and of the last sector (checked in the image after),
  and the driver's read rate (KiB/s of guest time: a benchmark row).
- A disk of 20 MiB, more than the server holds in memory: refused.
- The driver killed (kill -9 of the pid fatfs names): the next change
  fails with EIO, fatfs gives up, later requests on /mnt fail, the kernel
  lives on.
"""
import os
import random
import re
import shutil
import subprocess

from gradelib import REPO_ROOT, Machine, fail, test

WORK = REPO_ROOT / "build" / "grade" / "blk"
PROMPT = r"ksh:(\S*)\$ $"
# A line of a server or driver: under init they come before the shell's, but
# one may follow a prompt ksh printed first (a driver started later).
AFTER = r"(?:^|\$ )"
DISK_KIB = 8192             # an 8 MiB FAT16 volume, as `make disk` makes
INIT = "run=/bin/init"
SERVING = AFTER + r"fatfs: serving /mnt$"
WORDS = ("amber", "basalt", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
         "jasper", "kestrel", "lagoon", "meadow", "nimbus", "onyx", "prairie", "quartz")


def disk_path(name):
    return WORK / "{}.img".format(name)


def disk_args(name):
    """QEMU's arguments attaching the disk `name` as the primary slave."""
    path = str(disk_path(name)).replace(",", ",,")
    return ("-drive", "file={},format=raw,if=ide,index=1".format(path))


def tool(*argv, check=True):
    """Run a host tool (mkfs.fat, mtools, fsck.fat): its output; fails the test if absent."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1",
               PATH=os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin")
    if shutil.which(argv[0], path=env["PATH"]) is None:
        fail("{} is not installed (conf/deps.sh installs dosfstools and mtools)".format(argv[0]))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", env=env)
    if check and proc.returncode != 0:
        fail("{} failed (status {}):\n{}".format(" ".join(argv), proc.returncode, proc.stdout))
    return proc


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


class Disk:
    """The files a test puts on its disk, drawn from a generator seeded by its name."""

    def __init__(self, name):
        rng = random.Random("blk-" + name)
        self.name = name
        self.path = disk_path(name)
        tag = "{:04x}".format(rng.randrange(1 << 16))
        # A text file over several 1 KiB clusters, a file to delete, and the changes.
        self.big_name = "Notes {}.txt".format(tag)
        self.big = "".join("{} {}\n".format(i, words(rng, 8)) for i in range(150))
        self.doomed = "old-{}.txt".format(tag)
        self.new_name = "new-{}.txt".format(tag)
        self.new_text = words(rng, 6)
        self.dir_name = "Dir{}".format(tag)
        self.moved_text = words(rng, 4)

    def make(self, boot_sector=None):
        """Write the image: mkfs.fat, the files by mcopy, then a boot sector if given."""
        WORK.mkdir(parents=True, exist_ok=True)
        staging = WORK / (self.name + ".files")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        (staging / self.big_name).write_text(self.big)
        (staging / self.doomed).write_text("delete me\n")
        self.path.unlink(missing_ok=True)
        tool("mkfs.fat", "-C", "-F", "16", "-s", "2", "-n", "BLKTEST", str(self.path),
             str(DISK_KIB))
        for f in sorted(staging.iterdir()):
            tool("mcopy", "-i", str(self.path), str(f), "::/" + f.name)
        if boot_sector is not None:
            with open(self.path, "r+b") as img:
                img.write(boot_sector)

    def mtype(self, path):
        return tool("mtype", "-i", str(self.path), "::/" + path).stdout

    def names(self, path=""):
        """The long names in a directory of the image (mdir -b lists full paths)."""
        out = tool("mdir", "-i", str(self.path), "-b", "::/" + path).stdout
        return sorted(line.rstrip("/").rsplit("/", 1)[-1] for line in out.splitlines() if line)


def prompt(m):
    return m.expect(PROMPT, partial=True)


def settle(m, n=1):
    """Wait for ksh to run an echo: a prompt after this is a fresh one."""
    m.send("echo settled-{}\n".format(n))
    m.expect(r"^settled-{}$".format(n))


def type_line(m, line):
    """Type line at the prompt (awaited first) and Enter."""
    prompt(m)
    m.send(line + "\n")


def lines_of(m, text):
    for line in text.splitlines():
        m.expect(r"^{}$".format(re.escape(line)))


def booted_with_disk(m, disk):
    """The driver found the disk (its size is the image's) and fatfs serves it."""
    sectors = int(m.expect(AFTER + r"ata: primary slave: (\d+) sectors of 512 bytes").group(1))
    assert sectors == disk.path.stat().st_size // 512, \
        "ata found {} sectors, the image has {}".format(sectors, disk.path.stat().st_size // 512)
    m.expect(AFTER + r"fatfs: FAT16 volume on the disk of pid \d+")
    m.expect(SERVING)
    settle(m)


DISK_RW = Disk("rw")


@test("drivers", "block driver: /mnt on the second disk reads the grader's files, writes, "
      "mkdir, cp, mv, rm; fsck.fat -n and mtools agree on the host; a second boot sees it all",
      cmdline=INIT, timeout=120, qemu_args=disk_args("rw"), setup=DISK_RW.make)
def _(m):
    d = DISK_RW
    booted_with_disk(m, d)
    type_line(m, "cat '/mnt/{}'".format(d.big_name))
    lines_of(m, d.big)
    type_line(m, "wc -l -c '/mnt/{}'".format(d.big_name))
    m.expect(r"^\s*{}\s+{}\s".format(d.big.count("\n"), len(d.big)))
    type_line(m, "echo {} > /mnt/{}".format(d.new_text, d.new_name))
    type_line(m, "mkdir /mnt/{}".format(d.dir_name))
    type_line(m, "cp '/mnt/{}' /mnt/{}/copy.txt".format(d.big_name, d.dir_name))
    type_line(m, "echo {} > /mnt/tmp.txt".format(d.moved_text))
    type_line(m, "mv /mnt/tmp.txt '/mnt/{}/Moved Name.txt'".format(d.dir_name))
    type_line(m, "rm /mnt/{}".format(d.doomed))
    type_line(m, "echo done-$?")
    m.expect(r"^done-0$")
    prompt(m)
    m.close()  # every change was durable when its call returned

    fsck = tool("fsck.fat", "-n", str(d.path), check=False)
    assert fsck.returncode == 0, "fsck.fat -n failed on the disk:\n" + fsck.stdout
    assert d.mtype(d.new_name) == d.new_text + "\n", "{} holds {!r} on the disk".format(
        d.new_name, d.mtype(d.new_name))
    assert d.mtype(d.dir_name + "/copy.txt") == d.big, "the copy differs on the disk"
    assert d.mtype(d.dir_name + "/Moved Name.txt") == d.moved_text + "\n", \
        "the renamed file differs on the disk"
    assert d.names() == sorted([d.big_name, d.new_name, d.dir_name]), \
        "the disk's root holds {}".format(d.names())
    assert d.names(d.dir_name) == sorted(["copy.txt", "Moved Name.txt"]), \
        "{} holds {} on the disk".format(d.dir_name, d.names(d.dir_name))

    with Machine(INIT, qemu_args=disk_args("rw"), timeout=90) as m2:
        booted_with_disk(m2, d)
        type_line(m2, "ls /mnt")
        for name in sorted([d.big_name, d.new_name, d.dir_name]):
            m2.expect(r"^{}$".format(re.escape(name)))
        type_line(m2, "cat /mnt/{}".format(d.new_name))
        m2.expect(r"^{}$".format(re.escape(d.new_text)))
        type_line(m2, "wc -c /mnt/{}/copy.txt".format(d.dir_name))
        m2.expect(r"^\s*{}\s".format(len(d.big)))


@test("drivers", "block driver: without a second disk ata says so, /mnt is not mounted, and "
      "the system boots as always", cmdline=INIT, timeout=60)
def _(m):
    m.expect(AFTER + r"ata: no disk on the primary slave$")
    m.expect(AFTER + r"init: disk \(pid \d+\) exited with status 1$")
    settle(m)
    type_line(m, "cat /hello/hello")
    m.expect(r"^hello, world$")
    type_line(m, "ls /mnt; echo listed-$?")
    m.expect(r"^listed-0$")
    assert not any(line.startswith("fatfs: serving /mnt") for line in m.output), \
        "fatfs served /mnt without a disk"


DISK_BAD = Disk("corrupt")


@test("drivers", "block driver: a disk with a corrupt boot sector is refused with a reason; "
      "the kernel and the shell carry on", cmdline=INIT, timeout=60,
      qemu_args=disk_args("corrupt"),
      setup=lambda: DISK_BAD.make(random.Random("corrupt").randbytes(512)))
def _(m):
    m.expect(AFTER + r"ata: primary slave: \d+ sectors")
    m.expect(AFTER + r"fatfs: disk refused: \S")
    m.expect(AFTER + r"init: disk \(pid \d+\) exited with status 1$")
    settle(m)
    type_line(m, "echo alive")
    m.expect(r"^alive$")


def make_huge():
    """A disk of HUGE_MIB (sparse: zeros), more than fatfs holds in memory."""
    WORK.mkdir(parents=True, exist_ok=True)
    with open(disk_path("huge"), "wb") as img:
        img.truncate(HUGE_MIB << 20)


HUGE_MIB = 20               # user/fatfs/blk.c holds at most 16 MiB


@test("drivers", "block driver: a disk larger than fatfs holds in memory is refused, with "
      "its size; the shell carries on", cmdline=INIT, timeout=60,
      qemu_args=disk_args("huge"), setup=make_huge)
def _(m):
    m.expect(AFTER + r"ata: primary slave: {} sectors".format(HUGE_MIB << 11))
    m.expect(AFTER + r"fatfs: the disk's {} MiB are more than the 16 MiB this server holds: "
             r"refused$".format(HUGE_MIB))
    m.expect(AFTER + r"init: disk \(pid \d+\) exited with status 1$")
    settle(m)
    type_line(m, "echo alive")
    m.expect(r"^alive$")


DISK_KILL = Disk("kill")


@test("drivers", "block driver: killing ata makes the next change fail with EIO, fatfs gives "
      "up, /mnt fails, the kernel lives on", cmdline=INIT, timeout=90,
      qemu_args=disk_args("kill"), setup=DISK_KILL.make)
def _(m):
    d = DISK_KILL
    booted_with_disk(m, d)
    ata = next(re.search(r"fatfs: FAT16 volume on the disk of pid (\d+)", line).group(1)
               for line in m.output if "fatfs: FAT16 volume on the disk" in line)
    type_line(m, "kill -9 {}".format(ata))
    type_line(m, "echo x > /mnt/after.txt")
    m.expect(AFTER + r"fatfs: the disk is lost \(I/O error\): giving up$")
    m.expect(r"^ksh: /mnt/after.txt: I/O error$")
    # fatfs exits, and init reaps it and then the killed ata, whose parent it
    # was; its lines may follow a prompt, so a fresh one is awaited after them.
    m.expect(AFTER + r"init: reaped orphan pid {}$".format(ata))
    settle(m, 2)
    type_line(m, "ls /mnt; echo status-$?")
    m.expect(r"^status-[1-9]\d*$")
    type_line(m, "echo alive")
    m.expect(r"^alive$")


# ---- the protocol, from user/blktest ---------------------------------------------------

RAW_SECTORS = 3072          # 1.5 MiB: a read request boundary (256 sectors) in the middle
RAW_SEED = random.Random("blk-raw").randrange(1, 1 << 31)
M32 = 0xFFFFFFFF


def pattern_sector(seed, n):
    """Sector n of user/blktest.c's pattern (blktest_byte), as bytes."""
    base = (seed * 2654435761 ^ (n * 40503 & M32)) & M32
    out = bytearray(512)
    for i in range(512):
        x = base ^ (i * 2246822519 & M32)
        x ^= x >> 13
        out[i] = ((x * 3266489917) & M32) >> 24
    return bytes(out)


def make_raw():
    WORK.mkdir(parents=True, exist_ok=True)
    disk_path("raw").write_bytes(b"".join(pattern_sector(RAW_SEED, n)
                                          for n in range(RAW_SECTORS)))


@test("drivers", "block driver: the protocol from a client (blktest): every sector read, "
      "EINVAL and EBUSY, writes reach the image, the read rate",
      cmdline="run=blktest,ata,{} exit".format(RAW_SEED), timeout=90,
      qemu_args=disk_args("raw"), setup=make_raw)
def _(m):
    m.expect(r"^ata: primary slave: {} sectors of 512 bytes".format(RAW_SECTORS))
    m.expect(r"^blktest: info {} sectors of 512 bytes$".format(RAW_SECTORS))
    m.expect(r"^blktest: read ok: {} sectors match$".format(RAW_SECTORS))
    m.expect(r"^blktest: errors: past end EINVAL, count 0 EINVAL, too many EINVAL, "
             r"short write EINVAL, bad op EINVAL, other client EBUSY$")
    a = RAW_SECTORS // 2 - 3
    m.expect(r"^blktest: wrote sectors {}\.\.{} and {}$".format(a, a + 6, RAW_SECTORS - 1))
    m.expect(r"^blktest: bench: read \d+ KiB in \d+ ns: \d+ KiB/s$")
    m.expect(r"^blktest: done$")
    m.expect_exit(33)
    image = disk_path("raw").read_bytes()
    written = set(range(a, a + 7)) | {RAW_SECTORS - 1}
    for n in sorted(written | {0, a - 1, a + 7, RAW_SECTORS - 2}):
        want = pattern_sector(RAW_SEED + 1 if n in written else RAW_SEED, n)
        assert image[n * 512:(n + 1) * 512] == want, \
            "sector {} of the image is not what blktest {}".format(
                n, "wrote" if n in written else "left alone")
