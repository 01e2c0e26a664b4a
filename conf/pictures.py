"""pictures: the documentation's pictures, drawn from a traced run.

    /usr/bin/python3 conf/pictures.py [--out docs]      (make pictures)
    /usr/bin/python3 conf/pictures.py --timeline LOG PNG (make qemu-trace)

Two pictures, each from the kernel's own output in QEMU (booted through the
grading library, with -icount so that a run repeats):

  sched-timeline.png  `schedtrace test=sched_priority`: kernel/debug/
                      schedtrace.c records every context switch and wake-up;
                      each thread is a row, each turn on the CPU a bar
                      coloured by the priority it ran at, with its wake-ups
                      (^) and the preemptions that ended a turn (|).  Time is
                      the TSC's, mapped to milliseconds by the timer ticks
                      recorded with it.
  memory-map.png      `mem run=/bin/cat,/proc/self/maps exit`: the physical
                      memory map (GRUB's mmap: lines and the modules), and a
                      process's virtual address space: its areas as
                      /proc/self/maps lists them, then the kernel half from
                      kernel/arch/x86_64/memlayout.h and kernel/mm/kstack.h.
                      Boxes are in address order, not to scale.

Needs Debian's python3-matplotlib (conf/deps.sh installs it), hence
/usr/bin/python3; the parsers (parse_schedtrace, turns) are plain Python,
tested by grade/test_pictures.py.
"""
import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICOUNT = ("-icount", "shift=0,align=off,sleep=off")
EVENT_RE = re.compile(r"^schedtrace: (\d+) (\d+) (switch (\d+) ([RBSX]) (\d+) (\d+)|"
                      r"wake (\d+) (\d+))$")
THREAD_RE = re.compile(r"^schedtrace: thread (\d+) (\d+) (.+)$")


def parse_schedtrace(lines):
    """({tid: name}, [event]) from schedtrace lines; an event is a dict with
    tsc, tick, kind ("switch" or "wake"), tid, and for a switch the state
    the thread left in, next and the priority next runs at."""
    names, events = {}, []
    for line in lines:
        m = THREAD_RE.match(line)
        if m:
            names.setdefault(int(m.group(1)), m.group(3))
            continue
        m = EVENT_RE.match(line)
        if not m:
            continue
        e = {"tsc": int(m.group(1)), "tick": int(m.group(2))}
        if m.group(4):
            e.update(kind="switch", tid=int(m.group(4)), state=m.group(5),
                     next=int(m.group(6)), prio=int(m.group(7)))
        else:
            e.update(kind="wake", tid=int(m.group(8)), prio=int(m.group(9)))
        events.append(e)
    return names, events


def tsc_to_ms(events, hz=100):
    """A function from TSC to milliseconds since the first event, fitted to
    the ticks recorded with the first and the last event."""
    first, last = events[0], events[-1]
    if last["tick"] == first["tick"] or last["tsc"] == first["tsc"]:
        return lambda tsc: 0.0
    per_ms = (last["tsc"] - first["tsc"]) / ((last["tick"] - first["tick"]) * 1000.0 / hz)
    return lambda tsc: (tsc - first["tsc"]) / per_ms


def turns(events):
    """[(tid, start_tsc, end_tsc, prio, how_it_ended)] of each turn on the
    CPU between two switches; how_it_ended is the state letter."""
    out, running, since, prio = [], None, None, None
    for e in events:
        if e["kind"] != "switch":
            continue
        if running is not None and running == e["tid"]:
            out.append((running, since, e["tsc"], prio, e["state"]))
        running, since, prio = e["next"], e["tsc"], e["prio"]
    return out


def draw_timeline(lines, out, what="test=sched_priority"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, events = parse_schedtrace(lines)
    if not events:
        sys.exit("pictures: no schedtrace events in the output")
    ms = tsc_to_ms(events)
    tids = sorted(names, key=lambda t: (names[t] != "main", t))
    row = {t: i for i, t in enumerate(tids)}
    cmap = plt.get_cmap("viridis", 9)
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(tids) + 1.5))
    for tid, start, end, prio, ended in turns(events):
        if tid not in row:
            continue
        ax.broken_barh([(ms(start), max(ms(end) - ms(start), 0.05))], (row[tid] - 0.35, 0.7),
                       color=cmap(prio))
        if ended == "R":
            ax.plot([ms(end)], [row[tid]], marker="|", color="red", markersize=14)
    for e in events:
        if e["kind"] == "wake" and e["tid"] in row:
            ax.plot([ms(e["tsc"])], [row[e["tid"]] + 0.45], marker="^", color="green",
                    markersize=5)
    ax.set_yticks(range(len(tids)))
    ax.set_yticklabels(["{} (tid {})".format(names[t], t) for t in tids])
    ax.invert_yaxis()
    ax.set_xlabel("milliseconds (TSC, fitted to the 100 Hz timer ticks)")
    ax.set_title("{}: turns on the CPU, coloured by priority (0 high, 8 idle); "
                 "^ wake-up, | preempted".format(what))
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 8))
    fig.colorbar(sm, ax=ax, label="priority")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


MMAP_RE = re.compile(r"^mmap: ([0-9a-f]+)-([0-9a-f]+) (\w+)")
MODULE_RE = re.compile(r"^module: (\S+) at ([0-9a-f]+)-([0-9a-f]+)")
IMAGE_RE = re.compile(r"K kernel image\s+(\d+) KiB")
MAPS_RE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-])[ps] \S+ \S+ \S+\s*(\S*)$")
KERNEL_HALF = [
    ("direct map of RAM (rw-, NX)", 0xffff800000000000, "PHYS_MAP_BASE"),
    ("kernel stacks, guard pages between", 0xffffff0000000000, "KSTACK_REGION_BASE"),
    ("kernel image (text r-x, rodata r--, data rw-)", 0xffffffff80100000, "KERNEL_VMA + 1 MiB"),
]


def memory_regions(lines):
    """(physical [(start, end, label)], virtual [(start, end, label)])."""
    phys, virt = [], []
    for line in lines:
        m = MMAP_RE.match(line)
        if m:
            phys.append((int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3)))
        m = MODULE_RE.match(line)
        if m:
            phys.append((int(m.group(2), 16), int(m.group(3), 16), "module " + m.group(1)))
        m = IMAGE_RE.search(line)
        if m:
            phys.append((0x100000, 0x100000 + int(m.group(1)) * 1024, "kernel image"))
        m = MAPS_RE.match(line)
        if m:
            label = {"r-x": "text", "r--": "read-only data", "rw-": "data, bss"}.get(
                m.group(3), m.group(3))
            virt.append((int(m.group(1), 16), int(m.group(2), 16),
                         m.group(4) or "{} {}".format(label, m.group(3))))
    return sorted(phys), virt


def draw_memory_map(lines, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phys, virt = memory_regions(lines)
    if not phys or not virt:
        sys.exit("pictures: no mmap: or maps lines in the output")
    kernel = [(a, a, "{}  ({})".format(label, name)) for label, a, name in KERNEL_HALF]
    columns = [("physical memory (GRUB's map, the modules)", phys),
               ("a process's virtual memory (/proc/self/maps, then the kernel half)",
                virt + [(0x800000000000, 0x800000000000, "... user half ends (USER_END)")] +
                kernel)]
    rows = max(len(c[1]) for c in columns)
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * rows + 1.5))
    for ax, (title, regions) in zip(axes, columns):
        for i, (start, end, label) in enumerate(regions):
            color = "#cfe8cf" if "available" in label else "#f3d9b1" if "module" in label \
                else "#f5c6c6" if "kernel" in label or "stack" in label else "#dde3f0"
            ax.add_patch(plt.Rectangle((0, i), 1, 0.9, color=color))
            span = "{:#x}-{:#x}".format(start, end) if end > start else "{:#x}".format(start)
            ax.text(0.02, i + 0.45, "{}   {}".format(span, label), va="center", fontsize=8,
                    family="monospace")
        ax.set_xlim(0, 1)
        ax.set_ylim(len(regions), 0)
        ax.axis("off")
        ax.set_title(title, fontsize=10)
    fig.suptitle("Memory, lowest address first (boxes in address order, not to scale)")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def kernel_output(cmdline, qemu_args=()):
    """The lines of a run of the kernel with this command line."""
    sys.path.insert(0, str(ROOT / "grade"))
    from gradelib import Machine
    with Machine(cmdline, qemu_args=ICOUNT + tuple(qemu_args), timeout=60) as m:
        m.expect(r"^(ktest: \S+: PASS|run: done)")
        return m.output


def main(argv=None):
    parser = argparse.ArgumentParser(description="Draw the documentation's pictures.")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--timeline", nargs=2, metavar=("LOG", "PNG"),
                        help="draw the timeline of a saved run's output instead (make qemu-trace)")
    args = parser.parse_args(argv)
    if args.timeline:
        log, png = args.timeline
        lines = Path(log).read_text(errors="replace").replace("\r", "").splitlines()
        draw_timeline(lines, png, what=Path(log).name)
        print("pictures: wrote {}".format(png))
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    draw_timeline(kernel_output("schedtrace test=sched_priority"), out / "sched-timeline.png")
    print("pictures: wrote {}".format(out / "sched-timeline.png"))
    draw_memory_map(kernel_output("mem run=/bin/cat,/proc/self/maps exit"),
                    out / "memory-map.png")
    print("pictures: wrote {}".format(out / "memory-map.png"))


if __name__ == "__main__":
    main()
