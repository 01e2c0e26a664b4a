"""Grader tests of stage `drivers` for the USB keyboard (imported by
stage_drivers.py): user/usbkbd/ on QEMU's PIIX3 UHCI controller with a
usb-kbd device.

The keyboard goes on a port this script picks at random, and the driver
must name it, with the vendor and product QEMU's usb-kbd reports (hw/usb/
dev-hid.c: 0627:0001).  Keys are sent to the USB keyboard alone, with QMP
input-send-event naming the display it is bound to (send-key would go to
the PS/2 keyboard, whose driver these boots do not give the right).
"""
import random
import re
import time

from drivers_hw import interrupt_sleep
from gradelib import STATUS_PASS, TestFailure, test, timeout_scale
from qmp import key_combo

# The keyboard on one port, QEMU's usb-mouse (also 0627:0001, but no boot
# keyboard interface) on the other: the driver must pass the mouse by.
PORT = random.choice([1, 2])
# The usb-kbd is bound to the VGA card (given an id for that: the same card
# as the default -vga std), so input-send-event naming that display reaches
# the USB keyboard alone; events without a display (send-key) go to the
# unbound PS/2 keyboard (QEMU's ui/input.c, qemu_input_find_handler).
USB = ("-vga", "none", "-device", "VGA,id=vga", "-device", "piix3-usb-uhci,id=uhci",
       "-device", "usb-kbd,id=usbkbd,bus=uhci.0,port={},display=vga".format(PORT),
       "-device", "usb-mouse,bus=uhci.0,port={}".format(3 - PORT))
MOUSE = r"^usbkbd: port {}: 0627:0001 is not a boot keyboard$".format(3 - PORT)
KEYBOARD = r"^usbkbd: keyboard 0627:0001 on port {}, address 1, endpoint 1$".format(PORT)
# ps2kbd is left without the right (it ends at its ioperm): what is typed
# can only come through usbkbd.
DRIVERS = "drivers=fatfs,ata,usbkbd"
INIT = DRIVERS + " run=/bin/init panic=exit"
PROMPT = r"ksh:(\S*)\$ $"


def usb_keys(m, keys, down):
    """Press (down) or release the qcodes keys on the USB keyboard, in order."""
    events = [{"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": k}}}
              for k in keys]
    m.monitor.command("input-send-event", device="vga", events=events)


def usb_combo(m, keys):
    """One combination: its keys down in order, then up in reverse."""
    usb_keys(m, keys, True)
    usb_keys(m, list(reversed(keys)), False)


ECHO_TIMEOUT = 10.0   # seconds for a typed character to show


def usb_type(m, text):
    """Type text on the USB keyboard, each character once the last has
    echoed: QEMU's usb-kbd holds only 16 key events (hw/input/hid.c,
    QUEUE_LENGTH) and drops what comes when they are full, so a burst
    typed faster than the guest reads it would lose keys."""
    for ch in text:
        usb_press(m, key_combo(ch))


def usb_press(m, keys):
    """Type the combination keys, then wait for the terminal's echo."""
    before = len(m.raw_output)
    usb_combo(m, keys)
    deadline = time.monotonic() + ECHO_TIMEOUT * timeout_scale()
    while len(m.raw_output) == before:
        if time.monotonic() > deadline or m.status is not None:
            raise TestFailure("{} typed on the USB keyboard did not echo".format("-".join(keys)))
        time.sleep(0.01)


def usb_shell(m):
    """Boot to init's ksh with usbkbd ready; the prompt is there."""
    if PORT == 2:
        m.expect(MOUSE)   # enumerated first, and refused
    m.expect(KEYBOARD)
    m.expect(r"^usbkbd: ready \((irq \d+|polling)\)$")
    m.expect(PROMPT, partial=True)


def random_word(n=6):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


@test("drivers", "usbkbd: enumerates QEMU's USB keyboard on its UHCI port (a mouse on the "
      "other is passed by); a command typed on it runs in ksh", cmdline=INIT, qemu_args=USB, timeout=60)
def _(m):
    usb_shell(m)
    word = random_word()
    usb_type(m, "echo {}\n".format(word))
    m.expect(r"^{}$".format(word))


@test("drivers", "usbkbd: both Shifts, Caps Lock (Shift undoes it for letters), Ctrl-C "
      "interrupts a sleeping program", cmdline=INIT, qemu_args=USB, timeout=60, idle=20)
def _(m):
    usb_shell(m)
    usb_type(m, "echo A")          # left Shift
    usb_press(m, ["shift_r", "b"])
    usb_press(m, ["shift_r", "equal"])
    usb_type(m, "C_d!\n")
    got = m.expect(r"^A..C.d!$").group(0)
    assert got == "AB+C_d!", "typed AB+C_d! (B and + with right Shift), got {}".format(got)
    m.expect(PROMPT, partial=True)
    usb_type(m, "echo ")
    usb_combo(m, ["caps_lock"])
    usb_type(m, "xy1Z")
    usb_combo(m, ["caps_lock"])
    usb_type(m, "w; sleep 1000\n")
    got = m.expect(r"^\w\w1\ww$").group(0)
    assert got == "XY1zw", "typed xy1Z with Caps Lock, then w: got {}".format(got)
    interrupt_sleep(m, lambda: usb_combo(m, ["ctrl", "c"]), "USB keyboard")


# Keys and the bytes a VT100 sends for them (the PS/2 driver's table, with
# the keypad's too).
KEYS = [(["up"], "1b 5b 41"), (["down"], "1b 5b 42"), (["right"], "1b 5b 43"),
        (["left"], "1b 5b 44"), (["home"], "1b 5b 48"), (["end"], "1b 5b 46"),
        (["delete"], "1b 5b 33 7e"), (["pgup"], "1b 5b 35 7e"), (["ctrl", "a"], "01"),
        (["ctrl_r", "b"], "02"), (["shift", "a"], "41"), (["ret"], "0a"),
        (["backspace"], "7f"), (["kp_enter"], "0a"), (["kp_add"], "2b")]


def key_bytes(m):
    """The next byte usbtest keys got, as two hex digits."""
    return m.expect(r"^usbtest: key: ([0-9a-f]{2})$").group(1)


@test("drivers", "usbkbd: arrows, Home, End, Delete, Page Up as ANSI sequences; Ctrl, "
      "Enter, Backspace, keypad in raw mode", cmdline=INIT, qemu_args=USB, timeout=60)
def _(m):
    usb_shell(m)
    usb_type(m, "usbtest keys\n")
    m.expect(r"^usbtest: keys: ready$")
    # One key at a time, awaiting its bytes: QEMU's usb-kbd queues only 16
    # key events (hw/input/hid.c), so a burst would lose some.
    for combo, seq in random.sample(KEYS, len(KEYS)):
        usb_combo(m, combo)
        got = " ".join(key_bytes(m) for _ in seq.split())
        assert got == seq, "{} gave {}, expected {}".format("-".join(combo), got, seq)
    usb_combo(m, ["q"])
    m.expect(r"^usbtest: keys: done$")


@test("drivers", "usbkbd: a held key repeats (the driver's own repeat: a USB keyboard "
      "reports a held key once) and stops when released", cmdline=INIT, qemu_args=USB,
      timeout=60)
def _(m):
    usb_shell(m)
    usb_type(m, "usbtest keys\n")
    m.expect(r"^usbtest: keys: ready$")
    usb_keys(m, ["x"], True)
    for i in range(8):
        got = key_bytes(m)
        assert got == "78", "key {} of a held x: {}".format(i + 1, got)
    usb_keys(m, ["x"], False)
    # Nothing to await here but silence: 1.5 s is three repeat delays and
    # forty-five repeats at the driver's rate.
    time.sleep(1.5)
    usb_combo(m, ["q"])
    after = 0
    while m.expect(r"^usbtest: (key: 78|keys: done)$").group(1) != "keys: done":
        after += 1
    # A few repeats may have been on their way when the key went up.
    assert after <= 5, "{} repeats of x after its release".format(after)


@test("drivers", "usbkbd: a UHCI controller without a keyboard: it says so and exits 0",
      cmdline=INIT, qemu_args=("-device", "piix3-usb-uhci"),
      timeout=60)
def _(m):
    m.expect(r"^usbkbd: no keyboard$")
    m.expect(r"^init: usbkbd \(pid \d+\) exited with status 0$")
    m.expect(PROMPT, partial=True)


@test("drivers", "usbkbd: without a UHCI controller it says so and exits 0",
      cmdline=INIT, timeout=60)
def _(m):
    m.expect(r"^usbkbd: no UHCI controller$")
    m.expect(r"^init: usbkbd \(pid \d+\) exited with status 0$")
    m.expect(PROMPT, partial=True)


def bus_master(m, want):
    m.send("usbtest pci\n")
    got = m.expect(r"^usbtest: uhci bus master: (.*)$").group(1)
    assert got == want, "the UHCI controller's bus mastering is {}, expected {}".format(
        got, want)


@test("drivers", "usbkbd: killed with SIGKILL, the kernel turns its controller's bus "
      "mastering off and goes on; started again it enumerates the keyboard and its keys work",
      cmdline=DRIVERS + ",usbtest run=/bin/init panic=exit", qemu_args=USB, timeout=60)
def _(m):
    usb_shell(m)
    bus_master(m, "on")
    m.send("ps\n")
    pid = m.expect(r"^\s*(\d+)\s.*usbkbd").group(1)
    m.expect(PROMPT, partial=True)
    m.send("kill -9 {}; echo killed\n".format(pid))
    m.expect(r"^killed$")
    m.expect(r"init: reaped orphan pid {}$".format(pid))
    bus_master(m, "off")
    m.send("usbkbd --background\n")
    m.expect(KEYBOARD)
    m.expect(r"^usbkbd: ready \((irq \d+|polling)\)$")
    m.expect(PROMPT, partial=True)
    word = random_word()
    usb_type(m, "echo {}\n".format(word))
    m.expect(r"^{}$".format(word))


def pattern(seed, n):
    """user/usbtest.c's bytes for seed."""
    return bytes(((seed * 2654435761 + i * 40503) % (1 << 32)) >> 7 & 0xff for i in range(n))


DMA_SEED = random.randrange(1, 1 << 30)


@test("drivers", "os_dma_alloc: EINVAL, EFAULT; contiguous pages below 4 GiB holding what "
      "was written (read from physical memory); freed by munmap and exit",
      cmdline="drivers=fatfs,usbtest run=/bin/usbtest,dma,{} exit panic=exit".format(DMA_SEED),
      timeout=60)
def _(m):
    for what, want in [("len 0", "EINVAL"), ("len 2 MiB", "EINVAL"),
                       ("bad phys pointer", "EFAULT")]:
        got = m.expect(r"^usbtest: {}: (.*)$".format(re.escape(what))).group(1)
        assert got == want, "usbtest {}: got {}, expected {}".format(what, got, want)
    phys = int(m.expect(r"^usbtest: alloc: at (0x[0-9a-f]+)$").group(1), 16)
    m.expect(r"^usbtest: read it, then type a line$")
    assert phys % 4096 == 0 and phys + 3 * 4096 <= 1 << 32, "phys {:#x}".format(phys)
    got = m.monitor.pmemsave(phys, 3 * 4096)
    want = pattern(DMA_SEED, 3 * 4096)
    if got != want:
        bad = next(i for i in range(len(want)) if got[i] != want[i])
        raise TestFailure("physical memory at {:#x} + {:#x} differs from what the program "
                          "wrote there (not one contiguous run at that address)".format(
                              phys, bad))
    m.send("\n")
    for what in ("munmap", "exit"):
        got = m.expect(r"^usbtest: free after {}: (-?\d+) kB less$".format(what)).group(1)
        assert got == "0", "{} kB fewer free after a DMA allocation and its {}".format(
            got, what)
    m.expect(r"^usbtest: dma: done$")
    m.expect_exit(STATUS_PASS)


@test("drivers", "os_dma_alloc without the right: EPERM",
      cmdline="drivers=fatfs run=/bin/usbtest,denied exit panic=exit", timeout=40)
def _(m):
    m.expect(r"^usbtest: denied: EPERM$")
    m.expect_exit(STATUS_PASS)
