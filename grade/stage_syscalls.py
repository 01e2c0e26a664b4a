"""Grader of stage `syscalls`: user mode, the ELF loader, system calls, the
musl-based C library.

Most tests boot the kernel with `run=PROG,ARG...` (user programs from
user/, loaded as GRUB modules in this stage's tree, from the ramdisk's /bin
once stage fuse mounts it at "/") and `exit`, which ends QEMU with status 33
when the last program exited with 0.  What the programs and the kernel
print is checked against facts the grader finds for itself: the ELF
headers and symbols of the programs in build/user/, the bytes of their code
(the instruction a fault names must be the one that faults), the number of
checks badcall makes, values computed here.
"""
import re
import struct
import subprocess

from gradelib import REPO_ROOT, fail, main, test

import fuzz_run
import labs
import syscalls_gdb

# The module of this stage's GDB tests, which registers them as it loads.
TEST_MODULES = [syscalls_gdb]

USER = REPO_ROOT / "build" / "user"
KERNEL_ELF = REPO_ROOT / "build" / "kernel.elf"
USER_END = 0x0000800000000000
USER_STACK_TOP = 0x00007ffffffff000
USER_STACK_MAX = 8 << 20
STACK_GUARD_SIZE = 1 << 20
PID = r"\(pid (\d+)\)"
E2BIG = 7


# ---- what the grader knows about the programs -------------------------------

def elf_header(prog):
    """(e_type, e_machine, e_entry, e_phoff, e_phnum, program headers) of build/user/prog;
    each program header is (type, flags, offset, vaddr, filesz, memsz)."""
    data = (USER / prog).read_bytes()
    if data[:4] != b"\x7fELF":
        fail("build/user/{} is not an ELF file".format(prog))
    e_type, e_machine, _, e_entry, e_phoff = struct.unpack_from("<HHIQQ", data, 16)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    phdrs = []
    for i in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz = struct.unpack_from(
            "<IIQQQQQ", data, e_phoff + i * e_phentsize)
        phdrs.append((p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz))
    return e_type, e_machine, e_entry, e_phoff, e_phnum, phdrs


def phdr_address(prog):
    """Where the program headers are in memory: what AT_PHDR must say."""
    _, _, _, e_phoff, _, phdrs = elf_header(prog)
    for p_type, _, offset, vaddr, filesz, _ in phdrs:
        if p_type == 1 and offset <= e_phoff < offset + filesz:
            return vaddr + e_phoff - offset
    fail("build/user/{}: program headers not in a PT_LOAD segment".format(prog))


def code_bytes(prog, address, count):
    """The count bytes of build/user/prog's loaded image at address."""
    data = (USER / prog).read_bytes()
    for p_type, _, offset, vaddr, filesz, _ in elf_header(prog)[5]:
        if p_type == 1 and vaddr <= address and address + count <= vaddr + filesz:
            start = offset + address - vaddr
            return data[start:start + count]
    fail("0x{:x} is not in the file part of a segment of build/user/{}".format(address, prog))


def symbol(path, name):
    """The address of symbol name in the ELF file path (from nm)."""
    out = subprocess.run(["nm", str(path)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    fail("no symbol {} in {}".format(name, path.relative_to(REPO_ROOT)))


def user_symbol(prog, name):
    """The address of symbol name in build/user/prog."""
    return symbol(USER / prog, name)


def header_constant(path, name):
    """The value of `#define NAME value` in the kernel header path (an integer
    expression of numbers and the operators * + - << ( ))."""
    text = (REPO_ROOT / path).read_text()
    match = re.search(r"^#define\s+{}\s+([0-9a-fA-FxXuUlL()*+<\- ]+?)\s*(?:/\*.*)?$".format(
        name), text, re.M)
    if not match:
        fail("{}: no #define {}".format(path, name))
    return int(eval(re.sub(r"(?<=[0-9a-fA-F])[uUlL]+", "", match.group(1)), {}))


def text_range(prog):
    """[start, end) of the executable segment of build/user/prog."""
    for p_type, flags, _, vaddr, _, memsz in elf_header(prog)[5]:
        if p_type == 1 and flags & 1:
            return vaddr, vaddr + memsz
    fail("build/user/{} has no executable segment".format(prog))


def program_end(prog):
    """The end of the highest PT_LOAD segment: the heap lies above."""
    return max(vaddr + memsz for p_type, _, _, vaddr, _, memsz in elf_header(prog)[5]
               if p_type == 1)


def expect_exit_line(m, prog, status=0):
    """"proc: PROG (pid N) exited with status S"; returns N."""
    match = m.expect(r"^proc: {} {} exited with status (\d+)$".format(prog, PID))
    assert int(match.group(2)) == status, "{} exited with status {}, expected {}".format(
        prog, match.group(2), status)
    return int(match.group(1))


def expect_hello(m):
    """hello runs to its end: the kernel survived whatever came before."""
    m.expect(r"^hello, world$")
    m.expect(r"^argc 1$")
    expect_exit_line(m, "hello")


# ---- programs run --------------------------------------------------------------

@test("syscalls", "hello: printf through musl, then exit_group(0)", cmdline="run=hello exit")
def _(m):
    expect_hello(m)
    m.expect(r"^run: done, last status 0")
    m.expect_exit(33)


@test("syscalls", "args: argc, argv, envp and auxv on the initial stack",
      cmdline="run=args,one,two=2,3 env=A=1,B=two exit")
def _(m):
    m.expect(r"^args: argc 4$")
    for i, arg in enumerate(["args", "one", "two=2", "3"]):
        m.expect(r'^args: argv\[{}\] "{}"$'.format(i, re.escape(arg)))
    m.expect(r'^args: envp\[0\] "A=1"$')
    m.expect(r'^args: envp\[1\] "B=two"$')
    m.expect_exit(33)
    aux = {}
    for line in m.output:
        match = re.match(r"^args: auxv (AT_\w+) (0x[0-9a-f]+|\".*\")$", line)
        if match:
            aux[match.group(1)] = match.group(2)
    assert not any(line.startswith("args: envp[2]") for line in m.output), \
        "more environment strings than env= gave"
    _, _, entry, _, phnum, _ = elf_header("args")
    want = {"AT_PHDR": phdr_address("args"), "AT_PHNUM": phnum, "AT_PHENT": 56,
            "AT_PAGESZ": 4096, "AT_ENTRY": entry}
    for key, value in want.items():
        assert key in aux, "no {} in the auxiliary vector".format(key)
        assert int(aux[key], 16) == value, "{} is {}, but build/user/args says 0x{:x}".format(
            key, aux[key], value)
    assert "AT_RANDOM" in aux, "no AT_RANDOM in the auxiliary vector"
    rnd = int(aux["AT_RANDOM"], 16)
    assert USER_STACK_TOP - USER_STACK_MAX <= rnd < USER_STACK_TOP, \
        "AT_RANDOM 0x{:x} does not point into the stack".format(rnd)
    randoms = [line.split()[-1] for line in m.output if line.startswith("args: random ")]
    assert randoms and randoms[0] != "0" * 32, "AT_RANDOM's 16 bytes are all zero"
    assert "args: stack aligned" in m.output, "%rsp was not 16-byte aligned at the entry point"


@test("syscalls", "tls: thread-local variables (PT_TLS through AT_PHDR, arch_prctl)",
      cmdline="run=tls exit")
def _(m):
    m.expect(r"^tls: 0 failures$")
    expect_exit_line(m, "tls")
    m.expect_exit(33)
    oks = [line for line in m.output if re.match(r"^tls: .* ok$", line)]
    assert len(oks) == 8, "{} of 8 TLS checks passed".format(len(oks))


@test("syscalls", "two tls programs at once: each keeps its own FS base",
      cmdline="run=tls&tls exit")
def _(m):
    m.expect_exit(33)
    done = [line for line in m.output if line == "tls: 0 failures"]
    assert len(done) == 2, "{} of 2 tls programs passed".format(len(done))


@test("syscalls", "three sse programs at once: SSE registers saved at each switch",
      cmdline="run=sse,1&sse,2&sse,3 exit")
def _(m):
    m.expect_exit(33)
    for seed in (1, 2, 3):
        value = "{:.3f}".format((seed + 0.25) * 1000 / 3)
        line = "sse: {}: 300 rounds ok, {}".format(seed, value)
        assert line in m.output, "expected the line {!r}".format(line)


@test("syscalls", "malloc_stress: brk, mmap/munmap, musl's malloc with reuse",
      cmdline="run=malloc_stress exit", timeout=30)
def _(m):
    m.expect(r"^malloc_stress: brk grows the heap by 256 KiB ok$")
    m.expect(r"^malloc_stress: munmap of 4 MiB ok$")
    m.expect(r"^malloc_stress: round 2 reuses freed memory .* ok$")
    m.expect(r"^malloc_stress: 0 failures$")
    expect_exit_line(m, "malloc_stress")
    m.expect_exit(33)


@test("syscalls", "upcase: reading the console a line at a time (read through musl)",
      cmdline="run=upcase exit")
def _(m):
    m.expect(r"^upcase: type lines")
    m.send("hello there\r")
    m.expect(r"^upcase: HELLO THERE$")
    m.send("second, with a typo\x7fo\r")          # a backspace: the line discipline's
    m.expect(r"^upcase: SECOND, WITH A TYPO$")
    m.send("quit\r")
    m.expect(r"^upcase: 2 lines$")
    expect_exit_line(m, "upcase")
    m.expect_exit(33)


# ---- bad arguments -----------------------------------------------------------------

BADCALL_RE = re.compile(r"^badcall: (.+): expected (\S+), got (\S+) (ok|FAILED)$")

# Checks the grader insists on, with the errno Linux gives for them.
BADCALL_REQUIRED = labs.fixture("syscalls", "badcall")["required"]


@test("syscalls", "badcall: every bad pointer, descriptor and length gets its errno",
      cmdline="run=badcall;hello exit")
def _(m):
    match = m.expect(r"^badcall: (\d+) checks, (\d+) failed$")
    expect_exit_line(m, "badcall")
    expect_hello(m)
    m.expect_exit(33)
    results = {}
    for line in m.output:
        found = BADCALL_RE.match(line)
        if found:
            call, want, got, _ = found.groups()
            assert want == got, "{}: expected {}, got {}".format(call, want, got)
            results[call] = got
    assert int(match.group(1)) == len(results) >= 130, \
        "badcall says {} checks, {} lines seen (at least 130 wanted)".format(match.group(1),
                                                                             len(results))
    for call, errno in BADCALL_REQUIRED.items():
        assert results.get(call) == errno, "{}: {} expected, got {}".format(
            call, errno, results.get(call, "no such check"))


@test("syscalls", "unimplemented calls: ENOSYS, named once per number",
      cmdline="run=badcall exit")
def _(m):
    m.expect(r"^syscall: badcall {} called unimplemented syscall 9999$".format(PID))
    m.expect(r"^syscall: badcall {} called unimplemented syscall 246 \(kexec_load\)$".format(PID))
    m.expect_exit(33)
    count = sum(1 for line in m.output if line.endswith("unimplemented syscall 9999"))
    assert count == 1, "syscall 9999 reported {} times (badcall makes it twice)".format(count)


@test("syscalls", "os_trace(0, 1): a program traces itself", cmdline="run=badcall exit")
def _(m):
    pid = int(m.expect(r"^syscall: badcall {} called".format(PID)).group(1))
    m.expect(r"^\[badcall:{}\] os_trace\(0, 1\) = 0$".format(pid))
    m.expect(r"^\[badcall:{}\] write\(1, NULL, 5\) = -EFAULT$".format(pid))
    m.expect(r"^badcall: os_trace\(0, 0\): expected 0, got 0 ok$")
    m.expect_exit(33)
    traced = [line for line in m.output if line.startswith("[badcall:")]
    assert len(traced) <= 6, "tracing went on after os_trace(0, 0): {}".format(traced[-1])


@test("syscalls", "trace=hello: each call with decoded arguments and result",
      cmdline="run=hello;args trace=hello exit")
def _(m):
    pid = r"\[hello:(\d+)\] "
    found = m.expect(pid + r"arch_prctl\(ARCH_SET_FS, 0x[0-9a-f]+\) = 0$")
    n = found.group(1)
    m.expect(r"^\[hello:{}\] set_tid_address\(0x[0-9a-f]+\) = {}$".format(n, n))
    m.expect(r"^\[hello:{}\] ioctl\(1, TIOCGWINSZ, 0x[0-9a-f]+\) = 0$".format(n))
    m.expect(r'^\[hello:{}\] writev\(1, \[\{{"hello, world", 12\}}, \{{"\\n", 1\}}\], 2\) = 13$'
             .format(n))
    m.expect(r"^\[hello:{}\] exit_group\(0\) = \?$".format(n))
    expect_exit_line(m, "hello")
    m.expect_exit(33)
    assert not any(line.startswith("[args:") for line in m.output), \
        "args was traced, but trace= named hello only"


# ---- faults ------------------------------------------------------------------------

def expect_killed(m, what):
    """"proc: faults (pid N) killed: WHAT, rip=0x..."; returns the match (rip is group 2)."""
    return m.expect(r"^proc: faults {} killed: {}, rip=0x([0-9a-f]+)".format(PID, what))


def in_text(rip):
    start, end = text_range("faults")
    assert start <= rip < end, "rip 0x{:x} is not in the program's code".format(rip)


@test("syscalls", "faults: bad data accesses kill the program with cr2 and the access",
      cmdline="run=faults,null;faults,null-write;faults,write-text;faults,kernel-read;"
              "faults,kernel-write;hello exit")
def _(m):
    for mode, what in [("null", r"read at cr2=0x0 \(user, not present\)"),
                       ("null-write", r"write at cr2=0x0 \(user, not present\)"),
                       ("write-text", r"write at cr2=0x([0-9a-f]+) \(user, present\)"),
                       ("kernel-read", r"read at cr2=0xffffffff80100000 \(user, present\)"),
                       ("kernel-write", r"write at cr2=0xffff800000001000 \(user, present\)")]:
        m.expect(r"^faults: {}$".format(mode))
        found = m.expect(r"^proc: faults {} killed: page fault: {}, rip=0x([0-9a-f]+)$".format(
            PID, what))
        in_text(int(found.groups()[-1], 16))
        if mode == "write-text":
            addr = int(found.group(2), 16)
            assert addr == user_symbol("faults", "main"), \
                "cr2 0x{:x} is not main (0x{:x}), which the program writes to".format(
                    addr, user_symbol("faults", "main"))
    expect_hello(m)
    m.expect_exit(33)
    assert not any("did not fault" in line for line in m.output)


@test("syscalls", "faults: NX stack and heap, stack overflow into the guard gap",
      cmdline="run=faults,exec-stack;faults,exec-heap;faults,stack;hello exit")
def _(m):
    m.expect(r"^faults: exec-stack$")
    found = expect_killed(m, r"page fault: exec at cr2=0x([0-9a-f]+) \(user, present\)")
    cr2, rip = int(found.group(2), 16), int(found.group(3), 16)
    assert cr2 == rip and USER_STACK_TOP - USER_STACK_MAX <= cr2 < USER_STACK_TOP, \
        "exec-stack: cr2 0x{:x}, rip 0x{:x}: not the stack".format(cr2, rip)
    m.expect(r"^faults: exec-heap$")
    # Not present if malloc's memory was never touched (demand paging).
    found = expect_killed(m, r"page fault: exec at cr2=0x([0-9a-f]+) \(user, (?:not )?present\)")
    cr2, rip = int(found.group(2), 16), int(found.group(3), 16)
    assert cr2 == rip and cr2 >= program_end("faults"), \
        "exec-heap: cr2 0x{:x}, rip 0x{:x}".format(cr2, rip)
    m.expect(r"^faults: stack$")
    found = m.expect(r"^proc: faults {} killed: page fault: write at cr2=0x([0-9a-f]+) "
                     r"\(user, not present\), rip=0x([0-9a-f]+) \(stack overflow\)$".format(PID))
    cr2 = int(found.group(2), 16)
    limit = USER_STACK_TOP - USER_STACK_MAX
    assert limit - STACK_GUARD_SIZE <= cr2 < limit, \
        "stack overflow at 0x{:x}, not in the guard gap below 0x{:x}".format(cr2, limit)
    expect_hello(m)
    m.expect_exit(33)


# mode: (the report, the bytes at rip, or at rip - 1 for a trap such as int3)
PRIVILEGED = [
    ("privileged", r"general protection fault \(#GP, error 0x0\)", b"\xf4", 0),   # hlt
    ("cli", r"general protection fault \(#GP, error 0x0\)", b"\xfa", 0),          # cli
    ("port", r"general protection fault \(#GP, error 0x0\)", b"\xe4\x60", 0),     # in $0x60
    ("gp", r"general protection fault \(#GP, error 0x0\)", None, 0),
    ("divide", r"divide error \(#DE\)", b"\xf7", 0),                             # idiv
    ("ud", r"invalid opcode \(#UD\)", b"\x0f\x0b", 0),                           # ud2
    ("breakpoint", r"breakpoint \(#BP\)", b"\xcc", -1),                          # int3
]


@test("syscalls", "faults: privileged instructions, #GP, #DE, #UD, int3 kill only the program",
      cmdline="run=" + ";".join("faults," + mode for mode, _, _, _ in PRIVILEGED) + ";hello exit")
def _(m):
    for mode, what, code, back in PRIVILEGED:
        m.expect(r"^faults: {}$".format(mode))
        rip = int(expect_killed(m, what).group(2), 16)
        in_text(rip)
        if code:
            got = code_bytes("faults", rip + back, len(code))
            assert got == code, "{}: the code at rip 0x{:x} is {}, not {}".format(
                mode, rip + back, got.hex(), code.hex())
    expect_hello(m)
    m.expect_exit(33)


@test("syscalls", "after a fault the monitor runs programs: run, procs",
      cmdline="run=faults,null")
def _(m):
    expect_killed(m, r"page fault: read at cr2=0x0 \(user, not present\)")
    m.expect(r"kmon> ", partial=True)
    m.send("run args x\r")
    m.expect(r'^args: argv\[1\] "x"$')
    expect_exit_line(m, "args")
    m.expect(r"kmon> ", partial=True)
    m.send("procs\r")
    m.expect(r"^\s+PID\s+PPID")
    m.send("halt\r")
    m.expect_exit(33)


# Programs read from the filesystem stay in the page cache (and their files in
# FUSE's inode cache): the first run of each program, a warm-up, fills those,
# and only the runs after it must all end with the same memory.
MEMORY_WARMUP = ["hello", "faults,null", "malloc_stress", "tls"]


@test("syscalls", "exited and killed programs give all their memory back",
      cmdline="run=" + ";".join(MEMORY_WARMUP)
              + ";hello;faults,null;hello;malloc_stress;faults,stack;hello;tls&tls exit",
      timeout=30)
def _(m):
    for _ in MEMORY_WARMUP:
        expect_frames(m)
    free = [expect_frames(m) for _ in range(7)]
    m.expect_exit(33)
    assert all(f == free[0] for f in free), \
        "free frames (with the heap's pages) and heap blocks after each run: {}".format(free)


# ---- the loader, usercopy, SMAP, the command line -----------------------------------------

ELF_CASES = labs.fixture("syscalls", "elf-reject")["reasons"]


@test("syscalls", "the ELF loader refuses broken files with a reason, maps nothing",
      cmdline="test=elf_reject")
def _(m):
    for case, why in ELF_CASES.items():
        m.expect(r"^elf: {}: .*{}".format(re.escape(case), why))
        m.expect(r"^elf_reject: {}: refused, nothing mapped$".format(re.escape(case)))
    found = m.expect(r"^elf_reject: tls loads: entry 0x([0-9a-f]+), phdr 0x([0-9a-f]+), "
                     r"(\d+) program headers")
    _, _, entry, _, phnum, _ = elf_header("tls")
    assert (int(found.group(1), 16), int(found.group(2), 16), int(found.group(3))) == \
        (entry, phdr_address("tls"), phnum), "entry/phdr/phnum differ from build/user/tls"
    # The test moves the data segment into the last page of the read-only
    # one (the third PT_LOAD): that page must be mapped once, writable,
    # holding the bytes of both.
    loads = [ph for ph in elf_header("tls")[5] if ph[0] == 1]
    _, _, _, vaddr, _, memsz = loads[2]
    page = (vaddr + memsz - 1) & ~0xfff
    found = m.expect(r"^elf_reject: segments sharing page 0x([0-9a-f]+) load: (.*)$")
    assert int(found.group(1), 16) == page, "shared page 0x{}, expected 0x{:x}".format(
        found.group(1), page)
    assert found.group(2) == "writable, the bytes of both in place", \
        "two segments sharing a page: {} (expected writable, with both segments' bytes)".format(
            found.group(2))
    m.expect_pass("elf_reject")


# The kernel's symbols are a GRUB module, not a file of "/": noroot leaves
# "/" unmounted, so that run= takes modules.
@test("syscalls", "a file with segments in the kernel half is refused: run=symbols",
      cmdline="run=symbols noroot exit")
def _(m):
    m.expect(r"^elf: symbols: segment \d+ at 0xffffffff8[0-9a-f]+-0x[0-9a-f]+ is outside "
             r"the user half")
    m.expect(r"^run: cannot start symbols: ENOEXEC$")
    m.expect_exit(35)


@test("syscalls", "run= names a program that is not there", cmdline="run=nosuch exit")
def _(m):
    m.expect(r'^run: no program named "nosuch"$')
    if any(line.startswith("rootmount: / is ") for line in m.output):
        m.expect(r"^run: the programs are the files of /bin$")
    else:
        m.expect(r"^run: the programs \(GRUB modules\) are: .*\bhello\b.*\bbadcall\b")
    m.expect_exit(35)


@test("syscalls", "usercopy: checked copies on good and bad user addresses",
      cmdline="test=usercopy")
def _(m):
    m.expect(r"^usercopy: copy_to_user\(read-only, 1\) = -14: ok$")
    m.expect(r"^usercopy: copy_from_user\(kernel text, 1\) = -14: ok$")
    m.expect(r"^usercopy: copy_to_user\(rw, 2\^64 - 16\) \(wraps\) = -14: ok$")
    m.expect(r"^usercopy: bytes the refused copy changed = 0: ok$")
    m.expect(r"^usercopy: strncpy_from_user\(no NUL in 16\) = -36: ok$")
    m.expect(r"^usercopy: pages mapped for it = 1: ok$")
    found = m.expect(r"^usercopy: free frames before (\d+), after (\d+)$")
    assert found.group(1) == found.group(2), "frames leaked: {}".format(found.group(0))
    m.expect_pass("usercopy")


@test("syscalls", "SMAP: the kernel touching user memory directly faults",
      cmdline="test=smap", cpu="max")
def _(m):
    m.expect(r"^smap: copy_to_user works")
    m.expect_panic(r"page fault: read at cr2=0x1000000 \(kernel, present\)")


@test("syscalls", "exec: too many strings or bytes of them are E2BIG, the limits are not",
      cmdline="test=exec_limits")
def _(m):
    strings = header_constant("kernel/proc/exec.h", "EXEC_MAX_STRINGS")
    nbytes = header_constant("kernel/proc/exec.h", "EXEC_MAX_BYTES")
    found = m.expect(r"^exec_limits: (\d+) strings: (-?\d+); (\d+) strings: (-?\d+); (\d+) "
                     r"arguments and 11 environment strings: (-?\d+)$")
    got = [int(g) for g in found.groups()]
    assert got == [strings, 0, strings + 1, -E2BIG, strings - 10, -E2BIG], \
        "exec with {} / {} / {}+11 strings returned {} / {} / {}: expected 0, -E2BIG ({}), " \
        "-E2BIG".format(got[0], got[2], got[4], got[1], got[3], got[5], -E2BIG)
    found = m.expect(r"^exec_limits: (\d+) bytes of strings: (-?\d+); (\d+) bytes: (-?\d+)$")
    got = [int(g) for g in found.groups()]
    assert got == [nbytes, 0, nbytes + 1, -E2BIG], \
        "exec with {} / {} bytes of strings returned {} / {}: expected 0, -E2BIG".format(
            got[0], got[2], got[1], got[3])
    found = m.expect(r"^exec_limits: free frames before (\d+), after (\d+)$")
    assert found.group(1) == found.group(2), "refused execs leaked frames: " + found.group(0)
    m.expect_pass("exec_limits")


@test("syscalls", "brk maps and unmaps whole pages, and answers a refusal with the old break",
      cmdline="test=brk")
def _(m):
    heap, blocker = (int(x, 16) for x in m.expect(
        r"^brk: the heap starts at 0x([0-9a-f]+), a page at 0x([0-9a-f]+) is in the way$"
    ).groups())
    page = 4096
    user_mmap_top = header_constant("kernel/mm/uvm.h", "USER_MMAP_TOP")
    brk = heap
    # (what, new break) and what the grader expects: the break, pages mapped
    steps = [("grow into a page", heap + 100), ("grow past 3 pages", heap + 3 * page + 1),
             ("shrink to 1 page", heap + page), ("grow over a mapping", blocker + page),
             ("below the heap", heap - page), ("above USER_MMAP_TOP", user_mmap_top + page),
             ("back to the start", heap)]
    for what, newbrk in steps:
        if heap <= newbrk <= user_mmap_top and -(-newbrk // page) * page <= blocker:
            brk = newbrk
        want_pages = -(-(brk - heap) // page)
        found = m.expect(r"^brk: {}: brk\(0x([0-9a-f]+)\) = 0x([0-9a-f]+), (\d+) pages mapped$"
                         .format(re.escape(what)))
        asked, got, pages = int(found.group(1), 16), int(found.group(2), 16), int(found.group(3))
        assert asked == newbrk, "brk test asked 0x{:x}, expected 0x{:x}".format(asked, newbrk)
        assert (got, pages) == (brk, want_pages), \
            "{}: brk(0x{:x}) = 0x{:x} with {} pages mapped, expected 0x{:x} with {}".format(
                what, newbrk, got, pages, brk, want_pages)
    m.expect(r"^brk: 0 pages mapped by it in all$")
    m.expect_pass("brk")


# SFMASK must clear these RFLAGS bits at every syscall (Intel SDM Vol. 1,
# 3.4.3): IF (no interrupt before the stack switch), DF (the kernel's string
# instructions go up), TF (no single step into the kernel), AC (SMAP).
RFLAGS_TF, RFLAGS_IF, RFLAGS_DF, RFLAGS_AC = 1 << 8, 1 << 9, 1 << 10, 1 << 18


@test("syscalls", "the syscall MSRs: STAR selectors, LSTAR, CSTAR, SFMASK, SYSENTER_CS, EFER.SCE",
      cmdline="test=syscall_msrs")
def _(m):
    found = m.expect(r"^syscall_msrs: STAR 0x([0-9a-f]+), LSTAR 0x([0-9a-f]+) \(syscall_entry "
                     r"0x[0-9a-f]+\), SFMASK 0x([0-9a-f]+), EFER.SCE (\d)$")
    star, lstar, sfmask = (int(g, 16) for g in found.groups()[:3])
    gdt = "kernel/arch/x86_64/gdt.h"
    kcode, kdata = header_constant(gdt, "GDT_KERNEL_CODE"), header_constant(gdt, "GDT_KERNEL_DATA")
    ucode, udata = header_constant(gdt, "GDT_USER_CODE"), header_constant(gdt, "GDT_USER_DATA")
    # SYSCALL: CS = STAR[47:32], SS = that + 8.  SYSRET to 64-bit mode:
    # CS = STAR[63:48] + 16, SS = STAR[63:48] + 8 (Intel SDM Vol. 2B).
    syscall_sel, sysret_base = (star >> 32) & 0xffff, (star >> 48) & 0xffff
    assert syscall_sel == kcode and syscall_sel + 8 == kdata, \
        "STAR[47:32] = 0x{:x}: SYSCALL would load CS 0x{:x}, SS 0x{:x}, not 0x{:x}, 0x{:x}".format(
            syscall_sel, syscall_sel, syscall_sel + 8, kcode, kdata)
    assert (sysret_base | 3) + 16 == ucode | 3 and (sysret_base | 3) + 8 == udata | 3, \
        "STAR[63:48] = 0x{:x}: SYSRET would load CS 0x{:x}, SS 0x{:x}, not 0x{:x}, 0x{:x}".format(
            sysret_base, (sysret_base + 16) | 3, (sysret_base + 8) | 3, ucode | 3, udata | 3)
    entry = symbol(KERNEL_ELF, "syscall_entry")
    assert lstar == entry, "LSTAR 0x{:x} is not syscall_entry (0x{:x})".format(lstar, entry)
    for bit, name in [(RFLAGS_IF, "IF"), (RFLAGS_DF, "DF"), (RFLAGS_TF, "TF"), (RFLAGS_AC, "AC")]:
        assert sfmask & bit, "SFMASK 0x{:x} leaves RFLAGS.{} as user mode set it".format(
            sfmask, name)
    assert found.group(4) == "1", "EFER.SCE is off: syscall is an invalid opcode"
    cstar, sysenter_cs = (int(g, 16) for g in m.expect(
        r"^syscall_msrs: CSTAR 0x([0-9a-f]+), SYSENTER_CS 0x([0-9a-f]+)$").groups())
    compat = symbol(KERNEL_ELF, "syscall_entry_compat")
    assert cstar == compat, "CSTAR 0x{:x} is not syscall_entry_compat (0x{:x}): a syscall from " \
        "32-bit code would enter ring 0 there".format(cstar, compat)
    assert sysenter_cs == 0, "SYSENTER_CS is 0x{:x}: sysenter must be a #GP".format(sysenter_cs)
    m.expect_pass("syscall_msrs")


@test("syscalls", "kernel threads run on the kernel's page tables between a process's turns",
      cmdline="test=kernel_cr3")
def _(m):
    m.expect(r"^sse: 1: 300 rounds ok")
    found = m.expect(r"^kernel_cr3: main ran (\d+) times next to a process, (\d+) times on "
                     r"other page tables than the kernel's; sse exited with (\d+)$")
    rounds, wrong, status = (int(g) for g in found.groups())
    assert wrong == 0, "a kernel thread ran {} of {} times on a process's page tables".format(
        wrong, rounds)
    assert status == 0, "sse exited with {}".format(status)
    m.expect_pass("kernel_cr3")


@test("syscalls", "without SMEP/SMAP (-cpu qemu64): badcall and hello still pass",
      cmdline="run=badcall;hello exit", cpu="qemu64")
def _(m):
    m.expect(r"^badcall: \d+ checks, 0 failed$")
    expect_hello(m)
    m.expect_exit(33)


@test("syscalls", "hello, a fault and badcall in Bochs too",
      cmdline="run=hello;faults,null;badcall exit", emulator="bochs", timeout=60)
def _(m):
    # Bochs has no isa-debug-exit: the kernel's last line decides.
    expect_hello(m)
    expect_killed(m, r"page fault: read at cr2=0x0 \(user, not present\)")
    m.expect(r"^badcall: \d+ checks, 0 failed$")
    m.expect(r"^run: done, last status 0: exiting$")


# The benchmarks that need no fork (stage forkexec's): those must pass in every handout.
BENCH_NO_FORK = ["loop_overhead", "null_syscall", "enosys_syscall", "clock_gettime",
                 "sched_yield", "mmap_touch_munmap", "mmap_munmap", "page_fault_zero"]


@test("syscalls", "bench prints its numbers (format only)",
      cmdline="run=bench," + ",".join(BENCH_NO_FORK) + " exit")
def _(m):
    m.expect_exit(33)
    lines = [re.match(r"^bench: (\w+) (\d+)$", line) for line in m.output
             if line.startswith("bench: ")]
    assert lines and all(lines), "badly formed bench lines: {}".format(
        [line for line in m.output if line.startswith("bench: ")])
    names = {found.group(1) for found in lines}
    assert "null_syscall" in names, "no null_syscall benchmark: {}".format(sorted(names))


# ---- compatibility mode ------------------------------------------------------------

# mode: how the kernel must kill the program for it (None: the call returns -ENOSYS).
# QEMU reports #GP for `int $0x80` with the IDT index as error 0x802 (vector * 16 + 2)
# where hardware says 0x402 (vector * 8 + 2); SYSENTER is #GP on Intel, #UD on AMD.
COMPAT = [
    ("syscall", None),
    ("kstack", None),
    ("int80", r"general protection fault \(#GP, error 0x[48]02\)"),
    ("sysenter", r"(general protection fault \(#GP, error 0x0\)|invalid opcode \(#UD\))"),
    ("ud", r"invalid opcode \(#UD\)"),
]


@test("syscalls", "32-bit compatibility mode: syscall gets ENOSYS, int 0x80 and sysenter kill",
      cmdline="run=" + ";".join("compat," + mode for mode, _ in COMPAT) + ";hello exit panic=exit")
def _(m):
    start, end = text_range("compat")
    for mode, killed in COMPAT:
        m.expect(r"^compat: {}$".format(mode))
        if killed is None:
            m.expect(r"^compat: {} returned -38$".format(mode))
            expect_exit_line(m, "compat")
            continue
        found = m.expect(r"^proc: compat {} killed: {}, rip=0x([0-9a-f]+)$".format(PID, killed))
        rip = int(found.groups()[-1], 16)
        assert start <= rip < end, "rip 0x{:x} is not in compat's code".format(rip)
    expect_hello(m)
    m.expect_exit(33)
    assert not any("did not fault" in line for line in m.output)


# ---- memory calls over huge ranges --------------------------------------------------

# Under -icount shift=0 rdtsc counts guest instructions.  Walks that skip missing
# tables take well under 200 000 instructions for any of vmrange's calls; a kernel
# that walks page by page needs billions (2^35 pages for munmap over the user half).
VMRANGE_BOUND = 2_000_000
ENOMEM = 12
VMRANGE_CALLS = [
    (r"madvise\(LOW..HIGH, MADV_DONTNEED\)", -ENOMEM),
    (r"munmap\(LOW..HIGH\)", 0),
    (r"mmap\(NULL, 256 GiB\)", -ENOMEM),
    (r"mmap\(LOW, 256 GiB, MAP_FIXED\)", -ENOMEM),
    (r"mmap\(LOW, 256 GiB, MAP_FIXED_NOREPLACE\)", -ENOMEM),
    (r"brk\(\+256 GiB\)", None),          # the break, unchanged
]


def expect_frames(m):
    """The free frames run prints after each program, plus the pages the heap keeps
    (it may keep a page more for a size class it had not needed before), and the
    heap blocks in use (what the kernel keeps between programs, /dev and /proc
    among it: the same number after every program unless something leaks)."""
    found = m.expect(r"^run: (\d+) frames free, (\d+) heap blocks in use$")
    free, blocks = int(found.group(1)), int(found.group(2))
    return free + int(m.expect(r"^run: the heap holds (\d+) pages$").group(1)), blocks


# vmrange without its argument exits at once: a warm-up that puts its file in
# the caches (see MEMORY_WARMUP) before the memory is compared.
@test("syscalls", "munmap, madvise, mmap, brk over the whole user half cost what is mapped",
      cmdline="run=vmrange;hello;vmrange,{};hello exit panic=exit".format(VMRANGE_BOUND),
      qemu_args=("-icount", "shift=0,align=off,sleep=off"))
def _(m):
    expect_hello(m)
    before = expect_frames(m)
    brk = None
    for call, result in VMRANGE_CALLS:
        found = m.expect(r"^vmrange: {} = (-?\d+) in (\d+) cycles$".format(call))
        got, cycles = int(found.group(1)), int(found.group(2))
        if result is None:
            brk = got
        else:
            assert got == result, "{} returned {}, expected {}".format(call, got, result)
        assert cycles < VMRANGE_BOUND, "{} took {} instructions (bound {})".format(
            call, cycles, VMRANGE_BOUND)
    assert brk is not None and brk >= program_end("vmrange"), \
        "brk(+256 GiB) returned 0x{:x}, not the program's break".format(brk)
    m.expect(r"^vmrange: munmap\(0x10000, 0x7efffffef000\) from the tail")
    expect_exit_line(m, "vmrange")      # status 0: within the bound
    assert expect_frames(m) == before, "vmrange did not give all its frames back"
    expect_hello(m)
    m.expect_exit(33)


# ---- the command line and the monitor's words ---------------------------------------

def source_define(path, name):
    """The value of `#define NAME <number>` in a kernel source file."""
    text = (REPO_ROOT / path).read_text()
    found = re.search(r"^#define {}\s+(\d+)\b".format(name), text, re.M)
    assert found, "no #define {} in {}".format(name, path)
    return int(found.group(1))


# GRUB reads the command line from one 512-byte sector holding `set kargs="..."\n`.
LONGEST_CMDLINE = 512 - len('set kargs=""\n')
MANY_WORDS = " ".join("w{}".format(i) for i in range(40))


@test("syscalls", "40 words on the command line: run= and exit after them still count",
      cmdline=MANY_WORDS + " run=args,last exit panic=exit")
def _(m):
    m.expect(r'^boot: loader ".*", command line "{}'.format(MANY_WORDS))
    m.expect(r'^args: argv\[1\] "last"$')
    expect_exit_line(m, "args")
    m.expect_exit(33)


def padded_cmdline(tail):
    """A command line of exactly LONGEST_CMDLINE bytes ending in tail."""
    pad = "pad="
    return pad + "x" * (LONGEST_CMDLINE - len(pad) - len(tail) - 1) + " " + tail


@test("syscalls", "the longest command line the args disk holds is kept whole",
      cmdline=padded_cmdline("run=args,end exit"))
def _(m):
    line = padded_cmdline("run=args,end exit")
    assert len(line) == LONGEST_CMDLINE
    m.expect(r'^boot: loader ".*", command line "{}"$'.format(re.escape(line)))
    m.expect(r'^args: argv\[1\] "end"$')
    expect_exit_line(m, "args")
    m.expect_exit(33)


@test("syscalls", "the monitor refuses a line with too many words, and says so",
      cmdline="monitor")
def _(m):
    limit = source_define("kernel/monitor.c", "MAX_ARGS")
    m.expect(r"kmon> ", partial=True)
    m.send("run args " + " ".join(str(i) for i in range(limit - 1)) + "\r")
    m.expect(r"^kmon: too many words \(at most {}\)$".format(limit))
    assert not any(line.startswith("args:") for line in m.output), "args ran all the same"
    m.expect(r"kmon> ", partial=True)
    m.send("run args " + " ".join(str(i) for i in range(limit - 2)) + "\r")
    m.expect(r'^args: argv\[{0}\] "{1}"$'.format(limit - 2, limit - 3))
    expect_exit_line(m, "args")
    m.expect(r"kmon> ", partial=True)
    m.send("halt\r")
    m.expect_exit(33)


# ---- seeded random system calls ---------------------------------------------------

# Each seed runs twice, making the same calls: both runs must end with as many frames
# free or kept by the heap (a leak shows there).
FUZZ_SEEDS = [11, 12]
FUZZ_CALLS = 8000
FUZZ_RUNS = 3   # the first run warms caches (it may add a heap block to the second): the
#               last two must agree


@test("syscalls", "fuzz: seeded random system calls get values or errnos, memory comes back",
      cmdline="run=" + ";".join(fuzz_run.fuzz_args(seed, FUZZ_CALLS, forking=False)
                                for seed in FUZZ_SEEDS for _ in range(FUZZ_RUNS))
              + " exit panic=exit", timeout=120, idle=15)   # its nanosleeps idle for seconds
def _(m):
    with fuzz_run.naming_the_call(m, forking=False):
        for seed in FUZZ_SEEDS:
            frames = []
            for _ in range(FUZZ_RUNS):
                found = fuzz_run.expect(
                    m, r"fuzz: seed {}, {} calls, 0 failed, (\d+) distinct errnos$".format(
                        seed, FUZZ_CALLS))
                assert int(found.group(1)) >= 5, \
                    "seed {}: only {} distinct errnos: the fuzzer is not reaching the " \
                    "checks".format(seed, found.group(1))
                expect_exit_line(m, "fuzz")
                frames.append(expect_frames(m))
            assert frames[-2] == frames[-1], (
                "seed {}: {} frames free or in the heap after one run, {} after the same "
                "calls again".format(seed, frames[-2], frames[-1]))
        m.expect_exit(33)


@test("syscalls", "watchdog: 6 s in the kernel without progress is reported once, with the "
      "function; 6 s in stretches of 1 s is not", cmdline="test=watchdog", timeout=40,
      stall=20)
def _(m):
    m.expect(r"^watchdog test: 6 s in the kernel$")
    found = m.expect(r"^watchdog: main \(pid 0, tid 0\) stuck in the kernel for 5 s$")
    m.expect(r"^watchdog: at rip 0x[0-9a-f]+ <(ktest_fn_watchdog|watchdog_spin)\+0x[0-9a-f]+>$")
    m.expect(r"^watchdog test: as long in stretches of 1 s, sleeping between$")
    m.expect_pass("watchdog")
    reports = [line for line in m.output if line.startswith("watchdog: ") and "stuck" in line]
    assert reports == [found.group(0)], \
        "the watchdog should report the one stretch of 6 s once, it printed:\n" + \
        "\n".join(reports)


# ---- the debugger: kbt from a system call into the user program -------------
import kgdb  # noqa: E402  (kept with the tests that use it)

SYSCALL_GDB_PORT = kgdb.free_port()


@test("syscalls", "GDB: kbt in a system call crosses into the user program",
      cmdline="run=hello exit", qemu_args=kgdb.stub_args(SYSCALL_GDB_PORT),
      timeout=kgdb.TIMEOUT)
def _(m):
    hello = kgdb.user_elf("hello")
    out = kgdb.session(m, SYSCALL_GDB_PORT, [
        "break *sys_exit_group", "continue", "kbt", kgdb.GDB_PCS,
        "add-symbol-file {}".format(hello), "kbt", "kbt &'thread.c'::boot_thread"])
    items = kgdb.parse_kbt(out["kbt"])
    frames = kgdb.check_kernel_chain(items)
    names = [f.name for f in frames]
    assert names[:3] == ["sys_exit_group", "syscall_dispatch", "syscall_entry"], \
        "kbt starts {}, expected sys_exit_group, syscall_dispatch, syscall_entry:\n{}".format(
            names[:3], out["kbt"])
    traps = [i for i in items if isinstance(i, kgdb.Trap)]
    assert traps and traps[0].what == "system call 231 (exit_group)" and \
        traps[0].mode == "user", \
        "kbt should cross the system call exit_group (231) from user mode:\n" + out["kbt"]
    user = frames[3]
    assert user.address < kgdb.USER_TOP and user.name is None, \
        "after the system call kbt shows {:#x} {}, not a user address".format(
            user.address, user.name)
    # SYSCALL saved the address of the next instruction: the one before it,
    # in the program's ELF file, must be `syscall`.
    before = kgdb.instruction_before(user.address, hello)
    assert before.startswith("syscall"), \
        "the user rip {:#x} kbt shows does not follow a syscall instruction in {} " \
        "(it follows `{}`)".format(user.address, hello.name, before)
    assert "add-symbol-file build/user/hello" in out["kbt"], \
        "without the program's symbols kbt should say how to load them:\n" + out["kbt"]
    kgdb.check_agrees_with_gdb(items, out[kgdb.GDB_PCS])
    named = [f for f in kgdb.parse_kbt(out["kbt#2"]) if isinstance(f, kgdb.Frame)]
    assert len(named) > 3 and named[3].address == user.address, \
        "kbt with the program's symbols lost the user frame:\n" + out["kbt#2"]
    kgdb.check_frame_name(named[3], user.address, hello)
    # Meanwhile the kernel's main thread waits for hello in proc_wait.
    waiting = kgdb.parse_kbt(out["kbt &'thread.c'::boot_thread"])
    names = [f.name for f in kgdb.check_kernel_chain(waiting, stopped_thread=True)]
    assert names[0] == "schedule" and "proc_wait" in names and names[-1] == "kernel_entry64", \
        "kbt of the main thread, which waits for hello, shows {}".format(names)
    expect_hello(m)
    m.expect_exit(33)


if __name__ == "__main__":
    main(["syscalls"])
