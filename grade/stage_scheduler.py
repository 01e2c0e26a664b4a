"""Grader of stage `scheduler`: kernel threads, the priority round-robin
scheduler with preemption and aging, sleeping and blocking, the idle
thread, the async executor and the console's line discipline task.

The timing tests run under QEMU's -icount, so guest time advances with the
instructions executed and the tick counts repeat exactly from run to run
(shift=3: 8 ns of guest time per instruction, so a tick passes quickly).
The values the kernel is asked to use (sleep lengths, thread counts, wake
orders) come from this script through the kernel command line, chosen by a
fixed random seed so that every run asks the same."""
import random
import re

from gradelib import fail, main, test

STAGE = "scheduler"
ICOUNT = ("-icount", "shift=3,align=off,sleep=off")

# The scheduler's documented constants (kernel/sched/sched.h).
PRIO_LEVELS = 8
SLICE_TICKS = 10

# Linux errno values: the kernel returns them negated.
EINVAL, ESRCH = 22, 3

rng = random.Random("kestrel scheduler grader")
SLEEP_TICKS = rng.randint(7, 60)
WAKE_ORDER = "".join(rng.sample("ABCDEFGH", 5))
CONSOLE_LINES = ("first", "second")


def numbers(match):
    return [int(g) for g in match.groups()]


@test(STAGE, "threads: exit codes reach join, detached threads are freed",
      cmdline="test=thread_basics")
def _(m):
    for i in range(8):
        code = int(m.expect(r"^threads: worker-{} exited with (-?\d+)$".format(i)).group(1))
        want = i * i if i % 2 else 0
        if code != want:
            fail("worker-{} exited with {}, expected {}".format(i, code, want))
    ran, before, after = numbers(m.expect(
        r"^threads: (\d+) detached threads ran; (\d+) threads before, (\d+) after$"))
    if ran != 8 or before != after:
        fail("{} of 8 detached threads ran; {} threads before, {} after".format(ran, before,
                                                                               after))
    f0, f1, h0, h1 = numbers(m.expect(
        r"^threads: free frames (\d+) before, (\d+) after; heap blocks (\d+) before, (\d+) after$"))
    if f0 != f1 or h0 != h1:
        fail("threads leaked memory: {} -> {} free frames, {} -> {} heap blocks".format(
            f0, f1, h0, h1))
    m.expect_pass("thread_basics")


def check_fair(m, nthreads):
    total = int(m.expect(r"^fair: {} threads at priority 5 for (\d+) ticks".format(
        nthreads)).group(1))
    ticks, loops = [], []
    for i in range(nthreads):
        match = m.expect(r"^fair: spinner-{}: (\d+) ticks, (\d+) loops, (\d+) turns of "
                         r"([\d ]*) ticks$".format(i))
        t, n, nturns = (int(match.group(k)) for k in (1, 2, 3))
        turns = [int(x) for x in match.group(4).split()]
        ticks.append(t)
        loops.append(n)
        # Each turn on the CPU is one slice; only the last may be cut short
        # (by main waking up at the end).
        if len(turns) != nturns or any(x != SLICE_TICKS for x in turns[:-1]):
            fail("spinner-{}'s turns on the CPU lasted {} ticks: expected turns of one "
                 "slice, {} ticks".format(i, turns, SLICE_TICKS))
        if abs(sum(turns) - t) > 1:
            fail("spinner-{}'s turns add up to {} ticks, but it was charged {}".format(
                i, sum(turns), t))
    if sum(ticks) < total - 2:
        fail("the spinners used {} of {} ticks".format(sum(ticks), total))
    if max(ticks) - min(ticks) > SLICE_TICKS + 1:
        fail("unfair shares of the CPU: {} ticks (slice {})".format(ticks, SLICE_TICKS))
    if min(loops) < 0.8 * max(loops):
        fail("unequal progress: {} loops".format(loops))
    counted, switches, resched = numbers(m.expect(
        r"^fair: (\d+) ticks, (\d+) context switches, (\d+) reschedules$"))
    # One reschedule per slice (and one for main waking up), not one per tick.
    slices = counted // SLICE_TICKS
    if resched > slices + 2 or switches < slices:
        fail("{} ticks made {} reschedules and {} context switches: expected about one "
             "each per slice of {} ticks".format(counted, resched, switches, SLICE_TICKS))
    m.expect_pass("sched_fair")


@test(STAGE, "a new thread's first frame: an aligned stack, backtraces end at thread_entry",
      cmdline="test=thread_frame")
def _(m):
    rbp, mod = numbers(m.expect(r"^frame: the thread function's rbp is at stack top - (\d+) "
                                r"\(mod 16: (\d+)\)$"))
    if mod != 0:
        fail("the thread function's rbp is {} mod 16: thread_entry did not start with rsp + 8 "
             "a multiple of 16".format(mod))
    frames = []
    while True:
        match = m.expect(r"^frame: (?:#(\d+) at stack top - (\d+) returns to (0x[0-9a-f]+) (\S+)"
                         r"|the chain ends with rbp (0x[0-9a-f]+) after (\d+) frames)$")
        if match.group(5) is not None:
            end, depth = int(match.group(5), 16), int(match.group(6))
            break
        frames.append((int(match.group(2)), int(match.group(3), 16), match.group(4)))
    if depth != len(frames):
        fail("the kernel counted {} frames but printed {}".format(depth, len(frames)))
    # thread_fn's frame returns into thread_entry; thread_entry's frame sits
    # right under the zero word at the top, which is its return address, and
    # holds rbp = 0 from the switch frame: the chain ends there.
    want = [(rbp, None, "thread_entry"), (16, 0, "?")]
    got = [(off, ret if name == "?" else None, name) for off, ret, name in frames]
    if got != want or end != 0:
        fail("the frame chain of a new thread is {} ending with rbp {:#x}; expected the thread "
             "function's frame returning to thread_entry, then thread_entry's frame at stack "
             "top - 16 returning to 0 (the zero word), then rbp 0".format(frames, end))
    m.expect_pass("thread_frame")


@test(STAGE, "two busy threads of one priority share the CPU", cmdline="test=sched_fair",
      timeout=120, qemu_args=ICOUNT)
def _(m):
    check_fair(m, 2)


@test(STAGE, "three busy threads take turns (round robin)",
      cmdline="test=sched_fair threads=3", timeout=120, qemu_args=ICOUNT)
def _(m):
    check_fair(m, 3)


@test(STAGE, "a higher-priority thread that wakes runs before lower ones",
      cmdline="test=sched_priority", timeout=120, qemu_args=ICOUNT)
def _(m):
    # main (priority 4) wakes a priority-6 thread (1, 2): it waits; then a
    # priority-2 thread: it runs (H) before the waker goes on (3).
    order = m.expect(r"^priority: event order (\S+)$").group(1)
    if order != "12H3L":
        fail("event order {}, expected 12H3L".format(order))
    for i in range(5):
        late = int(m.expect(r"^priority: wake-up {} of a priority-2 thread ran (\d+) ticks late$"
                            .format(i)).group(1))
        if late != 0:
            fail("a priority-2 thread woken by the timer ran {} ticks late while a "
                 "priority-6 thread was busy".format(late))
    if int(m.expect(r"spin-low \(priority 6\) used (\d+) ticks").group(1)) == 0:
        fail("the low-priority thread never ran while the high one slept")
    order = m.expect(r"^priority: raising a ready thread: event order (\S+)$").group(1)
    if order != "aRb":
        fail("raising a ready thread's priority: order {}, expected aRb".format(order))
    bad, missing = numbers(m.expect(
        r"^priority: sched_set_priority errors: bad priority (-?\d+), no such thread (-?\d+)$"))
    if (bad, missing) != (-EINVAL, -ESRCH):
        fail("sched_set_priority returned {} and {}, expected -EINVAL ({}) and -ESRCH ({})"
             .format(bad, missing, -EINVAL, -ESRCH))
    m.expect_pass("sched_priority")


@test(STAGE, "schedtrace: the traced switches form one unbroken chain; punctual preempts spin-low",
      cmdline="schedtrace test=sched_priority", timeout=120, qemu_args=ICOUNT)
def _(m):
    count, dropped = (int(g) for g in m.expect(
        r"^schedtrace: hz 100 events (\d+) dropped (\d+)$").groups())
    names, events = {}, []
    while True:
        line = m.expect(r"^schedtrace: ").string
        if line == "schedtrace: end":
            break
        thread = re.match(r"^schedtrace: thread (\d+) (\d+) (.+)$", line)
        if thread:
            names[int(thread.group(1))] = thread.group(3)
            continue
        event = re.match(r"^schedtrace: (\d+) (\d+) (?:switch (\d+) [RBSX] (\d+) \d+|"
                         r"wake (\d+) \d+)$", line)
        if not event:
            fail("not a schedtrace line: " + line)
        events.append([int(g) if g else None for g in event.groups()])
    m.expect_pass("sched_priority")
    if dropped != 0 or len(events) != count:
        fail("the header says {} events ({} dropped), {} were printed".format(
            count, dropped, len(events)))
    for want in ("waiter-high", "waiter-low", "spin-low", "punctual"):
        if want not in names.values():
            fail("no thread {} in the trace (threads: {})".format(want, names))
    tsc = [e[0] for e in events]
    ticks = [e[1] for e in events]
    if tsc != sorted(tsc) or ticks != sorted(ticks):
        fail("the events are not in time order")
    switches = [(e[2], e[3]) for e in events if e[2] is not None]
    for (_, to), (frm, _) in zip(switches, switches[1:]):
        if frm != to:
            fail("a switch away from {} follows a switch to {}: the chain is broken".format(
                names.get(frm, frm), names.get(to, to)))
    tid = {name: t for t, name in names.items()}
    if (tid["spin-low"], tid["punctual"]) not in switches:
        fail("the trace never shows punctual (priority 2) taking the CPU from spin-low")


@test(STAGE, "sleeping for N ticks takes N ticks; sleepers wake by deadline",
      cmdline="test=sched_sleep ticks={}".format(SLEEP_TICKS), timeout=90, qemu_args=ICOUNT)
def _(m):
    asked, slept = numbers(m.expect(r"^sleep: asked for (\d+) ticks, slept (\d+) ticks$"))
    if asked != SLEEP_TICKS or slept != SLEEP_TICKS:
        fail("asked for {} ticks (grader wanted {}), slept {}".format(asked, SLEEP_TICKS, slept))
    order = m.expect(r"woke in the order (\S+)$").group(1)
    if order != "BCA":
        fail("threads sleeping 30, 10, 20 ticks (A, B, C) woke in the order {}".format(order))
    m.expect_pass("sched_sleep")


@test(STAGE, "a blocked thread uses no CPU: the idle thread halts", cmdline="test=sched_idle",
      timeout=90, qemu_args=ICOUNT)
def _(m):
    ticks, idle, main_ticks, a, b = numbers(m.expect(
        r"^idle: (\d+) ticks: idle thread charged (\d+), main (\d+), blocked-a (\d+), "
        r"blocked-b (\d+)$"))
    halts, counted, switches = numbers(m.expect(
        r"^idle: (\d+) hlt wake-ups for (\d+) ticks, (\d+) context switches$"))
    idle_stat = int(m.expect(r"^idle: the scheduler counted (\d+) idle ticks$").group(1))
    if idle_stat != idle:
        fail("stats.idle_ticks counted {} idle ticks, the idle thread was charged {}".format(
            idle_stat, idle))
    if a or b:
        fail("blocked threads were charged {} and {} ticks".format(a, b))
    if idle < ticks - 1:
        fail("the idle thread got {} of {} ticks".format(idle, ticks))
    if not ticks - 1 <= halts <= ticks + 2:
        fail("{} hlt wake-ups in {} ticks: the idle thread should halt until each "
             "tick".format(halts, ticks))
    m.expect_pass("sched_idle")


@test(STAGE, "aging lets a starved low-priority thread run", cmdline="test=sched_aging",
      timeout=180, qemu_args=ICOUNT)
def _(m):
    total, high, low = numbers(m.expect(
        r"^aging off: in (\d+) ticks, busy-high \(priority 4\) used (\d+) ticks, "
        r"busy-low \(priority 6\) (\d+)$"))
    if low != 0:
        fail("without aging the low-priority thread still ran {} ticks".format(low))
    total, high, low = numbers(m.expect(
        r"^aging on: in (\d+) ticks, busy-high \(priority 4\) used (\d+) ticks, "
        r"busy-low \(priority 6\) (\d+)$"))
    if low < SLICE_TICKS or high <= low or high + low < total - 2:
        fail("with aging: high {} ticks, low {} ticks of {}".format(high, low, total))
    m.expect_pass("sched_aging")


PS_ROW = re.compile(r"^\s*(\d+) (\S+)\s+(running|ready|blocked|sleeping|exited)\s+(\S+)\s+(\d+)"
                    r"\s+(\d+)$")


def ps_rows(lines):
    """{name: (tid, state, prio)} from the lines of a ps listing."""
    rows = {}
    for line in lines:
        match = PS_ROW.match(line)
        if match:
            rows[match.group(2)] = (int(match.group(1)), match.group(3), match.group(4))
    return rows


def check_rows(rows, want):
    for name, (state, prio) in want.items():
        if name not in rows:
            fail("ps shows no thread {}".format(name))
        _, got_state, got_prio = rows[name]
        if (got_state, got_prio) != (state, prio):
            fail("ps: {} is {} at priority {}, expected {} at {}".format(
                name, got_state, got_prio, state, prio))


@test(STAGE, "ps lists every thread with its state and priority", cmdline="test=sched_ps")
def _(m):
    m.expect(r"^\s*TID NAME\s+STATE\s+PRIO\s+TICKS\s+SWITCHES$")
    m.expect_pass("sched_ps")
    rows = ps_rows(m.output)
    check_rows(rows, {
        "main": ("running", "4"), "idle": ("ready", "idle"), "executor": ("blocked", "1"),
        "ps-blocked": ("blocked", "2"), "ps-sleeper": ("sleeping", "1"),
        "ps-exited": ("exited", "3"), "ps-ready": ("ready", "6"),
    })
    if rows["main"][0] != 0:
        fail("main is thread {}, expected 0".format(rows["main"][0]))


@test(STAGE, "the monitor's ps command", cmdline="monitor")
def _(m):
    m.expect(r"kmon> ", partial=True)
    m.send("ps\r")
    m.expect(r"^\s*TID NAME\s+STATE\s+PRIO")
    m.expect(r"^\s*\d+ executor\s")
    m.send("halt\r")
    m.expect_exit(33)
    check_rows(ps_rows(m.output), {"main": ("running", "4"), "idle": ("ready", "idle"),
                                   "executor": ("blocked", "1")})


@test(STAGE, "the executor polls tasks in wake order, and only when woken",
      cmdline="test=executor_order order={}".format(WAKE_ORDER), timeout=90, qemu_args=ICOUNT)
def _(m):
    ntasks = max(ord(c) - ord("A") + 1 for c in WAKE_ORDER)
    spawn = "".join(chr(ord("A") + i) for i in range(ntasks))
    spawned, first = m.expect(r"^executor: spawned (\S+), first polls (\S+)$").groups()
    if spawned != spawn or first != spawn:
        fail("spawned {}, first polls {}; expected {} for both".format(spawned, first, spawn))
    woke, polled = m.expect(r"^executor: woke (\S+) \(each twice\), polled (\S+)$").groups()
    if woke != WAKE_ORDER or polled != WAKE_ORDER:
        fail("woke {} (asked {}), polled {}: expected one poll each, in wake order".format(
            woke, WAKE_ORDER, polled))
    polls, irq_off, counted = numbers(m.expect(
        r"^executor: (\d+) polls, (\d+) with interrupts off; the executor counted (\d+)$"))
    if polls != ntasks + len(WAKE_ORDER) or irq_off or counted != polls:
        fail("{} polls ({} expected), {} of them with interrupts off, {} counted by the "
             "executor: polls run with interrupts on and are counted".format(
                 polls, ntasks + len(WAKE_ORDER), irq_off, counted))
    before, after = numbers(m.expect(r"^executor: a task that yields, then awaits an event, "
                                     r"was polled (\d+) times, then (\d+) after the event$"))
    if (before, after) != (2, 1):
        fail("a task that woke itself once while polled was polled {} times, then {} for one "
             "event; expected 2, then 1".format(before, after))
    slept, joined = numbers(m.expect(r"^executor: executor_join of a task that sleeps (\d+) "
                                     r"ticks returned after (\d+) ticks$"))
    if joined != slept:
        fail("executor_join of a task finishing {} ticks later returned after {}".format(
            slept, joined))
    order = m.expect(r"^executor: timer wake-ups finished the tasks in the order (\S+)$").group(1)
    if not order.startswith(WAKE_ORDER) or sorted(order) != sorted(spawn):
        fail("tasks sleeping in the order {} finished in the order {}".format(WAKE_ORDER, order))
    polls = int(m.expect(r"^executor: a task awaiting an event was polled (\d+) times for 3 "
                         r"wake-ups$").group(1))
    if polls != 4:
        fail("a task woken 3 times was polled {} times (expected 1 + 3)".format(polls))
    m.expect_pass("executor_order")


@test(STAGE, "console lines go through the executor's line discipline (type-ahead, backspace)",
      cmdline="test=console_lines")
def _(m):
    m.expect(r"^console: type two lines$")
    typed = "first\rsec\x7fcond\r"
    m.send(typed)
    got = m.expect(r'^console: got "(.*)" and "(.*)"$').groups()
    if got != CONSOLE_LINES:
        fail("read {}, expected {}".format(got, CONSOLE_LINES))
    polls = int(m.expect(r"^console: the executor polled (\d+) times meanwhile$").group(1))
    # One poll per wake-up at most: a received byte, a reader waiting for a
    # line or taking one.  Polling without wake-ups would make thousands.
    if not 1 <= polls <= len(typed) + 2 * len(CONSOLE_LINES):
        fail("the executor polled {} times for {} bytes typed".format(polls, len(typed)))
    quiet, state, polls = m.expect(r"^console: then, in (\d+) ticks without input, the "
                                   r"executor was (\S+) and polled (\d+) times$").groups()
    if state != "blocked" or polls != "0":
        fail("with no input for {} ticks, the executor thread was {} and polled {} times: "
             "expected blocked, no polls".format(quiet, state, polls))
    m.expect_pass("console_lines")


@test(STAGE, "a thread's stack overflow is reported with the thread's name",
      cmdline="test=thread_overflow")
def _(m):
    m.expect_panic(r"kernel stack overflow in thread 'deep-recursion'")


@test(STAGE, "benchmark: cycles per context switch and per executor poll",
      cmdline="test=bench_sched", timeout=120, qemu_args=ICOUNT)
def _(m):
    switches = int(m.expect(r"^bench: context_switch (\d+)$").group(1))
    polls = int(m.expect(r"^bench: executor_poll (\d+)$").group(1))
    if switches <= 0 or polls <= 0:
        fail("benchmark printed {} and {}".format(switches, polls))
    m.expect_pass("bench_sched")



# ---- the debugger: kbt across a trap frame ---------------------------------
import kgdb  # noqa: E402  (kept with the tests that use it)

SCHED_GDB_PORT = kgdb.free_port()


@test(STAGE, "GDB: kbt in sched_tick crosses the timer's trap frame into the idle loop",
      cmdline="monitor", qemu_args=kgdb.stub_args(SCHED_GDB_PORT), timeout=kgdb.TIMEOUT)
def _(m):
    # The monitor waits for input, so the timer interrupts the idle thread.
    idle, size = kgdb.kelf.symbol("idle_loop")
    irq = kgdb.kelf.header_define("kernel/arch/x86_64/timer.h", "TIMER_IRQ")
    vector = kgdb.kelf.header_define("kernel/arch/x86_64/trap.h", "IRQ_BASE") + irq
    show_tf = 'printf "tf %lx rip %lx\\n", tf, tf->rip'
    out = kgdb.session(m, SCHED_GDB_PORT, [
        "break *sched_tick if tf->rip >= {:#x} && tf->rip < {:#x}".format(idle, idle + size),
        "continue", show_tf, "kbt", kgdb.GDB_PCS])
    facts = re.search(r"^tf ([0-9a-f]+) rip ([0-9a-f]+)$", out.get(show_tf, ""), re.M)
    if not facts:
        fail("GDB did not stop in sched_tick with the idle loop interrupted:\n" + out["(all)"])
    tf, rip = int(facts.group(1), 16), int(facts.group(2), 16)
    items = kgdb.parse_kbt(out["kbt"])
    frames = kgdb.check_kernel_chain(items)
    names = [f.name for f in frames]
    chain = ["sched_tick", "timer_tick", "irq_dispatch", "trap", "trap_common"]
    assert names[:5] == chain, "kbt starts {}, expected {}:\n{}".format(
        names[:5], ", ".join(chain), out["kbt"])
    traps = [i for i in items if isinstance(i, kgdb.Trap)]
    want = "interrupt: IRQ {} (vector {})".format(irq, vector)
    assert len(traps) == 1 and traps[0].what == want and traps[0].mode == "kernel" \
        and traps[0].trapframe == tf, \
        "kbt should cross one trap frame, at {:#x}: {}, from kernel mode:\n{}".format(
            tf, want, out["kbt"])
    assert frames[5].address == rip and frames[5].name == "idle_loop", \
        "after the trap frame kbt shows {}, but the timer interrupted idle_loop at " \
        "{:#x}:\n{}".format(frames[5].name, rip, out["kbt"])
    assert names[-1] == "thread_entry", "kbt does not end at thread_entry:\n" + out["kbt"]
    kgdb.check_agrees_with_gdb(items, out[kgdb.GDB_PCS])
    m.expect(r"kmon> ", partial=True)
    m.send("halt\r")
    m.expect(r"^halting")
    m.expect_exit(33)


if __name__ == "__main__":
    main([STAGE])
