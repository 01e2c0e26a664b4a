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

from gradelib import STATUS_PASS, test

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
]

DENIED = [
    ("ioperm 0x70+2 on", "EPERM"),
    ("iopl 3", "EPERM"),
    ("ioperm 0x70+2 off", "0"),
    ("iopl 0", "0"),
    ("os_physmap", "EPERM"),
    ("inb 0x71 without the right", SIGSEGV),
]


def check_lines(m, table):
    """Each line of table in order, with the value it must have."""
    for what, want in table:
        got = m.expect(r"^hwtest: {}: (.*)$".format(what.replace("+", r"\+"))).group(1)
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


@test("drivers", "ioperm/iopl/os_physmap without the right: EPERM, no port",
      cmdline="drivers=fatfs run=/bin/hwtest,denied exit panic=exit", timeout=40)
def _(m):
    check_lines(m, DENIED)
    m.expect(r"^hwtest: denied: done$")
    m.expect_exit(STATUS_PASS)
