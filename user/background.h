/*
 * background.h: `--background` for a server or driver that init waits for
 * (an inittab `wait` entry), shared by fatfs and usbkbd.
 *
 * background_start forks: the child returns 0 and goes on with its work;
 * the parent stays to wait for a byte on a pipe, which the child sends with
 * background_ready once it is of use (mounted, enumerated), and then exits
 * 0, or for the child's end, and then exits with the child's status (1 if
 * it was killed).  So init's `wait` lasts until the service is there or has
 * failed.  The pipe is close-on-exec: a program the child starts (fatfs's
 * block driver) does not hold it open.  -1 (errno set) if the pipe or the
 * fork failed.  A program in a folder of its own (user/fatfs/) includes it
 * as "../background.h".
 */
#ifndef USER_BACKGROUND_H
#define USER_BACKGROUND_H

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static int background_fd = -1; /* the child's end of the pipe, until it is ready */

static inline int background_start(void)
{
	int fds[2], status;
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		background_fd = fds[1];
		return 0;
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) == 1)
		_exit(0);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(1);
}

/* Tell the waiting parent, once (nothing without --background): 0, or -1
 * with errno if the byte could not be written. */
static inline int background_ready(void)
{
	int ok = 1;

	if (background_fd < 0)
		return 0;
	ok = write(background_fd, "", 1) == 1;
	close(background_fd);
	background_fd = -1;
	return ok ? 0 : -1;
}

#endif
