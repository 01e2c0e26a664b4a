"""Grader of stage `drivers`: the console for programs, the framebuffer,
serial input, and drivers in userspace.

The tests are in modules, one per part of the stage:

  drivers_console.py  the terminal emulator (ANSI escapes on the VGA text
                      screen and passed through to serial) and x,y mode
  drivers_fb.py       the multiboot2 framebuffer, its console, /dev/fb0
  drivers_hw.py       hardware rights: ioperm/iopl, IRQs as messages, the
                      PS/2 keyboard driver, serial input calls
  drivers_blk.py      the ATA block driver and the FAT server on /mnt
  drivers_soak.py     a mixed workload on /mnt, checked on the host (and
                      `make soak`, the long run)
  drivers_usb.py      the USB keyboard driver on a UHCI controller
"""
from gradelib import main

import drivers_blk
import drivers_console
import drivers_fb
import drivers_hw
import drivers_soak
import drivers_usb

# The modules of this stage's tests, which register them with gradelib as
# they load (named here so that pyflakes sees them used).
TEST_MODULES = [drivers_blk, drivers_console, drivers_fb, drivers_hw, drivers_soak,
                drivers_usb]

if __name__ == "__main__":
    main(["drivers"])
