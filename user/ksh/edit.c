/*
 * The line editor: reads a command line from the terminal in raw mode.
 *
 * While the user types, the terminal is in raw mode (termios without
 * ICANON, ECHO, ISIG, IEXTEN, ICRNL and IXON; XBD 11): every key reaches
 * the shell as it is pressed, and the shell echoes and edits the line
 * itself.  The terminal's own modes come back before the line is run, so
 * programs see the terminal as they expect it.
 *
 *   printable  insert at the cursor        Backspace, ^H  delete before it
 *   ^U         delete to the line's start  ^W   delete the word before it
 *   ^C         abandon the line            ^D   end of input on an empty
 *                                               line, else delete at cursor
 *   Up, ^P     the previous history line   Down, ^N   the next
 *   Left, ^B / Right, ^F  move             Home, ^A / End, ^E
 *   ^K         delete to the end           Enter (CR or LF)  accept
 *
 * Typing at the end of the line, the common case, echoes only the key (and
 * "\b \b" for a deletion), so a log of the terminal reads like the line;
 * other edits redraw it: CR, the prompt, the text, ESC [K (erase to the
 * end of the line) and ESC [nD to put the cursor back.
 *
 * Where the terminal has no termios (tcgetattr fails), the editor falls
 * back to reading a line as the terminal delivers it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "ksh.h"

#define EDIT_MAX    1024
#define HISTORY_MAX 100

#define KEY_CTRL(c) ((c)&0x1f)

static char *history[HISTORY_MAX];
static int nhistory;

struct edit {
	char buf[EDIT_MAX];
	size_t len, pos;
	const char *prompt;
	int hist;               /* the history line shown; nhistory: the new one */
	char scratch[EDIT_MAX]; /* the new line while history is shown */
};

static void out(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

static void outs(const char *s)
{
	out(s, strlen(s));
}

static void redraw(struct edit *e)
{
	char move[32];

	outs("\r");
	outs(e->prompt);
	out(e->buf, e->len);
	outs("\x1b[K");
	if (e->pos < e->len) {
		snprintf(move, sizeof(move), "\x1b[%zuD", e->len - e->pos);
		outs(move);
	}
}

static void insert(struct edit *e, char c)
{
	if (e->len + 1 >= EDIT_MAX)
		return;
	memmove(e->buf + e->pos + 1, e->buf + e->pos, e->len - e->pos);
	e->buf[e->pos++] = c;
	e->len++;
	if (e->pos == e->len)
		out(&c, 1);
	else
		redraw(e);
}

/* Delete the n bytes before the cursor. */
static void delete_back(struct edit *e, size_t n)
{
	bool at_end = e->pos == e->len;

	if (n > e->pos)
		n = e->pos;
	if (n == 0)
		return;
	memmove(e->buf + e->pos - n, e->buf + e->pos, e->len - e->pos);
	e->pos -= n;
	e->len -= n;
	if (!at_end) {
		redraw(e);
		return;
	}
	for (size_t i = 0; i < n; i++)
		outs("\b \b");
}

static size_t word_before(const struct edit *e)
{
	size_t i = e->pos;

	while (i > 0 && e->buf[i - 1] == ' ')
		i--;
	while (i > 0 && e->buf[i - 1] != ' ')
		i--;
	return e->pos - i;
}

static void show_history(struct edit *e, int to)
{
	const char *text;

	if (to < 0 || to > nhistory || to == e->hist)
		return;
	if (e->hist == nhistory) {
		memcpy(e->scratch, e->buf, e->len);
		e->scratch[e->len] = '\0';
	}
	e->hist = to;
	text = to == nhistory ? e->scratch : history[to];
	e->len = e->pos = strlen(text);
	memcpy(e->buf, text, e->len);
	redraw(e);
}

static void move_to(struct edit *e, size_t pos)
{
	if (pos > e->len)
		return;
	e->pos = pos;
	redraw(e);
}

/* An escape sequence: ESC [ A (up) and the like. */
static void escape(struct edit *e)
{
	char seq[3] = { 0 };

	if (read(STDIN_FILENO, &seq[0], 1) != 1 || read(STDIN_FILENO, &seq[1], 1) != 1)
		return;
	if (seq[0] != '[' && seq[0] != 'O')
		return;
	if (seq[1] >= '0' && seq[1] <= '9') {
		if (read(STDIN_FILENO, &seq[2], 1) != 1 || seq[2] != '~')
			return;
		if (seq[1] == '3' && e->pos < e->len) {
			e->pos++;
			delete_back(e, 1);
		} else if (seq[1] == '1' || seq[1] == '7') {
			move_to(e, 0);
		} else if (seq[1] == '4' || seq[1] == '8') {
			move_to(e, e->len);
		}
		return;
	}
	switch (seq[1]) {
	case 'A':
		show_history(e, e->hist - 1);
		break;
	case 'B':
		show_history(e, e->hist + 1);
		break;
	case 'C':
		move_to(e, e->pos + 1);
		break;
	case 'D':
		if (e->pos > 0)
			move_to(e, e->pos - 1);
		break;
	case 'H':
		move_to(e, 0);
		break;
	case 'F':
		move_to(e, e->len);
		break;
	}
}

enum key_result { KEY_MORE, KEY_ACCEPT, KEY_ABANDON, KEY_EOF };

static enum key_result key(struct edit *e, unsigned char c)
{
	switch (c) {
	case '\r':
	case '\n':
		return KEY_ACCEPT;
	case KEY_CTRL('C'):
		return KEY_ABANDON;
	case KEY_CTRL('D'):
		if (e->len == 0)
			return KEY_EOF;
		if (e->pos < e->len) {
			e->pos++;
			delete_back(e, 1);
		}
		break;
	case 0x7f:
	case KEY_CTRL('H'):
		delete_back(e, 1);
		break;
	case KEY_CTRL('U'):
		delete_back(e, e->pos);
		break;
	case KEY_CTRL('W'):
		delete_back(e, word_before(e));
		break;
	case KEY_CTRL('K'):
		e->len = e->pos;
		redraw(e);
		break;
	case KEY_CTRL('A'):
		move_to(e, 0);
		break;
	case KEY_CTRL('E'):
		move_to(e, e->len);
		break;
	case KEY_CTRL('B'):
		if (e->pos > 0)
			move_to(e, e->pos - 1);
		break;
	case KEY_CTRL('F'):
		move_to(e, e->pos + 1);
		break;
	case KEY_CTRL('P'):
		show_history(e, e->hist - 1);
		break;
	case KEY_CTRL('N'):
		show_history(e, e->hist + 1);
		break;
	case 0x1b:
		escape(e);
		break;
	default:
		if (c >= ' ' || c == '\t')
			insert(e, (char)c);
		break;
	}
	return KEY_MORE;
}

static char *read_raw(const char *prompt)
{
	static struct edit e;
	enum key_result r = KEY_MORE;
	unsigned char c;

	e.len = e.pos = 0;
	e.prompt = prompt;
	e.hist = nhistory;
	outs(prompt);
	while (r == KEY_MORE) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = e.len ? KEY_ACCEPT : KEY_EOF;
			break;
		}
		r = key(&e, c);
	}
	if (r == KEY_ABANDON)
		outs("^C");
	outs("\n");
	if (r == KEY_EOF)
		return NULL;
	if (r == KEY_ABANDON)
		e.len = 0;
	return strndup(e.buf, e.len);
}

/* A line as the terminal (or a file) delivers it, a byte at a time so
 * that what follows stays unread for the programs the line starts. */
static char *read_plain(const char *prompt)
{
	char buf[EDIT_MAX];
	size_t len = 0;
	char c;

	outs(prompt);
	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (len == 0)
				return NULL;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (len + 1 < sizeof(buf))
			buf[len++] = c;
	}
	return strndup(buf, len);
}

char *edit_readline(const char *prompt)
{
	struct termios orig, raw;
	char *line;

	fflush(stdout);
	if (tcgetattr(STDIN_FILENO, &orig) < 0)
		return read_plain(prompt);
	raw = orig;
	raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(ICRNL | INLCR | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
		return read_plain(prompt);
	line = read_raw(prompt);
	tcsetattr(STDIN_FILENO, TCSADRAIN, &orig);
	return line;
}

void edit_history_add(const char *line)
{
	if (!line[0] || (nhistory && strcmp(history[nhistory - 1], line) == 0))
		return;
	if (nhistory == HISTORY_MAX) {
		free(history[0]);
		memmove(history, history + 1, (HISTORY_MAX - 1) * sizeof(char *));
		nhistory--;
	}
	history[nhistory++] = strdup(line);
}
