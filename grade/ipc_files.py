"""Grader tests of stage `ipc` for files (imported by stage_ipc.py): FIFOs,
poll/ppoll/select/pselect6, and tmpfs at /tmp.

Each test boots with `run=fifotest,GROUP` (user/fifotest/main.c lists the
groups and their lines).  fifotest prints, for each value it checks, what
Linux gives and what it got; Linux's answers are also the tables here
(fifotest passes them on a Linux host: `fifotest all`, and tmpfs and mount
as root with a tmpfs at /tmp, in a mount namespace), and every value line
must be in its group's table with that answer, so a program and a kernel
that agree on a wrong answer fail all the same.  Facts computed here: the
CRC-32 of the xorshift32 streams that go through a FIFO and into a tmpfs
file (each byte the low 8 bits of the next state), the pages a file of N
bytes takes (Shmem in /proc/meminfo), memory back after the file goes, and
the timeouts against the kernel's tick (TIMER_HZ) under -icount, where
guest time is counted in instructions and repeats exactly.
"""
import random
import re
import zlib

from gradelib import test

import kelf
import labs

ICOUNT = ("-icount", "shift=0,align=off,sleep=off")
TICK_MS = 1000 // kelf.header_define("kernel/arch/x86_64/timer.h", "TIMER_HZ")
PAGE_KB = 4

# user/fifotest: what reader and writer pass, the tmpfs file, the idle waits.
DATA_BYTES = 256 * 1024 + 77
BIG_BYTES, BIG_SEED = 4 * 1024 * 1024 + 123, 5
HOLE_AT = 10 * 1024 * 1024
IDLE_MS = 120
PIPE_CAP = 65536            # Linux's pipe and FIFO capacity
SEED = random.Random().randrange(1, 1 << 32)

CHECK = re.compile(r"^fifotest: (\w+): (.+?): (?:expected (.+?), got (.+) (ok|FAILED)|"
                   r"(ok|FAILED.*))$")
SUMMARY = r"^fifotest: (\d+) passed, (\d+) failed$"

# Linux's answers, group by group: labs/11-ipc/fifotest.toml, with the facts of
# this grader's files filled in.
FIFOTEST = {group: {check: want.format(big_bytes=BIG_BYTES, big_blocks=-(-BIG_BYTES // 4096) * 8,
                                       hole_size=HOLE_AT + 1) for check, want in table.items()}
            for group, table in labs.fixture("ipc", "fifotest").items()}


def xorshift32_bytes(seed, n):
    """The bytes of fifotest's stream: the low 8 bits of each xorshift32 state."""
    s, out = seed, bytearray(n)
    for i in range(n):
        s ^= (s << 13) & 0xffffffff
        s ^= s >> 17
        s ^= (s << 5) & 0xffffffff
        out[i] = s & 0xff
    return bytes(out)


def expect_passed(m):
    """fifotest's last line, with no check failed."""
    found = m.expect(SUMMARY)
    assert found.group(2) == "0", found.group(0)


def group_checks(m, group, table):
    """Every check line of group printed so far must be ok, and every value
    line one of table's, with table's answer, and each of table's there.
    Returns the fact lines of the group (those that are no check)."""
    facts, seen = [], set()
    for line in m.output:
        if not line.startswith("fifotest: {}: ".format(group)):
            continue
        check = CHECK.match(line)
        if not check:
            facts.append(line[len("fifotest: {}: ".format(group)):])
            continue
        what, expected, got, verdict, plain = check.group(2, 3, 4, 5, 6)
        if plain is not None:
            assert plain == "ok", "fifotest {}: {}: {}".format(group, what, plain)
            continue
        assert what in table, "fifotest {}: {}: no such check here".format(group, what)
        assert expected == table[what], "fifotest {}: {}: the program expects {}, Linux " \
            "gives {}".format(group, what, expected, table[what])
        assert got == table[what] and verdict == "ok", \
            "fifotest {}: {}: got {}, Linux gives {}".format(group, what, got, table[what])
        seen.add(what)
    missing = sorted(set(table) - seen)
    assert not missing, "fifotest {}: checks not made: {}".format(group, ", ".join(missing))
    return facts


def fact(facts, regex):
    """The match of the first fact line matching regex (or fail)."""
    for line in facts:
        found = re.match(regex, line)
        if found:
            return found
    raise AssertionError("no line {} among {}".format(regex, facts))


def idle_ok(found, what):
    ready, ms = int(found.group(1)), int(found.group(2))
    assert ready == 0, "{}: {} ready with nothing to read".format(what, ready)
    # At least the timeout; at most two ticks more (rounding up, and the
    # tick already begun).
    assert IDLE_MS <= ms <= IDLE_MS + 2 * TICK_MS, \
        "{}: a {} ms timeout took {} ms".format(what, IDLE_MS, ms)


@test("ipc", "a FIFO between two processes neither forked from the other (run=A&B): 256 KiB "
      "arrive byte-exact (CRC-32 computed here), then end of file",
      cmdline="run=fifotest,reader,{0}&fifotest,writer,{0} exit".format(SEED), timeout=60)
def _(m):
    m.expect_exit(33)
    reader = group_checks(m, "reader", {"fstat of the open FIFO": "S_IFIFO", "lseek": "ESPIPE",
                                        "the last read (end of file)": "0",
                                        "unlink /tmp/fifotest-rw": "0"})
    writer = group_checks(m, "writer", {})
    rpid, rppid = map(int, fact(reader, r"^pid (\d+) ppid (\d+)$").groups())
    wpid, wppid = map(int, fact(writer, r"^pid (\d+) ppid (\d+)$").groups())
    assert rppid != wpid and wppid != rpid, \
        "reader {} (parent {}) and writer {} (parent {}) are related".format(
            rpid, rppid, wpid, wppid)
    sent = int(fact(writer, r"^(\d+) bytes sent$").group(1))
    got = fact(reader, r"^(\d+) bytes crc32 ([0-9a-f]{8})$")
    want = zlib.crc32(xorshift32_bytes(SEED, DATA_BYTES))
    assert sent == DATA_BYTES == int(got.group(1)), \
        "{} bytes sent, {} read, of {}".format(sent, got.group(1), DATA_BYTES)
    assert int(got.group(2), 16) == want, \
        "the reader's CRC-32 is {}, the stream's {:08x}".format(got.group(2), want)


@test("ipc", "opening a FIFO as Linux does: ENXIO, who waits for whom, O_RDWR, a signal "
      "ends a blocked open; then end of file, EAGAIN, EPIPE, 64 KiB, POLLHUP once a writer "
      "came", cmdline="run=fifotest,open exit", timeout=60)
def _(m):
    expect_passed(m)
    facts = group_checks(m, "open", FIFOTEST["open"])
    cap = int(fact(facts, r"^capacity (\d+)$").group(1))
    assert cap == PIPE_CAP, "a FIFO holds {} bytes, Linux's {}".format(cap, PIPE_CAP)
    m.expect_exit(33)


@test("ipc", "mknod and mknodat: FIFOs and regular files on tmpfs, EEXIST, EPERM for a "
      "directory, EINVAL for no type", cmdline="run=fifotest,mknod exit")
def _(m):
    expect_passed(m)
    group_checks(m, "mknod", FIFOTEST["mknod"])
    m.expect_exit(33)


@test("ipc", "poll: pipe, FIFO and console idle give 0 after the timeout, to the tick; what "
      "each descriptor reports; woken by another process's write or exit, by a signal (EINTR)",
      cmdline="run=fifotest,poll exit", timeout=90, qemu_args=ICOUNT)
def _(m):
    expect_passed(m)
    facts = group_checks(m, "poll", FIFOTEST["poll"])
    idle_ok(fact(facts, r"^timeout {} ms: (-?\d+) ready after (\d+) ms$".format(IDLE_MS)), "poll")
    m.expect_exit(33)


@test("ipc", "select: 0 after the timeout with the time left 0, sets rewritten with what is "
      "ready, the time left written back, EBADF and EINVAL, woken by another process",
      cmdline="run=fifotest,select exit", timeout=90, qemu_args=ICOUNT)
def _(m):
    expect_passed(m)
    facts = group_checks(m, "select", FIFOTEST["select"])
    found = fact(facts, r"^timeout {} ms: (-?\d+) ready after (\d+) ms, left (\S+)$".format(
        IDLE_MS))
    idle_ok(found, "select")
    assert found.group(3) == "0.000000", "select left {} of a timeout that ran out".format(
        found.group(3))
    left = int(fact(facts, r"^5 s timeout, ready at once: left (-?\d+) us$").group(1))
    assert 5000000 - 2 * TICK_MS * 1000 <= left <= 5000000, \
        "select left {} us of 5 s with something ready at once".format(left)
    m.expect_exit(33)


@test("ipc", "ppoll and pselect6 wait with their own signal mask: a signal it lets through "
      "ends them (EINTR) and the old mask is back after the handler, at once otherwise",
      cmdline="run=fifotest,masks exit", timeout=60)
def _(m):
    expect_passed(m)
    group_checks(m, "masks", FIFOTEST["masks"])
    m.expect_exit(33)


@test("ipc", "poll on the console: nothing typed is nothing ready; a line typed on the serial "
      "port wakes it with POLLIN", cmdline="run=fifotest,console exit", timeout=60)
def _(m):
    m.expect(r"^fifotest: console: type a line$")
    m.send("hello poll\n")
    m.expect(r"^fifotest: console: read 'hello poll'$")
    expect_passed(m)
    group_checks(m, "console", {"poll with nothing typed": "0",
                                "poll once a line is typed": "POLLIN",
                                "poll once it is read": "0"})
    m.expect_exit(33)


@test("ipc", "tmpfs at /tmp: a 4 MiB file reads back (CRC-32 computed here), its pages are "
      "Shmem, freed at the last close after unlink; holes, truncation, directories, "
      "rm -r's way, a program run from /tmp", cmdline="run=fifotest,tmpfs exit", timeout=90)
def _(m):
    expect_passed(m)
    facts = group_checks(m, "tmpfs", FIFOTEST["tmpfs"])
    wrote = fact(facts, r"^wrote (\d+) bytes: Shmem \+(-?\d+) kB$")
    pages = -(-BIG_BYTES // 4096)
    assert int(wrote.group(1)) == BIG_BYTES, wrote.group(0)
    assert int(wrote.group(2)) == pages * PAGE_KB, \
        "{} bytes in tmpfs grew Shmem by {} kB, not {} ({} pages)".format(
            BIG_BYTES, wrote.group(2), pages * PAGE_KB, pages)
    back = fact(facts, r"^read back (\d+) bytes crc32 ([0-9a-f]{8})$")
    want = zlib.crc32(xorshift32_bytes(BIG_SEED, BIG_BYTES))
    assert int(back.group(1)) == BIG_BYTES and int(back.group(2), 16) == want, \
        "read back {} bytes, CRC-32 {}; wrote {} bytes, CRC-32 {:08x}".format(
            back.group(1), back.group(2), BIG_BYTES, want)
    freed = fact(facts, r"^freed: Shmem (\d+) -> (\d+) kB, MemFree\+Slab (\d+) -> (\d+) kB$")
    shmem0, shmem1, free0, free1 = map(int, freed.groups())
    assert shmem1 == shmem0, "Shmem {} kB before the file, {} kB after it went".format(
        shmem0, shmem1)
    assert free1 >= free0, "MemFree+Slab {} kB before the file, {} kB after it went".format(
        free0, free1)
    m.expect_exit(33)


@test("ipc", "mount -t tmpfs -o size=64k elsewhere: /proc/mounts and statfs say so, ENOSPC "
      "past 64 KiB, EBUSY while a file is open, its files go with the umount",
      cmdline="run=fifotest,mount exit")
def _(m):
    expect_passed(m)
    group_checks(m, "mount", FIFOTEST["mount"])
    m.expect_exit(33)


@test("ipc", "mkfifo on the FAT volume is the server's EPERM (as Linux's vfat), mknod "
      "S_IFREG makes a file there; a FUSE server without MKNOD answers ENOSYS",
      cmdline="run=hellofs,/mnt&fifotest,fatfifo,/var/tmp,/mnt exit", timeout=60)
def _(m):
    expect_passed(m)
    group_checks(m, "fatfifo", FIFOTEST["fatfifo"])
    m.expect_exit(33)
