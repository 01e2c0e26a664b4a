/*
 * The console's terminal line discipline (see tty.h), after Linux's n_tty.
 *
 * State: the settings (struct termios, the kernel ABI of Linux x86_64,
 * which musl's tcgetattr/tcsetattr pass straight to TCGETS/TCSETS), the
 * window size, the foreground process group and the session, and input:
 *
 *   edit[0..len)   the line being typed (canonical mode only)
 *   queue          a ring of TTY_QUEUE bytes that readers take: finished
 *                  lines in canonical mode, every byte in raw mode
 *   line_end[]     where each finished line ends in the queue (head
 *                  counts of the ring, free-running), oldest first; a
 *                  line ended by VEOF has no terminator, and an empty one
 *                  is end of input: read returns 0 and consumes it
 *
 * tty_receive handles one byte: input flags (ISTRIP, IGNCR, ICRNL, INLCR),
 * then ISIG's characters (a signal to the foreground group, the input
 * flushed unless NOFLSH, "^C" echoed), then in canonical mode the editing
 * characters and the line ends, in raw mode the queue.  Echo follows
 * ECHO, ECHOE, ECHOK, ECHOKE, ECHONL and ECHOCTL (control characters
 * shown as ^X) as Linux does.
 *
 * The foreground group.  TIOCSPGRP sets it; until then, or once its group
 * has no process left, the first process that reads the terminal or asks
 * for it (TIOCGPGRP, TIOCSCTTY) takes it for its own group, so a program
 * the kernel started gets Ctrl-C without a shell.  A program that only
 * writes (the FAT server's messages) never takes it.
 *
 * Locking: one CPU; the state changes with interrupts off (tty_receive
 * runs whole that way, it is short), and bytes go to and from user memory
 * through a kernel buffer with interrupts on.
 */
#include "drivers/tty.h"
#include <errno.h>
#include "drivers/console.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/wait.h"
#include "arch/x86_64/timer.h"
#include "proc/proc.h"
#include "proc/signal.h"

/* ---- Linux's termios (include/uapi/asm-generic/termbits.h) ----------- */

#define NCCS 19
struct termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[NCCS];
};

#define VINTR    0
#define VQUIT    1
#define VERASE   2
#define VKILL    3
#define VEOF     4
#define VTIME    5
#define VMIN     6
#define VSUSP    10
#define VEOL     11
#define VREPRINT 12
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16

#define ISTRIP 0000040
#define INLCR  0000100
#define IGNCR  0000200
#define ICRNL  0000400
#define IXON   0002000

#define OPOST 0000001
#define ONLCR 0000004

#define B38400 0000017
#define CS8    0000060
#define CREAD  0000200
#define HUPCL  0002000

#define ISIG    0000001
#define ICANON  0000002
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHONL  0000100
#define NOFLSH  0000200
#define ECHOCTL 0001000
#define ECHOKE  0004000
#define IEXTEN  0100000

#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCSBRK     0x5409
#define TCXONC     0x540a
#define TCFLSH     0x540b
#define TIOCSCTTY  0x540e
#define TIOCGPGRP  0x540f
#define TIOCSPGRP  0x5410
#define TIOCOUTQ   0x5411
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541b
#define TIOCNOTTY  0x5422
#define TIOCGSID   0x5429

#define TCIFLUSH  0
#define TCIOFLUSH 2

#define SIGINT   2
#define SIGQUIT  3
#define SIGTSTP  20
#define SIGWINCH 28

struct winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* Linux's defaults (drivers/tty/tty_io.c tty_std_termios, INIT_C_CC). */
static const struct termios tty_default = {
	.c_iflag = ICRNL | IXON,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B38400 | CS8 | CREAD | HUPCL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.c_cc = "\003\034\177\025\004\0\1\0\021\023\032\0\022\017\027\026\0",
};

/* ---- the terminal -------------------------------------------------------- */

#define TTY_QUEUE    4096 /* bytes waiting for readers (Linux's N_TTY_BUF_SIZE) */
#define TTY_LINE_MAX 1024 /* a line being edited; longer input is dropped */
#define TTY_LINES    64   /* finished lines waiting */
#define TTY_CHUNK    256  /* bytes a read moves at once */

#define TTY_TIMED_OUT 1 /* tty_wait's deadline came */

static struct {
	struct termios tio;
	struct winsize ws;
	bool ws_set;   /* by TIOCSWINSZ: the screen's size no longer counts */
	int pgrp, sid; /* foreground group, session (0: none) */
	int opens;     /* open files */
	char edit[TTY_LINE_MAX];
	unsigned len;
	char queue[TTY_QUEUE];
	uint64_t head, tail; /* bytes queued, bytes read */
	uint64_t line_end[TTY_LINES];
	unsigned lines_head, lines_tail; /* finished lines queued, taken */
	struct waitq read_wait;
} tty = {
	.tio = tty_default,
	.ws = { .ws_row = 25, .ws_col = 80 },
	.read_wait = WAITQ_INIT("tty read"),
};

static bool lflag(uint32_t f)
{
	return (tty.tio.c_lflag & f) != 0;
}

/* ---- echo ------------------------------------------------------------------ */

static void echo_raw(const char *s, size_t n)
{
	console_write(s, n);
}

/* Is c echoed as ^X (two columns)? */
static bool echo_is_ctl(char c)
{
	return lflag(ECHOCTL) && ((unsigned char)c < ' ' || c == 0x7f) && c != '\t' && c != '\n';
}

static void echo_char(char c)
{
	if (echo_is_ctl(c)) {
		char two[2] = { '^', c == 0x7f ? '?' : (char)(c + '@') };

		echo_raw(two, 2);
	} else {
		echo_raw(&c, 1);
	}
}

/* Take the last character off the line being edited, and off the screen. */
static void erase_one(void)
{
	char c = tty.edit[--tty.len];

	if (!lflag(ECHO))
		return;
	if (!lflag(ECHOE)) {
		echo_char(tty.tio.c_cc[VERASE]);
		return;
	}
	for (int cols = echo_is_ctl(c) ? 2 : 1; cols > 0; cols--)
		echo_raw("\b \b", 3);
}

/* ---- input ------------------------------------------------------------------ */

static unsigned queue_room(void)
{
	return TTY_QUEUE - (unsigned)(tty.head - tty.tail);
}

static void queue_put(char c)
{
	tty.queue[tty.head++ % TTY_QUEUE] = c;
}

/* Throw away what was typed and not read (VINTR, TCSETSF, TCFLSH). */
static void input_flush(void)
{
	tty.len = 0;
	tty.tail = tty.head;
	tty.lines_tail = tty.lines_head;
}

/* The line being edited is finished (by eol, or by VEOF if eol is -1). */
static void line_finish(int eol)
{
	unsigned need = tty.len + (eol >= 0);

	if (queue_room() >= need && tty.lines_head - tty.lines_tail < TTY_LINES) {
		for (unsigned i = 0; i < tty.len; i++)
			queue_put(tty.edit[i]);
		if (eol >= 0)
			queue_put((char)eol);
		tty.line_end[tty.lines_head++ % TTY_LINES] = tty.head;
	}
	tty.len = 0;
	wait_wake_all(&tty.read_wait);
}

/* VINTR, VQUIT, VSUSP: the signal for c, or 0. */
static int isig_signal(char c)
{
	const uint8_t *cc = tty.tio.c_cc;

	if (!lflag(ISIG) || c == 0)
		return 0;
	if (c == (char)cc[VINTR])
		return SIGINT;
	if (c == (char)cc[VQUIT])
		return SIGQUIT;
	if (c == (char)cc[VSUSP])
		return SIGTSTP;
	return 0;
}

static bool is_word_char(char c)
{
	return c != ' ' && c != '\t';
}

/* Canonical mode: edit the line with c, or finish it. */
static void canon_receive(char c)
{
	const uint8_t *cc = tty.tio.c_cc;

	if (c == (char)cc[VERASE] && c) {
		if (tty.len > 0)
			erase_one();
	} else if (c == (char)cc[VKILL] && c) {
		if (tty.len == 0)
			return;
		if (lflag(ECHO) && !(lflag(ECHOK) && lflag(ECHOKE) && lflag(ECHOE))) {
			tty.len = 0;
			echo_char(c);
			if (lflag(ECHOK))
				echo_raw("\n", 1);
			return;
		}
		while (tty.len > 0)
			erase_one();
	} else if (c == (char)cc[VWERASE] && c && lflag(IEXTEN)) {
		while (tty.len > 0 && !is_word_char(tty.edit[tty.len - 1]))
			erase_one();
		while (tty.len > 0 && is_word_char(tty.edit[tty.len - 1]))
			erase_one();
	} else if (c == (char)cc[VEOF] && c) {
		line_finish(-1);
	} else if (c == '\n' || (c && (c == (char)cc[VEOL] || c == (char)cc[VEOL2]))) {
		if (lflag(ECHO) || lflag(ECHONL))
			echo_char(c);
		line_finish((unsigned char)c);
	} else if (tty.len < TTY_LINE_MAX) {
		tty.edit[tty.len++] = c;
		if (lflag(ECHO))
			echo_char(c);
	}
}

static void receive(char c)
{
	uint32_t iflag = tty.tio.c_iflag;
	int sig;

	if (iflag & ISTRIP)
		c &= 0x7f;
	if (c == '\r') {
		if (iflag & IGNCR)
			return;
		if (iflag & ICRNL)
			c = '\n';
	} else if (c == '\n' && (iflag & INLCR)) {
		c = '\r';
	}
	sig = isig_signal(c);
	if (sig) {
		if (!lflag(NOFLSH))
			input_flush();
		if (lflag(ECHO))
			echo_char(c);
		if (tty.pgrp > 0 && signal_send_group(tty.pgrp, sig) == -ESRCH)
			tty.pgrp = 0; /* nobody left in it */
		return;
	}
	if (lflag(ICANON)) {
		canon_receive(c);
		return;
	}
	if (queue_room() > 0)
		queue_put(c);
	if (lflag(ECHO) || (c == '\n' && lflag(ECHONL)))
		echo_char(c);
	wait_wake_all(&tty.read_wait);
}

void tty_receive(char c)
{
	uint64_t flags = irq_save();

	receive(c);
	irq_restore(flags);
}

/* ---- the foreground group ------------------------------------------------------ */

/* Is some live process in group pgid? */
static bool group_alive(int pgid)
{
	int pids[256];
	int n = proc_list_pids(pids, (int)ARRAY_SIZE(pids));

	for (int i = 0; i < n; i++) {
		struct proc *p = proc_find(pids[i]);

		if (p && p->pgid == pgid && p->state == PROC_RUNNING)
			return true;
	}
	return false;
}

/* The current process wants the terminal: with no foreground group (or a
 * dead one) its group becomes it. */
static void tty_adopt(void)
{
	struct proc *self = proc_current();

	if (!self || self->pgid == tty.pgrp)
		return;
	if (tty.pgrp == 0 || !group_alive(tty.pgrp))
		tty.pgrp = self->pgid;
}

/* ---- reading ------------------------------------------------------------------- */

/* Without the console's task nobody feeds input in: take it from the
 * console ourselves (early boot, a handout without a scheduler). */
static void pull_input(void)
{
	if (!console_task_running())
		tty_receive((char)console_getc());
}

/*
 * Sleep until ready(want) or the deadline (a tick; 0: none): 0, -EINTR if
 * a signal is pending, TTY_TIMED_OUT (not an error: a read with VTIME then
 * returns what there is) at the deadline.  Called with interrupts
 * off, flags what they were before.
 */
static int tty_wait(bool (*ready)(size_t), size_t want, uint64_t deadline, uint64_t flags)
{
	while (!ready(want)) {
		if (wait_interrupted())
			return -EINTR;
		if (!console_task_running()) {
			irq_restore(flags);
			pull_input();
			irq_save();
		} else if (deadline) {
			if (!wait_sleep_until(&tty.read_wait, deadline))
				return TTY_TIMED_OUT;
		} else {
			wait_sleep(&tty.read_wait);
		}
	}
	return 0;
}

static bool line_ready(size_t want)
{
	(void)want;
	return tty.lines_head != tty.lines_tail;
}

static bool bytes_ready(size_t want)
{
	return tty.head - tty.tail >= want;
}

/* Take at most n bytes of the queue into out: how many.  In canonical
 * mode only up to the first line's end; *line_done says it was reached
 * (and the line is gone).  Interrupts off. */
static size_t queue_take(char *out, size_t n, bool canon, bool *line_done)
{
	uint64_t end = tty.head;
	size_t k;

	if (canon && tty.lines_head != tty.lines_tail)
		end = tty.line_end[tty.lines_tail % TTY_LINES];
	k = MIN(n, (size_t)(end - tty.tail));
	for (size_t i = 0; i < k; i++)
		out[i] = tty.queue[tty.tail++ % TTY_QUEUE];
	*line_done = canon && tty.tail == end && tty.lines_head != tty.lines_tail;
	if (*line_done)
		tty.lines_tail++;
	return k;
}

/* Wait as the mode says: canonical for a line, raw as VMIN and VTIME. */
static int read_wait(size_t count, bool nonblock, bool canon, uint64_t flags)
{
	unsigned vmin = tty.tio.c_cc[VMIN], vtime = tty.tio.c_cc[VTIME];
	uint64_t ticks = (uint64_t)vtime * TIMER_HZ / 10;
	int err;

	if (canon)
		return nonblock && !line_ready(0) ? -EAGAIN : tty_wait(line_ready, 0, 0, flags);
	if (nonblock)
		return bytes_ready(1) ? 0 : -EAGAIN;
	if (vmin == 0) {
		err = vtime ? tty_wait(bytes_ready, 1, timer_ticks() + ticks, flags) : 0;
		return err == TTY_TIMED_OUT ? 0 : err;
	}
	/* VMIN > 0: the first byte may take forever; with VTIME, each next
	 * one at most VTIME tenths of a second. */
	err = tty_wait(bytes_ready, 1, 0, flags);
	while (!err && !bytes_ready(MIN(vmin, count))) {
		size_t more = (size_t)(tty.head - tty.tail) + 1;

		err = tty_wait(bytes_ready, more, vtime ? timer_ticks() + ticks : 0, flags);
	}
	return err == TTY_TIMED_OUT ? 0 : err;
}

int64_t tty_read(const struct vbuf *buf, size_t count, bool nonblock)
{
	char chunk[TTY_CHUNK];
	size_t done = 0;
	uint64_t flags = irq_save();
	bool canon = lflag(ICANON), line_done = false;
	int err;

	tty_adopt();
	err = read_wait(count, nonblock, canon, flags);
	while (!err && done < count && !line_done) {
		size_t k = queue_take(chunk, MIN(count - done, sizeof(chunk)), canon, &line_done);

		if (k == 0)
			break;
		irq_restore(flags);
		if (vbuf_to(buf, done, chunk, k) != 0)
			return done ? (int64_t)done : -EFAULT; /* those bytes are lost */
		done += k;
		flags = irq_save();
	}
	irq_restore(flags);
	return err ? err : (int64_t)done;
}

/* ---- writing -------------------------------------------------------------------- */

int64_t tty_write(const struct vbuf *buf, size_t count)
{
	char chunk[TTY_CHUNK];
	bool onlcr = (tty.tio.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
	size_t done = 0;

	while (done < count) {
		size_t n = MIN(count - done, sizeof(chunk));

		if (vbuf_from(buf, done, chunk, n) != 0)
			return done ? (int64_t)done : -EFAULT;
		if (onlcr)
			console_write(chunk, n);
		else
			console_write_raw(chunk, n);
		done += n;
	}
	return (int64_t)done;
}

/* ---- ioctl ---------------------------------------------------------------------- */

/* New settings: leaving canonical mode hands the line being edited to
 * readers as it is. */
static void tty_set(const struct termios *t)
{
	uint64_t flags = irq_save();
	bool was_canon = lflag(ICANON);

	tty.tio = *t;
	if (was_canon && !lflag(ICANON)) {
		for (unsigned i = 0; i < tty.len && queue_room() > 0; i++)
			queue_put(tty.edit[i]);
		tty.len = 0;
		tty.lines_tail = tty.lines_head;
	}
	irq_restore(flags);
	wait_wake_all(&tty.read_wait);
}

static int64_t put_int(uptr_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static int64_t tty_set_pgrp(uptr_t arg)
{
	int pgid;

	if (copy_from_user(&pgid, arg, sizeof(pgid)) != 0)
		return -EFAULT;
	if (pgid < 0)
		return -EINVAL;
	if (!group_alive(pgid))
		return -EPERM;
	tty.pgrp = pgid;
	return 0;
}

static int64_t tty_set_winsize(uptr_t arg)
{
	struct winsize ws;

	if (copy_from_user(&ws, arg, sizeof(ws)) != 0)
		return -EFAULT;
	tty.ws_set = true;
	if (memcmp(&ws, &tty.ws, sizeof(ws)) == 0)
		return 0;
	tty.ws = ws;
	if (tty.pgrp > 0)
		signal_send_group(tty.pgrp, SIGWINCH);
	return 0;
}

/* The number of bytes a read could take now. */
static int tty_readable(void)
{
	uint64_t end = tty.head;

	if (lflag(ICANON))
		end = tty.lines_head != tty.lines_tail
			      ? tty.line_end[(tty.lines_head - 1) % TTY_LINES]
			      : tty.tail;
	return (int)(end - tty.tail);
}

unsigned tty_poll(struct poll_table *pt)
{
	unsigned vmin = tty.tio.c_cc[VMIN], mask = POLLOUT | POLLWRNORM;
	uint64_t flags = irq_save();
	bool ready;

	poll_wait(pt, &tty.read_wait);
	/* Raw mode with VMIN and no VTIME: a read waits for VMIN bytes (as
	 * Linux's n_tty_poll); with VTIME, for the first. */
	if (lflag(ICANON))
		ready = line_ready(0);
	else
		ready = bytes_ready(vmin && !tty.tio.c_cc[VTIME] ? vmin : 1);
	irq_restore(flags);
	return mask | (ready ? POLLIN | POLLRDNORM : 0);
}

int64_t tty_ioctl(unsigned long request, uptr_t arg)
{
	struct proc *self = proc_current();
	struct termios t;

	switch (request) {
	case TCGETS:
		return copy_to_user(arg, &tty.tio, sizeof(tty.tio)) ? -EFAULT : 0;
	case TCSETS:
	case TCSETSW: /* output is never queued: it has drained */
	case TCSETSF:
		if (copy_from_user(&t, arg, sizeof(t)) != 0)
			return -EFAULT;
		if (request == TCSETSF)
			tty_ioctl(TCFLSH, TCIFLUSH);
		tty_set(&t);
		return 0;
	case TCFLSH:
		if (arg > TCIOFLUSH)
			return -EINVAL;
		if (arg != 1) { /* TCIFLUSH or TCIOFLUSH */
			uint64_t flags = irq_save();

			input_flush();
			irq_restore(flags);
		}
		return 0;
	case TCSBRK:
	case TCXONC:
	case TIOCNOTTY:
		return 0;
	case TIOCOUTQ:
		return put_int(arg, 0);
	case FIONREAD:
		return put_int(arg, tty_readable());
	case TIOCGWINSZ:
		/* musl's stdout is line-buffered only if this succeeds. */
		return copy_to_user(arg, &tty.ws, sizeof(tty.ws)) ? -EFAULT : 0;
	case TIOCSWINSZ:
		return tty_set_winsize(arg);
	case TIOCGPGRP:
		tty_adopt();
		return put_int(arg, tty.pgrp);
	case TIOCSPGRP:
		return tty_set_pgrp(arg);
	case TIOCSCTTY:
		if (self) {
			tty.sid = self->sid;
			tty.pgrp = self->pgid;
		}
		return 0;
	case TIOCGSID:
		return tty.sid ? put_int(arg, tty.sid) : -ENOTTY;
	default:
		return -ENOTTY;
	}
}

void tty_set_screen_size(int cols, int rows)
{
	if (tty.ws_set)
		return;
	tty.ws.ws_col = cols;
	tty.ws.ws_row = rows;
}

/* ---- open files ------------------------------------------------------------------ */

void tty_open(void)
{
	uint64_t flags = irq_save();

	tty.opens++;
	irq_restore(flags);
}

void tty_close(void)
{
	uint64_t flags = irq_save();

	if (--tty.opens == 0) {
		tty.tio = tty_default;
		tty.pgrp = tty.sid = 0;
	}
	irq_restore(flags);
}
