"""Grader tests of stage `drivers` for hardware access (imported by
stage_drivers.py): the right, I/O ports, IRQs as messages, the PS/2
keyboard driver, serial input.

I/O ports: user/hwtest prints "hwtest: WHAT: VALUE" for each check; the
tables here hold what Linux (>= 5.5, whose iopl(3) allows every port
through the I/O bitmap but not cli) gives.  The date it reads from the RTC
through ports 0x70/0x71 must be the one this script gave QEMU (-rtc base).
A port not allowed must fault: the child that touched it dies of SIGSEGV.
"""
import random
import re

from gradelib import STATUS_PASS, TestFailure, test

SIGSEGV = "signal 11"

# A date of our choosing for the RTC, so that the value read is a fact
# computed here.
RTC_DATE = "20{:02d}-{:02d}-{:02d}".format(random.Random().randrange(30, 99),
                                           random.Random().randrange(1, 13),
                                           random.Random().randrange(1, 29))
RTC = ("-rtc", "base={}T12:00:00,clock=vm".format(RTC_DATE))

PORTS = [
    ("ioperm 65535+2", "EINVAL"),
    ("ioperm 0+0", "EINVAL"),
    ("iopl 4", "EINVAL"),
    ("inb 0x71 before ioperm", SIGSEGV),
    ("ioperm 0x70+2 on", "0"),
    ("rtc date", RTC_DATE),
    ("inb 0x72 not allowed", SIGSEGV),
    ("inw 0x71 reaching 0x72", SIGSEGV),
    ("inb 0x71 in a forked child", "exit 0"),
    ("inb 0x71 after execve", "exit 0"),
    ("iopl 3", "0"),
    ("inb 0x61 with iopl 3", "exit 0"),
    ("cli with iopl 3", SIGSEGV),
    ("iopl 0", "0"),
    ("inb 0x61 after iopl 0", SIGSEGV),
    ("inb 0x71 after iopl 0", "exit 0"),
    ("ioperm 0x71+1 off", "0"),
    ("inb 0x71 after ioperm off", SIGSEGV),
    ("os_console_input of a bad pointer", "EFAULT"),
]

DENIED = [
    ("ioperm 0x70+2 on", "EPERM"),
    ("iopl 3", "EPERM"),
    ("ioperm 0x70+2 off", "0"),
    ("iopl 0", "0"),
    ("os_physmap", "EPERM"),
    ("os_irq_attach 1", "EPERM"),
    ("os_console_input", "EPERM"),
    ("inb 0x71 without the right", SIGSEGV),
]


def check_lines(m, table):
    """Each line of table in order, with the value it must have."""
    for what, want in table:
        got = m.expect(r"^hwtest: {}: (.*)$".format(re.escape(what))).group(1)
        assert got == want, "hwtest {}: got {}, expected {}".format(what, got, want)


@test("drivers", "ioperm/iopl: the RTC's date through ports 0x70/0x71; a port not "
      "allowed faults; fork and execve keep the bitmap; iopl(3) ports but no cli; "
      "ioperm off revokes",
      cmdline="drivers=fatfs,hwtest run=/bin/hwtest,ports exit panic=exit",
      qemu_args=RTC, timeout=40)
def _(m):
    check_lines(m, PORTS)
    m.expect(r"^hwtest: ports: done$")
    m.expect_exit(STATUS_PASS)


@test("drivers", "ioperm/iopl/os_physmap/os_irq_attach/os_console_input without the right: "
      "EPERM, no port",
      cmdline="drivers=fatfs run=/bin/hwtest,denied exit panic=exit", timeout=40)
def _(m):
    check_lines(m, DENIED)
    m.expect(r"^hwtest: denied: done$")
    m.expect_exit(STATUS_PASS)


# IRQs as messages.  Scan code set 1, as QEMU's i8042 sends it with
# translation on: a key's make code, and its break code (make | 0x80).
SCANCODES = {"a": 0x1e, "b": 0x30}
HW_DRIVERS = "drivers=fatfs,hwtest"


def irq_message(m, what, count, code):
    got = m.expect(r"^hwtest: {}: (.*)$".format(what)).group(1)
    want = "from 0 len 24 irq 1 count {} scancode {:02x}".format(count, code)
    assert got == want, "hwtest {}: got {!r}, expected {!r}".format(what, got, want)


@test("drivers", "IRQ 1 as messages from pid 0: a key press arrives; the line stays "
      "masked until os_irq_ack; EBUSY for the kernel's lines, EINVAL for bad ones",
      cmdline=HW_DRIVERS + " run=/bin/hwtest,irq exit panic=exit", timeout=60)
def _(m):
    check_lines(m, [
        ("attach irq 0 (the timer)", "EBUSY"),
        ("attach irq 4 (COM1)", "EBUSY"),
        ("attach irq 2 (the cascade)", "EINVAL"),
        ("attach irq 16", "EINVAL"),
        ("attach irq 1 flags 1", "EINVAL"),
        ("ack irq 1 before attach", "EINVAL"),
        ("attach irq 1", "0"),
        ("attach irq 1 again", "EBUSY"),
    ])
    m.expect(r"^hwtest: irq: press a key$")
    m.monitor.sendkey("a")
    irq_message(m, "message 1", 1, SCANCODES["a"])
    m.expect(r"^hwtest: irq: press another key$")
    m.monitor.sendkey("b")
    got = m.expect(r"^hwtest: before ack: (.*)$").group(1)
    assert got == "ETIMEDOUT", "a message came before os_irq_ack: {}".format(got)
    irq_message(m, "message 2", 2, SCANCODES["a"] | 0x80)
    irq_message(m, "message 3", 3, SCANCODES["b"])
    irq_message(m, "message 4", 4, SCANCODES["b"] | 0x80)
    m.expect(r"^hwtest: irq: done$")
    m.expect_exit(STATUS_PASS)


@test("drivers", "a driver killed by SIGSEGV: the kernel goes on, its IRQ is freed for "
      "another process (EBUSY while it lived)",
      cmdline=HW_DRIVERS + " run=/bin/hwtest,irqcrash exit panic=exit", timeout=60)
def _(m):
    check_lines(m, [
        ("child: attach irq 1", "0"),
        ("parent: attach irq 1 while the child has it", "EBUSY"),
        ("child", SIGSEGV),
        ("parent: attach irq 1 after", "0"),
    ])
    m.expect(r"^hwtest: irq: press a key$")
    m.monitor.sendkey("a")
    irq_message(m, "message 1", 1, SCANCODES["a"])
    m.expect(r"^hwtest: irqcrash: done$")
    m.expect_exit(STATUS_PASS)


@test("drivers", "os_serial_read: poll gives 0, a timeout 0 after it, typed bytes "
      "one by one, raw; EINVAL, EFAULT",
      cmdline="run=/bin/hwtest,serial exit panic=exit", timeout=60)
def _(m):
    check_lines(m, [
        ("serial_read timeout -2", "EINVAL"),
        ("poll", "0"),
        ("timeout 300 ms", "0 after >= 300 ms"),
    ])
    m.expect(r"^hwtest: serial: type$")
    text = "".join(random.choice("xyz\x03\x7f") for _ in range(3))
    m.send(text)
    got = m.expect(r"^hwtest: serial: got:(.*)$").group(1)
    want = "".join(" {:02x}".format(ord(c)) for c in text)
    assert got == want, "os_serial_read gave{}, typed{} (raw: Ctrl-C and DEL are bytes " \
        "too)".format(got, want)
    m.expect(r"^hwtest: serial: type one more$")
    m.send("q")
    check_lines(m, [("serial_read to a bad pointer", "EFAULT")])
    m.expect(r"^hwtest: serial: done$")
    m.expect_exit(STATUS_PASS)


@test("drivers", "/dev/ttyS0: device 4:64, a terminal; writes show, raw reads and "
      "FIONREAD count the bytes typed",
      cmdline="run=/bin/hwtest,ttys0 exit panic=exit", timeout=60)
def _(m):
    check_lines(m, [("ttyS0", "rdev 4:64 isatty 1")])
    m.expect(r"^hwtest: ttyS0: written through it$")
    check_lines(m, [("ttyS0: FIONREAD before", "0")])
    m.expect(r"^hwtest: ttyS0: type$")
    word = "".join(random.choice("abcdefgh") for _ in range(4))
    m.send(word)
    check_lines(m, [
        ("ttyS0: FIONREAD", "4"),
        ("ttyS0: read 4", word),
        ("ttyS0: FIONREAD after", "0"),
    ])
    m.expect(r"^hwtest: ttys0: done$")
    m.expect_exit(STATUS_PASS)


# The PS/2 keyboard driver, started by init from /etc/inittab; keys come
# from QEMU's keyboard (QMP send-key), output on serial.
PROMPT = r"ksh:(\S*)\$ $"
INIT = "run=/bin/init panic=exit"


def keyboard_shell(m):
    """Boot to init's ksh with ps2kbd running; the prompt is there."""
    m.expect(r"^ps2kbd: ready$")
    m.expect(PROMPT, partial=True)


def random_word(n=6):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


@test("drivers", "ps2kbd: a command typed on the PS/2 keyboard runs in ksh", cmdline=INIT,
      timeout=60)
def _(m):
    keyboard_shell(m)
    word = random_word()
    m.monitor.type_text("echo {}\n".format(word))
    m.expect(r"^{}$".format(word))


@test("drivers", "ps2kbd: Shift, Caps Lock (Shift undoes it for letters)", cmdline=INIT,
      timeout=60)
def _(m):
    keyboard_shell(m)
    m.monitor.type_text("echo Ab+C_d!\n")
    m.expect(r"^Ab\+C_d!$")
    m.expect(PROMPT, partial=True)
    m.monitor.type_text("echo ")
    m.monitor.sendkey("caps_lock")
    m.monitor.type_text("xy1Z")
    m.monitor.sendkey("caps_lock")
    m.monitor.type_text("w\n")
    m.expect(r"^XY1zw$")


def interrupt_sleep(m, press_ctrl_c, keyboard):
    """Press Ctrl-C (press_ctrl_c()) until ksh reports `sleep 1000` ended by
    SIGINT.  The sleep starts right after the line before it, with nothing to
    await, so press again until it is there (ksh at its prompt takes a
    Ctrl-C as an empty line)."""
    for _ in range(5):
        press_ctrl_c()
        try:
            m.expect(r"^\[status 130, SIGINT\]$", timeout=2)
            return
        except TestFailure:
            continue
    raise TestFailure("Ctrl-C on the {} did not end `sleep 1000`".format(keyboard))


@test("drivers", "ps2kbd: Ctrl-C on the keyboard interrupts a sleeping program",
      cmdline=INIT, timeout=60, idle=20)
def _(m):
    keyboard_shell(m)
    m.monitor.type_text("echo go; sleep 1000\n")
    m.expect(r"^go$")
    interrupt_sleep(m, lambda: m.monitor.sendkey("ctrl-c"), "keyboard")
    word = random_word()
    m.monitor.type_text("echo {}\n".format(word))
    m.expect(r"^{}$".format(word))


# Keys and the bytes a VT100 sends for them, as the driver must.
KEYS = [("up", "1b 5b 41"), ("down", "1b 5b 42"), ("right", "1b 5b 43"), ("left", "1b 5b 44"),
        ("home", "1b 5b 48"), ("end", "1b 5b 46"), ("delete", "1b 5b 33 7e"),
        ("ctrl-a", "01"), ("shift-a", "41"), ("ret", "0a"), ("backspace", "7f")]


@test("drivers", "ps2kbd: arrows, Home, End, Delete as ANSI sequences; Ctrl, Enter, "
      "Backspace in raw mode; a held key repeats", cmdline=INIT, timeout=60)
def _(m):
    keyboard_shell(m)
    m.monitor.type_text("hwtest keys\n")
    m.expect(r"^hwtest: keys: ready$")
    keys = random.sample(KEYS, len(KEYS))
    # A held key: the keyboard's typematic repeat sends its make code
    # again and again, then one break code.  First: input-send-event
    # overtakes the keys send-key has queued.
    repeats = random.randrange(2, 6)
    key_event = {"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "x"}}}
    m.monitor.command("input-send-event", events=[key_event] * repeats)
    key_event["data"]["down"] = False
    m.monitor.command("input-send-event", events=[key_event])
    for key, _ in keys:
        m.monitor.sendkey(key)
    m.monitor.sendkey("q")
    got = m.expect(r"^hwtest: keys:(.*)$").group(1).strip()
    want = " ".join(["78"] * repeats + [seq for _, seq in keys])
    assert got == want, "keys {} gave {}, expected {}".format(
        " ".join(k for k, _ in keys), got, want)


@test("drivers", "bench irq_to_driver: the RTC's IRQ 8 reaches a driver's os_recv "
      "(guest instructions under -icount)",
      cmdline="drivers=fatfs,bench run=bench,irq_to_driver exit panic=exit",
      qemu_args=("-icount", "shift=0,align=off,sleep=off"), timeout=60)
def _(m):
    n = int(m.expect(r"^bench: irq_to_driver (\d+)$").group(1))
    # A wake-up, a switch and a system call's return: thousands of
    # instructions, not none and not a timer tick's worth (10 ms).
    assert 100 < n < 1000000, "irq_to_driver {} instructions".format(n)
    m.expect_exit(STATUS_PASS)
