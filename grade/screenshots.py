#!/usr/bin/env python3
"""screenshots: the README's pictures, taken from QEMU's screendump.

    python3 grade/screenshots.py [--out docs] [NAME...]    (make screenshots)

Each shot boots the ISO in a Machine (gradelib), does what its function
says on the serial console, waits for the screen to show it, and writes
docs/NAME.png (fbscreen.write_png: zlib and struct, no PIL).  To add a
shot, write a function taking the running Machine and returning nothing
once the screen is ready, and add a line to SHOTS: its name, the video
mode (None: VGA text), the kernel command line and the function.
"""
import argparse
import sys
import time
from pathlib import Path

import gradelib
from gradelib import Machine

import drivers_fb
import fbscreen

KSH_PROMPT = r"ksh:(\S*)\$ $"


def ksh(m, *commands):
    """Type commands at ksh's prompt, each after the prompt is back."""
    m.expect(KSH_PROMPT, partial=True, timeout=60)
    for command in commands:
        m.send(command + "\n")
        m.expect(KSH_PROMPT, partial=True, timeout=60)
    time.sleep(1)  # the last characters reach the screen just after serial


def shot_console(m):
    ksh(m, "cat /etc/hostname", "ls /", "echo $PATH; uptime")


def shot_fbcon(m):
    ksh(m, "ls /bin | wc -l", "ls /", "free", "ps")


def shot_fbdemo(m):
    m.expect(r"^fbdemo: drawing ")
    drivers_fb.poll_screen(m, drivers_fb.DEMO_MODE, drivers_fb.check_demo(drivers_fb.DEMO_MODE))


def wait_vga(m, needle):
    deadline = time.monotonic() + 60 * gradelib.timeout_scale()
    while not any(needle in row for row in m.monitor.vga_rows()):
        if time.monotonic() > deadline:
            raise gradelib.TestFailure("the screen never showed {!r}".format(needle))
        time.sleep(0.2)


def shot_top(m):
    ksh(m)
    m.send("top\n")
    wait_vga(m, "COMMAND")
    time.sleep(1)  # its first refresh drawn whole


def have_program(name):
    return (gradelib.REPO_ROOT / "build" / "ramdisk-root" / "bin" / name).exists()


# name, video mode (None: VGA text), kernel command line, what to do, when.
SHOTS = [
    ("console", None, "", shot_console, lambda: True),
    ("fbcon", "800x600x32", "", shot_fbcon, lambda: True),
    ("fbdemo", "800x600x32", "run=/bin/fbdemo,-t,600", shot_fbdemo, lambda: True),
    ("top", None, "", shot_top, lambda: have_program("top")),
]


def take(name, video, cmdline, func, out):
    with Machine(cmdline, video=video, timeout=120) as m:
        func(m)
        w, h, rgb = m.monitor.screendump()
    path = out / (name + ".png")
    fbscreen.write_png(path, w, h, rgb)
    print("screenshots: {} ({}x{}, {} bytes)".format(path, w, h, path.stat().st_size))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(gradelib.REPO_ROOT / "docs"))
    parser.add_argument("names", nargs="*", help="the shots to take (default: all)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    unknown = set(args.names) - {s[0] for s in SHOTS}
    if unknown:
        parser.error("no shot named {}".format(", ".join(sorted(unknown))))
    failed = 0
    for name, video, cmdline, func, available in SHOTS:
        if args.names and name not in args.names:
            continue
        if not available():
            print("screenshots: {}: skipped (its program is not in this tree)".format(name))
            continue
        try:
            take(name, video, cmdline, func, out)
        except gradelib.TestFailure as e:
            print("screenshots: {}: {}".format(name, e), file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
