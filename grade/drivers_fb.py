"""Grader tests of stage `drivers` for the framebuffer (imported by
stage_drivers.py): the multiboot2 framebuffer GRUB sets up (`video=` writes
`set kvideo=WxHxD` on the args disk), the framebuffer console, /dev/fb0
and user/fbdemo.

Facts computed here, not taken from the kernel: the screen's size is the
mode's; every cell of the console is a glyph of the font the build
converts (fbscreen reads the same PSF file) in VGA's light grey on black;
the rows on the screen are what a terminal of that size shows after the
serial output since the console came up (fbscreen.terminal_rows), with the
cursor drawn after the prompt; fbdemo's FBIOGET values are the mode's;
the pixels fbdemo draws have the colours the grader computes with the
same fixed-point formula (fbscreen.mandel_rgb), at pixels all over the
screen and on its last row and column.
"""
import random
import time

from gradelib import fail, test, timeout_scale

import fbscreen

GREY, BLACK = fbscreen.VGA_RGB[7], fbscreen.VGA_RGB[0]
CONSOLE_MODE = (640, 480)   # 80x30 cells: the boot output scrolls
DEMO_MODE = (800, 600)
POLL_SECONDS = 30           # wall seconds (scaled) for the screen to show what is due


def mode(wh):
    return "{}x{}x32".format(*wh)


def screendump(m, size):
    w, h, rgb = m.monitor.screendump()
    if (w, h) != size:
        fail("the screen is {}x{}, expected the mode's {}x{}".format(w, h, *size))
    return rgb


def poll_screen(m, size, check):
    """Take screendumps until check(rgb) returns None (a match) or the
    time is out; fail with the last reason check gave."""
    deadline = time.monotonic() + POLL_SECONDS * timeout_scale()
    while True:
        reason = check(screendump(m, size))
        if reason is None:
            return
        if time.monotonic() > deadline or m.status is not None:
            fail(reason)
        time.sleep(0.3)


def console_text(m):
    """The serial output from the framebuffer console's first line on."""
    lines = m.output
    for i, line in enumerate(lines):
        if line.startswith("fbcon: "):
            return "\n".join(lines[i:])
    fail("no 'fbcon: ' line: the framebuffer console did not start")


def check_console(m, size):
    """A screen check: None if the screen shows what the serial output says.

    The rows since the console's first line are a block of the screen
    ending at the cursor's row, wherever it starts: the console may take
    over with the rows shown before it (a terminal emulator redraws its
    grid on a new screen) or blank; once the output has filled the screen
    that block is all of it.  Cells are light grey on black but for the
    cursor, a light grey cell after the prompt."""
    cols, rows = size[0] // 8, size[1] // 16
    want, (cx, cy) = fbscreen.terminal_rows(console_text(m), cols, rows)
    top_row = None

    def check_colours(cells):
        for y, row in enumerate(cells):
            for x, cell in enumerate(row):
                if cell is None or (x, y) == (cx, top_row + cy):
                    continue
                if cell[2] != BLACK or (cell[0] != " " and cell[1] != GREY):
                    return ("cell ({}, {}) {!r} is drawn in {} on {}: expected light grey "
                            "{} on black".format(x, y, cell[0], cell[1], cell[2], GREY))
        cursor = cells[top_row + cy][cx]
        if cursor is None or cursor[0] != " " or cursor[2] != GREY:
            return "no cursor (a light grey cell) at ({}, {}) after the prompt: {}".format(
                cx, top_row + cy, cursor)
        return None

    def check(rgb):
        nonlocal top_row
        cells = fbscreen.read_cells(size[0], size[1], rgb)
        text = [fbscreen.row_text(row) for row in cells]
        starts = [y for y in range(rows - len(want) + 1) if text[y:y + len(want)] == want]
        if not starts:
            first = next((y for y, t in enumerate(text) if t == want[0]), 0)
            for y, line in enumerate(want):
                got = text[first + y] if first + y < rows else None
                if got != line:
                    return ("screen row {}: expected {!r}, the screen shows {!r} (the rows "
                            "since 'fbcon:' should be on the screen one after the other; "
                            "it shows {!r})".format(first + y, line, got, text))
        top_row = starts[-1] if starts else 0
        return check_colours(cells)
    return check


@test("drivers", "framebuffer console: the kernel's lines in the font, scrolled",
      cmdline="monitor", video=mode(CONSOLE_MODE), timeout=30)
def fb_console(m):
    m.expect(r"^framebuffer: {}x{}, 32 bpp, type 1 at ".format(*CONSOLE_MODE))
    m.expect(r"^fb: {}x{}, 32 bpp, pitch \d+ at [0-9a-f]+: /dev/fb0$".format(*CONSOLE_MODE))
    m.expect(r"^fbcon: 80x30 cells of 8x16 on the framebuffer$")
    m.expect(r"^kmon> $", partial=True)
    # Enough lines to scroll the 30 rows more than once.  Each line is
    # typed once the screen shows the prompt: the console sends a
    # character to serial before it draws it, and the echo of a character
    # typed in between would reach the screen first.
    for n in range(4):
        poll_screen(m, CONSOLE_MODE, check_console(m, CONSOLE_MODE))
        m.send("help\n")
        m.expect(r"^kmon> $", partial=True)
    if len(console_text(m).split("\n")) < 2 * 30:
        fail("the monitor's help printed too little to scroll the screen twice")
    poll_screen(m, CONSOLE_MODE, check_console(m, CONSOLE_MODE))


def fbdemo_info(m, size):
    w, h = size
    var = m.expect(r"^fbdemo: var xres (\d+) yres (\d+) virtual (\d+)x(\d+) bpp (\d+) "
                   r"red (\d+)/(\d+) green (\d+)/(\d+) blue (\d+)/(\d+)$")
    got = [int(v) for v in var.groups()]
    if got[:5] != [w, h, w, h, 32]:
        fail("FBIOGET_VSCREENINFO: xres, yres, virtual, bpp {}: expected {}".format(
            got[:5], [w, h, w, h, 32]))
    fields = sorted(zip(got[5::2], got[6::2]))
    if any(length != 8 for _, length in fields) or fields[-1][0] > 24 or \
            any(a[0] + 8 > b[0] for a, b in zip(fields, fields[1:])):
        fail("FBIOGET_VSCREENINFO: colour fields {}: expected three 8-bit fields apart "
             "in 32 bits".format(fields))
    fix = m.expect(r'^fbdemo: fix id "([^"]*)" smem_start (0x[0-9a-f]+) smem_len (\d+) '
                   r"line_length (\d+) type (\d+) visual (\d+)$")
    start, length, pitch = int(fix.group(2), 16), int(fix.group(3)), int(fix.group(4))
    if pitch < 4 * w or length != pitch * h or int(fix.group(5)) != 0 or \
            int(fix.group(6)) != 2 or start % 4096:
        fail("FBIOGET_FSCREENINFO: smem_start {:#x} smem_len {} line_length {} type {} "
             "visual {}: expected line_length >= {}, smem_len line_length * {}, packed "
             "pixels (0), true colour (2)".format(start, length, pitch, fix.group(5),
                                                  fix.group(6), 4 * w, h))


def demo_points(size, count=1500):
    w, h = size
    rnd = random.Random()
    points = {(w - 1, h - 1), (0, h - 1), (w - 1, 0), (0, 0), (w // 2, h // 2)}
    points |= {(x, h - 1) for x in range(0, w, 37)} | {(w - 1, y) for y in range(0, h, 23)}
    while len(points) < count:
        points.add((rnd.randrange(w), rnd.randrange(h)))
    return sorted((x, y, fbscreen.mandel_rgb(x, y, w, h)) for x, y in points)


def check_demo(size):
    points = demo_points(size)

    def check(rgb):
        bad = [(x, y, want, fbscreen.pixel(size[0], rgb, x, y)) for x, y, want in points
               if fbscreen.pixel(size[0], rgb, x, y) != want]
        if not bad:
            return None
        x, y, want, got = bad[0]
        return "{} of {} pixels fbdemo drew are wrong: ({}, {}) is {}, expected {}".format(
            len(bad), len(points), x, y, got, want)
    return check


@test("drivers", "fbdemo: FBIOGET values are the mode's, the picture's pixels are right",
      cmdline="run=/bin/fbdemo,-t,300 exit", video=mode(DEMO_MODE), timeout=60)
def fbdemo_draws(m):
    fbdemo_info(m, DEMO_MODE)
    m.expect(r"^fbdemo: drawing {}x{}$".format(*DEMO_MODE))
    poll_screen(m, DEMO_MODE, check_demo(DEMO_MODE))
    m.send("q")
    m.expect(r"^fbdemo: done$")
    m.expect_exit(33)


@test("drivers", "/dev/fb0: bad pointers, ranges and modes fail as on Linux",
      cmdline="run=/bin/fbdemo,-c exit", video=mode(DEMO_MODE))
def fbdemo_errors(m):
    fbdemo_info(m, DEMO_MODE)
    checks = 0
    while True:
        line = m.expect(r"^fbdemo: (check .*|(\d+) checks failed)$")
        if line.group(2) is not None:
            break
        checks += 1
        if not line.group(1).endswith(" ok"):
            fail(line.group(0))
    if checks < 8 or line.group(2) != "0":
        fail("fbdemo -c: {} checks, {} failed".format(checks, line.group(2)))
    m.expect_exit(33)


@test("drivers", "text mode: no framebuffer, the VGA console, no /dev/fb0",
      cmdline="run=/bin/fbdemo")
def fb_text_mode(m):
    m.expect(r"^framebuffer: 80x25, 16 bpp, type 2 at b8000$")
    m.expect(r"^fb: framebuffer not used \(EGA text mode\): the VGA text console stays$")
    m.expect(r"^fbdemo: /dev/fb0: No such file or directory$")
    m.expect(r"^kmon> $", partial=True)
    w, h, _ = m.monitor.screendump()
    if (w, h) != (720, 400):
        fail("the screen is {}x{}: expected VGA text mode's 720x400".format(w, h))
    text = [row.rstrip() for row in m.monitor.vga_rows()]
    if "fbdemo: /dev/fb0: No such file or directory" not in text:
        fail("the VGA text screen does not show fbdemo's line; it shows {!r}".format(text))

