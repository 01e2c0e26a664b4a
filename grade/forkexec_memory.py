"""Grader of stage `forkexec`, the memory of processes: demand paging, the
stack, mprotect, MAP_FIXED, MAP_SHARED|MAP_ANONYMOUS across fork,
MADV_DONTNEED, copy-on-write of 64 MiB, resource limits.

Each test boots with `run=memtest,NAME...` (user/memtest.c) and checks its
lines against facts computed here: memory figures (MemFree + Slab + Cached
of /proc/meminfo, in kB, as memtest prints them) against the pages the
test touched, wait statuses against Linux's encoding, the kernel's kill
messages against the stack's layout (uvm.h: the stack's top, RLIMIT_STACK
below it, a 1 MiB guard gap below that).
"""
from gradelib import main, test

PID = r"\(pid (\d+)\)"
SIGSEGV, ENOMEM = 11, 12
KB = 1024
MIB = 1024 * KB
PAGE_KB = 4
STACK_TOP = 0x00007ffffffff000
STACK_GUARD = 1 * MIB
LAZY_PAGES = 100
LAZY_TABLES = 32 + 4  # 64 MiB spans 32 page tables, plus directories
COW_KB = 64 * 1024


def expect_ok(m, name):
    found = m.expect(r"^memtest: {}: (ok|FAILED.*)$".format(name))
    assert found.group(1) == "ok", "memtest {}: {}".format(name, found.group(1))


def expect_done(m):
    m.expect(r"^memtest: \d+ passed, 0 failed$")
    m.expect(r"^proc: memtest {} exited with status 0$".format(PID))


def expect_overflow(m, limit):
    """The kill message of a stack overflow with RLIMIT_STACK limit."""
    found = m.expect(r"^proc: memtest {} killed: page fault: write at cr2=0x([0-9a-f]+) "
                     r"\(user, not present\), rip=0x[0-9a-f]+ \(stack overflow\)$".format(PID))
    cr2, floor = int(found.group(2), 16), STACK_TOP - limit
    assert floor - STACK_GUARD <= cr2 < floor, \
        "stack overflow at 0x{:x}, not in the guard gap below 0x{:x}".format(cr2, floor)


@test("forkexec", "memory: mmap of 64 MiB costs frames only for the pages touched; munmap "
      "gives them back", cmdline="run=memtest,lazy exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^memtest: lazy: mmap (-?\d+) kB, touch (\d+) pages (-?\d+) kB, "
                     r"munmap (-?\d+) kB$")
    mapped, pages, touched, back = (int(found.group(i)) for i in range(1, 5))
    assert pages == LAZY_PAGES, "{} pages touched".format(pages)
    assert mapped <= 2 * PAGE_KB, "mmap of 64 MiB cost {} kB before any touch".format(mapped)
    low, high = pages * PAGE_KB, (pages + LAZY_TABLES) * PAGE_KB
    assert low <= touched <= high, "touching {} pages cost {} kB, expected {} to {}".format(
        pages, touched, low, high)
    assert back == 0, "after munmap, {} kB more or less than before the mmap".format(back)
    expect_ok(m, "lazy")
    expect_done(m)


@test("forkexec", "memory: a child writes 64 MiB: the parent's pages are untouched, the "
      "copies come back", cmdline="run=memtest,cow64 exit panic=exit", mem="320M", timeout=120)
def _(m):
    found = m.expect(r"^memtest: cow64: before fork (\d+) kB, child wrote (\d+) kB, "
                     r"after wait (\d+) kB$")
    before, wrote, after = (int(found.group(i)) for i in range(1, 4))
    assert before - wrote >= COW_KB, "the child's 64 MiB of writes cost only {} kB".format(
        before - wrote)
    assert after == before, "{} kB before the fork, {} kB after the child".format(before, after)
    expect_ok(m, "cow64")
    expect_done(m)


@test("forkexec", "memory: the stack grows to 6 MiB; overflow past RLIMIT_STACK (8 MiB, or "
      "1 MiB as set) is SIGSEGV, reported as a stack overflow",
      cmdline="run=memtest,stack exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^memtest: stack: grew (\d+) kB$")
    assert int(found.group(1)) >= 6 * 1024, "the stack grew {} kB".format(found.group(1))
    expect_ok(m, "stack")
    expect_overflow(m, 8 * MIB)
    found = m.expect(r"^memtest: overflow: status (\d+) signal (\d+)$")
    assert int(found.group(1)) == SIGSEGV, "wait status {}, not SIGSEGV's".format(
        found.group(1))
    expect_ok(m, "overflow")
    expect_overflow(m, 1 * MIB)
    expect_ok(m, "rlimit-stack")
    expect_done(m)


@test("forkexec", "memory: mprotect read-only then a write is SIGSEGV; MAP_FIXED replaces, "
      "munmap of a middle page leaves a hole", cmdline="run=memtest,mprotect,map-fixed exit "
      "panic=exit", timeout=60)
def _(m):
    m.expect(r"^proc: memtest {} killed: page fault: write at cr2=0x[0-9a-f]+ "
             r"\(user, present\)".format(PID))
    expect_ok(m, "mprotect")
    m.expect(r"^proc: memtest {} killed: page fault: read at cr2=0x[0-9a-f]+ "
             r"\(user, not present\)".format(PID))
    expect_ok(m, "map-fixed")
    expect_done(m)


@test("forkexec", "memory: MAP_SHARED|MAP_ANONYMOUS is shared both ways across fork; "
      "MADV_DONTNEED gives zeros", cmdline="run=memtest,shared,dontneed exit panic=exit",
      timeout=60)
def _(m):
    expect_ok(m, "shared")
    expect_ok(m, "dontneed")
    expect_done(m)


@test("forkexec", "memory: RLIMIT_AS and RLIMIT_DATA stop a runaway allocation with ENOMEM, "
      "then the system goes on; limits pass through fork and exec",
      cmdline="run=memtest,rlimit,rlimit-calls;hello exit panic=exit", timeout=60)
def _(m):
    found = m.expect(r"^memtest: rlimit-as: (\d+) MiB allocated, then errno (\d+)$")
    assert 16 <= int(found.group(1)) < 32, "{} MiB allocated under a 32 MiB RLIMIT_AS".format(
        found.group(1))
    assert int(found.group(2)) == ENOMEM, "errno {}, not ENOMEM".format(found.group(2))
    expect_ok(m, "rlimit-as")
    found = m.expect(r"^memtest: rlimit-data: brk (\d+) MiB$")
    assert 8 <= int(found.group(1)) < 16, "brk grew {} MiB under a 16 MiB RLIMIT_DATA".format(
        found.group(1))
    expect_ok(m, "rlimit-data")
    expect_ok(m, "rlimit-calls")
    expect_done(m)
    m.expect(r"^hello, world$")
    m.expect_exit(33)


@test("forkexec", "memory: every frame comes back: two runs of memtest leave the same memory",
      cmdline="run=memtest;memtest;hello exit panic=exit", mem="320M", timeout=180)
def _(m):
    figures = []
    for _run in range(2):
        expect_done(m)
        found = m.expect(r"^run: (\d+) frames free, (\d+) heap blocks in use$")
        figures.append((int(found.group(1)), int(found.group(2))))
    assert figures[0] == figures[1], "after the first memtest {} frames free, {} heap " \
        "blocks; after the second {}, {}".format(*figures[0], *figures[1])
    m.expect(r"^hello, world$")
    m.expect_exit(33)


if __name__ == "__main__":
    main(["forkexec"])
