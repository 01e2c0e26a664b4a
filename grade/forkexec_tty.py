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


# ---- the terminal ---------------------------------------------------------

# Linux's defaults (drivers/tty/tty_io.c tty_std_termios), from the flag
# values of <asm-generic/termbits.h>.
ICRNL, IXON = 0o400, 0o2000
OPOST, ONLCR = 0o1, 0o4
B38400, CS8, CREAD, HUPCL = 0o17, 0o60, 0o200, 0o2000
ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHOCTL, ECHOKE, IEXTEN = \
    0o1, 0o2, 0o10, 0o20, 0o40, 0o1000, 0o4000, 0o100000
SIGINT = 2


def render(line):
    """What a line of echo shows on a terminal: backspace moves left, the
    next character overwrites."""
    cells, pos = [], 0
    for ch in line:
        if ch == "\b":
            pos = max(0, pos - 1)
            continue
        if pos < len(cells):
            cells[pos] = ch
        else:
            cells.append(ch)
        pos += 1
    return "".join(cells).rstrip()


def tty_read(m, name, what, *typed):
    """At ttytest's "ready WHAT", type each of typed; returns the bytes its
    read got and the lines echoed meanwhile (the last one may be the start
    of the line the result is printed on: echo without a newline)."""
    ready = "ttytest: {}: ready {}".format(name, what)
    m.expect("^" + re.escape(ready) + "$")
    for text in typed:
        m.send(text)
    found = m.expect(r"ttytest: {}: got (-?\d+):((?: [0-9a-f]{{2}})*)$".format(name))
    # The lines from the prompt to the result (the next prompt may follow).
    lines = m.output
    end = max(i for i, line in enumerate(lines) if line == found.string)
    start = max(i for i in range(end) if lines[i] == ready) + 1
    echoed = lines[start:end] + ([found.string[:found.start()]] if found.start() else [])
    data = bytes(int(x, 16) for x in found.group(2).split())
    assert int(found.group(1)) == len(data), found.group(0)
    return data, echoed


def expect_read(m, name, what, typed, want, echo=None):
    """Type `typed` (a string or a tuple of strings sent one after the
    other) at "ready WHAT"; the read must get `want`, and the echo (if
    given: the lines shown meanwhile, as rendered) must be `echo`."""
    typed = typed if isinstance(typed, tuple) else (typed,)
    data, lines = tty_read(m, name, what, *typed)
    assert data == want, "typed {!r}: read(2) got {!r}, expected {!r}".format(
        "".join(typed), data, want)
    if echo is not None:
        shown = [render(line) for line in lines]
        assert shown == echo, "typed {!r}: the terminal showed {!r}, expected {!r}".format(
            "".join(typed), shown, echo)


@test("forkexec", "tty: Linux's default termios, isatty on /dev/console and /dev/tty (not "
      "a pipe: ENOTTY), window size", cmdline="run=ttytest,attr exit panic=exit")
def _(m):
    flags = [int(x, 8) for x in m.expect(
        r"^ttytest: attr: iflag (0\d*) oflag (0\d*) cflag (0\d*) lflag (0\d*)$").groups()]
    want = [ICRNL | IXON, OPOST | ONLCR, B38400 | CS8 | CREAD | HUPCL,
            ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN]
    assert flags == want, "tcgetattr: flags {}, Linux's defaults are {}".format(
        [oct(f) for f in flags], [oct(f) for f in want])
    cc = m.expect(r"^ttytest: attr: cc (.*)$").group(1)
    assert cc == "intr 3 quit 28 erase 127 kill 21 eof 4 time 0 min 1 susp 26 werase 23", \
        "tcgetattr: c_cc " + cc
    m.expect(r"^ttytest: attr: isatty stdin 1 /dev/tty 1 pipe 0 \(ENOTTY\)$")
    m.expect(r"^ttytest: attr: winsize 80x25, set to 132x50$")
    m.expect(r"^ttytest: done$")
    m.expect_exit(33)


@test("forkexec", "tty: canonical editing over serial: backspace, Ctrl-U, Ctrl-W, Ctrl-D, "
      "a line longer than the read", cmdline="run=ttytest,canon exit panic=exit")
def _(m):
    expect_read(m, "canon", "edit", "abc\x7fd\x15xyz\r", b"xyz\n", echo=["xyz"])
    expect_read(m, "canon", "werase", "one two\x17three\r", b"one three\n", echo=["one three"])
    expect_read(m, "canon", "eof-after-text", "abc\x04", b"abc")
    expect_read(m, "canon", "eof", "\x04", b"")
    expect_read(m, "canon", "short", "abcdefg\r", b"abc")
    expect_read(m, "canon", "rest", (), b"defg\n")
    m.expect(r"^ttytest: done$")
    m.expect_exit(33)


@test("forkexec", "tty: echo off shows nothing, ECHONL only the newline, echo on the line",
      cmdline="run=ttytest,echo exit panic=exit")
def _(m):
    expect_read(m, "echo", "off", "secret\r", b"secret\n", echo=[])
    expect_read(m, "echo", "echonl", "hidden\r", b"hidden\n", echo=[""])
    expect_read(m, "echo", "on", "shown\r", b"shown\n", echo=["shown"])
    m.expect(r"^ttytest: done$")
    m.expect_exit(33)


@test("forkexec", "tty: raw mode delivers bytes one by one (VMIN=1), at once (VMIN=0), "
      "three at a time (VMIN=3)", cmdline="run=ttytest,raw exit panic=exit")
def _(m):
    for typed, want in (("q", b"q"), ("\x7f", b"\x7f"), ("\x15", b"\x15"), ("\r", b"\n")):
        expect_read(m, "raw", "byte", typed, want, echo=[])
    m.expect(r"^ttytest: raw: vmin 0 gave 0$")
    m.expect(r"^ttytest: raw: vmin 0 vtime 2 gave 0$")
    expect_read(m, "raw", "three", ("ab", "c"), b"abc")
    m.expect(r"^ttytest: done$")
    m.expect_exit(33)


@test("forkexec", "tty: Ctrl-C kills the foreground group's loop, not another group's, and "
      "flushes the line typed", cmdline="run=ttytest,sigint exit panic=exit", timeout=60)
def _(m):
    fg = m.expect(r"^ttytest: sigint: foreground (.*)$").group(1)
    assert fg == "the loop", "tcsetpgrp did not make the loop's group the foreground " \
        "(setpgid, TIOCSPGRP, TIOCGPGRP)"
    m.expect(r"^ttytest: sigint: ready ctrl-c$")
    m.send("junk\x03")
    # The echo "junk^C" has no newline: the result follows on its line.
    status, other = m.expect(r"ttytest: sigint: loop status (-?\d+), other group (\w+)$") \
        .groups()
    status = int(status)
    assert status & 0x7f == SIGINT, "the foreground loop's wait status is {:#x} (expected " \
        "killed by SIGINT, {})".format(status, SIGINT)
    assert other == "alive", "Ctrl-C killed the loop of a background process group too"
    expect_read(m, "sigint", "after", "after\r", b"after\n")
    m.expect(r"^ttytest: done$")
    m.expect_exit(33)
