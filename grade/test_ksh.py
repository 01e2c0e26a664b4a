"""Host tests of ksh, the shell (user/ksh/), built for Linux with gcc.

The shell's source is portable POSIX C, so the same files that run in the
OS build here with gcc (under ASan and UBSan), and run against Linux's
programs (sort, wc, cat, sleep, ls) in a scratch directory:

- `ksh -c` cases whose output is compared with what Python computes:
  quoting, $VAR and $?, ; && || and !, redirections into files read back
  here, 2> and 2>&1 in either order, pipelines of four stages, background
  jobs and wait, export and the environment, cd and pwd, set -- and $#,
  syntax errors (status 2) and missing programs (127);
- a script file with arguments;
- an interactive session in a pseudo-terminal (the shell's controlling
  terminal): the prompt, line editing (backspace, Ctrl-U, Ctrl-W,
  left/right), history (up), Ctrl-C abandoning a line and stopping a
  foreground job while the shell lives on, a background job's "[N] pid"
  and "[N] Done" lines, the job in its own process group, Ctrl-D.

Run alone: python3 -m unittest discover -s grade -p 'test_ksh.py' -v
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "user" / "ksh").glob("*.c"))
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", PATH="/usr/bin:/bin", HOME="/tmp")

tmp = None
ksh = None


def setUpModule():
    global tmp, ksh
    tmp = Path(tempfile.mkdtemp(prefix="ksh-test-"))
    ksh = tmp / "ksh"
    subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-o", str(ksh), *map(str, SOURCES)], check=True)


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


def run(command, *args, stdin=None):
    """ksh -c COMMAND in the scratch directory: (status, stdout, stderr)."""
    proc = subprocess.run([str(ksh), "-c", command, *args], cwd=tmp, env=ENV, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


class Commands(unittest.TestCase):
    def out(self, command, *args):
        status, out, err = run(command, *args)
        self.assertEqual(status, 0, "{!r}: status {}, stderr {!r}".format(command, status, err))
        return out

    def test_quoting(self):
        out = self.out("""echo 'a  $HOME "q"' "b  $HOME 'q' \\$x \\"" c\\ d\\$ e'f'"g" ''""")
        self.assertEqual(out, """a  $HOME "q" b  /tmp 'q' $x " c d$ efg \n""")

    def test_variables(self):
        out = self.out('X=one; Y="two words"; echo $X "$Y" ${X}x $NOPE- $$')
        self.assertEqual(out.split()[:5], ["one", "two", "words", "onex", "-"])
        self.assertTrue(out.split()[5].isdigit())
        self.assertEqual(self.out("echo $0 $1 $2 $#", "zero", "a", "b"), "zero a b 2\n")
        self.assertEqual(self.out("unset HOME; X=1; unset X; echo [$X]"), "[]\n")
        self.assertEqual(self.out("set -- p q r; echo $# $2"), "3 q\n")

    def test_status_and_lists(self):
        out = self.out("false; echo $?; true; echo $?; sh -c 'exit 7'; echo $?")
        self.assertEqual(out, "1\n0\n7\n")
        out = self.out("true && echo a; false && echo b; false || echo c; true || echo d; "
                       "false && echo e || echo f; ! false && echo g; ! true; echo $?")
        self.assertEqual(out, "a\nc\nf\ng\n1\n")
        status, out, err = run("echo x; false")
        self.assertEqual((status, out), (1, "x\n"))

    def test_redirections(self):
        self.out("echo one > f; echo two >> f; echo three >>f")
        self.assertEqual((tmp / "f").read_text(), "one\ntwo\nthree\n")
        self.assertEqual(self.out("wc -l < f"), "3\n")
        self.out("echo new > f")
        self.assertEqual((tmp / "f").read_text(), "new\n")
        status, out, err = run("ls /no-such-dir 2> e1; echo $?")
        self.assertEqual(out, "2\n")
        self.assertIn("no-such-dir", (tmp / "e1").read_text())
        self.out("ls /no-such-dir f > both 2>&1; true")
        both = (tmp / "both").read_text()
        self.assertIn("no-such-dir", both)
        self.assertIn("f\n", both)
        # 2>&1 before >: stderr stays where stdout was (the pipe here)
        status, out, err = run("ls /no-such-dir 2>&1 > only-out")
        self.assertIn("no-such-dir", out)
        self.assertEqual((tmp / "only-out").read_text(), "")
        status, out, err = run("cat < missing-file")
        self.assertEqual(status, 1)
        self.assertIn("missing-file", err)

    def test_pipelines(self):
        words = ["pear", "apple", "fig", "apple", "kiwi", "fig", "apple"]
        (tmp / "words").write_text("\n".join(words) + "\n")
        out = self.out("cat words | sort | uniq -c | sort -rn | head -1")
        self.assertEqual(out.split(), ["3", "apple"])
        self.assertEqual(self.out("echo hi | wc -c"), "3\n")
        out = self.out("cat words | cat | cat | cat | cat | wc -l")
        self.assertEqual(out.strip(), str(len(words)))
        # the status of a pipeline is its last command's
        self.assertEqual(self.out("false | true; echo $?; true | false; echo $?"), "0\n1\n")
        # a builtin in a pipeline runs in a child: cd there changes nothing
        self.assertEqual(self.out("cd / | true; pwd"), str(tmp) + "\n")

    def test_background(self):
        start = time.monotonic()
        out = self.out("sleep 0.5 & echo started; wait; echo waited $?")
        self.assertEqual(out, "started\nwaited 0\n")
        self.assertGreater(time.monotonic() - start, 0.45)
        out = self.out("sh -c 'exit 4' & wait %1; echo $?")
        self.assertEqual(out, "4\n")

    def test_environment(self):
        out = self.out("A=1; export B=2; export C; env | grep '^[ABC]=' | sort")
        self.assertEqual(out, "B=2\nC=\n")
        self.assertEqual(self.out("D=4 env | grep ^D=; echo [$D]"), "D=4\n[]\n")
        status, out, err = run("PATH=/nowhere; ls")
        self.assertEqual(status, 127)
        self.assertIn("ls: not found", err)

    def test_builtins(self):
        self.assertEqual(self.out("cd /; pwd; cd /tmp; pwd; cd -"), "/\n/tmp\n/\n")
        self.assertEqual(self.out("echo -n a; echo b"), "ab\n")
        self.assertIn("cd", self.out("help"))
        self.assertEqual(run("exit 5")[0], 5)
        self.assertEqual(run("false; exit")[0], 1)
        self.assertEqual(self.out("echo hi > g; cat g"), "hi\n")

    def test_errors(self):
        status, out, err = run("no-such-program-here; echo $?")
        self.assertEqual(out, "127\n")
        self.assertIn("no-such-program-here: not found", err)
        for bad in ("echo a ;; echo b", "| x", "echo 'open", "echo >", "a &&"):
            status, out, err = run(bad)
            self.assertEqual((status, out), (2, ""), bad)
            self.assertTrue(err.startswith("ksh: "), bad)

    def test_script(self):
        script = tmp / "script.sh"
        script.write_text("# a comment\necho $# \"$1\" # trailing\nfalse ||\n  echo "
                          "continued\necho 'two\nlines' | wc -l\nexit $#\n")
        proc = subprocess.run([str(ksh), str(script), "x y", "z"], cwd=tmp, env=ENV,
                              stdout=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(proc.stdout, "2 x y\ncontinued\n2\n")
        self.assertEqual(proc.returncode, 2)
        proc = subprocess.run([str(ksh)], cwd=tmp, env=ENV, input="echo piped\nfalse\n",
                              stdout=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual((proc.returncode, proc.stdout), (1, "piped\n"))


class Terminal:
    """ksh on a pseudo-terminal that is its controlling terminal."""

    def __init__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(tmp)
            os.execve(str(ksh), [str(ksh)], dict(ENV, PS1="PROMPT$ "))
        self.buf = b""

    def send(self, text):
        os.write(self.fd, text.encode())

    def read_until(self, text, timeout=10):
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no {!r} in {!r}".format(text, self.buf.decode()))
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.buf += os.read(self.fd, 4096)
                except OSError:
                    raise AssertionError("ksh ended before {!r}: {!r}".format(
                        text, self.buf.decode()))
        before, _, self.buf = self.buf.partition(want)
        return before.decode()

    def command(self, line):
        """Type line, return what the shell printed after the line's echo
        (which ends at the first newline: redraws have none) before the next
        prompt."""
        self.send(line + "\r")
        self.read_until("\n")
        return self.read_until("PROMPT$ ")

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


class Interactive(unittest.TestCase):
    def setUp(self):
        self.t = Terminal()
        self.t.read_until("PROMPT$ ")

    def tearDown(self):
        self.t.close()

    def lines(self, text):
        return [line for line in text.replace("\r", "").split("\n")]

    def test_editing(self):
        t = self.t
        out = t.command("echx\x7fo ab\x17cd")      # backspace, Ctrl-W
        self.assertEqual(self.lines(out), ["cd", ""])
        out = t.command("junk junk\x15echo ok")    # Ctrl-U
        self.assertEqual(self.lines(out)[-2], "ok")
        out = t.command("echo ac\x1b[Db")           # left, insert
        self.assertEqual(self.lines(out)[-2], "abc")
        out = t.command("\x1b[A")                   # up: the line before
        self.assertEqual(self.lines(out)[-2], "abc")
        out = t.command("\x1b[A\x1b[A\x1b[B\x7fOK")  # up twice, down, edit
        self.assertEqual(self.lines(out)[-2], "abOK")
        t.send("echo never\x03")                    # Ctrl-C abandons the line
        t.read_until("PROMPT$ ")
        out = t.command("echo after")
        self.assertNotIn("never\r\n", out)
        self.assertEqual(self.lines(out)[-2], "after")

    def test_status_shown(self):
        out = self.t.command("false")
        self.assertIn("[status 1]", out)
        out = self.t.command("true")
        self.assertNotIn("status", out)

    def test_ctrl_c_stops_the_foreground_job(self):
        t = self.t
        t.send("sleep 30\r")
        time.sleep(0.5)
        start = time.monotonic()
        t.send("\x03")
        out = t.read_until("PROMPT$ ", timeout=5)
        self.assertLess(time.monotonic() - start, 5)
        self.assertIn("[status 130, SIGINT]", out)
        self.assertEqual(self.lines(t.command("echo alive"))[-2], "alive")

    def test_jobs_own_process_groups(self):
        t = self.t
        out = t.command("sh -c 'ps -o pid=,pgid= -p $$' | cat")
        pid, pgid = self.lines(out)[0].split()
        self.assertEqual(pid, pgid, "the job's first process leads its group")
        self.assertNotEqual(int(pgid), os.getpgid(t.pid))

    def test_background_job(self):
        t = self.t
        out = t.command("sleep 0.3 &")
        self.assertRegex(out, r"\[1\] \d+")
        self.assertIn("Running", t.command("jobs"))
        time.sleep(0.6)
        out = t.command("")
        self.assertIn("[1] Done  sleep 0.3", out)
        out = t.command("sh -c 'exit 3' &")
        time.sleep(0.3)
        self.assertIn("[1] Exit 3  sh -c 'exit 3'", t.command(""))
        out = t.command("sleep 0.2 & fg")
        self.assertIn("sleep 0.2", out)

    def test_ctrl_d_exits(self):
        self.t.send("\x04")
        _, status = os.waitpid(self.t.pid, 0)
        self.assertTrue(os.WIFEXITED(status))


if __name__ == "__main__":
    unittest.main()
