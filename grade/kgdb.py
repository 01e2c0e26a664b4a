"""kgdb: graded GDB sessions, and the facts to check GDB's backtraces against.

A test that debugs the kernel reserves a port for QEMU's GDB stub when its
script loads, boots QEMU stopped at the reset vector with the stub there, and
runs GDB with the tree's .gdbinit (as `make gdb` does) and some commands:

    PORT = kgdb.free_port()

    @test("heap", "...", cmdline="test=heap_basic", qemu_args=kgdb.stub_args(PORT),
          timeout=kgdb.TIMEOUT)
    def _(m):
        out = kgdb.session(m, PORT, ["break *heap_alloc", "continue", "kbt"])
        frames = kgdb.parse_kbt(out["kbt"])

`session` returns what each command printed.  `parse_kbt` reads the output of
the `kbt` command (conf/gdb_helpers.py); GDB_PCS is the command that lists the
pc of every frame GDB's own unwinder finds (by the call frame information),
which `check_agrees_with_gdb` compares with kbt's frames.  The checks compare them with what the grader finds itself in the ELF
files (kelf.py, `nm`, `objdump`): which function holds an address, whether the
instruction before a return address is a call and to what.  Nothing here
knows an address in advance.
"""

import functools
import os
import re
import resource
import socket
import subprocess
import time
from collections import namedtuple

import kelf
from gradelib import REPO_ROOT, fail

TIMEOUT = 120              # seconds, for a test with a GDB session
GDB_TIMEOUT = 90           # seconds for GDB itself (times GRADE_TIMEOUT_SCALE)
USER_TOP = 0x0000800000000000
MARK = "@@@ "

_ports = set()


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on now, and that no other
    test of this grader has been given."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports:
            _ports.add(port)
            return port


def stub_args(port):
    """QEMU's arguments for a GDB stub on 127.0.0.1:port, the CPU stopped."""
    return ("-S", "-gdb", "tcp:127.0.0.1:{}".format(port))


def wait_for_stub(machine, port, timeout=30):
    """Wait until QEMU listens on 127.0.0.1:port: it takes a moment to start,
    and .gdbinit gives up at once when nobody listens.  Looks in
    /proc/net/tcp rather than connecting, which would disturb the stub."""
    want = "0100007F:{:04X}".format(port)
    deadline = time.monotonic() + timeout * float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    while True:
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if fields[1] == want and fields[3] == "0A":        # 0A: LISTEN
                    return
        if machine.status is not None:
            fail("QEMU exited (status {}) before its GDB stub listened on port {}".format(
                machine.status, port))
        if time.monotonic() > deadline:
            fail("QEMU's GDB stub did not listen on port {} within {}s".format(port, timeout))
        time.sleep(0.05)


def no_core_dump():
    """A GDB that crashes must not leave its core file in the tree."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def session(machine, port, commands, timeout=GDB_TIMEOUT):
    """Run `gdb -batch -x .gdbinit` against the stub on `port`, `continue` to
    kmain (.gdbinit's breakpoint), then `commands`; return {command: what it
    printed}, the second run of a command under "command#2" and so on, and
    everything under "(all)".  GDB detaches at the end; the kernel runs on."""
    wait_for_stub(machine, port)
    args = ["gdb", "-q", "-nx", "-batch", "-x", ".gdbinit"]
    for command in ["continue"] + list(commands):
        args += ["-ex", "echo \\n{}{}\\n".format(MARK, command.replace("\\", "\\\\")),
                 "-ex", command]
    scale = float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    env = dict(os.environ, GDBPORT=str(port))
    try:
        proc = subprocess.run(args, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace",
                              timeout=timeout * scale, preexec_fn=no_core_dump)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else e.stdout
        fail("GDB did not finish in {:.0f}s; it printed:\n{}".format(timeout * scale,
                                                                    out or "(nothing)"))
    if proc.returncode < 0:
        fail("GDB died of signal {}; it printed:\n{}".format(-proc.returncode, proc.stdout))
    outputs = Transcript()
    key = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            key = command = line[len(MARK):]
            runs = 1
            while key in outputs:
                runs += 1
                key = "{}#{}".format(command, runs)
            outputs[key] = ""
        elif key is not None:
            outputs[key] += line + "\n"
    outputs["(all)"] = proc.stdout
    return outputs


class Transcript(dict):
    """{command: what it printed}; a command that never ran fails the test
    with everything GDB printed."""

    def __missing__(self, command):
        fail("GDB never ran `{}`; it printed:\n{}".format(command, self.get("(all)", "")))


# ---- what kbt and bt print ---------------------------------------------------

Frame = namedtuple("Frame", "depth address name offset inlined")
Trap = namedtuple("Trap", "what mode trapframe")

FRAME_RE = re.compile(r"^#(\d+) 0x([0-9a-f]{16}) (?:\?|(\S+)\+0x([0-9a-f]+))"
                      r"(?: \[inlined: ([^\]]*)\])?(?: at \S+:\d+)?$")
TRAP_RE = re.compile(r"^    --- (.*), from (user|kernel) mode; trapframe at 0x([0-9a-f]+) ---$")

# The pc of each frame of GDB's own backtrace, one "$N = 0x..." line each.
GDB_PCS = "frame apply all -q p/x $pc"


def parse_kbt(text):
    """The frames (Frame) and trap crossings (Trap) of kbt's output, in order."""
    items = []
    for line in text.splitlines():
        match = FRAME_RE.match(line)
        if match:
            depth, addr, name, offset, inlined = match.groups()
            items.append(Frame(int(depth), int(addr, 16), name,
                               int(offset, 16) if offset else None,
                               inlined.split(", ") if inlined else []))
            continue
        match = TRAP_RE.match(line)
        if match:
            items.append(Trap(match.group(1), match.group(2), int(match.group(3), 16)))
    if not any(isinstance(item, Frame) for item in items):
        fail("kbt printed no frames:\n" + text)
    depths = [item.depth for item in items if isinstance(item, Frame)]
    assert depths == list(range(len(depths))), "kbt's frame numbers skip:\n" + text
    return items


def gdb_pcs(text):
    """The pcs of GDB's frames from the output of GDB_PCS, once each: an
    inlined function's frame has the pc of the frame it is inlined in.  A
    last pc 0 (the fake return address at the bottom of a thread's stack) is
    not a frame."""
    pcs = []
    for match in re.finditer(r"^\$\d+ = 0x([0-9a-f]+)$", text, re.M):
        pc = int(match.group(1), 16)
        if not pcs or pcs[-1] != pc:
            pcs.append(pc)
    while pcs and pcs[-1] == 0:
        pcs.pop()
    return pcs


# ---- facts from the ELF files --------------------------------------------------

@functools.lru_cache(maxsize=None)
def code_symbols(elf):
    """[(address, name)] of the code symbols of `elf`, by address (nm -n)."""
    out = subprocess.run(["nm", "-n", "--defined-only", str(elf)], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return [(int(a, 16), n) for a, t, n in (line.split() for line in out.splitlines()
                                            if len(line.split()) == 3) if t in "tTwW"]


def symbol_below(addr, elf=kelf.KERNEL_ELF):
    """(name, start) of the code symbol at or below addr, as `nm -n` sorts them."""
    best = None
    for start, name in code_symbols(elf):
        if start > addr:
            break
        best = (name, start)
    if best is None:
        fail("no symbol at or below {:#x} in {}".format(addr, elf))
    return best


@functools.lru_cache(maxsize=None)
def disassembly(elf, start, stop):
    """[(address, text)] of the instructions of `elf` in [start, stop)."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          "--start-address={:#x}".format(start),
                          "--stop-address={:#x}".format(stop), str(elf)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        match = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if match:
            found.append((int(match.group(1), 16), match.group(2).strip()))
    return found


def instruction_before(ret, elf=kelf.KERNEL_ELF):
    """The instruction that ends at `ret`, decoded from its function's start."""
    _, start = symbol_below(ret - 1, elf)
    insns = disassembly(elf, start, ret)
    if not insns:
        fail("no instructions before {:#x} in {}".format(ret, elf))
    return insns[-1][1]


def check_frame_name(frame, lookup, elf=kelf.KERNEL_ELF):
    """kbt's name+offset of `frame` is the symbol `nm` has at or below lookup."""
    name, start = symbol_below(lookup, elf)
    assert frame.name == name and frame.offset == frame.address - start, \
        "kbt frame #{} is {}+0x{:x}, but {:#x} is {}+0x{:x} in {}".format(
            frame.depth, frame.name, frame.offset or 0, frame.address, name,
            frame.address - start, os.path.basename(str(elf)))


def check_kernel_chain(items, stopped_thread=False):
    """Check kbt's kernel frames against the kernel ELF: each is named by the
    symbol that holds it (the interrupted rip itself, a return address by the
    call before it), each return address follows a call instruction, and a
    direct call calls the function of the frame below.  Frame 0 is where the
    CPU stands, or for `kbt THREAD` (stopped_thread) a return address.
    Returns the frames."""
    frames = [item for item in items if isinstance(item, Frame)]
    exact = not stopped_thread     # a trap's rip is no return address either
    callee = None
    for item in items:
        if isinstance(item, Trap):
            exact, callee = True, None
            continue
        if item.address < USER_TOP:
            break
        lookup = item.address if exact else item.address - 1
        check_frame_name(item, lookup)
        if not exact:
            call = instruction_before(item.address)
            assert call.startswith("call"), \
                "kbt frame #{} ({:#x}) does not follow a call: {}".format(
                    item.depth, item.address, call)
            target = re.match(r"call\s+([0-9a-f]+) <", call)
            if target and callee is not None:
                assert int(target.group(1), 16) == callee, \
                    "kbt frame #{}: {} calls {:#x}, but frame #{} is {}".format(
                        item.depth, item.name, int(target.group(1), 16), item.depth - 1,
                        symbol_below(callee)[0])
        callee = item.address - item.offset
        exact = False
    return frames


def check_agrees_with_gdb(items, pcs_text):
    """GDB's own unwinder, which follows the call frame information (of the
    trap entry code too), finds the frames kbt finds: all the kernel's, and
    the first user frame, where GDB stops (the user stack lies below the
    kernel's, which GDB takes for a corrupt stack)."""
    mine = [f.address for f in items if isinstance(f, Frame)]
    theirs = gdb_pcs(pcs_text)
    wanted = next((i + 1 for i, pc in enumerate(mine) if pc < USER_TOP), len(mine))
    assert theirs[:wanted] == mine[:wanted], \
        "kbt and GDB's backtrace disagree:\nkbt: {}\nGDB: {}".format(
            " ".join(map(hex, mine)), " ".join(map(hex, theirs)))


def user_elf(program):
    return REPO_ROOT / "build" / "user" / program
