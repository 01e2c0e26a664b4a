"""Grader of stage `forkexec`, part three: ksh, the shell (user/ksh/), and
booting to it.

- `run=/bin/ksh,-c,'...'` cases (the kernel's single quotes keep the
  command one argument, see kernel/proc/run.h; GRUB's script quoting
  carries no ", $ or \\, so $VAR, $? and the shell's own quoting are in
  the script test): ; && || and statuses, redirections into files then
  read back, 2> and 2>&1, pipelines of three and more stages, a
  background job and wait.  The expected lines are computed here from the
  build's ramdisk tree (build/ramdisk-root): listings, line counts, sizes.
- A script with arguments, from a ramdisk made here (the build's tree plus
  /test/ksh/, conf/mkramdisk.py --extra): quoting, $VAR, $?, $#, $1,
  export, NAME=value before a command, exit status; what it must print is
  what bash prints running the same script on this host.
- The boot test: with an empty command line the kernel runs /bin/ksh;
  at its prompt `ls /bin`, `echo hi | wc -c`, `cat /etc/hostname`, a
  status shown when non-zero, and ksh's exit back to the kernel monitor.
- Line editing typed over serial (backspace, Ctrl-U, Ctrl-W, Ctrl-C
  abandoning the line, up for history, left), each key sent only after
  the prompt is there.
- Ctrl-C stops a foreground loop (a program spinning in user mode, and a
  pipeline blocked in read) and the prompt returns; ksh lives on.

ksh's own logic is tested on Linux too, by grade/test_ksh.py.
"""
import re
import shutil
import subprocess
import sys
import threading

from gradelib import REPO_ROOT, fail, test

BUILD = REPO_ROOT / "build"
TREE = BUILD / "ramdisk-root"
WORK = BUILD / "grade" / "ksh"
PROMPT = r"ksh:(\S*)\$ $"
EXIT = r"^proc: ksh \(pid \d+\) exited with status {}$"

SCRIPT = """\
# grade/forkexec_ksh.py runs this with ksh in kestrel and with bash here
echo args $# "$1" "$2"
X=one
Y="two  words"
echo $X "$Y" ${X}x "${X}y" $NOPE-
echo 'single $X "q"' "double $X 'q' \\$X \\"" back\\ slash\\$ e'f'"g"
false
echo status $?
true && echo and-ran
false && echo never
false || echo or-ran
! false && echo negated
export Z=exported
W=before env | grep ^[WZ]= | sort
echo W is [$W]
unset X
echo X is [$X]
set -- p q r
echo now $# $2
exit 3
"""

SPIN_C = """\
#include <stdio.h>
int main(void)
{
	volatile unsigned long n = 0;
	printf("spin: spinning\\n");
	fflush(stdout);
	for (;;)
		n++;
}
"""


# ---- the ramdisk with /test/ksh ----------------------------------------------

def run_host(cmd, what):
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        fail("{} failed:\n{}".format(what, done.stdout))
    return done.stdout


def aliases():
    """RAMDISK_ALIASES of the GNUmakefile (the [ copy of test)."""
    found = re.search(r"^RAMDISK_ALIASES\s*:?=\s*(.*)$",
                      (REPO_ROOT / "GNUmakefile").read_text(), re.M)
    return found.group(1).split() if found else []


def build_image():
    extra = WORK / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    (extra / "test" / "ksh").mkdir(parents=True)
    (extra / "test" / "ksh" / "script.sh").write_text(SCRIPT)
    (WORK / "spin.c").write_text(SPIN_C)
    musl_gcc = shutil.which("musl-gcc")
    if not musl_gcc:
        fail("no musl-gcc on this host: install Debian's musl-tools (conf/deps.sh does)")
    run_host([musl_gcc, "-static", "-O1", "-o", extra / "test" / "ksh" / "spin",
              WORK / "spin.c"], "musl-gcc spin.c")
    programs = (BUILD / "user-programs").read_text().strip().split("=", 1)[1].split()
    cmd = [sys.executable, REPO_ROOT / "conf" / "mkramdisk.py", "--base",
           REPO_ROOT / "conf" / "ramdisk", "--root", WORK / "root", "--extra", extra]
    if shutil.which("objcopy"):
        cmd += ["--objcopy", "objcopy"]
    for alias in aliases():
        cmd += ["--alias", alias]
    cmd += [WORK / "ksh.img"] + [BUILD / "user" / p for p in programs]
    run_host(cmd, "mkramdisk.py")
    return (WORK / "ksh.img").read_bytes()


_image_lock = threading.Lock()
_image = []


def image():
    with _image_lock:
        if not _image:
            WORK.mkdir(parents=True, exist_ok=True)
            _image.append(build_image())
        return _image[0]


# ---- helpers ---------------------------------------------------------------------

def ksh_c(command):
    """The command line running ksh -c COMMAND and leaving QEMU."""
    return "run=/bin/ksh,-c,'{}' exit panic=exit".format(command)


def output_of(m, status=0):
    """The lines ksh printed, up to its exit line (status as given)."""
    m.expect(EXIT.format(status), timeout=60)
    lines, started = [], False
    for line in m.output:
        if line.startswith("rootmount: "):
            started = True
            continue
        if re.match(EXIT.format(status), line):
            break
        if started and not re.match(r"^(run|proc|rootmount|fatfs|syscall|signal): ", line):
            lines.append(line)
    return lines


def same(got, want, what):
    assert got == want, "{}: ksh printed\n  {}\nexpected\n  {}".format(
        what, "\n  ".join(got), "\n  ".join(want))


def names(path):
    return sorted((p.name for p in (TREE / path.lstrip("/")).iterdir()
                   if not p.name.startswith(".")), key=lambda n: n.encode())


def text(path):
    return (TREE / path.lstrip("/")).read_bytes()


def prompt(m):
    return m.expect(PROMPT, partial=True)


def type_line(m, line):
    """Type line at the prompt (awaited first) and Enter."""
    prompt(m)
    m.send(line + "\r")


# ---- ksh -c ----------------------------------------------------------------------

@test("forkexec", "ksh -c: ; && || and the status of each, exit N",
      cmdline=ksh_c("true && echo and-ran; false && echo never; false || echo or-ran; "
                    "false; true || echo never2; echo end; false || exit 7"), timeout=60)
def _(m):
    same(output_of(m, 7), ["and-ran", "or-ran", "end"], "; && ||")
    m.expect_exit(35)


@test("forkexec", "ksh -c: redirections < > >> 2> 2>&1 into files, read back",
      cmdline=ksh_c("echo one > /var/tmp/r; echo two >> /var/tmp/r; cat /var/tmp/r; "
                    "wc -l < /var/tmp/r; cat /etc/hostname /nonexistent > /var/tmp/both 2>&1; "
                    "echo x > /var/tmp/e; cat /nonexistent 2> /var/tmp/e; echo status-ok; "
                    "cat /var/tmp/both; wc -l < /var/tmp/e; cat < /etc/hostname > /var/tmp/h; "
                    "cat /var/tmp/h"), timeout=60)
def _(m):
    out = output_of(m)
    hostname = text("/etc/hostname").decode().splitlines()
    assert len(out) >= 4 + len(hostname) + 2 + len(hostname), "too few lines: {}".format(out)
    same(out[:4], ["one", "two", "2", "status-ok"], "> and >> then cat and wc -l <")
    both = out[4:4 + len(hostname) + 1]
    same(both[:len(hostname)], hostname, "cat FILE MISSING > both 2>&1: the file")
    assert "nonexistent" in both[-1], "cat's error not in the 2>&1 file: {}".format(both)
    same(out[4 + len(hostname) + 1:], ["1"] + hostname, "2> file (one error line), < >")
    m.expect_exit(33)


LS_BIN = "ls /bin | sort -r | head -n 5 | cat"


@test("forkexec", "ksh -c: pipelines of 2 to 6 stages, checked against the build tree",
      cmdline=ksh_c("echo hi | wc -c; {}; cat /etc/passwd | cat | cat | cat | cat | wc -l; "
                    "ls /bin | wc -l".format(LS_BIN)), timeout=60)
def _(m):
    out = output_of(m)
    binaries = names("/bin")
    want = ["3"] + sorted(binaries, key=lambda n: n.encode(), reverse=True)[:5] + \
        [str(text("/etc/passwd").count(b"\n")), str(len(binaries))]
    same([line.strip() for line in out], want, "pipelines")
    m.expect_exit(33)


@test("forkexec", "ksh -c: a background job and wait",
      cmdline=ksh_c("sleep 1 & echo started; wait; echo waited; cat /etc/hostname & wait"),
      timeout=60)
def _(m):
    same(output_of(m), ["started", "waited"] + text("/etc/hostname").decode().splitlines(),
         "& and wait")
    m.expect_exit(33)


# ---- a script --------------------------------------------------------------------

@test("forkexec", "ksh SCRIPT ARGS: quoting, $VAR, $?, $#, export, NAME=value cmd, exit, "
      "as bash does it", cmdline="run=/bin/ksh,/test/ksh/script.sh,a,'b  c' exit panic=exit",
      timeout=60, ramdisk=image)
def _(m):
    script = WORK / "extra" / "test" / "ksh" / "script.sh"
    bash = subprocess.run(["bash", str(script), "a", "b c"], stdout=subprocess.PIPE,
                          text=True, env={"PATH": "/usr/bin:/bin"})
    assert bash.returncode == 3, "bash ran the script with status {}".format(bash.returncode)
    # GRUB turned the two blanks of 'b  c' into one on the way
    same(output_of(m, 3), bash.stdout.splitlines(), "the script")
    m.expect_exit(35)


# ---- booting to ksh ----------------------------------------------------------------

@test("forkexec", "boot to ksh: an empty command line gives the prompt; ls /bin, "
      "echo hi | wc -c, cat /etc/hostname, a status shown, a background job, exit", timeout=90)
def _(m):
    m.expect(r"^ksh: the kestrel shell")
    type_line(m, "ls /bin")
    for name in names("/bin"):
        m.expect(r"^{}$".format(re.escape(name)))
    type_line(m, "echo hi | wc -c")
    m.expect(r"^\s*3$")
    type_line(m, "cat /etc/hostname")
    for line in text("/etc/hostname").decode().splitlines():
        m.expect(r"^{}$".format(re.escape(line)))
    type_line(m, "cd /etc && pwd && false")
    m.expect(r"^/etc$")
    m.expect(r"^\[status 1\]$")
    assert prompt(m).group(1) == "/etc", "the prompt does not show the directory"
    # a background job: its [N] pid line, and its Done line before the first
    # prompt after it ended (while the foreground sleep 2 ran)
    m.send("sleep 1 &\r")
    m.expect(r"^\[1\] \d+$")
    type_line(m, "sleep 2")
    m.expect(r"^\[1\] Done  sleep 1$")
    m.send("exit 4\r")
    m.expect(r"^run: /bin/ksh exited with status 4: the kernel monitor follows$")
    m.expect(r"kmon> ", partial=True)


@test("forkexec", "ksh's line editing over serial: backspace, Ctrl-U, Ctrl-W, Ctrl-C, "
      "up for history, left", timeout=90)
def _(m):
    type_line(m, "echo abx\x7fc")
    m.expect(r"^abc$")
    type_line(m, "echo junk junk\x15echo killed-line")
    m.expect(r"^killed-line$")
    type_line(m, "echo one two\x17three")
    m.expect(r"^one three$")
    prompt(m)
    m.send("echo abandoned\x03")
    type_line(m, "echo after")
    m.expect(r"^after$")
    assert "abandoned" not in m.output, "Ctrl-C did not abandon the line"
    type_line(m, "\x1b[A")
    m.expect(r"^after$")
    type_line(m, "echo ac\x1b[Db")
    m.expect(r"^abc$")
    prompt(m)
    m.send("\x04")  # Ctrl-D at an empty line
    m.expect(r"^run: /bin/ksh exited with status 0")


@test("forkexec", "ksh: Ctrl-C stops a foreground loop and a pipeline; the prompt returns",
      cmdline="", timeout=90, ramdisk=image)
def _(m):
    type_line(m, "/test/ksh/spin")
    m.expect(r"^spin: spinning$")
    m.send("\x03")
    m.expect(r"^\[status 130, SIGINT\]$")
    # Typed ahead while ksh edits in raw mode, "abc\r" would stay raw: type
    # once ksh has put the terminal back in canonical mode, which it has
    # when the line runs.
    type_line(m, "echo ready; cat | cat")
    m.expect(r"^ready$")
    m.send("abc\r")
    m.expect(r"^abc$")  # the terminal's echo
    m.expect(r"^abc$")  # through both cats: they run
    m.send("\x03")
    m.expect(r"^\[status 130, SIGINT\]$")
    type_line(m, "echo alive")
    m.expect(r"^alive$")
    prompt(m)
