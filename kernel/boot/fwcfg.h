/*
 * QEMU's firmware configuration device (fwcfg.c): named files the emulator
 * hands the guest, such as the grader's per-run nonce.
 */
#ifndef BOOT_FWCFG_H
#define BOOT_FWCFG_H

#include <types.h>

/* Copy the fw_cfg file `name` into buf (NUL-ended, at most cap - 1 bytes):
 * its length, or -1 if there is no such file or no fw_cfg (Bochs). */
int fwcfg_read_file(const char *name, char *buf, size_t cap);

#endif
