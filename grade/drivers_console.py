"""Grader tests of stage `drivers` for the console (imported by
stage_drivers.py): the terminal emulator and x,y mode.

Each test looks at the screen twice, in two independent ways: the VGA text
buffer read from guest memory (QMP pmemsave of 0xb8000: a character and an
attribute byte per cell), and the serial byte stream replayed through pyte,
a VT100 emulator (Debian's python3-pyte, run by /usr/bin/python3 since the
grader's own Python may lack it).  Both must show what this script computes
from the escapes user/vttest prints.

The terminal: `vttest esc` prints cursor moves, erases, SGR colours,
save/restore, a scroll region and an insert.  x,y mode: `vttest xy` takes
the screen, checks EBUSY, EPERM, EFAULT and EINVAL, draws a pattern, then
dies of SIGSEGV owning the screen: the terminal must come back as it was.
"""
import json
import random
import re
import subprocess

from gradelib import fail, test

COLS, ROWS = 80, 25
VGA_TEXT = 0xb8000
PYTE_PYTHON = "/usr/bin/python3"

# ANSI colour numbers as names (pyte's) and as VGA colours (blue is VGA's bit 0).
ANSI_NAMES = ["black", "red", "green", "brown", "blue", "magenta", "cyan", "white"]
ANSI_TO_VGA = [0, 4, 2, 6, 1, 5, 3, 7]
VGA_TO_ANSI = [ANSI_TO_VGA.index(v) for v in range(8)]

# Feeds stdin to a pyte screen; prints its cells and cursor as JSON.
PYTE_SCRIPT = """
import json, sys
import pyte
screen = pyte.Screen({cols}, {rows})
pyte.ByteStream(screen).feed(sys.stdin.buffer.read())
cells = [[[c.data, c.fg, c.bg, c.bold, c.reverse] for c in
          (screen.buffer[y][x] for x in range({cols}))] for y in range({rows})]
print(json.dumps({{"cells": cells, "cursor": [screen.cursor.x, screen.cursor.y,
                   screen.cursor.hidden]}}))
""".format(cols=COLS, rows=ROWS)


def pyte_screen(data):
    """The screen pyte shows after the bytes `data`: (cells, cursor)."""
    try:
        proc = subprocess.run([PYTE_PYTHON, "-c", PYTE_SCRIPT], input=data,
                              capture_output=True, timeout=60)
    except OSError as e:
        fail("cannot run {}: {}".format(PYTE_PYTHON, e))
    if proc.returncode != 0:
        fail("replaying serial through pyte failed (install python3-pyte: conf/deps.sh):\n"
             + proc.stderr.decode(errors="replace")[-600:])
    out = json.loads(proc.stdout)
    return out["cells"], out["cursor"]


def serial_after(m, marker, until=None):
    """The raw serial bytes after the first line `marker` (bytes), up to the
    bytes `until` if given."""
    raw = m.raw_output
    at = raw.find(marker + b"\r\n")
    if at < 0:
        fail("no line {!r} in the raw serial output".format(marker))
    raw = raw[at + len(marker) + 2:]
    return raw if until is None else raw[:raw.find(until)]


def vga_screen(m):
    """The VGA text buffer: rows of (character, attribute) pairs."""
    mem = m.monitor.pmemsave(VGA_TEXT, COLS * ROWS * 2)
    return [[(chr(mem[2 * (y * COLS + x)]), mem[2 * (y * COLS + x) + 1])
             for x in range(COLS)] for y in range(ROWS)]


def text_rows(cells):
    return ["".join(c[0] for c in row).rstrip() for row in cells]


def vga_attr(fg=None, bg=None, bright=False, bg_bright=False, reverse=False):
    """The attribute byte for ANSI colours (None: the default)."""
    f = (7 if fg is None else ANSI_TO_VGA[fg]) | (8 if bright else 0)
    b = (0 if bg is None else ANSI_TO_VGA[bg]) | (8 if bg_bright else 0)
    return b | f << 4 if reverse else f | b << 4


def pyte_look(fg=None, bg=None, bright=False, bg_bright=False, reverse=False):
    """What pyte stores for those colours: names, bold, reverse.  pyte has
    no bright background: SGR 100-107 sets bold as 90-97 do."""
    return ["default" if fg is None else ANSI_NAMES[fg],
            "default" if bg is None else ANSI_NAMES[bg], bright or bg_bright, reverse]


def compare_rows(what, got, want):
    for y, (g, w) in enumerate(zip(got, want)):
        if g != w:
            fail("{}: row {} shows {!r}, expected {!r}".format(what, y + 1, g, w))


# What `vttest esc` draws (rows and columns from 0): each line of its
# escapes[] list, worked out by hand from ECMA-48 / VT100 rules.
ESC_ROWS = [""] * ROWS
ESC_ROWS[0] = "st"               # ESC 7, CUP 1;1 "s", ESC 8; CSI s, CUP 1;2 "t", CSI u
ESC_ROWS[2] = "    ARGYVM"       # CUP 3;5 then one letter per colour
ESC_ROWS[4] = "012"              # "0123456789", CUP 5;4, EL 0
ESC_ROWS[5] = "     fghij"       # "abcdefghij", CUP 6;5, EL 1
ESC_ROWS[6] = "AB EFGHIJ"        # "ABCDEFGHIJ", CUP 7;3, DCH 2, ICH 1
ESC_ROWS[7] = " " * 20 + "u"     # HVP 10;20 "H" (cursor at column 20), CUU 2
ESC_ROWS[8] = " " * 74 + "012345"  # CUP 9;75 and ten digits: the last four wrap
ESC_ROWS[9] = "6789" + " " * 15 + "H"
ESC_ROWS[10] = " " * 17 + "b   d    f"  # CUD 3 "d" at 21, CUF 4 "f" at 26, CUB 10 "b" at 17
ESC_ROWS[11] = " " * 9 + "r"     # ESC 8 back to CUP 12;10
ESC_ROWS[12] = " " * 9 + "q"     # CSI u back to CUP 13;10
ESC_ROWS[14:18] = ["r2", "r3", "r4", ""]  # region 15..18: "\n" on its last row scrolls it
ESC_ROWS[18] = "keep"            # below the region: untouched
ESC_ROWS[21:23] = ["x1", "x2"]   # IL at row 21 pushed them down a row
ESC_ROWS[23] = "vttest: done"

# The colours of row 2's letters and the red row (EL 2 after SGR 41).
ESC_LOOKS = [
    (4, 2, {}),                                   # A: default
    (5, 2, {"fg": 1}),                            # R: SGR 31
    (6, 2, {"fg": 2, "bright": True}),            # G: SGR 1;32
    (7, 2, {"fg": 3, "bg": 4}),                   # Y: SGR 22;44;33
    (8, 2, {"reverse": True}),                    # V: SGR 7
    (9, 2, {"fg": 5, "bg": 0, "bright": True, "bg_bright": True}),  # M: SGR 95;100
    (0, 19, {"bg": 1}), (79, 19, {"bg": 1}),      # SGR 41, EL 2
    (0, 20, {}),                                  # SGR 0 again
]


@test("drivers", "console: ANSI escapes (cursor moves, erase, SGR colours, save/restore, "
      "scroll region, insert/delete) on the VGA screen and, passed through, on serial",
      cmdline="run=vttest,esc exit panic=exit", timeout=60)
def _(m):
    m.expect(r"vttest: done$")
    vga = vga_screen(m)
    compare_rows("VGA", text_rows(vga), ESC_ROWS)
    for x, y, look in ESC_LOOKS:
        want = vga_attr(**look)
        if vga[y][x][1] != want:
            fail("VGA: the cell at row {} column {} has attribute {:#04x}, expected {:#04x} "
                 "({})".format(y + 1, x + 1, vga[y][x][1], want, look or "default colours"))

    cells, cursor = pyte_screen(serial_after(m, b"vttest: escapes"))
    # pyte does not know CSI s / u (only ESC 7 / 8): its "q" stays after "t".
    pyte_rows = list(ESC_ROWS)
    pyte_rows[0], pyte_rows[12] = "stq", ""
    compare_rows("serial (replayed through pyte)", text_rows(cells), pyte_rows)
    for x, y, look in ESC_LOOKS:
        got = cells[y][x][1:]
        if got != pyte_look(**look):
            fail("serial (pyte): the cell at row {} column {} has {}, expected {}".format(
                y + 1, x + 1, got, pyte_look(**look)))
    if cursor != [0, 24, True]:
        fail("serial (pyte): cursor at column {} row {} hidden={}, expected column 1 row 25 "
             "hidden (CSI ?25 l)".format(cursor[0] + 1, cursor[1] + 1, cursor[2]))
    m.send("\n")
    m.expect_exit(33)


def xy_pattern(cols):
    """Row 0 and row 5 of what `vttest xy` draws: {(x, y): (char, attr)}."""
    cells = {(x, 0): (chr(ord("a") + x % 26), x % 16 | (x // 16 % 8) << 4) for x in range(cols)}
    for i, ch in enumerate("XY MODE"):
        cells[(10 + i, 5)] = (ch, 14 | 1 << 4)
    return cells


def pyte_cell_look(attr):
    """pyte's look of a cell the kernel sent with a VGA attribute (SGR 0;3x/9x;4x/10x)."""
    fg, bg = attr & 15, attr >> 4
    return [ANSI_NAMES[VGA_TO_ANSI[fg & 7]], ANSI_NAMES[VGA_TO_ANSI[bg & 7]],
            bool(fg & 8 or bg & 8), False]


@test("drivers", "console: x,y mode draws cells on VGA and as ANSI on serial; EBUSY, EPERM, "
      "EFAULT, EINVAL; a crash gives the terminal back as it was",
      cmdline="run=vttest,xy panic=exit", timeout=60)
def _(m):
    m.expect(r"^vttest: ready$")
    before = vga_screen(m)
    m.send("\n")
    found = m.expect(r"vttest: xy: (.*) (\d+) (\d+)$")
    if found.group(1) != "ok":
        fail("vttest xy: " + found.group(1))
    if (int(found.group(2)), int(found.group(3))) != (COLS, ROWS):
        fail("OS_CONSOLE_INFO says {}x{}, the VGA text screen is {}x{}".format(
            found.group(2), found.group(3), COLS, ROWS))
    m.expect(r"^vttest: drawn$")
    drawn = vga_screen(m)
    pattern = xy_pattern(COLS)
    corner = dict(pattern)
    corner[(COLS - 1, ROWS - 1)] = ("Z", 15 | 4 << 4)
    for y in range(ROWS):
        for x in range(COLS):
            want = corner.get((x, y), (" ", 0x07))
            if drawn[y][x] != want:
                fail("x,y mode, VGA: row {} column {} shows {!r}, expected {!r} (the terminal's "
                     "output must stay off the screen)".format(y + 1, x + 1, drawn[y][x], want))
    # The picture as the last flush left it, before vttest's next line.
    cells, cursor = pyte_screen(serial_after(m, b"vttest: taking", b"\r\nvttest: xy:"))
    if cursor != [3, 4, False]:
        fail("x,y mode, serial (pyte): cursor at column {} row {} hidden={}, expected column 4 "
             "row 5 shown".format(cursor[0] + 1, cursor[1] + 1, cursor[2]))
    for (x, y), (ch, attr) in pattern.items():
        got = cells[y][x]
        if got[0] != ch or got[1:] != pyte_cell_look(attr):
            fail("x,y mode, serial (pyte): row {} column {} shows {}, expected {!r} {}".format(
                y + 1, x + 1, got, ch, pyte_cell_look(attr)))

    # The second flush changed one cell: a cursor move, colours, 'Z', the cursor.
    second = serial_after(m, found.group(0).encode(), b"\r\nvttest: drawn")
    if b"Z" not in second or len(second) > 48:
        fail("x,y mode: a flush that changed one cell sent {} bytes to serial: {!r}".format(
            len(second), second))

    m.send("\n")
    m.expect(r"vttest \(pid \d+\) killed: page fault")
    m.expect(r"^kmon> ", partial=True)  # the screen stays still while the monitor waits
    after = vga_screen(m)
    # The terminal's rows come back, moved up by what it printed since.
    mark = next((y for y, row in enumerate(text_rows(before)) if row == "vttest: ready"), None)
    if mark is None:
        fail("the screen before x,y mode has no row 'vttest: ready'")
    moved = next((y for y, row in enumerate(text_rows(after)) if row == "vttest: ready"), None)
    if moved is None or moved > mark:
        fail("after the crash the screen has no row 'vttest: ready' (the terminal was not given "
             "back):\n" + "\n".join(text_rows(after)))
    shift = mark - moved
    for y in range(moved + 1):
        if after[y] != before[y + shift]:
            fail("after the crash row {} shows {!r}, before x,y mode it was {!r}".format(
                y + 1, text_rows(after)[y], text_rows(before)[y + shift]))
    cells, cursor = pyte_screen(serial_after(m, b"vttest: taking"))
    compare_rows("after the crash, serial (pyte) against VGA", text_rows(cells),
                 text_rows(after))


# The bytes x,y mode sends to serial when a program takes the screen, and
# the start of the terminal's repaint when it gives it back.
XY_TAKE = b"\x1b[0m\x1b[H\x1b[2J\x1b[?25l"
XY_REPAINT = b"\x1b[0m\x1b[H\x1b[2J\x1b[0;"


def last_picture(m, name):
    """pyte's screen as x,y mode's last flush left it: the serial bytes from
    the (first) take to the (last) repaint of the terminal."""
    raw = m.raw_output
    start, end = raw.find(XY_TAKE), raw.rfind(XY_REPAINT)
    if start < 0 or end < start:
        fail("{}: no x,y mode picture on serial (take, then the terminal's repaint)".format(
            name))
    return pyte_screen(raw[start:end])


@test("drivers", "console: top -n 2 shows the FAT server's process line and the memory "
      "figures of /proc/meminfo", cmdline="run=top,-n,2;cat,/proc/meminfo exit panic=exit",
      timeout=60)
def _(m):
    pid = int(m.expect(r"served by fatfs \(pid (\d+)\)").group(1))
    total = int(m.expect(r"^MemTotal:\s+(\d+) kB$").group(1))
    free = int(m.expect(r"^MemFree:\s+(\d+) kB$").group(1))
    m.expect_exit(33)
    cells, _ = last_picture(m, "top")
    rows = text_rows(cells)
    if "refresh 2 of 2" not in rows[2]:
        fail("top's last picture has no 'refresh 2 of 2' on row 3: {!r}".format(rows[2]))
    found = [r for r in rows if r.split()[:1] == [str(pid)]]
    if not found or "fatfs" not in found[0]:
        fail("top shows no line for pid {} (fatfs):\n{}".format(pid, "\n".join(rows)))
    mem = [int(n) for n in re.findall(r"(\d+) kB", rows[1])]
    if len(mem) < 2 or mem[0] != total or abs(mem[1] - free) > 256:
        fail("top shows {!r}; /proc/meminfo says MemTotal {} kB, MemFree {} kB".format(
            rows[1], total, free))


def snake_replay(seed, cols=COLS, rows=ROWS, demo_moves=2000):
    """The game `snake -demo SEED` plays (the rules in user/snake.c's
    opening comment): (score, length, moves, dead)."""
    rng = seed or 1

    def rand():
        nonlocal rng
        rng ^= (rng << 13) & 0xffffffff
        rng ^= rng >> 17
        rng ^= (rng << 5) & 0xffffffff
        return rng

    def wall(p):
        return p[0] <= 0 or p[0] >= cols - 1 or p[1] <= 1 or p[1] >= rows - 1

    def place():
        free = (cols - 2) * (rows - 3) - len(body)
        if free <= 0:
            return None
        k, taken = rand() % free, set(body)
        cells = ((x, y) for y in range(2, rows - 1) for x in range(1, cols - 1)
                 if (x, y) not in taken)
        return next(c for i, c in enumerate(cells) if i == k)

    dirs = [(0, -1), (1, 0), (0, 1), (-1, 0)]
    body = [(cols // 2 - 2 + i, rows // 2) for i in range(3)]   # tail first
    d, score, moves, food = 1, 0, 0, None
    food = place()
    while moves < demo_moves:
        head = body[-1]
        best, best_dist = d, None
        for c, (dx, dy) in enumerate(dirs):
            p = (head[0] + dx, head[1] + dy)
            if c == (d + 2) % 4 or wall(p) or p in body[1:]:
                continue
            dist = abs(p[0] - food[0]) + abs(p[1] - food[1])
            if best_dist is None or dist < best_dist:
                best, best_dist = c, dist
        d = best
        nxt = (head[0] + dirs[d][0], head[1] + dirs[d][1])
        moves += 1
        if wall(nxt) or nxt in body[1:]:
            return score, len(body), moves, True
        body.append(nxt)
        if nxt == food:
            score += 10
            food = place()
            if food is None:
                return score, len(body), moves, True
        else:
            body.pop(0)
    return score, len(body), moves, False


SNAKE_SEED = random.Random().randrange(1, 1 << 32)


@test("drivers", "console: the snake game's demo plays the game of its seed (replayed here) "
      "and ends with its score", cmdline="run=snake,-demo,{} exit panic=exit".format(SNAKE_SEED),
      timeout=120)
def _(m):
    found = m.expect(r"snake: score (\d+) length (\d+) moves (\d+) \((dead|done)\)$")
    got = (int(found.group(1)), int(found.group(2)), int(found.group(3)),
           found.group(4) == "dead")
    want = snake_replay(SNAKE_SEED)
    if got != want:
        fail("snake -demo {} ended with score {} length {} moves {} dead={}; the same game "
             "replayed here: score {} length {} moves {} dead={}".format(SNAKE_SEED, *got, *want))
    m.expect_exit(33)
    cells, _ = last_picture(m, "snake")
    status = text_rows(cells)[0]
    if "score {} ".format(want[0]) not in status + " ":
        fail("snake's last picture shows {!r} on its first row, not the score {}".format(
            status, want[0]))


@test("drivers", "console: snake reads its keys from the terminal in raw mode: the down arrow "
      "turns it, q ends the game", cmdline="run=snake exit panic=exit", timeout=60)
def _(m):
    m.expect(r"snake\s*score\s*0\s*length\s*3", partial=True)   # its first picture
    m.send("\x1b[Bq")
    found = m.expect(r"snake: score (\d+) length (\d+) moves (\d+) \((dead|done)\)$")
    if found.group(4) != "done":
        fail("snake died instead of quitting at 'q': " + found.group(0))
    m.expect_exit(33)
    cells, _ = last_picture(m, "snake")
    heads = [(x, y) for y, row in enumerate(cells) for x, c in enumerate(row) if c[0] == "@"]
    if len(heads) != 1 or heads[0][1] <= ROWS // 2:
        fail("after the down arrow the snake's head (@) is at {} (column, row from 0); it "
             "started on row {} heading right".format(heads, ROWS // 2))


@test("drivers", "console: top runs until Ctrl-C, which ends it cleanly (status 0)", cmdline="run=top exit panic=exit", timeout=60)
def _(m):
    # Its first picture, as cleaned serial text: blank cells are skipped,
    # and later pictures send only the cells that change.
    m.expect(r"q\s*or\s*Ctrl-C\s*quits", partial=True)
    m.send("\x03")
    m.expect_exit(33)   # run's status of top: 0, not killed by SIGINT
