/*
 * The terminal: the line discipline between the console's input and the
 * programs that read /dev/console and /dev/tty (drivers/tty.c).
 *
 * One terminal, the console, set up as Linux's termios(3) describes, with
 * Linux's defaults: canonical mode (a read gets a line once Enter ends it,
 * edited with VERASE, VKILL, VWERASE; VEOF ends the input), echo, CR read
 * as NL (ICRNL), NL written as CR NL (OPOST | ONLCR), and ISIG: VINTR
 * (Ctrl-C) sends SIGINT to the foreground process group, VQUIT (Ctrl-\)
 * SIGQUIT, VSUSP (Ctrl-Z) SIGTSTP.  Raw mode (ICANON off) hands out bytes
 * as VMIN and VTIME say.  The ioctls are Linux's: TCGETS/TCSETS[WF] with
 * the kernel's struct termios, TIOC[GS]PGRP, TIOCSCTTY, TIOCGSID,
 * TIOC[GS]WINSZ, FIONREAD, TCFLSH.
 *
 * Input comes from the console (console.c) one byte at a time through
 * tty_receive, in thread context: the console's executor task, or a reader
 * pulling input itself while there is no executor.
 */
#ifndef DRIVERS_TTY_H
#define DRIVERS_TTY_H

#include <types.h>
#include "mm/usercopy.h" /* uptr_t */

struct poll_table;
struct vbuf;

/* A byte received from the keyboard (the serial line).  Thread context,
 * never an interrupt handler: it echoes and may send signals. */
void tty_receive(char c);

/*
 * read(2) of the terminal: at most count bytes into buf, waiting as the
 * mode says (nonblock: -EAGAIN instead).  Bytes read, 0 at end of input
 * (VEOF at the start of a line), -EINTR if a signal came first, -EFAULT.
 * Kernel threads may read too (the monitor, console_readline).
 */
int64_t tty_read(const struct vbuf *buf, size_t count, bool nonblock);
/* write(2): count bytes from buf to the screen, with output processing. */
int64_t tty_write(const struct vbuf *buf, size_t count);
/* ioctl(2): the terminal's requests (see above); -ENOTTY for others. */
int64_t tty_ioctl(unsigned long request, uptr_t arg);
/* poll(2): POLLIN once a read would not wait (a line in canonical mode,
 * VMIN bytes in raw mode), POLLOUT always (writes never wait); pt
 * registers the caller for input (fs/poll.h). */
unsigned tty_poll(struct poll_table *pt);
/* An open file of the terminal is made, or its last reference goes: with
 * the last one the settings return to their defaults and the terminal
 * forgets its foreground group and session. */
void tty_open(void);
void tty_close(void);

/* The screen in use has cols x rows cells: what TIOCGWINSZ reports,
 * unless a program has set the size itself (TIOCSWINSZ). */
void tty_set_screen_size(int cols, int rows);

#endif
