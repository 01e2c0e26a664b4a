/*
 * xyterm.h: what the full-screen programs (top, snake) do around x,y mode:
 * take the screen (<os/console.h>), put the terminal in raw mode (no echo,
 * no line editing, Ctrl-C read as a key: a program the kernel started has
 * no foreground group for SIGINT to reach), and at the end undo both.
 * Include it from user/NAME.c with #include "xyterm.h".
 */
#ifndef USER_XYTERM_H
#define USER_XYTERM_H

#include <errno.h>
#include <os/os.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

struct xyterm {
	struct os_console_info info; /* the grid's size */
	struct termios saved;        /* the terminal's settings before */
	bool tty;                    /* standard input is a terminal */
};

/* Take the screen and make standard input raw; 0, or -1 after saying why. */
static inline int xyterm_begin(struct xyterm *xt, const char *prog)
{
	struct termios raw;

	if (os_console_info(&xt->info) != 0 || os_console_take() != 0) {
		fprintf(stderr, "%s: cannot take the console: %s\n", prog, strerror(errno));
		return -1;
	}
	xt->tty = tcgetattr(0, &xt->saved) == 0;
	if (xt->tty) {
		raw = xt->saved;
		raw.c_lflag &= ~(ICANON | ECHO | ISIG);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	return 0;
}

/* The terminal's settings back, and the screen to the terminal. */
static inline void xyterm_end(struct xyterm *xt)
{
	if (xt->tty)
		tcsetattr(0, TCSANOW, &xt->saved);
	os_console_release();
}

#endif
