"""Grader of stage `forkexec`, part two: the programs of /bin (user/cmd/),
init (user/init.c) and static binaries from Debian's musl-gcc.

Every test boots with a ramdisk of its own making (@test's ramdisk=):
the build's tree as conf/mkramdisk.py assembles it (conf/ramdisk, the
programs, /bin/[ a copy of test), plus /test, made once per run in
build/grade/utils/:

    /test/words      WORDS_LINES lines of numbers and words, some repeated
                     next to each other: for grep, sort and uniq
    /test/inittab    INITTAB, init's entries for the init tests
    /test/old        a file last modified at OLD_TIME, for touch
    /test/NAME       grade/musl/NAME.c built with `musl-gcc -static`
                     (Debian's musl-tools): hello (stdio, malloc), dir
                     (opendir/readdir, stat, file I/O), fork (fork, wait,
                     exec), killtest (ps and kill as a shell uses them),
                     orphan (leaves a child behind)

Programs run one after the other from run=PROG,ARG;... (no shell needed),
and runs() cuts the console output into each program's lines: those
after the exit line of the program before it, up to its own
"proc: NAME (pid N) exited with status S", with the kernel's lines left
out.  What each program must print is computed here from the same files
(the assembled tree in build/grade/utils/root) in Python: listings, sizes,
counts, matches, orders.  The musl-gcc binaries also run on this host,
and their output in kestrel must be the host's.
"""
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import namedtuple

from gradelib import GRADE_DIR, REPO_ROOT, STALL_LIMIT, fail, test

BUILD = REPO_ROOT / "build"
WORK = BUILD / "grade" / "utils"
ROOT = WORK / "root"
MUSL_PROGRAMS = ("hello", "dir", "fork", "killtest", "orphan")
ALIASES = ("[=test",)      # the GNUmakefile's RAMDISK_ALIASES
WORDS_LINES = 80
RESPAWN_GIVE_UP = 10       # user/init.c: quick ends in a row before giving up
SIGTERM = 15
OLD_TIME = 981173100       # 2001-02-03 04:05 UTC: /test/old's time

INITTAB = """\
# init's entries for grade/forkexec_utils.py
one::sysinit:/bin/echo sysinit 'one two'
two::wait:/bin/cat /etc/hostname
this line is not an entry
fs::once:/bin/hellofs /mnt
orphan::once:/test/orphan
up::respawn:/bin/cat /proc/uptime
"""

# ---- the ramdisk ---------------------------------------------------------------------

def words_text():
    """/test/words: numbers (some negative, some with fractions, some after
    blanks) and words of mixed case, a quarter of the lines repeating the
    line before."""
    rnd = random.Random(2026)
    vocab = ["apple", "Apple", "banana", "cab", "dab", "abba", "xylophone", "yak", "Zebra", "zoo"]
    lines = []
    while len(lines) < WORDS_LINES:
        if lines and rnd.random() < 0.25:
            lines.append(lines[-1])
            continue
        n, kind = rnd.randrange(-50, 200), rnd.randrange(4)
        lines.append(["{} {}".format(n, rnd.choice(vocab)),
                      "{} {}".format(rnd.choice(vocab), rnd.choice(vocab)),
                      "{}.{}".format(n, rnd.randrange(10)),
                      "  {} {}".format(n, rnd.choice(vocab))][kind])
    return "".join(line + "\n" for line in lines)


def run_host(cmd, what):
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        fail("{} failed:\n{}".format(what, done.stdout))
    return done.stdout


def build_image():
    """Assemble the tree and make the image; its bytes."""
    extra = WORK / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    (extra / "test").mkdir(parents=True)
    (extra / "test" / "words").write_text(words_text())
    (extra / "test" / "inittab").write_text(INITTAB)
    (extra / "test" / "old").write_text("an old file\n")
    os.utime(extra / "test" / "old", (OLD_TIME, OLD_TIME))
    musl_gcc = shutil.which("musl-gcc")
    if not musl_gcc:
        fail("no musl-gcc on this host: install Debian's musl-tools (conf/deps.sh does)")
    for name in MUSL_PROGRAMS:
        run_host([musl_gcc, "-static", "-O2", "-o", extra / "test" / name,
                  GRADE_DIR / "musl" / (name + ".c")], "musl-gcc of grade/musl/" + name)
    programs = (BUILD / "user-programs").read_text().strip().split("=", 1)[1].split()
    cmd = [sys.executable, REPO_ROOT / "conf" / "mkramdisk.py", "--base",
           REPO_ROOT / "conf" / "ramdisk", "--root", ROOT, "--extra", extra]
    if shutil.which("objcopy"):
        cmd += ["--objcopy", "objcopy"]
    for alias in ALIASES:
        cmd += ["--alias", alias]
    cmd += [WORK / "utils.img"] + [BUILD / "user" / p for p in programs]
    run_host(cmd, "mkramdisk.py")
    return (WORK / "utils.img").read_bytes()


_image_lock = threading.Lock()
_image = []


def image():
    """For @test(ramdisk=...): the image, built by the first test that needs it."""
    with _image_lock:
        if not _image:
            WORK.mkdir(parents=True, exist_ok=True)
            _image.append(build_image())
        return _image[0]


def utils_test(title, cmdline, timeout=60, idle=None):
    """A test of this module, on its ramdisk.  idle: seconds it may sit idle
    on purpose (sleep, a respawn's wait), kept after another test's hang."""
    stall = None if idle is None else STALL_LIMIT
    return test("forkexec", title, cmdline=cmdline, timeout=timeout, ramdisk=image, idle=idle,
                stall=stall)


# ---- the console, cut into runs ------------------------------------------------------

Run = namedtuple("Run", "name pid status lines")
# A program's last line without a newline ends up in front of its exit line.
EXIT = re.compile(r"^(.*?)proc: (\S+) \(pid (\d+)\) (?:exited with status (\d+)|killed: .*)$")
KERNEL = re.compile(r"^(run|proc|rootmount|elf|oom|fuse|fatfs|usercopy|signal): ")


def runs(m):
    """A Run per program exit, in order, each with the lines it printed
    (see the top); status None if it was killed."""
    found, lines, started = [], [], False
    for line in m.output:
        if not started:
            started = line.startswith("rootmount: ")
            continue
        match = EXIT.match(line)
        if match:
            if match.group(1):
                lines.append(match.group(1))
            status = None if match.group(4) is None else int(match.group(4))
            found.append(Run(match.group(2), int(match.group(3)), status, lines))
            lines = []
        elif not KERNEL.match(line):
            lines.append(line)
    return found


def expect_runs(m, names, last_ok=True):
    """Wait for the end of run= and return its Runs, which must be of the
    programs names, in order."""
    m.expect_exit(33 if last_ok else 35, timeout=120)
    got = runs(m)
    assert [r.name for r in got] == list(names), "programs that ran: {}, expected {}".format(
        " ".join(r.name for r in got), " ".join(names))
    return got


def cmdline(*programs):
    """run=A,ARG;B... exit for programs given as lists of words."""
    return "run=" + ";".join(",".join(p) for p in programs) + " exit"


def same(run, want, what=None):
    """run printed exactly the lines want, and exited with 0."""
    what = what or run.name
    for i, (got, exp) in enumerate(itertools.zip_longest(run.lines, want)):
        assert got == exp, "{}: line {} is {!r}, expected {!r}".format(what, i + 1, got, exp)
    assert run.status == 0, "{} exited with status {}".format(what, run.status)


# ---- what the programs must print, computed here ------------------------------------

def names_of(path, dots=False):
    """ls's order: bytewise (coreutils with LC_ALL=C)."""
    names = sorted(os.listdir(path), key=os.fsencode)
    names = [n for n in names if not n.startswith(".")]
    return [".", ".."] + names if dots else names


def text_lines(path):
    return (ROOT / path.lstrip("/")).read_text().splitlines()


def wc_lines(paths, flags="lwc"):
    """coreutils' wc output for files of the tree (cmd/wc.c says the rule)."""
    rows = []
    for p in paths:
        data = (ROOT / p.lstrip("/")).read_bytes()
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
        rows.append(([counts[f] for f in "lwc" if f in flags], p))
    if len(paths) > 1:
        rows.append(([sum(r[0][i] for r in rows) for i in range(len(rows[0][0]))], "total"))
    width = 1 if len(flags) == 1 and len(paths) == 1 else \
        len(str(sum((ROOT / p.lstrip("/")).stat().st_size for p in paths)))
    return [" ".join("{:>{}}".format(c, width) for c in counts) + " " + name
            for counts, name in rows]


def leading_number(line):
    """sort -n's key (cmd/sort.c)."""
    match = re.match(r"[ \t]*(-?\d*(?:\.\d*)?)", line)
    text = match.group(1)
    return float(text) if re.search(r"\d", text) else 0.0


WORDS = words_text().splitlines()

LS_LONG = re.compile(r"^([-dlcbps])[-rwx]{9} +\d+ +\S+ +\S+ +(\d+) \w{3} [ \d]\d \d\d:\d\d (.+)$")


def ls_long(run, path):
    """{name: (type, size)} from ls -l's lines for directory path; checks
    the total line."""
    assert run.lines and re.match(r"^total \d+$", run.lines[0]), \
        "ls -l {}: first line {!r}, expected 'total N'".format(path, run.lines[:1])
    entries = {}
    for line in run.lines[1:]:
        match = LS_LONG.match(line)
        assert match, "ls -l {}: {!r} is not a long listing line".format(path, line)
        entries[match.group(3)] = (match.group(1), int(match.group(2)))
    return entries


# ---- ls, cat, wc, head, tail --------------------------------------------------------

@utils_test("ls lists /bin and /etc as the ramdisk holds them; -l their sizes; -a and "
            "several operands", cmdline(["ls", "/bin"], ["ls", "-l", "/etc"],
                                        ["ls", "-a", "/home/guest"],
                                        ["ls", "/home/guest", "/etc/motd", "/bin/cat"]))
def _(m):
    r = expect_runs(m, ["ls"] * 4)
    same(r[0], names_of(ROOT / "bin"), "ls /bin")
    listed = ls_long(r[1], "/etc")
    want = {n: ("d" if (ROOT / "etc" / n).is_dir() else "-", (ROOT / "etc" / n).stat().st_size)
            for n in names_of(ROOT / "etc")}
    assert listed == want, "ls -l /etc: {}, expected {}".format(listed, want)
    same(r[2], names_of(ROOT / "home" / "guest", dots=True), "ls -a /home/guest")
    same(r[3], ["/bin/cat", "/etc/motd", "", "/home/guest:"] + names_of(ROOT / "home" / "guest"),
         "ls /home/guest /etc/motd /bin/cat")


@utils_test("cat, wc (-l -w -c), head -n, tail -n of ramdisk files, as Python counts them",
            cmdline(["cat", "/etc/passwd", "/etc/motd"],
                    ["wc", "/etc/passwd", "/etc/inittab", "/home/guest/Hello.c"],
                    ["wc", "-l", "/etc/inittab"], ["wc", "-w", "-c", "/test/words"],
                    ["head", "-n", "3", "/etc/inittab"], ["head", "/test/words"],
                    ["tail", "-n", "4", "/home/guest/Hello.c"],
                    ["head", "-n", "1", "/etc/motd", "/etc/hostname"],
                    ["tail", "-n", "0", "/etc/motd"]))
def _(m):
    r = expect_runs(m, ["cat", "wc", "wc", "wc", "head", "head", "tail", "head", "tail"])
    same(r[0], text_lines("/etc/passwd") + text_lines("/etc/motd"), "cat")
    same(r[1], wc_lines(["/etc/passwd", "/etc/inittab", "/home/guest/Hello.c"]), "wc")
    same(r[2], wc_lines(["/etc/inittab"], "l"), "wc -l")
    same(r[3], wc_lines(["/test/words"], "wc"), "wc -w -c")
    same(r[4], text_lines("/etc/inittab")[:3], "head -n 3")
    same(r[5], WORDS[:10], "head")
    same(r[6], text_lines("/home/guest/Hello.c")[-4:], "tail -n 4")
    same(r[7], ["==> /etc/motd <==", text_lines("/etc/motd")[0], "", "==> /etc/hostname <==",
                text_lines("/etc/hostname")[0]], "head -n 1 of two files")
    same(r[8], [], "tail -n 0")


# ---- grep, sort, uniq ------------------------------------------------------------------

@utils_test("grep (-n -v -c -i -E), sort (-r -n -u) and uniq -c of a generated file, as "
            "Python computes them",
            cmdline(["grep", "-n", "ab", "/test/words"], ["grep", "-v", "-c", "^[0-9]", "/test/words"],
                    ["grep", "-i", "apple", "/test/words"],
                    ["grep", "-E", "^-?[0-9]+.(abba|Apple)", "/test/words"],
                    ["grep", "-c", "root", "/etc/passwd", "/etc/motd"],
                    ["sort", "/test/words"], ["sort", "-n", "-r", "/test/words"],
                    ["sort", "-u", "/test/words"], ["uniq", "-c", "/test/words"],
                    ["grep", "nosuchword", "/test/words"], ["true"]))
def _(m):
    r = expect_runs(m, ["grep"] * 5 + ["sort"] * 3 + ["uniq", "grep", "true"])
    same(r[0], ["{}:{}".format(i + 1, w) for i, w in enumerate(WORDS) if "ab" in w], "grep -n")
    same(r[1], [str(sum(1 for w in WORDS if not re.match("[0-9]", w)))], "grep -v -c")
    same(r[2], [w for w in WORDS if "apple" in w.lower()], "grep -i")
    want = [w for w in WORDS if re.search(r"^-?[0-9]+.(abba|Apple)", w)]
    assert want, "grep -E: the pattern matches no line of /test/words"
    same(r[3], want, "grep -E")
    same(r[4], ["/etc/passwd:{}".format(sum("root" in w for w in text_lines("/etc/passwd"))),
                "/etc/motd:0"], "grep -c of two files")
    same(r[5], sorted(WORDS, key=str.encode), "sort")
    same(r[6], sorted(WORDS, key=lambda w: (leading_number(w), w.encode()), reverse=True),
         "sort -n -r")
    same(r[7], sorted(set(WORDS), key=str.encode), "sort -u")
    same(r[8], ["{:7d} {}".format(len(list(g)), w) for w, g in itertools.groupby(WORDS)],
         "uniq -c")
    assert r[9].lines == [] and r[9].status == 1, \
        "grep without a match: {} and status {}, expected nothing and 1".format(
            r[9].lines, r[9].status)


# ---- files: mkdir, touch, cp, mv, rm, rmdir --------------------------------------------

@utils_test("mkdir -p, touch, cp, mv, rm -r, rmdir: what ls and cat see afterwards",
            cmdline(["mkdir", "-p", "/var/tmp/u/a/b"], ["touch", "/var/tmp/u/new"],
                    ["cp", "/etc/motd", "/etc/passwd", "/var/tmp/u/a"],
                    ["mv", "/var/tmp/u/new", "/var/tmp/u/a/b/moved"],
                    ["ls", "-l", "/var/tmp/u/a"], ["ls", "/var/tmp/u/a/b", "/var/tmp/u"],
                    ["cat", "/var/tmp/u/a/motd"], ["rm", "/var/tmp/u/a"],
                    ["rm", "-r", "/var/tmp/u/a"], ["rm", "-f", "/var/tmp/u/none"],
                    ["ls", "-a", "/var/tmp/u"], ["rmdir", "/var/tmp/u"], ["ls", "/var/tmp"]))
def _(m):
    r = expect_runs(m, ["mkdir", "touch", "cp", "mv", "ls", "ls", "cat", "rm", "rm", "rm", "ls",
                        "rmdir", "ls"])
    for k in range(4):
        same(r[k], [])
    listed = ls_long(r[4], "/var/tmp/u/a")
    want = {"b": "d", "motd": "-", "passwd": "-"}
    assert {n: t for n, (t, _) in listed.items()} == want, \
        "ls -l /var/tmp/u/a: {}, expected {}".format(listed, want)
    for name in ("motd", "passwd"):
        size = (ROOT / "etc" / name).stat().st_size
        assert listed[name][1] == size, "ls -l /var/tmp/u/a: {} copied with {} bytes, not " \
            "{}".format(name, listed[name][1], size)
    same(r[5], ["/var/tmp/u:", "a", "", "/var/tmp/u/a/b:", "moved"],
         "ls /var/tmp/u/a/b /var/tmp/u")
    same(r[6], text_lines("/etc/motd"), "cat of the copy")
    assert r[7].status == 1 and any("Is a directory" in x for x in r[7].lines), \
        "rm of a directory without -r: {} and status {}".format(r[7].lines, r[7].status)
    same(r[8], [], "rm -r")
    same(r[9], [], "rm -f of a missing file")
    same(r[10], [".", ".."], "ls -a of the emptied directory")
    same(r[11], [], "rmdir")
    same(r[12], [], "ls /var/tmp")


@utils_test("touch sets an existing file's time to now (utimensat); ls -l shows times",
            cmdline(["ls", "-l", "/test/old"], ["touch", "/test/old"], ["ls", "-l", "/test/old"]))
def _(m):
    r = expect_runs(m, ["ls", "touch", "ls"])
    shown = []
    for run in (r[0], r[2]):
        match = LS_LONG.match(run.lines[0] if len(run.lines) == 1 else "")
        assert match and match.group(3) == "/test/old", "ls -l /test/old: {}".format(run.lines)
        shown.append(re.search(r" (\w{3} [ \d]\d \d\d:\d\d) ", run.lines[0]).group(1))
    assert shown[0] == time.strftime("%b %e %H:%M", time.gmtime(OLD_TIME)), \
        "ls -l /test/old before touch shows {!r}, expected {}".format(shown[0], "Feb  3 04:05")
    same(r[1], [], "touch of an existing file")
    now = [time.strftime("%b %e %H:%M", time.gmtime(time.time() - d)) for d in range(0, 600, 30)]
    assert shown[1] in now, "ls -l /test/old after touch shows {!r}; it is {} now (UTC)".format(
        shown[1], now[0])


# ---- bad arguments ---------------------------------------------------------------------

BAD = [  # (command, a line it must print)
    (["ls", "-z"], r"^usage: ls "), (["cat", "-q"], r"^usage: cat "),
    (["mkdir"], r"^usage: mkdir "), (["rm"], r"^usage: rm "), (["rmdir"], r"^usage: rmdir "),
    (["cp", "/etc/motd"], r"^usage: cp "), (["mv", "x"], r"^usage: mv "),
    (["touch"], r"^usage: touch "), (["wc", "-x"], r"^usage: wc "), (["grep"], r"^usage: grep "),
    (["head", "-n", "x"], r"^head: x: invalid number of lines$"),
    (["tail", "-n", "-3"], r"^tail: -3: invalid number of lines$"),
    (["sort", "-k"], r"^usage: sort "), (["uniq", "-z"], r"^usage: uniq "),
    (["kill"], r"^usage: kill "), (["kill", "-FOO", "1"], r"^kill: -FOO: invalid signal$"),
    (["sleep", "abc"], r"^sleep: abc: invalid time interval$"), (["nice", "-n"], r"^usage: nice "),
    (["env", "-z"], r"^usage: env "), (["test", "1", "-eq", "x"], r"^test: x: integer expression expected$"),
    (["[", "1", "=", "1"], r"^\[: missing '\]'$"), (["ps", "x"], r"^usage: ps"),
    (["free", "x"], r"^usage: free"), (["ln", "x"], r"^usage: ln "),
    (["cat", "/etc/none"], r"^cat: /etc/none: No such file or directory$"),
]


def bad_arguments_test(half, bad):
    @utils_test("bad arguments ({} half): a usage line or a clear error, and a non-zero "
                "status".format(half), cmdline(*[c for c, _ in bad], ["true"]))
    def _(m):
        r = expect_runs(m, [c[0] for c, _ in bad] + ["true"])
        for (cmd, line), run in zip(bad, r):
            what = " ".join(cmd)
            assert run.status not in (0, None), "{}: status {}".format(what, run.status)
            assert any(re.match(line, x) for x in run.lines), \
                "{}: printed {}, expected a line {!r}".format(what, run.lines, line)


# run= runs at most 16 programs.
bad_arguments_test("first", BAD[:len(BAD) // 2])
bad_arguments_test("second", BAD[len(BAD) // 2:])


# ---- processes: ps, kill, nice, test, env ----------------------------------------------

PS_ROW = re.compile(r"^ *(\d+) +(\d+) ([RSZTD]) +(-?\d+) +(-?\d+) +(\d+) +(\d+) (.*)$")


def killtest_rows(m):
    """killtest's pid, its sleeper's, and {pid: (ppid, state, pri, ni, rss, cmd)} from ps."""
    found = m.expect(r"^killtest: pid (\d+), sleeper (\d+)$")
    m.expect(r"^ +PID +PPID S PRI +NI +RSS +VSZ COMMAND$")
    rows = {}
    while True:
        line = m.expect(r"^( *\d+ .*|killtest: ps exited with \d+)$").group(1)
        if line.startswith("killtest:"):
            assert line == "killtest: ps exited with 0", line
            break
        row = PS_ROW.match(line)
        assert row, "ps: {!r} is not a row PID PPID S PRI NI RSS VSZ COMMAND".format(line)
        g = row.groups()
        rows[int(g[0])] = (int(g[1]), g[2], int(g[3]), int(g[4]), int(g[5]), g[7])
    return int(found.group(1)), int(found.group(2)), rows


@utils_test("ps shows itself, its parent and a niced sleeper: pids, ppids, states, "
            "priorities, memory, command lines", "run=/test/killtest exit")
def _(m):
    me, sleeper, rows = killtest_rows(m)
    ps = [pid for pid, row in rows.items() if row[5] == "/bin/ps"]
    assert len(ps) == 1, "ps: no row (or several) for /bin/ps itself: {}".format(rows)
    checks = [(me, (0, "S", 4, 0), "/test/killtest", "killtest (started by the kernel, waiting)"),
              (ps[0], (me, "R", 4, 0), "/bin/ps", "ps (killtest's child, running)"),
              (sleeper, (me, "S", 6, 2), "/bin/sleep 10", "the sleeper (nice -n 2, asleep)")]
    for pid, (ppid, state, pri, ni), cmd, what in checks:
        assert pid in rows, "ps: no row for pid {}, {}".format(pid, what)
        got = rows[pid]
        assert got[:4] == (ppid, state, pri, ni) and got[5] == cmd, \
            "ps: {}: PPID {} S {} PRI {} NI {} COMMAND {!r}, expected {} {} {} {} {!r}".format(
                what, *got[:4], got[5], ppid, state, pri, ni, cmd)
        assert got[4] > 0 and got[4] % 4 == 0, "ps: {}: RSS {} KiB".format(what, got[4])


@utils_test("kill -TERM ends a sleeping process: its parent sees SIGTERM",
            "run=/test/killtest exit")
def _(m):
    killtest_rows(m)
    found = m.expect(r"^killtest: kill (exited with \d+|killed .*)$")
    assert found.group(1) == "exited with 0", "kill -TERM of the sleeper: {}".format(
        found.group(1))
    found = m.expect(r"^killtest: sleeper (.*)$")
    assert found.group(1) == "killed by signal {}".format(SIGTERM), \
        "the sleeper {}, expected killed by signal {}".format(found.group(1), SIGTERM)


@utils_test("test and [, env, echo -n, nice without a command, kill -l, sleep, uptime, free",
            cmdline(["test", "-d", "/etc"], ["[", "-f", "/etc/motd", "-a", "abc", "=", "abc", "]"],
                    ["test", "3", "-lt", "2", "-o", "!", "-e", "/etc/none"],
                    ["env", "-i", "A=1", "B=two", "env"], ["echo", "-n", "x"], ["echo", "y", "z"],
                    ["nice"], ["kill", "-l"], ["cat", "/proc/uptime"], ["sleep", "1.5"],
                    ["uptime"], ["free"], ["test", "-z", "x"]), idle=5)
def _(m):
    r = expect_runs(m, ["test", "[", "test", "env", "echo", "echo", "nice", "kill", "cat", "sleep",
                        "uptime", "free", "test"], last_ok=False)
    for k in range(3):
        same(r[k], [])
    same(r[3], ["A=1", "B=two"], "env -i")
    same(r[4], ["x"], "echo -n x")    # runs() found it in front of echo's exit line
    same(r[5], ["y z"], "echo y z")
    same(r[6], ["0"], "nice")
    assert r[7].lines[8] == " 9) SIGKILL" and r[7].lines[14] == "15) SIGTERM", \
        "kill -l: {}".format(r[7].lines[:16])
    before = float(r[8].lines[0].split()[0])
    found = re.match(r"^ \d\d:\d\d:\d\d up \d+ min, (\d+) processes \((\d+\.\d\d) s\)$",
                     r[10].lines[0] if r[10].lines else "")
    assert found, "uptime: {}".format(r[10].lines)
    assert float(found.group(2)) >= before + 1.5, "uptime {} s after a sleep of 1.5 s at {} " \
        "s".format(found.group(2), before)
    assert found.group(1) == "2", "uptime: {} processes (the FAT server and uptime)".format(
        found.group(1))
    mem = re.match(r"^Mem: +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$",
                   r[11].lines[1] if len(r[11].lines) > 1 else "")
    assert mem, "free: {}".format(r[11].lines)
    total, used, free, cache, _avail = map(int, mem.groups())
    # The kernel's count of free frames once free has exited: free's own
    # pages (a few dozen) are back by then.
    after = re.search(r"^proc: free \(pid \d+\) exited .*\n(?:.*\n)*?run: (\d+) frames free",
                      "\n".join(m.output), re.M)
    frames_kb = int(after.group(1)) * 4
    assert 100000 < total <= 128 * 1024 and 0 < used < total, "free: {}".format(r[11].lines[1])
    assert 0 <= frames_kb - free <= 1024, "free says {} KiB free; the kernel counts {} KiB " \
        "once free has exited".format(free, frames_kb)
    assert r[12].status == 1 and r[12].lines == [], "test -z x: status {}".format(r[12].status)


# ---- init ------------------------------------------------------------------------------

def started(m, entry):
    return int(m.expect(r"^init: {} started \(pid (\d+)\): ".format(entry)).group(1))


@utils_test("init runs inittab's entries in order, starts hellofs, and respawns a respawn "
            "entry (once a second, then gives up)", "run=/bin/init,/test/inittab", timeout=90,
            idle=5)
def _(m):
    m.expect(r"^init: /test/inittab:4: not an entry")
    one = started(m, "one")
    m.expect(r"^sysinit one two$")
    m.expect(r"^init: one \(pid {}\) exited with status 0$".format(one))
    two = started(m, "two")
    m.expect(r"^{}$".format(re.escape(text_lines("/etc/hostname")[0])))
    m.expect(r"^init: two \(pid {}\) exited with status 0$".format(two))
    started(m, "fs")
    times, pids = [], set()
    for k in range(RESPAWN_GIVE_UP):
        pids.add(started(m, "up"))
        times.append(float(m.expect(r"^(\d+\.\d\d) \d+\.\d\d$").group(1)))
    m.expect(r"^init: up respawning too fast: disabled$")
    assert len(pids) == RESPAWN_GIVE_UP, "up started as pids {}".format(sorted(pids))
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.9, "up respawned after {:.2f} s: quick ends must wait about 1 " \
        "s".format(min(gaps))
    assert any(line == "hellofs: serving /mnt" for line in m.output), "hellofs never served /mnt"


@utils_test("init reaps an orphan it adopted as subreaper", "run=/bin/init,/test/inittab",
            timeout=60, idle=5)
def _(m):
    orphan = int(m.expect(r"^orphan: left pid (\d+)$").group(1))
    # The respawn entry gives up some 10 s later: the orphan has ended by then.
    found = m.expect(r"^init: (reaped orphan pid \d+|up respawning too fast: disabled)$")
    assert found.group(1) == "reaped orphan pid {}".format(orphan), \
        "init did not reap the orphan {} (is init its subreaper?)".format(orphan)


# ---- musl-gcc binaries -----------------------------------------------------------------

MUSL_RUNS = [["/test/hello", "one", "two"], ["/test/dir", "/etc", "/var/tmp"], ["/test/fork"]]


def host_output(argv):
    """What a musl-gcc binary prints on this host, run on the same tree."""
    path = WORK / "extra" / argv[0].lstrip("/")
    with tempfile.TemporaryDirectory() as scratch:
        args = [str(ROOT / a.lstrip("/")) if a == "/etc" else scratch if a == "/var/tmp"
                else a for a in argv[1:]]
        return run_host([path] + args, argv[0] + " on the host").splitlines()


@utils_test("static binaries of Debian's musl-gcc run as on the host: stdio and malloc, "
            "opendir/readdir and files, fork/wait/exec", cmdline(*MUSL_RUNS))
def _(m):
    r = expect_runs(m, [a[0].rsplit("/", 1)[1] for a in MUSL_RUNS])
    for argv, run in zip(MUSL_RUNS, r):
        same(run, host_output(argv), "musl-gcc " + " ".join(argv))
