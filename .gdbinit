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
# also passes it in GDBPORT, which wins when set.  QEMU listens on 127.0.0.1
# only.  With no QEMU there, fail at once with a hint rather than retrying
# for 15 seconds (GDB's default) and going on without a target.
python
import os
port = int(os.environ.get("GDBPORT") or 25000 + os.getuid() % 5000)
gdb.execute("set tcp auto-retry off")
gdb.execute("set tcp connect-timeout 2")
try:
    gdb.execute("target remote 127.0.0.1:%d" % port)
except gdb.error as e:
    print("*** Cannot reach QEMU's GDB stub on 127.0.0.1:%d (%s)." % (port, e))
    print("*** Start `make qemu-nox-gdb` (or `make qemu-gdb`) in another terminal first,")
    print("*** then run `make gdb` again.")
    gdb.execute("quit 1")
end

# Helpers written with GDB's Python API (kernel-aware commands).
source conf/gdb_helpers.py
source conf/gdb_kstate.py

# Stop at the first C function; `continue` to boot.  Software breakpoints are
# fine from here on because the kernel is already in memory; before the
# kernel is loaded use `hbreak`.
hbreak kmain
echo \n*** Connected. The CPU is at the reset vector; 'c' runs to kmain.\n
