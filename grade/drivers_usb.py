"""Grader tests of stage `drivers` for the USB keyboard (imported by
stage_drivers.py): user/usbkbd.c on QEMU's PIIX3 UHCI controller with a
usb-kbd device.

The keyboard goes on a port this script picks at random, and the driver
must name it, with the vendor and product QEMU's usb-kbd reports (hw/usb/
dev-hid.c: 0627:0001).  Keys are sent to the USB keyboard alone, with QMP
input-send-event naming the display it is bound to (send-key goes to the
PS/2 keyboard, whose driver runs too).
"""
import random
import re

from gradelib import STATUS_PASS, TestFailure, test
from qmp import key_combo

PORT = random.choice([1, 2])
# The usb-kbd is bound to the VGA card (given an id for that: the same card
# as the default -vga std), so input-send-event naming that display reaches
# the USB keyboard alone; events without a display (send-key) go to the
# unbound PS/2 keyboard (QEMU's ui/input.c, qemu_input_find_handler).
USB = ("-vga", "none", "-device", "VGA,id=vga", "-device", "piix3-usb-uhci,id=uhci",
       "-device", "usb-kbd,id=usbkbd,bus=uhci.0,port={},display=vga".format(PORT))
KEYBOARD = r"^usbkbd: keyboard 0627:0001 on port {}, address 1, endpoint 1$".format(PORT)
INIT = "run=/bin/init panic=exit"
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


def usb_type(m, text):
    for ch in text:
        usb_combo(m, key_combo(ch))


def usb_shell(m):
    """Boot to init's ksh with usbkbd ready; the prompt is there."""
    m.expect(KEYBOARD)
    m.expect(r"^usbkbd: ready \((irq \d+|polling)\)$")
    m.expect(PROMPT, partial=True)


def random_word(n=6):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


@test("drivers", "usbkbd: enumerates QEMU's USB keyboard on its UHCI port; a command typed "
      "on it runs in ksh", cmdline=INIT, qemu_args=USB, timeout=60)
def _(m):
    usb_shell(m)
    word = random_word()
    usb_type(m, "echo {}\n".format(word))
    m.expect(r"^{}$".format(word))
