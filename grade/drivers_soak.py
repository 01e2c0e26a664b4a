"""The soak: user/soak.c's mixed workload on the ATA disk, checked on the host.

user/soak runs rounds of a ksh pipeline, a file written and renamed over
one of eight slots on /mnt (the FAT server on the ATA driver), now and then
an unlink, and one of threadtest counter, msgtest pingpong and chantest
order, all drawn from a seeded xorshift64 generator.  This file draws the
same numbers, so it knows which slots must exist and every byte they hold;
after the run it checks the disk image itself: fsck.fat -n passes, the root
holds exactly those files, each with exactly those bytes (mcopy), and the
CRCs soak printed are the ones computed here.  soak also compares the memory
free or accounted for after the first round and at the end.

Imported by stage_drivers.py for a short run (a test); `make soak
[ROUNDS=N] [SEED=S]` runs it long:

    python3 grade/drivers_soak.py [--rounds N] [--seed S]
"""
import argparse
import binascii
import sys

from drivers_blk import DISK_KIB, WORK, disk_args, disk_path, tool
from gradelib import Machine, TestFailure, test

SLOTS = 8
MAXSIZE = 12288
MASK = (1 << 64) - 1
TEST_ROUNDS = 12
TEST_SEED = 2026
CMDLINE = "run=/bin/fatfs,--blk,ata,/mnt,--background;/bin/soak,{},{},/mnt exit"


class Generator:
    """user/soak.c's xorshift64, seeded the same way."""

    def __init__(self, seed):
        self.x = (seed * 0x9e3779b97f4a7c15) & MASK | 1

    def next(self):
        x = self.x
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        self.x = x
        return x


def expected_files(seed, rounds):
    """{name: bytes} of the slots soak leaves on the disk."""
    g, files = Generator(seed), {}
    for _ in range(rounds):
        k = g.next() % SLOTS
        size = 1 + g.next() % MAXSIZE
        data = b"".join(g.next().to_bytes(8, "little") for _ in range(0, size, 8))[:size]
        files["slot-{}.dat".format(k)] = data
        if g.next() % 4 == 0:
            files.pop("slot-{}.dat".format(g.next() % SLOTS), None)
    return files


def make_disk(name):
    path = disk_path(name)
    WORK.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    tool("mkfs.fat", "-C", "-F", "16", "-s", "2", "-n", "SOAK", str(path), str(DISK_KIB))
    return path


def check_run(m, seed, rounds, path, progress=None):
    """Follow soak's run in machine m, then check the disk image at path."""
    want = expected_files(seed, rounds)
    m.expect(r"fatfs: serving /mnt$")
    for r in range(10, rounds + 1, 10):
        found = m.expect(r"^soak: round {}, (\d+) kB$".format(r))
        if progress:
            progress(r, int(found.group(1)))
    for name in sorted(want, key=lambda n: int(n[5:-4])):
        crc = binascii.crc32(want[name])
        m.expect(r"^soak: {} {} {:08x}$".format(name, len(want[name]), crc))
    found = m.expect(r"^soak: {} rounds, (\d+) failed, (\d+) files, memory (-?\d+) kB after "
                     r"round 1, (-?\d+) kB at the end$".format(rounds))
    failed, files, before, after = (int(g) for g in found.groups())
    assert failed == 0, "soak reported {} failures".format(failed)
    assert files == len(want), "soak found {} files, {} expected".format(files, len(want))
    assert before == after, "memory: {} kB after round 1, {} kB at the end".format(before, after)
    m.expect_exit(33)  # run=... exit: the last program exited with 0

    fsck = tool("fsck.fat", "-n", str(path), check=False)
    assert fsck.returncode == 0, "fsck.fat -n failed on the disk:\n" + fsck.stdout
    listing = tool("mdir", "-i", str(path), "-b", "::/").stdout.split()
    names = sorted(line.rsplit("/", 1)[-1] for line in listing)
    assert names == sorted(want), "the disk holds {}, expected {}".format(names, sorted(want))
    for name, data in want.items():
        out = path.parent / (path.stem + "-" + name)
        tool("mcopy", "-o", "-i", str(path), "::/" + name, str(out))
        assert out.read_bytes() == data, "{} on the disk differs from what soak wrote".format(
            name)
    return len(want)


@test("drivers", "soak: pipelines, files on /mnt, threads, messages, channels; the disk "
      "checks out on the host and memory comes back", timeout=150,
      cmdline=CMDLINE.format(TEST_SEED, TEST_ROUNDS), qemu_args=disk_args("soak"),
      setup=lambda: make_disk("soak"))
def _(m):
    check_run(m, TEST_SEED, TEST_ROUNDS, disk_path("soak"))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run user/soak long and check the disk.")
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    path = make_disk("soak-long")
    # About 3 s of QEMU time a round under TCG, with room to spare.
    timeout = 60 + 6 * args.rounds
    try:
        with Machine(CMDLINE.format(args.seed, args.rounds), qemu_args=disk_args("soak-long"),
                     timeout=timeout) as m:
            files = check_run(m, args.seed, args.rounds, path,
                              progress=lambda r, kb: print("soak: round {}, {} kB".format(r, kb),
                                                           flush=True))
    except (TestFailure, AssertionError) as e:
        print("soak: FAILED: {}".format(e))
        return 1
    print("soak: seed {}, {} rounds: {} files intact, fsck.fat -n clean, memory back: ok".format(
        args.seed, args.rounds, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
