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
# Left empty, the system boots as it is meant to run: /bin/init starts the
# drivers, the servers of /hello and /mnt and then ksh (conf/ramdisk/etc/inittab).
# init forks and execs, so a handout tree of stage forkexec or an earlier one
# boots with no command line instead: the kernel runs ksh alone (from stage
# fuse on) or its monitor.  The graders always pass their own command line.
HANDOUT_STAGE := $(shell cat .handout-stage 2>/dev/null)
CMDLINE ?= $(if $(filter $(HANDOUT_STAGE),$(STAGES_BEFORE_INIT)),,run=/bin/init)

# Each user gets a GDB port of their own, so two students on one machine do not
# collide: 25000 + (uid mod 5000).
GDBPORT := $(shell expr 25000 + `id -u` % 5000)
