/*
 * usbkbd's two halves: uhci.c (the host controller, enumeration) gives
 * hid.c (reports to characters, key repeat, main) the keyboard's reports.
 */
#ifndef USBKBD_H
#define USBKBD_H

#include <stdbool.h>
#include <stdint.h>

#define USB_NO_CONTROLLER (-2)
#define USB_NO_KEYBOARD   (-3)

/* Find the UHCI controller, start it and enumerate a boot keyboard on one
 * of its ports, printing "usbkbd: keyboard ...".  The IRQ line attached
 * (reports then come with an interrupt message), -1 if the driver must
 * poll, USB_NO_CONTROLLER or USB_NO_KEYBOARD.  Exits on a broken
 * controller or a refused call. */
int usb_keyboard_open(void);

/* The next boot report (8 bytes) if the keyboard sent one since the last
 * call, else false; asks for the next either way. */
bool usb_keyboard_report(uint8_t report[8]);

/* After an interrupt message: clear the controller's status (which lowers
 * its interrupt line) and acknowledge the IRQ. */
void usb_interrupt_done(void);

#endif
