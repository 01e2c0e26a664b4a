"""Stage forkexec: the system-call fuzzer in its forking mode (`fuzz -f`,
user/fuzz/main.c), where each piece of calls runs in a child of its own and
fork, vfork, clone, kill, exit, execve, pause and signals with random
handlers are made too.

Seed 11 makes, at call 4110, clone(1, ...): a grandchild whose exit signal
is SIGHUP, orphaned when its parent (the piece's child) ends at once.  It
killed the fuzzer, its reaper, before orphans were given SIGCHLD as their
exit signal on adoption (proc/fork.c, adopt_child).
"""
import fuzz_run
from gradelib import test

FORK_SEEDS = [11, 12]
FORK_CALLS = 6000
FORK_RUNS = 3   # of the last seed: the runs before warm the caches, the last two must agree
PROGRAMS = [fuzz_run.fuzz_args(FORK_SEEDS[0], FORK_CALLS)] + \
    [fuzz_run.fuzz_args(FORK_SEEDS[-1], FORK_CALLS)] * FORK_RUNS


def expect_frames(m):
    found = m.expect(r"^run: (\d+) frames free, (\d+) heap blocks in use$")
    heap = m.expect(r"^run: the heap holds (\d+) pages$")
    return int(found.group(1)) + int(heap.group(1)), int(found.group(2))


@test("forkexec", "fuzz -f: random calls in forked children (fork, kill, exit, signals) "
      "get values or errnos, every piece runs, memory comes back",
      cmdline="run=" + ";".join(PROGRAMS) + " exit panic=exit", timeout=150, stall=30, idle=30)
def _(m):
    pieces = FORK_CALLS // fuzz_run.PIECE
    frames = []
    with fuzz_run.naming_the_call(m):
        for prog in PROGRAMS:
            seed = int(prog.split(",")[-2])
            found = fuzz_run.expect(m, r"^fuzz: (\d+) pieces, (\d+) ended by signals, (\d+) "
                                    r"waiting and killed$")
            assert int(found.group(1)) == pieces, \
                "seed {}: {} pieces ran, not {}".format(seed, found.group(1), pieces)
            found = fuzz_run.expect(m, r"^fuzz: seed {}, (\d+) calls, (\d+) failed, (\d+) "
                                    r"distinct errnos$".format(seed))
            assert found.group(2) == "0", "seed {}: {} calls failed".format(seed, found.group(2))
            assert int(found.group(3)) >= 10, \
                "seed {}: only {} distinct errnos: the fuzzer is not reaching the checks" \
                .format(seed, found.group(3))
            m.expect(r"^proc: fuzz \(pid \d+\) exited with status 0$")
            frames.append(expect_frames(m))
        assert frames[-2] == frames[-1], (
            "seed {}: {} frames free or in the heap, and heap blocks, after one run, {} after "
            "the same calls again".format(FORK_SEEDS[-1], frames[-2], frames[-1]))
        m.expect_exit(33)


# The bugs the fuzzer found, each made again by user/fuzzrepro.c.
REPROS = ["orphan-signal", "vfork-copy"]


@test("forkexec", "fuzz: the bugs the fuzzer found stay fixed (orphan-signal: an orphan's "
      "clone exit signal does not reach its reaper; vfork-copy: CLONE_VFORK without CLONE_VM "
      "wakes the parent)",
      cmdline="run=" + ";".join("fuzzrepro," + r for r in REPROS) + " exit panic=exit")
def _(m):
    for name in REPROS:
        found = m.expect(r"^(fuzzrepro: {}: .*|proc: fuzzrepro \(pid \d+\) killed by .*)$"
                         .format(name))
        assert found.group(0) == "fuzzrepro: {}: ok".format(name), \
            "fuzzrepro {}: {}".format(name, found.group(0))
        m.expect(r"^proc: fuzzrepro \(pid \d+\) exited with status 0$")
    m.expect_exit(33)
