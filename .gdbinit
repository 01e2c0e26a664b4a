# GDB set-up for `make gdb` (gdb -nx -x .gdbinit).
#
# The architecture must be set *before* connecting: QEMU's stub then sends the
# 64-bit register set from the start, even while the CPU still runs the 32-bit
# boot code, and GDB never says "remote 'g' packet reply is too long".
set architecture i386:x86-64
set pagination off
set confirm off
file build/kernel.elf

# The port is per user, as in conf/env.mk: 25000 + (uid mod 5000); `make gdb`
# also passes it in GDBPORT, which wins when set.
python
import os
port = int(os.environ.get("GDBPORT") or 25000 + os.getuid() % 5000)
gdb.execute("target remote localhost:%d" % port)
end

# Helpers written with GDB's Python API (kernel-aware commands).
source conf/gdb_helpers.py

# Stop at the first C function; `continue` to boot.  Software breakpoints are
# fine from here on because the kernel is already in memory; before the
# kernel is loaded use `hbreak`.
hbreak kmain
echo \n*** Connected. The CPU is at the reset vector; 'c' runs to kmain.\n
