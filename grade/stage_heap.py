"""Grader of stage `heap`: kmalloc, kfree, kcalloc, krealloc with real
deallocation, statistics, the debugging aids (double free, overflow,
heap_check) and the memory benchmark.

The heap is empty after boot (nothing in the kernel allocates yet), so after
a test has freed everything, the number of free frames must be exactly the
one the boot line printed: the grader checks that itself.
"""
from gradelib import main, test
from kelf import check_site

FRAMES_RE = r"^frames: (\d+) total, (\d+) free, (\d+) used"
STATE_RE = (r"^{}: (\d+) bytes in (\d+) blocks in use, (\d+) pages, (\d+) bytes free in the "
            r"classes, (\d+) free frames \(before: (\d+), (\d+), (\d+), (\d+), (\d+)\)")


def boot_free_frames(m):
    return int(m.expect(FRAMES_RE).group(2))


def expect_baseline(m, name, boot_free):
    """The test's closing line: the heap is as it was, and every frame it
    took is back with the frame allocator."""
    match = m.expect(STATE_RE.format(name))
    after, before = match.groups()[:5], match.groups()[5:]
    assert after == before, "{}: heap state {} after, {} before".format(name, after, before)
    assert int(after[4]) == boot_free, \
        "{}: {} free frames at the end, {} at boot".format(name, after[4], boot_free)
    assert after[:3] == ("0", "0", "0"), "{}: the heap still holds something: {}".format(
        name, after)
    m.expect_pass(name)


@test("heap", "kmalloc/kcalloc/krealloc: sizes 0..3000, alignment, contents",
      cmdline="test=heap_basic")
def _(m):
    expect_baseline(m, "heap_basic", boot_free_frames(m))


@test("heap", "freed memory is reused", cmdline="test=heap_reuse")
def _(m):
    free = boot_free_frames(m)
    match = m.expect(r"^heap_reuse: 10000 x .*: (\d+) allocations, heap holds (\d+) pages")
    assert int(match.group(1)) == 20000, "{} allocations counted".format(match.group(1))
    assert int(match.group(2)) <= 13, "20000 allocations left {} pages".format(match.group(2))
    expect_baseline(m, "heap_reuse", free)


@test("heap", "a size class keeps one empty page; a freed slot of a full page goes first",
      cmdline="test=heap_pages")
def _(m):
    found = m.expect(r"^heap_pages: class of (\d+)-byte slots: (\d+) blocks make (\d+) new "
                     r"pages; a slot freed in a full page is handed out next: (yes|no)$")
    new_pages = int(found.group(3))
    assert found.group(4) == "yes", "a slot freed in a full page was not the next one handed " \
        "out (that page belongs at the front of partial)"
    kept, given = (int(g) for g in m.expect(
        r"^heap_pages: all freed: the class keeps (\d+) empty pages, gave (\d+) back$").groups())
    assert (kept, given) == (1, new_pages - 1), \
        "when {} pages became empty the class kept {} and gave {} back: expected 1 and {}" \
        .format(new_pages, kept, given, new_pages - 1)
    m.expect(r"^heap_pages: after heap_trim: 0 pages$")
    m.expect_pass("heap_pages")


@test("heap", "random alloc/free sequences leave the heap as it started",
      cmdline="test=heap_random")
def _(m):
    free = boot_free_frames(m)
    match = m.expect(r"^heap_random: 20000 operations, up to (\d+) blocks and (\d+) bytes")
    assert int(match.group(1)) > 50, "only {} blocks at once".format(match.group(1))
    expect_baseline(m, "heap_random", free)


@test("heap", "random sequences with -m 4G and -cpu qemu64", cmdline="test=heap_random",
      mem="4G", cpu="qemu64")
def _(m):
    free = boot_free_frames(m)
    expect_baseline(m, "heap_random", free)


@test("heap", "blocks from 1 byte to 8 MiB", cmdline="test=heap_sizes")
def _(m):
    free = boot_free_frames(m)
    m.expect(r"^heap_sizes: 1 byte to 8388609 bytes: ok")
    expect_baseline(m, "heap_sizes", free)


@test("heap", "memory exhaustion returns NULL without panicking", cmdline="test=heap_exhaust",
      mem="64M")
def _(m):
    free = boot_free_frames(m)
    match = m.expect(r"^heap_exhaust: memory full after (\d+) blocks of 1 MiB, (\d+) of 2000 "
                     r"bytes, (\d+) of 8 bytes; (\d+) free frames")
    big = int(match.group(1))
    # What -m 64M leaves free depends on the boot modules (a handout before
    # fuse loads every program as one): at most the free frames' worth of
    # whole MiB, and no more than a few MiB less (page headers, the heap's
    # own pages, the smaller blocks' pages).
    most = free * 4096 // (1 << 20)
    assert most - 6 <= big <= most, "{} blocks of 1 MiB with {} free frames at boot " \
        "(at most {})".format(big, free, most)
    assert match.group(4) == "0", "{} frames still free".format(match.group(4))
    expect_baseline(m, "heap_exhaust", free)


@test("heap", "heap_check finds overflows, writes after free, trampled headers",
      cmdline="test=heap_check")
def _(m):
    p = m.expect(r"^heap_check: after a write past the end of (0x[0-9a-f]+):").group(1)
    m.expect(r"^heap_check: write past the end of block {} \(40 bytes".format(p))
    q = m.expect(r"^heap_check: after a write to freed block (0x[0-9a-f]+):").group(1)
    m.expect(r"^heap_check: freed block {} .*was written: byte 30 ".format(q))
    m.expect(r"^heap_check: after zeroing the header of {}:".format(p))
    m.expect(r"^heap_check: the header of slot {} is overwritten".format(p))
    m.expect_pass("heap_check")


@test("heap", "a double free panics, naming the call sites", cmdline="test=heap_double_free")
def _(m):
    p = m.expect(r"^heap_double_free: freeing (0x[0-9a-f]+) a second time").group(1)
    match = m.expect_panic(r"kfree: double free of {} \(24 bytes\) by (\S+); allocated by "
                           r"(\S+), first freed by (\S+)$".format(p))
    for site in match.groups():
        check_site(site, "ktest_fn_heap_double_free")


@test("heap", "a write past the end of a block panics, naming the call sites",
      cmdline="test=heap_overflow")
def _(m):
    p = m.expect(r"^heap_overflow: writing byte 24 of a 24-byte block at (0x[0-9a-f]+)").group(1)
    match = m.expect_panic(r"kfree: write past the end of block {} \(24 bytes, allocated by "
                           r"(\S+)\): byte 24 is 0x78.*found by kfree called from (\S+)$"
                           .format(p))
    for site in match.groups():
        check_site(site, "ktest_fn_heap_overflow")


# -icount makes the guest's time stand for instructions executed: the numbers
# repeat from run to run and compare with other kernels measured the same way.
@test("heap", "the benchmark prints cycles per operation", cmdline="test=bench_mm", timeout=40,
      qemu_args=("-icount", "shift=0,align=off,sleep=off"))
def _(m):
    for name in ("frame_alloc_free", "kmalloc_kfree"):
        cycles = int(m.expect(r"^bench: {} (\d+)$".format(name)).group(1))
        assert cycles > 0, "{}: {} cycles".format(name, cycles)
    m.expect_pass("bench_mm")


@test("heap", "the monitor's mem heap command checks the heap", cmdline="monitor")
def _(m):
    m.expect(r"kmon> ", partial=True)
    m.send("mem heap\r")
    m.expect(r"^heap: 0 bytes in 0 blocks in use")
    m.expect(r"^heap_check: consistent")
    m.expect(r"kmon> ", partial=True)     # type only at the prompt: echo would race it
    m.send("halt\r")
    m.expect(r"^halting")
    m.expect_exit(33)



# ---- the debugger: kbt at a function's first instruction -------------------
import kgdb  # noqa: E402  (kept with the tests that use it)

HEAP_GDB_PORT = kgdb.free_port()


@test("heap", "GDB: kbt on heap_alloc's first instruction shows its caller kcalloc",
      cmdline="test=heap_basic", qemu_args=kgdb.stub_args(HEAP_GDB_PORT), timeout=kgdb.TIMEOUT)
def _(m):
    # Stop where kcalloc calls heap_alloc: the return address on the stack is
    # in kcalloc.  There rbp is still kcalloc's and the return address is at
    # [rsp], not at [rbp + 8].
    kcalloc, size = kgdb.kelf.symbol("kcalloc")
    ret = "*(unsigned long *)$rsp"
    out = kgdb.session(m, HEAP_GDB_PORT, [
        "break *heap_alloc if {0} >= {1:#x} && {0} < {2:#x}".format(ret, kcalloc, kcalloc + size),
        "continue", "kbt", kgdb.GDB_PCS])
    items = kgdb.parse_kbt(out["kbt"])
    frames = kgdb.check_kernel_chain(items)
    names = [f.name for f in frames]
    assert names[:2] == ["heap_alloc", "kcalloc"] and frames[0].offset == 0, \
        "kbt starts {}, expected heap_alloc+0x0, kcalloc:\n{}".format(names[:2], out["kbt"])
    assert names[-1] == "kernel_entry64", "kbt does not end at kernel_entry64:\n" + out["kbt"]
    kgdb.check_agrees_with_gdb(items, out[kgdb.GDB_PCS])
    m.expect_pass("heap_basic")


if __name__ == "__main__":
    main(["heap"])
