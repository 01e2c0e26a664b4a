"""Grader tests of stage `forkexec` for pipes and the terminal (imported by
stage_forkexec.py).

Pipes: user/pipetest sends the xorshift32 byte stream of a seed chosen here
from a child to its parent; the CRC-32 of what arrived must be the one
computed here.  Its other lines are checked against pipe(7): a full pipe
holds 65536 bytes, a PIPE_BUF write into less room is EAGAIN, a larger one
fills a page of room, records of PIPE_BUF bytes from four writers arrive
unmixed, a writer without a reader dies of SIGPIPE (13).

The terminal: user/ttytest reads the console while this script types on the
serial port, as a user would: canonical editing (backspace, Ctrl-U, Ctrl-W,
Ctrl-D), echo on and off, raw mode byte by byte, and Ctrl-C reaching only
the foreground process group.
"""
import random
import re
import zlib

from gradelib import test

PIPE_BYTES = 300 * 1000
SIGPIPE = 13


def xorshift32_bytes(seed, n):
    """The bytes pipetest sends: the low 8 bits of each xorshift32 state."""
    s, out = seed, bytearray(n)
    for i in range(n):
        s ^= (s << 13) & 0xffffffff
        s ^= s >> 17
        s ^= (s << 5) & 0xffffffff
        out[i] = s & 0xff
    return bytes(out)


def pipe_ok(m, name):
    found = m.expect(r"^pipetest: {}: (ok|FAILED.*)$".format(re.escape(name)))
    assert found.group(1) == "ok", "pipetest {}: {}".format(name, found.group(1))


SEED = random.Random().randrange(1, 1 << 32)


@test("forkexec", "pipe: 300 KB from a child arrive byte-identical (CRC-32 computed here), "
      "then end of file", cmdline="run=pipetest,{} exit panic=exit".format(SEED), timeout=60)
def _(m):
    found = m.expect(r"^pipetest: data: (\d+) bytes crc32 ([0-9a-f]{8})$")
    want = zlib.crc32(xorshift32_bytes(SEED, PIPE_BYTES))
    got = (int(found.group(1)), int(found.group(2), 16))
    assert got == (PIPE_BYTES, want), "the parent read {} bytes with CRC-32 {:08x}; the " \
        "child sent {} bytes with CRC-32 {:08x} (seed {})".format(
            got[0], got[1], PIPE_BYTES, want, SEED)
    pipe_ok(m, "eof")
    pipe_ok(m, "data")


@test("forkexec", "pipe: 64 KiB ring, O_NONBLOCK's EAGAIN, PIPE_BUF writes of 4 writers "
      "never mixed", cmdline="run=pipetest exit panic=exit", timeout=60)
def _(m):
    cap = int(m.expect(r"^pipetest: capacity: (-?\d+) bytes$").group(1))
    assert cap == 65536, "a full non-blocking pipe took {} bytes (Linux: 65536)".format(cap)
    part = int(m.expect(r"^pipetest: partial: (-?\d+) bytes$").group(1))
    assert part == 4096, "a write of 8192 bytes into 4096 bytes of room wrote {}".format(part)
    pipe_ok(m, "eagain")
    writers, records, mixed = (int(x) for x in m.expect(
        r"^pipetest: atomic: (\d+) writers (\d+) records (\d+) mixed$").groups())
    assert records == writers * 64, "{} records of 4096 bytes arrived from {} writers of " \
        "64 each".format(records, writers)
    assert mixed == 0, "{} of {} PIPE_BUF records held bytes of two writers".format(
        mixed, records)
    pipe_ok(m, "atomic")


@test("forkexec", "pipe: EBADF, EFAULT, EINVAL, ESPIPE, S_IFIFO, FIONREAD, not a tty; the "
      "ends survive dup and fork; close wakes the other side",
      cmdline="run=pipetest exit panic=exit", timeout=60)
def _(m):
    for name in ("errors", "dup+fork", "close wakes"):
        pipe_ok(m, name)


@test("forkexec", "pipe: a write without a reader is EPIPE, and SIGPIPE kills the writer; a "
      "signal interrupts a blocked read (EINTR)", cmdline="run=pipetest exit panic=exit",
      timeout=60)
def _(m):
    pipe_ok(m, "epipe")
    status = int(m.expect(r"^pipetest: sigpipe: status (\d+)$").group(1))
    assert status & 0x7f == SIGPIPE, "the writer's wait status is {:#x}: {}".format(
        status, "killed by signal {}".format(status & 0x7f) if status & 0x7f
        else "exited with {} (SIGPIPE did not kill it)".format(status >> 8))
    pipe_ok(m, "eintr")
    m.expect(r"^pipetest: \d+ passed, 0 failed$")
    m.expect_exit(33)
