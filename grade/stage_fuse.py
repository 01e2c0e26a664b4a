"""Grader of stage `fuse`: the kernel VFS, descriptors, /dev and /proc, and
(appended by the FUSE work) the protocol, its servers and the page cache.

The VFS tests boot with `run=PROG,... exit` like the syscalls stage and
check what the programs print against facts the grader finds for itself:
the devices the kernel's sources register (devfs_register calls), the
descriptor limit (FD_MAX in kernel/fs/fdtable.h), the pids and memory
numbers the kernel prints on the console (`proc: NAME (pid N) exited`,
`frames: N total`, `run: N frames free`), and the arguments on the command
line.  fstest and badcall print one line per check with the expected value
(Linux's); every check must be there and agree.
"""
import re

from gradelib import REPO_ROOT, main, test

PID = r"\(pid (\d+)\)"
CHECK_RE = re.compile(r"^(fstest|badcall): (.+): expected (\S+), got (.+?) (ok|FAILED)$")
FRAMES_RE = r"^frames: (\d+) total, (\d+) free, (\d+) used"
RUN_MEMORY_RE = r"^run: (\d+) frames free, (\d+) heap blocks in use$"
HEAP_PAGES_RE = r"^run: the heap holds (\d+) pages$"


# ---- what the grader knows -----------------------------------------------------------

def devices():
    """The names the kernel's sources put in /dev: devfs_register("name", ...)
    (and devfs_builtin("name", ...), devfs.c's own)."""
    names = set()
    for path in sorted((REPO_ROOT / "kernel").rglob("*.c")):
        names.update(re.findall(r'\bdevfs_(?:register|builtin)\(\s*"([^"]+)"',
                                path.read_text()))
    assert names, "no devfs_register(\"name\", ...) call in kernel/"
    return names


def fd_max():
    """The size of a descriptor table (FD_MAX in kernel/fs/fdtable.h)."""
    text = (REPO_ROOT / "kernel" / "fs" / "fdtable.h").read_text()
    found = re.search(r"^#define\s+FD_MAX\s+(\d+)", text, re.M)
    assert found, "kernel/fs/fdtable.h: no #define FD_MAX"
    return int(found.group(1))


def checks(m, prog):
    """{what: (expected, got)} of prog's check lines; every one must agree."""
    results = {}
    for line in m.output:
        found = CHECK_RE.match(line)
        if found and found.group(1) == prog:
            _, what, want, got, _ = found.groups()
            assert want == got, "{}: {}: expected {}, got {}".format(prog, what, want, got)
            results[what] = got
    return results


def line_value(m, prefix):
    """The rest of the first line starting with prefix (after it), or fail."""
    for line in m.output:
        if line.startswith(prefix):
            return line[len(prefix):]
    raise AssertionError("no line starting {!r}".format(prefix))


def lines_after(m, prefix):
    """The rests of every line starting with prefix."""
    return [line[len(prefix):] for line in m.output if line.startswith(prefix)]


def exit_pid(m, prog, status=0):
    """"proc: PROG (pid N) exited with status S": N, S checked."""
    found = m.expect(r"^proc: {} {} exited with status (\d+)$".format(prog, PID))
    assert int(found.group(2)) == status, "{} exited with status {}, expected {}".format(
        prog, found.group(2), status)
    return int(found.group(1))


def run_memory(m):
    """The next "run:" memory report: (free frames + heap pages, heap blocks in use)."""
    found = m.expect(RUN_MEMORY_RE)
    pages = int(m.expect(HEAP_PAGES_RE).group(1))
    return int(found.group(1)) + pages, int(found.group(2))


def root_is_mounted(m):
    """Has a filesystem been mounted at "/" (the FAT server)?  /proc/mounts says."""
    return any(line.split()[1:2] == ["/"] for line in lines_after(m, "fstest: mounts "))


# ---- fstest ------------------------------------------------------------------------

FSTEST_MIN_CHECKS = 140


@test("fuse", "fstest: descriptors, offsets, O_CLOEXEC, cwd, errno on /dev and /proc",
      cmdline="run=hello;fstest,one,two;hello exit", timeout=30)
def _(m):
    m.expect(r"^hello, world$")
    before = run_memory(m)
    found = m.expect(r"^fstest: (\d+) checks, (\d+) failed$")
    results = checks(m, "fstest")
    pid = exit_pid(m, "fstest")
    after_fstest = run_memory(m)
    m.expect(r"^hello, world$")
    after = run_memory(m)
    m.expect_exit(33)
    assert int(found.group(1)) == len(results) >= FSTEST_MIN_CHECKS, \
        "fstest says {} checks, {} lines seen (at least {} wanted)".format(
            found.group(1), len(results), FSTEST_MIN_CHECKS)
    assert line_value(m, "fstest: pid ") == str(pid), "fstest's getpid is not its pid"
    # What must be among the checks (a kernel cannot pass by printing less).
    for what in ["lseek(fd, 0, SEEK_CUR) after both reads", "F_GETFD after open(O_CLOEXEC)",
                 "F_GETFD of its dup", "getcwd after ../proc/./self/..",
                 "getcwd(buf, 5) in /proc", "open(/dev/null, O_DIRECTORY)", "read(directory)",
                 "records 8-aligned, d_ino and d_type those of stat", "write(/dev/full)",
                 "rename(/dev/null, /proc/null)", "umount(/proc/self) with a file open"]:
        assert what in results, "fstest did not check {!r}".format(what)
    # Leaks: files, inodes, mounts and tables all go back.
    assert before == after_fstest == after, \
        "frames free + heap pages and heap blocks after hello, fstest, hello: {}, {}, {}".format(
            before, after_fstest, after)
    # The descriptor table: 0, 1, 2 taken, the rest until EMFILE.
    found = [re.match(r"^fstest: (\d+) opens before (\w+)$", line) for line in m.output]
    found = [f for f in found if f]
    assert found and found[0].group(2) == "EMFILE", "no \"N opens before EMFILE\" line"
    assert int(found[0].group(1)) == fd_max() - 3, \
        "{} opens before EMFILE with 3 descriptors open; FD_MAX is {}".format(
            found[0].group(1), fd_max())


@test("fuse", "/dev lists the registered devices; getdents64 one record at a time",
      cmdline="run=fstest exit")
def _(m):
    m.expect(r"^fstest: \d+ checks, \d+ failed$")
    checks(m, "fstest")
    m.expect_exit(33)
    want = devices() | {".", ".."}
    listed = line_value(m, "fstest: ls /dev: ").split()
    assert sorted(listed) == listed, "ls /dev is not sorted (fstest sorts it)"
    assert set(listed) == want and len(listed) == len(want), \
        "ls /dev: {}; the kernel registers {}".format(" ".join(listed), " ".join(sorted(want)))
    one = line_value(m, "fstest: getdents64 /dev 32 bytes at a time: ")
    found = re.match(r"^(.*) \((-?\d+)\)$", one)
    assert found and found.group(2) == "0", \
        "getdents64 with a small buffer did not end with 0: {}".format(one)
    names = found.group(1).split()
    assert sorted(names) == listed, \
        "one record at a time: {}; all at once: {}".format(" ".join(names), " ".join(listed))
    count = int(line_value(m, "fstest: getdents64 /dev gave ").split()[0])
    assert count == len(want), "getdents64 gave {} records for {} names".format(
        count, len(want))
    # A second devfs mounted on /proc/self lists the same.
    assert line_value(m, "fstest: ls /proc/self: ").split() == listed, \
        "devtmpfs mounted at /proc/self does not list what /dev does"


@test("fuse", "/proc: one directory per process, status, cmdline, mounts",
      cmdline="run=upcase&fstest,one,two exit")
def _(m):
    m.expect(r"^upcase: type lines")
    m.expect(r"^fstest: \d+ checks, \d+ failed$")
    checks(m, "fstest")
    fstest = exit_pid(m, "fstest")
    m.send("quit\r")
    upcase = exit_pid(m, "upcase")
    m.expect_exit(33)
    listed = line_value(m, "fstest: ls /proc: ").split()
    want = {".", "..", "meminfo", "mounts", "self", str(fstest), str(upcase)}
    assert set(listed) == want and len(listed) == len(want), \
        "ls /proc: {}; the processes running are {} and {}".format(
            " ".join(listed), upcase, fstest)
    status = {}
    for line in lines_after(m, "fstest: status "):
        key, _, value = line.partition(":")
        status[key] = value.strip()
    for key, value in [("Name", "fstest"), ("Pid", str(fstest)), ("Tgid", str(fstest)),
                       ("PPid", "0"), ("State", "R (running)")]:
        assert status.get(key) == value, "/proc/self/status: {} is {!r}, expected {!r}".format(
            key, status.get(key), value)
    rss = re.match(r"^(\d+) kB$", status.get("VmRSS", ""))
    assert rss and int(rss.group(1)) > 0 and int(rss.group(1)) % 4 == 0, \
        "/proc/self/status: VmRSS {!r} is not a positive number of pages in kB".format(
            status.get("VmRSS"))
    stat = line_value(m, "fstest: stat ").split()
    assert len(stat) == 52, "/proc/self/stat has {} fields, Linux's 52 wanted".format(len(stat))
    assert stat[:5] == [str(fstest), "(fstest)", "R", "0", str(fstest)], \
        "/proc/self/stat begins {}".format(" ".join(stat[:5]))
    # Read a moment after status: stdio's buffers may have taken a page or two.
    assert abs(int(stat[23]) * 4 - int(rss.group(1))) <= 16, \
        "/proc/self/stat: rss {} pages, status says VmRSS {} kB".format(stat[23], rss.group(1))
    own = line_value(m, "fstest: ls /proc/{}: ".format(fstest)).split()
    assert own == [".", "..", "cmdline", "stat", "status"], \
        "ls /proc/{}: {}".format(fstest, " ".join(own))
    cmdline = line_value(m, "fstest: cmdline ")
    assert cmdline == r"fstest\0one\0two\0", \
        "/proc/self/cmdline is {!r}, expected fstest\\0one\\0two\\0".format(cmdline)
    mounts = [line for line in lines_after(m, "fstest: mounts ")
              if not line.startswith("after mount ")]
    for want_line in ["devtmpfs /dev devtmpfs rw 0 0", "proc /proc proc rw 0 0"]:
        assert want_line in mounts, "/proc/mounts has no line {!r}: {}".format(want_line, mounts)
    after = lines_after(m, "fstest: mounts after mount ")
    assert after == mounts + ["extradev /proc/self devtmpfs rw 0 0"], \
        "/proc/mounts after mounting devtmpfs at /proc/self: {}".format(after)
    if not root_is_mounted(m):
        assert line_value(m, "fstest: ls /: ").split() == [".", "..", "dev", "proc"], \
            "with nothing mounted at /, / lists the mount points"


@test("fuse", "/proc/meminfo agrees with the frame allocator's counts",
      cmdline="run=fstest;hello exit")
def _(m):
    total = int(m.expect(FRAMES_RE).group(1))
    m.expect(r"^fstest: \d+ checks, \d+ failed$")
    checks(m, "fstest")
    exit_pid(m, "fstest")
    free_after = int(m.expect(RUN_MEMORY_RE).group(1))
    m.expect_exit(33)
    info = {}
    for line in lines_after(m, "fstest: meminfo "):
        found = re.match(r"^(\w+):\s+(\d+) kB$", line)
        assert found, "/proc/meminfo line {!r} is not \"Name:   N kB\"".format(line)
        info[found.group(1)] = int(found.group(2))
    for key in ["MemTotal", "MemFree", "MemAvailable", "Slab"]:
        assert key in info, "/proc/meminfo has no {}".format(key)
    assert info["MemTotal"] == 4 * total, \
        "MemTotal {} kB, but the kernel manages {} frames ({} kB)".format(
            info["MemTotal"], total, 4 * total)
    free = info["MemFree"] // 4
    rss = int(re.match(r"^(\d+)", line_value(m, "fstest: status VmRSS:").strip()).group(1))
    # While fstest ran it held its pages, page tables, stack and files; after it
    # exited they were free again: no more than those, and never fewer.
    slack = rss // 4 + 64
    assert free <= free_after <= free + slack, \
        "MemFree {} kB ({} frames) while fstest ran, {} frames free after it: " \
        "not within its {} kB and a little".format(info["MemFree"], free, free_after, rss)
    assert info["MemFree"] <= info["MemTotal"], "MemFree is above MemTotal"


@test("fuse", "trace: path arguments are strings, fs calls decoded",
      cmdline="run=fstest trace=fstest exit", timeout=40)
def _(m):
    m.expect(r"^fstest: \d+ checks, \d+ failed$")
    checks(m, "fstest")
    m.expect_exit(33)
    traced = [line for line in m.output if line.startswith("[fstest:")]
    wanted = [r'open\("/dev/null", 0x[0-9a-f]+, 0x[0-9a-f]+\) = \d+',
              r'chdir\("/dev"\) = 0', r'chdir\("/dev/null"\) = -ENOTDIR',
              r"getdents64\(\d+, 0x[0-9a-f]+, \d+\) = \d+", r"dup\(\d+\) = \d+",
              r'mount\("extradev", "/proc/self/", "devtmpfs", 0x0, NULL\) = 0',
              r'umount2\("/proc/self", 0x0\) = -EBUSY']
    for pattern in wanted:
        assert any(re.search(r"\] " + pattern + "$", line) for line in traced), \
            "no traced call matching {}".format(pattern)


# ---- badcall -----------------------------------------------------------------------

# Checks the grader insists on, with the errno Linux gives for them.
BADCALL_FS_REQUIRED = {
    "open(NULL, O_RDONLY)": "EFAULT",
    "open(KTEXT, O_RDONLY)": "EFAULT",
    "open(end of mapping, O_RDONLY)": "EFAULT",
    "open(4103 slashes, O_RDONLY)": "ENAMETOOLONG",
    "openat(AT_FDCWD, KDIRECT, O_RDONLY)": "EFAULT",
    "stat(NULL, buf)": "EFAULT",
    "stat(/dev/null, KTEXT)": "EFAULT",
    "stat(/dev/null, end of mapping)": "EFAULT",
    "fstat(fd, NONCANON)": "EFAULT",
    "newfstatat(AT_FDCWD, /dev/null, unmapped, 0)": "EFAULT",
    "getdents64(/dev fd, KDIRECT, 4096)": "EFAULT",
    "getdents64(/dev fd, rodata, 64)": "EFAULT",
    "getcwd(KTEXT, 4096)": "EFAULT",
    "getcwd(NULL, 0)": "ERANGE",
    "rename(/dev/null, unmapped)": "EFAULT",
    "mkdir(end of mapping, 0755)": "EFAULT",
    "mount(none, NULL, proc, 0, NULL)": "EFAULT",
    "mount(none, /nonexistent, KTEXT, 0, NULL)": "EFAULT",
    "umount2(KDIRECT, 0)": "EFAULT",
    "statfs(/dev/null, USEREND - 8)": "EFAULT",
    "pread64(/dev/zero fd, KTEXT, 16, 0)": "EFAULT",
    "pread64(closed, buf, 1, 0)": "EBADF",
    "lseek(1000, 0, SEEK_SET)": "EBADF",
    "getdents64(closed, buf, 1024)": "EBADF",
    "fstat(-1, buf)": "EBADF",
    "dup2(closed, 40)": "EBADF",
    "dup2(0, -1)": "EBADF",
    "fcntl(closed, F_GETFD)": "EBADF",
    "close(closed)": "EBADF",
    "openat(1000, \"null\", O_RDONLY)": "EBADF",
    "newfstatat(closed, \"\", buf, AT_EMPTY_PATH)": "EBADF",
    "ftruncate(closed, 0)": "EBADF",
    "fchdir(-1)": "EBADF",
}


@test("fuse", "badcall: bad paths, buffers and descriptors in every file system call",
      cmdline="run=badcall;hello exit")
def _(m):
    found = m.expect(r"^badcall: (\d+) checks, (\d+) failed$")
    m.expect(r"^hello, world$")
    m.expect_exit(33)
    results = checks(m, "badcall")
    assert int(found.group(1)) == len(results), \
        "badcall says {} checks, {} lines seen".format(found.group(1), len(results))
    for call, errno in BADCALL_FS_REQUIRED.items():
        assert results.get(call) == errno, "{}: {} expected, got {}".format(
            call, errno, results.get(call, "no such check"))
    fs_checks = [c for c in results if re.match(
        r"^(open|openat|creat|stat|lstat|newfstatat|fstat|access|faccessat|mkdir|mkdirat|"
        r"rmdir|unlink|unlinkat|rename|renameat|renameat2|truncate|ftruncate|chdir|fchdir|"
        r"getcwd|statfs|fstatfs|mount|umount2|pread64|pwrite64|lseek|getdents64|dup|dup2|"
        r"dup3|fcntl|fsync|fdatasync|close)\(", c)]
    assert len(fs_checks) >= 300, "only {} checks of file system calls (300 wanted)".format(
        len(fs_checks))


if __name__ == "__main__":
    main(["fuse"])
