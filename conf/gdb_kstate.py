"""Kernel-state GDB commands, loaded by .gdbinit after gdb_helpers.py.

    kps              the processes (the list `procs`, proc/proc.c): pid,
                     parent, state, name, and each thread with its state,
                     priority and CPU ticks
    kthreads         every kernel thread (`all_threads`, sched/thread.c),
                     with the process it runs for, if any
    krq              the scheduler's run queues (`runq`, sched/sched.c),
                     highest priority first, and the running thread
    kvm [PID]        the areas of process PID's address space (uvm->vmas),
                     then what its page tables map now, runs of pages with
                     the same rights merged: `start-end rwxu pages size`
    kfiles [PID]     PID's open descriptors: flags, offset, file operations
                     (the table's symbol, e.g. pipe_read_ops) and inode
    ktf ADDR         a struct trapframe at ADDR, decoded: the vector and its
                     name, the error code (a page fault's bits spelled out),
                     where it came from (user or kernel mode), the registers

They read the kernel's own lists through its debug information, so they
work whenever the CPU is stopped (a breakpoint, Ctrl-C), and they print what
the kernel holds at that instant: a list being changed at the stopping
point can look torn.  Without a PID, kvm and kfiles show the process of the
running thread.  Page tables are read through the direct map
(PHYS_MAP_BASE), as the kernel itself does.
"""

import gdb

PHYS_MAP_BASE = 0xffff800000000000
PTE_P, PTE_W, PTE_U, PTE_PS = 1, 2, 4, 0x80
PTE_NX = 1 << 63
PTE_ADDR = 0x000ffffffffff000
PAGE_FAULT_BITS = ((1, "present", "not present"), (2, "write", "read"), (4, "user", "kernel"),
                   (8, "reserved bit", None), (16, "instruction fetch", None))


def list_entries(lst, typename, member):
    """The structs of type `typename` whose list_node `member` is in the struct list `lst`."""
    t = gdb.lookup_type(typename)
    offset = next(f.bitpos // 8 for f in t.fields() if f.name == member)
    head = lst["head"].address
    node = lst["head"]["next"]
    seen = 0
    while node != head and seen < 4096:
        yield (node.cast(gdb.lookup_type("char").pointer()) - offset).cast(t.pointer()).dereference()
        node = node["next"]
        seen += 1


def enum_name(value):
    return str(value).replace("PROC_", "").replace("THREAD_", "")


def find_proc(pid):
    for p in list_entries(gdb.parse_and_eval("procs"), "struct proc", "all_node"):
        if int(p["pid"]) == pid:
            return p
    raise gdb.GdbError("no process {}".format(pid))


def running_thread():
    """The scheduler's `current` (other files have statics of that name too)."""
    return gdb.parse_and_eval("'kernel/sched/sched.c'::current")


def pid_argument(arg):
    """The process id arg names, or without one the running thread's process."""
    if not arg.strip():
        owner = running_thread()["owner"]
        if not int(owner):
            raise gdb.GdbError("the running thread is the kernel's: name a process id")
        return int(owner["proc"]["pid"])
    try:
        return int(gdb.parse_and_eval(arg))
    except gdb.error:
        raise gdb.GdbError("usage: a process id, e.g. `kvm 5`")


def thread_line(t):
    return "tid {:<4} {:<8} prio {}/{} ticks {:<6} {}".format(
        int(t["tid"]), enum_name(t["state"]), int(t["prio"]), int(t["eff_prio"]),
        int(t["ticks"]), t["name"].string())


class Kps(gdb.Command):
    """kps: the processes and their threads."""

    def __init__(self):
        super().__init__("kps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        print("  PID  PPID STATE    NAME")
        for p in list_entries(gdb.parse_and_eval("procs"), "struct proc", "all_node"):
            parent = p["parent"]
            ppid = int(parent["pid"]) if int(parent) else 0
            print("{:5} {:5} {:<8} {}".format(int(p["pid"]), ppid, enum_name(p["state"]),
                                            p["name"].string()))
            for u in list_entries(p["threads"], "struct uthread", "node"):
                if int(u["thread"]):
                    print("             " + thread_line(u["thread"].dereference()))


class Kthreads(gdb.Command):
    """kthreads: every kernel thread, and the process it runs for."""

    def __init__(self):
        super().__init__("kthreads", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        for t in list_entries(gdb.parse_and_eval("all_threads"), "struct thread", "all_node"):
            owner = t["owner"]
            pid = " pid {}".format(int(owner["proc"]["pid"])) if int(owner) else ""
            print(thread_line(t) + pid)


class Krq(gdb.Command):
    """krq: the run queues, highest priority first, and the running thread."""

    def __init__(self):
        super().__init__("krq", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        current = running_thread()
        if int(current):
            print("running: " + thread_line(current.dereference()))
        runq = gdb.parse_and_eval("runq")
        levels = runq.type.range()[1] + 1
        print("ready mask {:#x}".format(int(gdb.parse_and_eval("ready_mask"))))
        for level in range(levels):
            names = ["{} {}".format(int(t["tid"]), t["name"].string())
                     for t in list_entries(runq[level], "struct thread", "run_node")]
            print("prio {}: {}".format(level, ", ".join(names) if names else "-"))


def read_table(pa):
    """The 512 entries of the page table at physical address pa."""
    inferior = gdb.selected_inferior()
    data = bytes(inferior.read_memory(PHYS_MAP_BASE + pa, 4096))
    return [int.from_bytes(data[i:i + 8], "little") for i in range(0, 4096, 8)]


def user_leaves(pml4):
    """(va, size, rights) of each present leaf in the user half, in order;
    rights are those the whole walk gives (W and U at every level, NX at any)."""
    def walk(pa, level, va, w, u, nx):
        shift = 12 + 9 * (level - 1)
        for i, e in enumerate(read_table(pa)):
            if level == 4 and i >= 256:
                break
            if not e & PTE_P:
                continue
            at = va | (i << shift)
            ew, eu, enx = w and e & PTE_W, u and e & PTE_U, nx or e & PTE_NX
            if level > 1 and not e & PTE_PS:
                yield from walk(e & PTE_ADDR, level - 1, at, ew, eu, enx)
            else:
                yield at, 1 << shift, (bool(ew), bool(eu), not enx)
    return walk(pml4, 4, 0, True, True, False)


def rights_string(w, u, x):
    return "r" + ("w" if w else "-") + ("x" if x else "-") + ("u" if u else "-")


class Kvm(gdb.Command):
    """kvm PID: the areas and the page-table mappings of a process."""

    def __init__(self):
        super().__init__("kvm", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = find_proc(pid_argument(arg))
        uvm = p["uvm"]
        if not int(uvm):
            raise gdb.GdbError("process {} has no address space (it exited)".format(arg))
        print("areas:")
        for v in list_entries(uvm["vmas"], "struct vma", "node"):
            prot = int(v["prot"])
            print("  {:#014x}-{:#014x} {}{}{} flags {:#x}".format(
                int(v["start"]), int(v["end"]), "r" if prot & 1 else "-",
                "w" if prot & 2 else "-", "x" if prot & 4 else "-", int(v["flags"])))
        print("mapped (pml4 at phys {:#x}):".format(int(uvm["pml4"])))
        run = None
        for va, size, rights in user_leaves(int(uvm["pml4"])):
            if run and run[1] == va and run[2] == rights and run[4] == size:
                run[1] += size
                run[3] += 1
                continue
            if run:
                print_run(run)
            run = [va, va + size, rights, 1, size]
        if run:
            print_run(run)


def print_run(run):
    start, end, rights, pages, size = run
    print("  {:#014x}-{:#014x} {} {} x {}".format(start, end, rights_string(*rights), pages,
                                                 {4096: "4K", 1 << 21: "2M"}.get(size, "1G")))


class Kfiles(gdb.Command):
    """kfiles PID: the open descriptors of a process."""

    def __init__(self):
        super().__init__("kfiles", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = find_proc(pid_argument(arg))
        fds = p["fds"]
        if not int(fds):
            raise gdb.GdbError("process {} has no descriptors (it exited)".format(arg))
        files = fds["files"]
        for fd in range(int(fds["cap"])):
            f = files[fd]
            if not int(f):
                continue
            f = f.dereference()
            ops_name = symbol_name(int(f["ops"]))
            inode = f["inode"]
            ino = int(inode["ino"]) if int(inode) else 0
            print("fd {:<3} flags {:#06x} pos {:<8} refs {} {} inode {}".format(
                fd, int(f["flags"]), int(f["pos"]), int(f["refs"]), ops_name, ino))


def symbol_name(address):
    """The symbol at address (a data table such as a struct file_ops), or its hex."""
    out = gdb.execute("info symbol {:#x}".format(address), to_string=True).strip()
    return out.split(" in section")[0].replace(" + 0", "") if "No symbol" not in out \
        else "{:#x}".format(address)


VECTOR_NAMES = {0: "divide error", 1: "debug", 2: "NMI", 3: "breakpoint", 4: "overflow",
                6: "invalid opcode", 7: "device not available", 8: "double fault",
                13: "general protection fault", 14: "page fault", 16: "x87 error",
                17: "alignment check", 18: "machine check", 19: "SIMD error"}


class Ktf(gdb.Command):
    """ktf ADDR: decode the struct trapframe at ADDR."""

    def __init__(self):
        super().__init__("ktf", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if not arg:
            raise gdb.GdbError("usage: ktf ADDR (a struct trapframe *, e.g. ktf tf)")
        tf_type = gdb.lookup_type("struct trapframe").pointer()
        tf = gdb.parse_and_eval(arg).cast(tf_type).dereference()
        vector, error = int(tf["vector"]), int(tf["error"])
        name = VECTOR_NAMES.get(vector, "IRQ {}".format(vector - 32) if 32 <= vector < 48
                                else "vector {}".format(vector))
        mode = "user" if int(tf["cs"]) & 3 == 3 else "kernel"
        print("trap {} ({}), from {} mode, error {:#x}{}".format(
            vector, name, mode, error, page_fault_bits(error) if vector == 14 else ""))
        print("rip {:#018x} {}".format(int(tf["rip"]), symbol_name(int(tf["rip"]))
                                       if mode == "kernel" else "(user)"))
        print("rsp {:#018x} rflags {:#x}{} cs {:#x} ss {:#x}".format(
            int(tf["rsp"]), int(tf["rflags"]), " IF" if int(tf["rflags"]) & 0x200 else "",
            int(tf["cs"]), int(tf["ss"])))
        regs = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11",
                "r12", "r13", "r14", "r15"]
        for i in range(0, len(regs), 4):
            print("  ".join("{:<3} {:#018x}".format(r, int(tf[r])) for r in regs[i:i + 4]))


def page_fault_bits(error):
    words = []
    for bit, on, off in PAGE_FAULT_BITS:
        if error & bit:
            words.append(on)
        elif off:
            words.append(off)
    return " (" + ", ".join(words) + ")"


for command in (Kps, Kthreads, Krq, Kvm, Kfiles, Ktf):
    command()
