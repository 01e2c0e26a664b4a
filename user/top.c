/*
 * top: the processes and the memory, full screen, refreshed every second
 * until 'q' or Ctrl-C.  `top -n N` stops after N refreshes (for tests),
 * `-d SECS` changes the delay.
 *
 * It draws in the console's x,y mode (<os/console.h>): each frame is built
 * in a grid of cells here and handed to the kernel whole; the kernel shows
 * only the cells that changed, on the screen and on serial.  The keys come
 * from the terminal in raw mode (no echo, no line editing, no signals:
 * Ctrl-C arrives as its byte, 3, whether or not top is in the terminal's
 * foreground group; a SIGINT from kill ends it cleanly too).  However top
 * ends, even killed, the kernel gives the terminal its screen back.
 *
 * Figures: /proc/meminfo (MemTotal, MemFree, Cached, Slab), /proc/uptime,
 * and for each /proc/PID its stat (Linux's layout: state, ppid, priority,
 * nice, rss) and cmdline.
 */
#include <dirent.h>
#include <fcntl.h>
#include <os/os.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xyterm.h"

#define MAX_PROCS 256

/* Colours (VGA palette). */
#define TEXT    OS_CELL(0, 7, 0) /* light grey on black */
#define TITLE   OS_CELL(0, 0, 7) /* black on light grey */
#define HEADING OS_CELL(0, 15, 1)
#define RUNNING OS_CELL(0, 10, 0)

struct proc_line {
	long pid, ppid, prio, nice, rss_kb;
	char state;
	char name[64];
};

static struct xyterm xt; /* the screen taken, the terminal's settings */
static unsigned short grid[OS_CONSOLE_MAX_ROWS][OS_CONSOLE_MAX_COLS];
static volatile sig_atomic_t quit;

static void top_on_sigint(int sig)
{
	(void)sig;
	quit = 1;
}

/* ---- the grid ------------------------------------------------------------ */

/* Text at (x, y) in colour attr (a cell with character 0), cut at the
 * right edge; returns the column after it. */
static int top_text(int x, int y, unsigned short attr, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *s = buf; *s && x < xt.info.cols; s++, x++)
		grid[y][x] = attr | (unsigned char)*s;
	return x;
}

/* A whole row of colour attr: the text, then blanks. */
static void top_row(int y, unsigned short attr, const char *text)
{
	int x = top_text(0, y, attr, "%s", text);

	while (x < xt.info.cols)
		grid[y][x++] = attr | ' ';
}

static void top_show(void)
{
	static struct os_cell cells[OS_CONSOLE_MAX_COLS * OS_CONSOLE_MAX_ROWS];
	size_t n = 0;

	for (int y = 0; y < xt.info.rows; y++)
		for (int x = 0; x < xt.info.cols; x++)
			cells[n++] = (struct os_cell){ x, y, grid[y][x] };
	os_console_put(cells, n);
	os_console_flush(NULL);
}

/* ---- /proc --------------------------------------------------------------- */

static ssize_t top_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* The kB figure of a /proc/meminfo field, or -1. */
static long top_meminfo(const char *text, const char *field)
{
	const char *at = strstr(text, field);

	return at ? atol(at + strlen(field)) : -1;
}

/* One process from /proc/PID/stat and cmdline; false if it is gone. */
static int top_proc(long pid, struct proc_line *p)
{
	char path[64], stat[1024], *close_paren, *f[24];
	int nf = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (top_read(path, stat, sizeof(stat)) <= 0 || !(close_paren = strrchr(stat, ')')))
		return 0;
	*close_paren = '\0';
	for (char *s = strtok(close_paren + 1, " \n"); s && nf < 24; s = strtok(NULL, " \n"))
		f[nf++] = s;
	if (nf < 22)
		return 0;
	/* f[0] is field 3 of stat(5): state; ppid 4, priority 18, nice 19,
	 * rss 24 (pages). */
	p->pid = pid;
	p->state = f[0][0];
	p->ppid = atol(f[1]);
	p->prio = atol(f[15]);
	p->nice = atol(f[16]);
	p->rss_kb = atol(f[21]) * 4;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	len = top_read(path, p->name, sizeof(p->name));
	for (ssize_t i = 0; i < len - 1; i++)
		if (p->name[i] == '\0')
			p->name[i] = ' ';
	if (len <= 0)
		snprintf(p->name, sizeof(p->name), "[%s]", strchr(stat, '(') + 1);
	return 1;
}

static int top_by_pid(const void *a, const void *b)
{
	const struct proc_line *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int top_procs(struct proc_line *procs)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_PROCS)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n += top_proc(atol(e->d_name), &procs[n]);
	closedir(d);
	qsort(procs, n, sizeof(*procs), top_by_pid);
	return n;
}

/* ---- a frame ------------------------------------------------------------- */

static void top_frame(int frame, int frames)
{
	static struct proc_line procs[MAX_PROCS];
	char mem[1024], up[64], line[256];
	int n = top_procs(procs);

	for (int y = 0; y < xt.info.rows; y++)
		top_row(y, TEXT, "");
	top_read("/proc/meminfo", mem, sizeof(mem));
	top_read("/proc/uptime", up, sizeof(up));
	snprintf(line, sizeof(line), "top - up %.2f s, %d processes", atof(up), n);
	top_row(0, TITLE, line);
	top_text(0, 1, TEXT, "Mem: %ld kB total, %ld kB free, %ld kB cached, %ld kB slab",
		 top_meminfo(mem, "MemTotal:"), top_meminfo(mem, "MemFree:"),
		 top_meminfo(mem, "Cached:"), top_meminfo(mem, "Slab:"));
	if (frames > 0)
		top_text(0, 2, TEXT, "refresh %d of %d", frame, frames);
	else
		top_text(0, 2, TEXT, "refresh %d; q or Ctrl-C quits", frame);
	top_row(4, HEADING, "  PID  PPID S PRI  NI     RSS COMMAND");
	for (int i = 0; i < n && 5 + i < xt.info.rows; i++) {
		struct proc_line *p = &procs[i];
		int y = 5 + i;

		top_text(0, y, TEXT, "%5ld %5ld ", p->pid, p->ppid);
		top_text(12, y, p->state == 'R' ? RUNNING : TEXT, "%c", p->state);
		top_text(13, y, TEXT, " %3ld %3ld %7ld %s", p->prio, p->nice, p->rss_kb, p->name);
	}
	top_show();
}

/* Wait up to ms for a key: 'q' or Ctrl-C ends top. */
static void top_wait(int ms)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, ms) > 0 && read(0, &c, 1) == 1 && (c == 'q' || c == 'Q' || c == 3))
		quit = 1;
}

int main(int argc, char **argv)
{
	int frames = 0, delay = 1000, opt;

	while ((opt = getopt(argc, argv, "n:d:")) != -1) {
		if (opt == 'n')
			frames = atoi(optarg);
		else if (opt == 'd')
			delay = (int)(atof(optarg) * 1000);
		else {
			fprintf(stderr, "usage: top [-n refreshes] [-d seconds]\n");
			return 2;
		}
	}
	if (xyterm_begin(&xt, "top") != 0)
		return 1;
	signal(SIGINT, top_on_sigint);
	for (int frame = 1; !quit; frame++) {
		top_frame(frame, frames);
		if (frames > 0 && frame >= frames)
			break;
		top_wait(delay);
	}
	xyterm_end(&xt);
	return 0;
}
