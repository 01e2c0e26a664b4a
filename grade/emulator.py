"""emulator.py: how graders run the kernel: QEMU's and Bochs' command lines,
the ARGS.img disk that carries the kernel command line to GRUB, and what
QEMU's exit statuses mean.  `make qemu` shares the flags (conf/qemu-flags).

GRADE_QEMU, if set, is the QEMU command to run instead of
`qemu-system-x86_64` (split like a shell would, so it may add arguments).
"""
import os
import re
import shlex
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ISO = REPO_ROOT / "build" / "os.iso"


# --------------------------------------------------------------------------
# QEMU: the one place that says how the kernel is run.
# --------------------------------------------------------------------------

QEMU_BINARY = "qemu-system-x86_64"
# Flags every run shares, with `make qemu` and friends too: conf/qemu-flags
# (TCG, -no-reboot so that a triple fault ends QEMU, and isa-debug-exit so
# that the kernel chooses QEMU's exit status).  Graders add a serial port on
# standard input and output and no screen; -cpu and -m come from the test,
# the ISO and the ARGS.img disk from the Machine.
QEMU_FLAGS = (REPO_ROOT / "conf" / "qemu-flags").read_text().split() + [
    "-display", "none", "-monitor", "none", "-serial", "stdio",
]
DEFAULT_CPU = "max"
DEFAULT_MEM = "128M"

# The fw_cfg file that carries a run's nonce (Machine.nonce, expect_pass).
NONCE_FILE = "opt/kestrel/nonce"

# QEMU exit statuses chosen by the kernel: isa-debug-exit value v -> (v << 1) | 1.
STATUS_PASS = 33   # 0x10: ktest passed
STATUS_FAIL = 35   # 0x11: ktest failed
STATUS_PANIC = 37  # 0x12: panic in a test run

ARGS_SECTOR_SIZE = 512


def qemu_binary():
    """The QEMU command as a list: $GRADE_QEMU if set, else qemu-system-x86_64."""
    return shlex.split(os.environ.get("GRADE_QEMU", QEMU_BINARY))


def qemu_command(iso, args_img, cpu=DEFAULT_CPU, mem=DEFAULT_MEM, extra=()):
    """The full QEMU command line that boots `iso` with the GRUB script `args_img`."""
    # In -drive, a comma in the file name is written as two commas.
    drive = "file={},format=raw,if=ide,index=0".format(str(args_img).replace(",", ",,"))
    return (qemu_binary() + ["-cpu", cpu, "-m", mem] + QEMU_FLAGS
            + ["-cdrom", str(iso), "-drive", drive, "-boot", "d"] + list(extra))


BOCHSRC = REPO_ROOT / "conf" / "bochsrc"


def bochs_command(iso, args_img, workdir):
    """The Bochs command that boots `iso` like QEMU does, for graders.

    It writes a bochsrc into `workdir` from conf/bochsrc with the paths
    filled in, COM1 sent to standard output (the pipe the grader reads), no
    log file, and the VNC display that needs no screen.  Bochs' debugger
    waits for `c` on standard input, which Machine.start sends.
    """
    settings = {
        "ata0-master": 'type=disk, path="{}", mode=flat, cylinders=1, heads=1, spt=1'
                       .format(args_img),
        "ata1-master": 'type=cdrom, path="{}", status=inserted'.format(iso),
        "com1": "enabled=1, mode=file, dev=/dev/stdout",
        "display_library": 'rfb, options="timeout=0"',
        "log": "/dev/null",
        "panic": "action=fatal",
    }
    lines = []
    for line in BOCHSRC.read_text().splitlines():
        key = line.split(":", 1)[0].strip()
        lines.append("{}: {}".format(key, settings[key]) if key in settings else line)
    rc = Path(workdir) / "bochsrc"
    rc.write_text("\n".join(lines) + "\n")
    return ["bochs", "-q", "-f", str(rc)]


def make_args_image(cmdline, ramdisk=None, video=None):
    """The 512-byte ARGS.img sector that makes GRUB boot with `cmdline`.

    GRUB reads it with `source (hd0)0+1`, so it holds one line of GRUB script,
    `set kargs="CMDLINE"`, padded with NUL bytes.  Inside GRUB's double quotes
    `"`, `$` and `\\` are special and a newline would end the command, so such
    command lines are refused rather than quoted.

    With `ramdisk` (bytes), the disk carries that image from its second
    sector on, and a second line, `set ramdisk_file="(hd0)1+N"`, makes GRUB
    load it as the module "ramdisk" instead of the ISO's (conf/grub.cfg).
    With `video` ("1024x768x32"), `set kvideo=...` makes GRUB leave the
    machine in that graphics mode (the framebuffer console, /dev/fb0).
    """
    bad = sorted({c for c in cmdline if c in '"$\\' or ord(c) < 0x20 or ord(c) == 0x7f})
    if bad:
        raise ValueError("kernel command line {!r} contains {}: GRUB's quoting cannot "
                         "carry these characters".format(cmdline, ", ".join(map(repr, bad))))
    data = 'set kargs="{}"\n'.format(cmdline).encode("utf-8")
    if video is not None:
        if not re.fullmatch(r"\d+x\d+(x\d+)?", video):
            raise ValueError("video mode {!r} is not WIDTHxHEIGHT[xDEPTH]".format(video))
        data += "set kvideo={}\n".format(video).encode("utf-8")
    sectors = 0
    if ramdisk is not None:
        sectors = (len(ramdisk) + ARGS_SECTOR_SIZE - 1) // ARGS_SECTOR_SIZE
        data += 'set ramdisk_file="(hd0)1+{}"\n'.format(sectors).encode("utf-8")
    if len(data) > ARGS_SECTOR_SIZE:
        raise ValueError("kernel command line is too long ({} bytes; at most {})".format(
            len(cmdline.encode("utf-8")),
            ARGS_SECTOR_SIZE - len(data) + len(cmdline.encode("utf-8"))))
    image = data.ljust(ARGS_SECTOR_SIZE, b"\0")
    if ramdisk is not None:
        image += bytes(ramdisk).ljust(sectors * ARGS_SECTOR_SIZE, b"\0")
    return image


def die(message):
    """Stop with a usage or configuration error (exit status 2)."""
    print(message, file=sys.stderr)
    sys.exit(2)


def describe_status(status):
    """Say in words what a QEMU exit status means."""
    known = {
        STATUS_PASS: "ktest PASS",
        STATUS_FAIL: "ktest FAIL",
        STATUS_PANIC: "kernel panic",
        0: "QEMU's own exit: a triple fault, reboot or power-off",
        1: "a QEMU error, or isa-debug-exit with value 0",
    }
    if status is None:
        return "still running"
    if status in known:
        return known[status]
    if status < 0:
        return "killed by signal {}".format(-status)
    if status & 1:
        return "isa-debug-exit with value {:#x}".format(status >> 1)
    return "QEMU's own exit status"


