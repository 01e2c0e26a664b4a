#!/usr/bin/env python3
"""fuzz_run: run the system-call fuzzer for a long time (`make fuzz N=1000000`).

Boots QEMU several times, each boot running `fuzz -f SEED CALLS` for a few
consecutive seeds (in forked children, user/fuzz/main.c), then the last
seed twice more: the kernel prints its free frames and heap blocks after
each program, and the last two runs must leave the same numbers (the runs
before warmed every cache the calls touch: the first repeat may still add
a block or two to one), or memory leaked.
Prints a line per boot and a last line

    fuzz_run: N calls in B boots, F failures, E distinct errnos, memory back to baseline

and exits with 1 if anything failed.  A failure is a result that is neither
a value nor -errno, a process SIGKILL did not end, a `watchdog:` line, a
panic, a hang or QEMU's exit with anything but success.  After a panic or a
hang it boots once more to make the piece that was running again with -v,
which logs each call before making it, and names the last call logged:
"seed S call K: NR(ARGS)", the reproducer (`fuzz -f -v -s K S K+1`).
"""
import argparse
import contextlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402

PIECE = 500  # FUZZ_PIECE in user/fuzz/fuzz.h
RESULT = re.compile(r"^fuzz: seed (\d+), (\d+) calls, (\d+) failed, (\d+) distinct errnos$")
ERRNOS = re.compile(r"^fuzz: errnos ([0-9a-f]+)$")
PIECE_LINE = re.compile(r"^fuzz: seed (\d+) piece (\d+)$")
CALL_LINE = re.compile(r"^fuzz: seed (\d+) call (\d+): .*$")
FRAMES = re.compile(r"^run: (\d+) frames free, (\d+) heap blocks in use$")
HEAP = re.compile(r"^run: the heap holds (\d+) pages$")
BAD = re.compile(r"FAILED|returned -?\d+$|^watchdog: |^panic: |^fuzz: (fork|waitpid)")


FAT = False  # --fat: fuzz -F, paths on the FAT server too (no memory check)
THREADS = False  # --threads: fuzz -t, a thread in each child races the calls


def fuzz_args(seed, calls, start=None, verbose=False, forking=True):
    """`fuzz,-f,...` for run= on the kernel command line."""
    words = ["fuzz"] + (["-f"] if forking else []) + (["-F"] if FAT else []) + \
        (["-t"] if THREADS and forking else []) + (["-v"] if verbose else [])
    if start is not None:
        words += ["-s", str(start)]
    return ",".join(words + [str(seed), str(calls)])


def boot(seeds, calls, iso, timeout):
    """Run the seeds and the last one twice again in one boot: (lines, error or None)."""
    progs = [fuzz_args(s, calls) for s in seeds] + [fuzz_args(seeds[-1], calls)] * 2
    m = gradelib.Machine("run=" + ";".join(progs) + " exit panic=exit", iso=iso,
                         timeout=timeout, stall=30, idle=30)
    error = None
    try:
        m.start()
        m.expect_exit(gradelib.STATUS_PASS)
    except gradelib.TestFailure as e:
        error = str(e)
    finally:
        lines = m.output
        m.close()
    return lines, error


def last_piece(lines):
    for line in reversed(lines):
        found = PIECE_LINE.match(line)
        if found:
            return int(found.group(1)), int(found.group(2))
    return None


def reproduce(seed, piece, iso=gradelib.ISO, timeout=60, forking=True):
    """Make the piece again with -v: the last call it logged, or None."""
    start = piece * PIECE
    m = gradelib.Machine("run=" + fuzz_args(seed, start + PIECE, start, True, forking)
                         + " exit panic=exit", iso=iso, timeout=timeout, stall=10, idle=10)
    try:
        m.start()
        m.expect_exit(gradelib.STATUS_PASS)
    except gradelib.TestFailure:
        pass
    finally:
        lines = m.output
        m.close()
    calls = [line for line in lines if CALL_LINE.match(line)]
    return calls[-1] if calls else None


def expect(m, regex):
    """m.expect(regex), failing at once on a line of a failure (BAD) before it:
    a stuck child, a bad result, the watchdog."""
    found = m.expect("(?:{})|{}".format(regex, BAD.pattern))
    if BAD.search(found.string):
        raise gradelib.TestFailure("the fuzzer or the kernel reported: " + found.string, regex)
    return found


@contextlib.contextmanager
def naming_the_call(m, forking=True):
    """For a grader's fuzz test: a hang or a panic fails naming the call that
    was running (the piece made again with -v in a boot of its own), and a
    line of a failure (a `watchdog:` one among them) fails the test."""
    try:
        yield
    except gradelib.TestFailure as e:
        where = last_piece(m.output)
        if where and (e.hang or "panic" in e.reason):
            call = reproduce(where[0], where[1], forking=forking)
            raise gradelib.TestFailure("{}; the piece running was seed {} piece {}, its last "
                                       "call {} (again: fuzz {}-v -s K S K+1)".format(
                                           e.reason, where[0], where[1], call or "unknown",
                                           "-f " if forking else ""), e.expected, e.hang)
        raise
    bad = [line for line in m.output if BAD.search(line)]
    assert not bad, "the fuzzer or the kernel reported:\n" + "\n".join(bad[:10])


def check_boot(lines, seeds):
    """(calls, errno mask, failures, memory note) of one boot's lines."""
    calls, mask, failures, memory = 0, 0, [], []
    results = 0
    for i, line in enumerate(lines):
        found = RESULT.match(line)
        if found:
            results += 1
            if results <= len(seeds):  # not the repeats
                calls += int(found.group(2))
        found = ERRNOS.match(line)
        if found:
            mask |= int(found.group(1), 16)
        found = FRAMES.match(line)
        if found and i + 1 < len(lines) and HEAP.match(lines[i + 1]):
            free, blocks = int(found.group(1)), int(found.group(2))
            memory.append((free + int(HEAP.match(lines[i + 1]).group(1)), blocks))
        if BAD.search(line):
            failures.append(line)
    note = None
    if len(memory) >= 2 and memory[-1] != memory[-2]:
        note = ("memory: seed {}: {} frames free or in the heap and {} heap blocks after one "
                "run, {} and {} after the same calls again".format(
                    seeds[-1], memory[-2][0], memory[-2][1], memory[-1][0], memory[-1][1]))
    return calls, mask, failures, note


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--calls", type=int, default=100000, help="calls in all (N)")
    ap.add_argument("--seed", type=int, default=1, help="the first seed (SEED)")
    ap.add_argument("--per-seed", type=int, default=20000, help="calls of each seed")
    ap.add_argument("--per-boot", type=int, default=5, help="seeds in one boot")
    ap.add_argument("--iso", default=str(gradelib.ISO), help="the ISO to boot")
    ap.add_argument("--fat", action="store_true",
                    help="paths on the FAT server too (fuzz -F); no memory check: the FUSE "
                    "name cache keeps entries for a time")
    ap.add_argument("--threads", action="store_true",
                    help="a thread in each child races the calls (fuzz -t): runs do not "
                    "repeat exactly")
    args = ap.parse_args()
    global FAT, THREADS
    FAT, THREADS = args.fat, args.threads

    per_seed = min(args.per_seed, args.calls)
    seeds = list(range(args.seed, args.seed + max(1, -(-args.calls // per_seed))))
    total, mask, failed, boots = 0, 0, 0, 0
    memory_ok = True
    for i in range(0, len(seeds), args.per_boot):
        group = seeds[i:i + args.per_boot]
        timeout = 60 + per_seed * len(group) // 100
        lines, error = boot(group, per_seed, args.iso, timeout)
        boots += 1
        calls, m, failures, note = check_boot(lines, group)
        total, mask = total + calls, mask | m
        if note and not FAT:
            memory_ok = False
            failures.append(note)
        if error:
            failures.append(error)
            where = last_piece(lines)
            if where and ("hang" in error or "panic" in error):
                call = reproduce(where[0], where[1], args.iso, timeout)
                failures.append("reproducer: {} (fuzz -f -v -s K S K+1)".format(
                    call or "seed {} piece {}: no call logged".format(*where)))
        failed += len(failures)
        print("fuzz_run: boot {}: seeds {}-{}: {} calls{}".format(
            boots, group[0], group[-1], calls, "" if not failures else ", FAILED:"))
        for f in failures:
            print("  " + f)
        sys.stdout.flush()
    print("fuzz_run: {} calls in {} boots, {} failures, {} distinct errnos, memory {}".format(
        total, boots, failed, bin(mask).count("1"),
        "not checked (--fat)" if FAT else
        "back to baseline" if memory_ok else "NOT back to baseline"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
