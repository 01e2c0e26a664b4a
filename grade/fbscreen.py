"""fbscreen: read what QEMU shows, for the framebuffer's graders and
`make screenshots`.

* read_cells(w, h, rgb) reads the text of the framebuffer console from a
  screendump: every 8x16 cell must show a glyph of the console's font
  (conf/psffont.py reads the same PSF file the build converts) in two
  colours, and comes back as (character, foreground, background).  A cell
  that shows no glyph of the font is reported as None: a wrong pitch, a
  glyph drawn a pixel off or a mangled font shows there.
* mandel_rgb(x, y, w, h) is the colour user/fbdemo.c draws at pixel (x, y)
  of a w x h screen, computed the same way in integers.
* write_png(path, w, h, rgb) writes a screendump as a PNG (zlib and struct
  only).
"""
import re
import struct
import sys
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "conf"))

import psffont  # noqa: E402  (conf/psffont.py, the build's converter)

GLYPH_W, GLYPH_H = 8, 16

# VGA's 16 colours, as drivers/fbcon.c draws them.
VGA_RGB = [(0x00, 0x00, 0x00), (0x00, 0x00, 0xaa), (0x00, 0xaa, 0x00), (0x00, 0xaa, 0xaa),
           (0xaa, 0x00, 0x00), (0xaa, 0x00, 0xaa), (0xaa, 0x55, 0x00), (0xaa, 0xaa, 0xaa),
           (0x55, 0x55, 0x55), (0x55, 0x55, 0xff), (0x55, 0xff, 0x55), (0x55, 0xff, 0xff),
           (0xff, 0x55, 0x55), (0xff, 0x55, 0xff), (0xff, 0xff, 0x55), (0xff, 0xff, 0xff)]


def font_path():
    """The PSF file the build converts (FONT_PSF in the GNUmakefile)."""
    text = (REPO_ROOT / "GNUmakefile").read_text()
    return re.search(r"^FONT_PSF \?= (\S+)", text, re.M).group(1)


_glyph_table = None


def glyph_table():
    """{16 bytes of a glyph: its character}, printable ASCII winning over
    other codes with the same picture."""
    global _glyph_table
    if _glyph_table is None:
        glyphs = psffont.load_cp437_glyphs(font_path())
        table = {}
        order = [c for c in range(256) if not 0x20 <= c < 0x7f] + list(range(0x7e, 0x1f, -1))
        for code in order:
            table[glyphs[code]] = psffont.cp437_char(code) if code else " "
        _glyph_table = table
    return _glyph_table


def read_cell(w, rgb, cx, cy):
    """(character, fg, bg) of the cell at column cx, row cy, or None."""
    first = None
    rows, other = [], None
    for r in range(GLYPH_H):
        at = ((cy * GLYPH_H + r) * w + cx * GLYPH_W) * 3
        line = rgb[at:at + GLYPH_W * 3]
        bits = 0
        for c in range(GLYPH_W):
            px = line[c * 3:c * 3 + 3]
            if first is None:
                first = px
            if px != first:
                if other is None:
                    other = px
                elif px != other:
                    return None  # a third colour: no glyph of ours
                bits |= 0x80 >> c
        rows.append(bits)
    table = glyph_table()
    other = tuple(other) if other is not None else tuple(first)
    glyph = bytes(rows)
    if glyph in table:  # the first pixel is background
        return table[glyph], other, tuple(first)
    inverse = bytes(b ^ 0xff for b in rows)
    if inverse in table:  # the first pixel is foreground
        return table[inverse], tuple(first), other
    return None


def read_cells(w, h, rgb):
    """The console's grid: rows of (character, fg, bg) or None per cell."""
    return [[read_cell(w, rgb, cx, cy) for cx in range(w // GLYPH_W)]
            for cy in range(h // GLYPH_H)]


def row_text(row):
    """A row's characters ("\\ufffd" for an unreadable cell), without trailing blanks."""
    return "".join(c[0] if c else "\ufffd" for c in row).rstrip(" ")


def terminal_rows(text, cols, rows):
    """The rows a terminal of cols x rows shows after printing text from a
    blank screen at (0, 0): \\n, \\r, \\b, \\t, wrapping at the last column,
    scrolling at the bottom.  Also the cursor (x, y)."""
    screen, x, y = [[" "] * cols], 0, 0
    for ch in text:
        if ch == "\n":
            x, y = 0, y + 1
        elif ch == "\r":
            x = 0
        elif ch == "\b":
            x = max(0, x - 1)
        elif ch == "\t":
            x = (x + 8) & ~7
        else:
            screen[y][x] = ch
            x += 1
        if x >= cols:
            x, y = 0, y + 1
        while len(screen) <= y:
            screen.append([" "] * cols)
    lines = ["".join(r).rstrip(" ") for r in screen]
    top = max(0, len(lines) - rows)
    return lines[top:], (x, y - top)


# user/fbdemo.c's picture, in its fixed point (Q8.24).
FIX, MAX_ITER = 24, 64
ONE = 1 << FIX


def mandel_iter(x, y, w, h):
    cx = x * 7 * ONE // (2 * w) - 5 * ONE // 2
    cy = y * 5 * ONE // (2 * h) - 5 * ONE // 4
    zx = zy = 0
    for i in range(MAX_ITER):
        zx2, zy2 = (zx * zx) >> FIX, (zy * zy) >> FIX
        if zx2 + zy2 > 4 * ONE:
            return i
        zy = ((2 * zx * zy) >> FIX) + cy
        zx = zx2 - zy2 + cx
    return MAX_ITER


def mandel_rgb(x, y, w, h):
    i = mandel_iter(x, y, w, h)
    if i == MAX_ITER:
        return (0, 0, 0)
    v = i * 4
    r = v if v < 64 else 64 + (v - 64) * 3 if v < 128 else 255
    g = v // 2 if v < 96 else 48 + (v - 96) * 2 if v < 192 else 240 + (v - 192) // 4
    b = 96 + v * 2 if v < 64 else 224 - (v - 64) * 2 if v < 160 else (v - 160) * 2
    return (r, g, b)


def pixel(w, rgb, x, y):
    at = (y * w + x) * 3
    return tuple(rgb[at:at + 3])


def write_png(path, w, h, rgb):
    """Write w x h pixels of 8-bit RGB as a PNG file (truecolour, no filter)."""
    raw = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n"
                           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
