/*
 * ttytest: the console's terminal as termios(3) describes it, driven by a
 * grader typing on the serial port.
 *
 *   ttytest attr    settings, isatty, window size (no input)
 *   ttytest canon   canonical editing: three lines, then end of input
 *   ttytest echo    ECHO off, then ECHO off with ECHONL
 *   ttytest raw     ICANON off: VMIN=1 byte by byte, VMIN=0, VMIN=3
 *   ttytest sigint  Ctrl-C kills a loop in the foreground group, not one
 *                   in another group, and flushes what was typed
 *
 * Before each read it prints "ttytest: NAME: ready ..." (the grader types
 * only then) and after it "ttytest: NAME: got N: HH HH ..." with the bytes
 * read in hex, so that the grader compares them with what it typed.  The
 * last line is "ttytest: done" and the settings are restored on exit.
 * Runs on Linux too (in a terminal, typing by hand).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static struct termios saved;

static void restore(void)
{
	tcsetattr(0, TCSANOW, &saved);
}

/* Print what a read gave: its result and the bytes in hex. */
static void got(const char *name, const char *buf, ssize_t n)
{
	printf("ttytest: %s: got %zd:", name, n);
	for (ssize_t i = 0; i < n; i++)
		printf(" %02x", (unsigned char)buf[i]);
	printf("\n");
	fflush(stdout);
}

static void ready(const char *name, const char *what)
{
	printf("ttytest: %s: ready %s\n", name, what);
	fflush(stdout);
}

/* Say ready, read once (at most size bytes), say what came. */
static ssize_t read_once(const char *name, const char *what, char *buf, size_t size)
{
	ssize_t n;

	ready(name, what);
	n = read(0, buf, size);
	got(name, buf, n);
	return n;
}

static void test_attr(void)
{
	struct termios t;
	struct winsize ws, big = { .ws_row = 50, .ws_col = 132 }, back;
	int fds[2], fd = open("/dev/tty", O_RDWR);

	if (tcgetattr(0, &t) != 0)
		printf("ttytest: attr: tcgetattr failed: %s\n", strerror(errno));
	printf("ttytest: attr: iflag %#o oflag %#o cflag %#o lflag %#o\n", t.c_iflag, t.c_oflag,
	       t.c_cflag, t.c_lflag);
	printf("ttytest: attr: cc intr %d quit %d erase %d kill %d eof %d time %d min %d susp %d "
	       "werase %d\n",
	       t.c_cc[VINTR], t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF],
	       t.c_cc[VTIME], t.c_cc[VMIN], t.c_cc[VSUSP], t.c_cc[VWERASE]);
	if (pipe(fds) != 0)
		fds[0] = fds[1] = -1;
	errno = 0;
	printf("ttytest: attr: isatty stdin %d /dev/tty %d", isatty(0), fd >= 0 && isatty(fd));
	printf(" pipe %d", isatty(fds[0]));
	printf(" (%s)\n", errno == ENOTTY ? "ENOTTY" : "not ENOTTY");
	ioctl(0, TIOCGWINSZ, &ws);
	ioctl(0, TIOCSWINSZ, &big);
	ioctl(0, TIOCGWINSZ, &back);
	ioctl(0, TIOCSWINSZ, &ws);
	printf("ttytest: attr: winsize %dx%d, set to %dx%d\n", ws.ws_col, ws.ws_row, back.ws_col,
	       back.ws_row);
	printf("ttytest: attr: pgrp %s\n", tcgetpgrp(0) == getpgrp() ? "mine" : "not mine");
}

static void test_canon(void)
{
	char buf[256];

	read_once("canon", "edit", buf, sizeof(buf));
	read_once("canon", "werase", buf, sizeof(buf));
	read_once("canon", "eof-after-text", buf, sizeof(buf));
	read_once("canon", "eof", buf, sizeof(buf));
	read_once("canon", "short", buf, 3); /* a line longer than the read */
	read_once("canon", "rest", buf, sizeof(buf));
}

static void test_echo(void)
{
	struct termios t = saved;
	char buf[256];

	t.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(0, TCSANOW, &t);
	read_once("echo", "off", buf, sizeof(buf));
	t.c_lflag |= ECHONL;
	tcsetattr(0, TCSANOW, &t);
	read_once("echo", "echonl", buf, sizeof(buf));
	restore();
	read_once("echo", "on", buf, sizeof(buf));
}

static void test_raw(void)
{
	struct termios t = saved;
	char buf[256];

	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSAFLUSH, &t);
	for (int i = 0; i < 4; i++)
		read_once("raw", "byte", buf, sizeof(buf));
	t.c_cc[VMIN] = 0;
	tcsetattr(0, TCSANOW, &t);
	printf("ttytest: raw: vmin 0 gave %zd\n", read(0, buf, sizeof(buf)));
	t.c_cc[VTIME] = 2;
	tcsetattr(0, TCSANOW, &t);
	printf("ttytest: raw: vmin 0 vtime 2 gave %zd\n", read(0, buf, sizeof(buf)));
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
	read_once("raw", "three", buf, sizeof(buf));
	restore();
}

/* A child in a process group of its own that spins until killed. */
static pid_t spinner(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		for (;;)
			;
	}
	setpgid(pid, pid); /* both sides, so that it is done when fork returns */
	return pid;
}

static void test_sigint(void)
{
	pid_t fg = spinner(), bg = spinner();
	int status = -1, bg_alive;
	char buf[256];

	signal(SIGTTOU, SIG_IGN); /* Linux: tcsetpgrp from the background */
	if (tcsetpgrp(0, fg) != 0)
		printf("ttytest: sigint: tcsetpgrp failed: %s\n", strerror(errno));
	printf("ttytest: sigint: foreground %s\n",
	       tcgetpgrp(0) == fg ? "the loop" : "not the loop");
	ready("sigint", "ctrl-c");
	waitpid(fg, &status, 0);
	bg_alive = waitpid(bg, NULL, WNOHANG) == 0;
	printf("ttytest: sigint: loop status %d, other group %s\n", status,
	       bg_alive ? "alive" : "gone");
	kill(bg, SIGKILL);
	waitpid(bg, NULL, 0);
	tcsetpgrp(0, getpgrp());
	read_once("sigint", "after", buf, sizeof(buf));
}

int main(int argc, char *argv[])
{
	const char *what = argc > 1 ? argv[1] : "";

	if (tcgetattr(0, &saved) == 0)
		atexit(restore);
	if (strcmp(what, "attr") == 0)
		test_attr();
	else if (strcmp(what, "canon") == 0)
		test_canon();
	else if (strcmp(what, "echo") == 0)
		test_echo();
	else if (strcmp(what, "raw") == 0)
		test_raw();
	else if (strcmp(what, "sigint") == 0)
		test_sigint();
	else {
		fprintf(stderr, "usage: ttytest attr|canon|echo|raw|sigint\n");
		return 2;
	}
	printf("ttytest: done\n");
	return 0;
}
