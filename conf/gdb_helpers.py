"""Kernel-aware GDB commands, loaded by .gdbinit.

    kbt [THREAD]     backtrace by following saved frame pointers, as the
                     kernel's own panic backtrace does, across trap frames
                     and from a system call into the user program; of the
                     stopped thread THREAD (a struct thread *) if given
    kpte VADDR       walk the 4-level page tables for VADDR and show each entry

How kbt finds the frames.  Every kernel function is compiled with frame
pointers: its prologue is `push %rbp; mov %rsp,%rbp`, so once it has run,
[rbp] holds the caller's rbp and [rbp + 8] the return address into the
caller.  Two places break that rule, and kbt handles both:

  * The innermost frame may be stopped before its prologue has run (a
    breakpoint on a function's first instruction) or after its epilogue (at
    `ret`).  Then rbp is still, or again, the caller's, and the return
    address is at [rsp] (or [rsp + 8] after the push).  kbt reads the
    function's first instructions to know which case it is in; the same goes
    for the code a trap interrupted, which may have been anywhere.
  * A trap (interrupt, exception or system call) is not a call.  The entry
    code (trapentry.S, syscall.S) saves the interrupted registers as a struct
    trapframe (trap.h) and calls trap(tf) or syscall_dispatch(tf) with tf in
    rsp, so the frame whose return address lies in the entry code has the
    trapframe just above that return address.  kbt prints what the trap was,
    then continues from the trapframe's rip, rsp and rbp: into the
    interrupted kernel code, or into the user program.

User programs are built without frame pointers, so in user mode kbt shows
the rip the system call or interrupt came from and then only the frames
whose saved rbp and return address look sound.  Their names need the
program's symbols: `add-symbol-file build/user/PROG` (the README says more).

A thread that is not running is stopped in context_switch, with a struct
switch_frame (sched/thread.c) at its saved rsp: `kbt THREAD` starts from the
rbp and return address there.

GDB's own `bt` also crosses trap frames, by the call frame information of
the entry code; kbt reads the stack itself, and uses the debug information
only to name inlined functions and source lines.
"""
import gdb

PHYS_MAP_BASE = 0xffff800000000000
USER_TOP = 0x0000800000000000          # the user half ends below this

# struct trapframe (trap.h): the index of each field, 8 bytes each.
TF_FIELDS = ("r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax "
             "vector error rip cs rflags rsp ss").split()
T_SYSCALL = 0x100                      # usermode.h: the trapframe "vector" of a system call
IRQ_BASE, IRQ_COUNT = 32, 16           # trap.h

# The trap entry code: a return address into one of these marks a trap frame
# (they build a trapframe and call C with it; syscall_entry_compat only
# refuses the call).  Stopped inside one, kbt asks the call frame information.
TRAP_ENTRIES = ("trap_common", "syscall_entry", "syscall_entry_compat")

MAX_FRAMES = 64


def read_u64(addr):
    inferior = gdb.selected_inferior()
    return int.from_bytes(inferior.read_memory(addr, 8).tobytes(), "little")


def read_bytes(addr, n):
    return gdb.selected_inferior().read_memory(addr, n).tobytes()


def function_range(name):
    """(start, end) of the function `name` by its debug information, or None."""
    try:
        start = int(gdb.parse_and_eval("(unsigned long)&%s" % name))
        block = gdb.current_progspace().block_for_pc(start)
    except (gdb.error, RuntimeError):
        return None
    while block and block.function is None:
        block = block.superblock
    return (block.start, block.end) if block else None


def symbol_at(pc):
    """(name, start) of the ELF symbol at or below pc, as `nm` and the kernel's
    own backtraces name code; (None, None) if no symbol table knows pc."""
    try:
        text = gdb.execute("info symbol 0x%x" % pc, to_string=True)
    except gdb.error:
        return None, None
    if text.startswith("No symbol"):
        return None, None
    words = text.split()
    offset = int(words[2]) if len(words) > 2 and words[1] == "+" else 0
    return words[0], pc - offset


def inlined_at(pc):
    """The functions inlined at pc, innermost first."""
    try:
        block = gdb.current_progspace().block_for_pc(pc)
    except RuntimeError:
        return []
    names = []
    while block and not block.is_static and not block.is_global:
        if block.function:
            names.append(block.function.name)
        block = block.superblock
    return names[:-1]


def describe(pc, lookup):
    """'name+0xoff [inlined: f, g] at file:line' for pc (lookup = the address of
    the instruction that matters: pc itself, or a return address - 1)."""
    name, start = symbol_at(lookup)
    text = "%s+0x%x" % (name, pc - start) if name else "?"
    inlined = inlined_at(lookup)
    if inlined:
        text += " [inlined: %s]" % ", ".join(inlined)
    sal = gdb.find_pc_line(lookup)
    if sal.symtab:
        text += " at %s:%d" % (sal.symtab.filename, sal.line)
    return text


# ---- where the return address is ---------------------------------------------

MOV_RSP_RBP = (b"\x48\x89\xe5", b"\x48\x8b\xec")
RETS = (b"\xc3", b"\xc2", b"\xf3\xc3")


def instructions(start, end):
    """(address, bytes) of each instruction from start up to (not including) end."""
    arch = gdb.selected_frame().architecture()
    out = []
    addr = start
    while addr < end and len(out) < 256:
        insn = arch.disassemble(addr)[0]
        out.append((addr, read_bytes(addr, insn["length"])))
        addr += insn["length"]
    return out


def stack_words_before_frame(pc):
    """How the function holding pc has used the stack when it stands at pc:
    None once its frame is set up (`mov %rsp,%rbp` has run) and pc is not at
    a `ret`; else the number of 8-byte words it has pushed above its return
    address (0 at the first instruction or at `ret`, 1 after `push %rbp`)."""
    name, start = symbol_at(pc)
    if start is None or pc - start > 4096 or name.endswith(".cold"):
        return None                    # (a .cold part runs inside its function's frame)
    pushed = 0
    for addr, code in instructions(start, pc):
        if code in MOV_RSP_RBP and pushed:
            # The frame exists from here on, until the epilogue's pop or leave
            # puts the caller's rbp back just before `ret`.
            here = instructions(pc, pc + 1)[0][1]
            return 0 if any(here.startswith(r) for r in RETS) else None
        if len(code) == 1 and 0x50 <= code[0] <= 0x57 or \
                len(code) == 2 and code[0] == 0x41 and 0x50 <= code[1] <= 0x57:
            pushed += 1                # push %reg
        elif len(code) == 1 and 0x58 <= code[0] <= 0x5f or \
                len(code) == 2 and code[0] == 0x41 and 0x58 <= code[1] <= 0x5f:
            pushed -= 1                # pop %reg
    return max(pushed, 0)


def caller_frame(pc, sp, fp, exact):
    """(slot, caller's rbp) for the frame at pc, where slot is the address of
    its return address; None at the end of the chain (rbp 0).  `exact` says
    that sp is this frame's own rsp (the innermost frame, or the one a trap
    interrupted), so the frame may be unfinished."""
    if exact:
        words = stack_words_before_frame(pc)
        if words is not None:
            return sp + 8 * words, fp
    if not fp or fp & 7:
        return None
    return fp + 8, read_u64(fp)


def is_call_return(ret):
    """Does the instruction before ret look like a call?  (A sanity check for
    return addresses found in user memory, where frame pointers are not kept.)"""
    try:
        before = read_bytes(ret - 7, 7)
    except gdb.MemoryError:
        return False
    if before[2] == 0xe8:                              # call rel32
        return True
    for length in (2, 3, 6, 7):                        # call *r/m
        code = before[7 - length:]
        if code[0] in (0x41, 0x42, 0x43) and length > 2:
            code = code[1:]
        if code[0] == 0xff and (code[1] >> 3) & 7 == 2:
            return True
    return False


# ---- trap frames ------------------------------------------------------------

def trapframe(addr):
    return {name: read_u64(addr + 8 * i) for i, name in enumerate(TF_FIELDS)}


def kernel_string(expr):
    try:
        return gdb.parse_and_eval(expr).string()
    except (gdb.error, gdb.MemoryError):
        return None


def trap_words(tf):
    """What a trapframe records, in words: 'system call 1 (write)', ..."""
    vector = tf["vector"]
    if vector == T_SYSCALL:
        name = kernel_string("'syscall_names.c'::names[%d]" % tf["rax"]) \
            if tf["rax"] < 1024 else None
        return "system call %d%s" % (tf["rax"], " (%s)" % name if name else "")
    if vector < 32:
        name = kernel_string("'trap.c'::exceptions[%d].name" % vector) or "exception"
        return "%s (vector %d, error 0x%x)" % (name, vector, tf["error"])
    if IRQ_BASE <= vector < IRQ_BASE + IRQ_COUNT:
        return "interrupt: IRQ %d (vector %d)" % (vector - IRQ_BASE, vector)
    return "interrupt: vector %d" % vector


def current_program():
    """The name of the running process, or None."""
    return kernel_string("'sched.c'::current->owner->proc->name")


def user_symbols_loaded(pc):
    return symbol_at(pc)[0] is not None


# ---- the command ------------------------------------------------------------

def entry_code():
    """(start, end) address ranges of the trap entry code: the vectors' stubs
    and the functions in TRAP_ENTRIES."""
    ranges = [r for r in map(function_range, TRAP_ENTRIES) if r]
    try:
        stubs = int(gdb.parse_and_eval("(unsigned long)&trap_stubs_text"))
        ranges.append((stubs, function_range("trap_common")[0]))
    except (gdb.error, TypeError):
        pass
    return ranges


class KernelBacktrace(gdb.Command):
    """kbt: backtrace along the saved frame pointers, across trap frames and
into the user program.  See conf/gdb_helpers.py for how it works."""

    def __init__(self):
        super().__init__("kbt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        self.depth = 0
        self.entries = entry_code()
        try:
            if arg.strip():
                self.walk(*self.stopped_thread(arg))
            else:
                frame = gdb.newest_frame()
                pc, sp, fp = (int(frame.read_register(r)) for r in ("rip", "rsp", "rbp"))
                if pc < USER_TOP and int(frame.read_register("cs")) & 3 != 3:
                    # The firmware, GRUB or boot.S's 32-bit code: no kernel
                    # frames to follow, and no user program either.
                    self.line(pc, pc)
                    return
                self.walk(pc, sp, fp, True)
        except gdb.MemoryError as e:
            print("    (stopped: %s)" % e)

    @staticmethod
    def stopped_thread(arg):
        """Where the thread `arg` stands: (pc, sp, fp, exact) from the
        switch_frame that context_switch left at its saved rsp."""
        thread = gdb.parse_and_eval("(struct thread *)(%s)" % arg)
        try:
            running = int(thread) == int(gdb.parse_and_eval("'sched.c'::current"))
        except gdb.error:
            running = False
        if running:
            raise gdb.GdbError("kbt: %s is the running thread: use kbt without an argument"
                               % arg)
        frame = thread["rsp"].cast(gdb.lookup_type("struct switch_frame").pointer())
        pc, fp = int(frame["rip"]), int(frame["rbp"])
        sp = int(thread["rsp"]) + frame.dereference().type.sizeof
        # A thread that never ran "returns" into thread_entry's first
        # instruction; any other returns into schedule().
        started = symbol_at(pc)[1] != pc
        return pc, sp, fp, not started

    def line(self, pc, lookup):
        print("#%d 0x%016x %s" % (self.depth, pc, describe(pc, lookup)))
        self.depth += 1

    def in_entry(self, pc):
        return any(start <= pc < end for start, end in self.entries)

    def walk(self, pc, sp, fp, exact):
        """Print the frames from pc on.  `exact`: sp is the frame's own and pc
        the instruction it stands at; else pc is a return address and fp the
        frame's rbp."""
        lookup = pc if exact else pc - 1   # the address that names the frame
        seen = set()
        while self.depth < MAX_FRAMES:
            if pc < USER_TOP:
                self.user_frames(pc, sp, fp)
                return
            self.line(pc, lookup)
            if exact and self.in_entry(pc):
                # Stopped inside the entry code, where the trapframe is half
                # built: its call frame information says where the rest is.
                older = gdb.newest_frame().older() if self.depth == 1 else None
                if older is None:
                    return
                print("    --- in the trap entry code; the interrupted code, by its call "
                      "frame information ---")
                pc, sp, fp = (int(older.read_register(r)) for r in ("rip", "rsp", "rbp"))
                lookup = pc
                continue
            caller = caller_frame(pc, sp, fp, exact)
            if caller is None or caller in seen:
                return
            seen.add(caller)
            slot, caller_fp = caller
            ret = read_u64(slot)
            if not ret:
                return
            if self.in_entry(ret - 1):
                # A return into the entry code: trap(tf) or syscall_dispatch(tf)
                # was called with rsp = tf, just above the return address.
                self.line(ret, ret - 1)
                tf_addr = slot + 8
                tf = trapframe(tf_addr)
                mode = "user" if tf["cs"] & 3 == 3 else "kernel"
                print("    --- %s, from %s mode; trapframe at 0x%x ---"
                      % (trap_words(tf), mode, tf_addr))
                pc, sp, fp, exact, lookup = tf["rip"], tf["rsp"], tf["rbp"], True, tf["rip"]
                continue
            pc, sp, fp, exact, lookup = ret, slot + 8, caller_fp, False, ret - 1

    def user_frames(self, pc, sp, fp):
        """The user program's frames: the interrupted rip, then saved frame
        pointers for as long as they look sound."""
        program = current_program()
        named = user_symbols_loaded(pc)
        self.line(pc, pc)
        top = sp
        while self.depth < MAX_FRAMES and top <= fp < USER_TOP and not fp & 7:
            try:
                ret = read_u64(fp + 8)
                caller_fp = read_u64(fp)
            except gdb.MemoryError:
                break
            if not 0 < ret < USER_TOP or not is_call_return(ret) or \
                    named and not user_symbols_loaded(ret - 1):
                break
            self.line(ret, ret - 1)
            top, fp = fp + 16, caller_fp
        if not named:
            prog = program or "PROG"
            print("    (user program %s: `add-symbol-file build/user/%s` names these frames)"
                  % (program or "?", prog))


# ---- page tables ------------------------------------------------------------

# Bits of a paging-structure entry (Intel SDM Vol. 3A, 4.5 "4-Level Paging",
# tables 4-14 to 4-20).  D, G and PAT mean something in a leaf only; bit 7
# is PS in a PDPT or PD entry (a 1 GiB or 2 MiB leaf) and PAT in a PT entry.
PTE_BITS = ((0, "P"), (1, "W"), (2, "U"), (3, "PWT"), (4, "PCD"), (5, "A"))
LEAF_BITS = ((6, "D"), (8, "G"))
PTE_ADDR = 0x000ffffffffff000
LEVELS = (("PML4", 39), ("PDPT", 30), ("PD", 21), ("PT", 12))
PAGE_NAMES = {39: "512 GiB", 30: "1 GiB", 21: "2 MiB", 12: "4 KiB"}


def pte_flags(entry, leaf, level):
    names = [name for bit, name in PTE_BITS if entry >> bit & 1]
    if leaf:
        names += [name for bit, name in LEAF_BITS if entry >> bit & 1]
        if level == "PT" and entry >> 7 & 1 or level != "PT" and entry >> 12 & 1:
            names.append("PAT")
        if level != "PT":
            names.append("PS")
    if entry >> 63 & 1:
        names.append("NX")
    return " ".join(names)


class PageTableWalk(gdb.Command):
    """kpte VADDR: show the page-table entries that translate VADDR, their
flags (P W U PWT PCD A, and D G PAT PS in the leaf; NX), and the page size
and physical address it ends at.  VADDR may be any expression: a number,
a pointer, a function name."""

    def __init__(self):
        super().__init__("kpte", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: kpte VADDR   (an address, pointer or symbol: "
                               "kpte kmain, kpte $rsp, kpte 0xffff800000000000)")
        # The cast accepts numbers, pointers and function names alike.
        va = int(gdb.parse_and_eval("(unsigned long)(%s)" % arg)) & 0xffffffffffffffff
        table = int(gdb.parse_and_eval("$cr3")) & PTE_ADDR
        print("CR3 = 0x%x, va 0x%016x" % (table, va))
        for level, shift in LEVELS:
            index = (va >> shift) & 0x1ff
            entry = self.read_entry(table + index * 8)
            leaf = level == "PT" or (level != "PML4" and entry & 0x80 != 0)
            print("%-4s[%3d] = 0x%016x %s" % (level, index, entry,
                                               pte_flags(entry, leaf and entry & 1, level)))
            if not entry & 1:
                print("not mapped")
                return
            if leaf:
                size = 1 << shift
                phys = (entry & PTE_ADDR & ~(size - 1)) + (va & (size - 1))
                print("-> phys 0x%x (%s page)" % (phys, PAGE_NAMES[shift]))
                return
            table = entry & PTE_ADDR

    @staticmethod
    def read_entry(phys):
        # Page tables are reached through the direct map once the kernel runs;
        # before that (boot tables), physical addresses are identity mapped.
        try:
            return read_u64(PHYS_MAP_BASE + phys)
        except gdb.MemoryError:
            return read_u64(phys)


KernelBacktrace()
PageTableWalk()
