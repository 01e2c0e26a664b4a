"""Grader tests of stage `ipc` under fault injection (imported by stage_ipc.py):
the process-level programs run while kmalloc and frame allocation fail on
purpose (kernel/debug/failinject.h), and every failure must end as an error
in the program that caused it, never as a panic, a leak, a corrupted heap or
a kernel that no longer works.

Each test boots with one set of programs and runs it three times (run=,
with `failprocs=` naming the programs, so that only the run in the middle
is injected):

  1. clean (run=PROG;...; the kernel starts them, never targets): warms the
     caches (the FAT server's files, the page cache, retained FUSE inodes);
  2. under injection (run=ksh,-c,'PROG;...': a program the shell execs is a
     target, and so is everything it forks);
  3. clean again, after `kill -9 -1` (a program that lost its partner to an
     error may wait for ever: that is the program's business, not a leak)
     and the removal of what the injected programs may have left in /tmp.

Facts checked here: the kernel prints after each group of run= the frames
free and the heap's blocks and pages; frames free + heap pages (the heap
keeps one empty page per size class, so pages move between the two) and the
blocks in use after run 3 must equal those after run 1.  The failinject line
after run 2 must show failures of the kinds the test injects (it proves the
injection happened), and every failinject line must say the heap check
(heap_check: pages, blocks, counts) is ok.  Every program of runs 1 and 3
must exit with status 0, and `hello` after them must run.  QEMU runs under
-icount, so the same allocations fail in every run of a test.
"""
from gradelib import test

ICOUNT = ("-icount", "shift=0,align=off,sleep=off")
# Each test takes 13 to 25 s of QEMU time on an idle host; the limits leave room for a busy one.
CLEAN = "ksh,-c,'kill -9 -1;rm -rf /tmp/fifotest-d'"
MEMORY_RE = r"^run: (\d+) frames free, (\d+) heap blocks in use$"
PAGES_RE = r"^run: the heap holds (\d+) pages$"
FAILINJECT_RE = (r"^failinject: kmalloc (\d+) of (\d+) failed, frames (\d+) of (\d+) failed, "
                 r"heap check (\w+)$")


def program_names(progs):
    """The program names of run= specs ("hellofs,--test,/mnt&fusetest,write,/mnt")."""
    return sorted({spec.split(",")[0] for group in progs for spec in group.split("&")})


def failinject_cmdline(options, progs):
    """The command line of a test: clean, injected, clean again, hello."""
    direct = ";".join(progs)
    shell = ";".join(group.replace(",", " ") for group in progs)
    return ("{} failprocs={} run={c};{d};ksh,-c,'{s}';{c};{d};hello exit panic=exit".format(
        options, ",".join(program_names(progs)), c=CLEAN, d=direct, s=shell))


def expect_group(m):
    """The figures the kernel prints after a group of run=: ((frames free + heap
    pages, heap blocks), the failinject line's numbers)."""
    found = m.expect(MEMORY_RE)
    frames, blocks = int(found.group(1)), int(found.group(2))
    pages = int(m.expect(PAGES_RE).group(1))
    inject = m.expect(FAILINJECT_RE)
    assert inject.group(5) == "ok", "the heap check failed after a group: " + inject.group(0)
    return (frames + pages, blocks), tuple(int(inject.group(i)) for i in (1, 2, 3, 4))


def expect_clean_run(m, progs, when):
    """Each program of a clean run exits with status 0; the figures after it."""
    figures = None
    for group in progs:
        names = program_names([group])
        while names:  # the programs of a group run at the same time: any order
            found = m.expect(r"^proc: ({}) \(pid \d+\) exited with status (\d+)$".format(
                "|".join(names)))
            assert found.group(2) == "0", "{} {} exited with status {}".format(
                when, found.group(1), found.group(2))
            names.remove(found.group(1))
        figures, _ = expect_group(m)
    return figures


def check_failinject(m, progs, slab, frames):
    """The three runs; slab and frames: whether kmalloc, frame allocation fail."""
    expect_group(m)  # the first clean-up
    before = expect_clean_run(m, progs, "in the clean run before the injection,")
    _, injected = expect_group(m)
    slab_failed, slab_asked, frames_failed, frames_asked = injected
    assert not slab or slab_failed > 0, \
        "no kmalloc failed under injection ({} asked about)".format(slab_asked)
    assert not frames or frames_failed > 0, \
        "no frame allocation failed under injection ({} asked about)".format(frames_asked)
    expect_group(m)  # kill -9 -1 and the clean-up
    after = expect_clean_run(m, progs, "after the injected run,")
    assert after == before, (
        "frames free + heap pages and heap blocks after the clean run: {}, after the injected "
        "run and the same clean run again: {} ({} kmalloc and {} frame allocation failures "
        "injected): memory leaked on an error path".format(before, after, slab_failed,
                                                            frames_failed))
    m.expect(r"^hello, world$")
    m.expect_exit(33)


# ---- the tests ---------------------------------------------------------------------

# fork, exec, pipes, spawn, threads and messages.
PROCS = ["pipetest", "spawntest", "threadtest,join,tls", "msgtest,pingpong,fd"]
# Files: the VFS, a FUSE server and its client, tmpfs.
FILES = ["fstest", "hellofs,--test,/mnt&fusetest,write,/mnt", "fifotest,tmpfs"]
# Threads in processes, clone, signals, shared memory.
MEMORY = ["threadtest,segv", "clonetest", "threadproc,exec,fork,exitgroup", "sigtest,sigchld",
          "memtest,shared,dontneed"]


@test("ipc", "fault injection: every 29th kmalloc fails in fork, exec, pipes, spawn, threads "
      "and messages: no panic, no leak, the heap intact, the system still works",
      cmdline=failinject_cmdline("failslab=29", PROCS), qemu_args=ICOUNT, timeout=120)
def _(m):
    check_failinject(m, PROCS, slab=True, frames=False)


@test("ipc", "fault injection: frame allocations fail at random (1 in 40) in the same "
      "programs: ENOMEM to the caller, no OOM kill, no leak",
      cmdline=failinject_cmdline("failframe=40 failseed=3", PROCS), qemu_args=ICOUNT,
      timeout=120)
def _(m):
    check_failinject(m, PROCS, slab=False, frames=True)
    assert not [line for line in m.output if line.startswith("oom: ")], \
        "the OOM killer acted on an injected failure"


@test("ipc", "fault injection: kmalloc and frames fail at random in files, a FUSE server and "
      "its client, and tmpfs: no panic, no leak",
      cmdline=failinject_cmdline("failslab=40 failframe=40 failseed=7", FILES),
      qemu_args=ICOUNT, timeout=120)
def _(m):
    check_failinject(m, FILES, slab=True, frames=True)


@test("ipc", "fault injection: every 17th kmalloc fails in threads, clone, signals and shared "
      "memory: no panic, no leak",
      cmdline=failinject_cmdline("failslab=17", MEMORY), qemu_args=ICOUNT, timeout=120)
def _(m):
    check_failinject(m, MEMORY, slab=True, frames=False)


@test("ipc", "fault injection: every 90th frame allocation fails in threads, clone, signals "
      "and shared memory: no panic, no leak",
      cmdline=failinject_cmdline("failframe=90", MEMORY), qemu_args=ICOUNT, timeout=120)
def _(m):
    check_failinject(m, MEMORY, slab=False, frames=True)
