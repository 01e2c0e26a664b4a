# Toolchain and emulator configuration, shared by every make target.
# Override any of these on the command line, e.g. `make qemu QEMUMEM=512M`.

CC      := gcc
LD      := ld
OBJCOPY := objcopy
NM      := nm
PYTHON  := python3
GDB     := gdb

# Code-quality tools (make format, format-check, lint).  clang-format is
# pinned: another version lays some constructs out differently, and
# format-check would then fail on a formatted tree.
CLANG_FORMAT := clang-format-14
CPPCHECK     := cppcheck
PYFLAKES     := /usr/bin/python3 -m pyflakes

QEMU    := qemu-system-x86_64
# TCG only: KVM is not assumed.  `-cpu max` offers 1 GiB pages, NX, SMEP and
# SMAP; the kernel checks CPUID and also boots on `-cpu qemu64` and in Bochs.
QEMUCPU := max
QEMUMEM := 128M

# The kernel command line for `make qemu` and friends, e.g. CMDLINE="test=banner".
CMDLINE ?=

# Each user gets a GDB port of their own, so two students on one machine do not
# collide: 25000 + (uid mod 5000).
GDBPORT := $(shell expr 25000 + `id -u` % 5000)
