/*
 * fifo.c: FIFOs (fifo(7)).  reader and writer meet through FIFO_RW from
 * two processes neither of which forked the other; open checks Linux's
 * rules for opening one end (who waits, ENXIO, O_RDWR), the pipe behind it
 * (end of file, EAGAIN, EPIPE, capacity, POLLHUP only once a writer came,
 * the data gone with the last close) and a signal ending a blocked open;
 * mknod checks mknod(2) and mknodat(2) of each file type.
 */
#define _GNU_SOURCE
#include "fifotest.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[PIPE_CAP + CHUNK_MAX];

/* The FIFO both sides make: one of them finds it there (EEXIST). */
static int fifo_meet(const char *who)
{
	struct stat st;

	if (mkfifo(FIFO_RW, 0600) != 0 && errno != EEXIST) {
		check(who, "mkfifo " FIFO_RW, err_of(-1));
		return -1;
	}
	if (stat(FIFO_RW, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		check(who, "mkfifo " FIFO_RW, "not a FIFO");
		return -1;
	}
	return 0;
}

void test_writer(uint32_t seed)
{
	uint32_t s = seed, sizes = 7;
	size_t left = DATA_BYTES;
	int fd;

	if (fifo_meet("writer") != 0)
		return;
	fd = open(FIFO_RW, O_WRONLY); /* waits for the reader */
	fact("writer", "pid %d ppid %d", (int)getpid(), (int)getppid());
	if (fd < 0)
		return check("writer", "open O_WRONLY", err_of(fd));
	while (left > 0) {
		size_t n = 1 + xorshift32(&sizes) % CHUNK_MAX;

		n = n < left ? n : left;
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)xorshift32(&s);
		if (write_all(fd, buf, n) != 0)
			break;
		left -= n;
	}
	close(fd);
	fact("writer", "%d bytes sent", (int)(DATA_BYTES - left));
	check("writer", "every byte written", left ? "a write failed" : NULL);
}

void test_reader(uint32_t seed)
{
	uint32_t s = seed, sizes = 11, crc = 0;
	size_t total = 0, wrong = 0;
	struct stat st;
	ssize_t n;
	int fd;

	if (fifo_meet("reader") != 0)
		return;
	fd = open(FIFO_RW, O_RDONLY); /* waits for the writer */
	fact("reader", "pid %d ppid %d", (int)getpid(), (int)getppid());
	if (fd < 0)
		return check("reader", "open O_RDONLY", err_of(fd));
	check_val("reader", "fstat of the open FIFO", "S_IFIFO",
		  fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) ? "S_IFIFO" : "other");
	check_val("reader", "lseek", "ESPIPE", err_of(lseek(fd, 0, SEEK_SET)));
	while ((n = read(fd, buf, 1 + xorshift32(&sizes) % CHUNK_MAX)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			wrong += buf[i] != (char)xorshift32(&s);
		crc = crc32_update(crc, buf, (size_t)n);
		total += (size_t)n;
	}
	fact("reader", "%zu bytes crc32 %08x", total, crc);
	check_val("reader", "the last read (end of file)", "0", err_of(n));
	check("reader", "the bytes are the writer's stream", wrong ? "different bytes" : NULL);
	close(fd);
	check_val("reader", "unlink " FIFO_RW, "0", err_of(unlink(FIFO_RW)));
}

/* A fresh FIFO at /tmp/fifotest-NAME. */
static const char *fifo_new(const char *name)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/fifotest-%s", name);
	unlink(path);
	if (mkfifo(path, 0600) != 0)
		check("open", "mkfifo", err_of(-1));
	return path;
}

/* Poll fd alone for ev, without waiting: its revents. */
static short poll_now(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };

	return poll(&p, 1, 0) < 0 ? (short)-1 : p.revents;
}

/* The ends without waiting: ENXIO, EOF and EAGAIN, POLLHUP, capacity. */
static void open_nonblock(const char *path)
{
	int r, w, n, cap = 0;

	check_val("open", "O_WRONLY|O_NONBLOCK with no reader", "ENXIO",
		  err_of(open(path, O_WRONLY | O_NONBLOCK)));
	r = open(path, O_RDONLY | O_NONBLOCK);
	check_val("open", "O_RDONLY|O_NONBLOCK with no writer", "0", err_of(r));
	check_val("open", "poll of it before any writer came", "0", events(poll_now(r, POLLIN)));
	check_val("open", "read with no writer (end of file)", "0", err_of(read(r, buf, 1)));
	w = open(path, O_WRONLY | O_NONBLOCK);
	check_val("open", "O_WRONLY|O_NONBLOCK with a reader", "0", err_of(w));
	check_val("open", "read of an empty FIFO with a writer", "EAGAIN", err_of(read(r, buf, 1)));
	check_val("open", "write 3 bytes", "3", num(write(w, "abc", 3)));
	check_val("open", "poll with bytes waiting", "POLLIN", events(poll_now(r, POLLIN)));
	n = (int)read(r, buf, sizeof(buf));
	check_val("open", "read them", "abc", n == 3 ? (buf[3] = 0, buf) : num(n));
	close(w);
	check_val("open", "poll once the writer closed", "POLLHUP", events(poll_now(r, POLLIN)));
	w = open(path, O_WRONLY | O_NONBLOCK);
	while ((n = (int)write(w, buf, 4096)) > 0)
		cap += n;
	fact("open", "capacity %d", cap);
	check_val("open", "a write to a full FIFO", "EAGAIN", err_of(n));
	check_val("open", "poll of the full FIFO's writer", "0", events(poll_now(w, POLLOUT)));
	n = (int)read(r, buf, 4096);
	check_val("open", "poll after a page was read", "POLLOUT", events(poll_now(w, POLLOUT)));
	close(r);
	signal(SIGPIPE, SIG_IGN);
	check_val("open", "a write with no reader left", "EPIPE", err_of(write(w, "x", 1)));
	signal(SIGPIPE, SIG_DFL);
	check_val("open", "poll of a writer with no reader", "POLLOUT|POLLERR",
		  events(poll_now(w, POLLOUT)));
	close(w);
}

/* O_RDWR never waits, and what is in a FIFO goes with its last close. */
static void open_rdwr(const char *path)
{
	int rw = open(path, O_RDWR);

	check_val("open", "O_RDWR with nobody else", "0", err_of(rw));
	check_val("open", "O_RDWR writes", "3", num(write(rw, "xyz", 3)));
	close(rw);
	rw = open(path, O_RDWR | O_NONBLOCK);
	check_val("open", "read after the last close and a new open", "EAGAIN",
		  err_of(read(rw, buf, 3)));
	check_val("open", "O_RDWR reads its own write", "1",
		  num(write(rw, "q", 1) == 1 ? read(rw, buf, 3) : -1));
	check_val("open", "unlink while open", "0", err_of(unlink(path)));
	check_val("open", "an unlinked FIFO still carries bytes", "1",
		  num(write(rw, "u", 1) == 1 ? read(rw, buf, 3) : -1));
	close(rw);
}

/* A blocking open of one end waits until the other is opened (by a child
 * that first sees this process asleep in it). */
static void open_waits(const char *path, int my_mode, const char *what)
{
	volatile int *opened = shared_page();
	pid_t parent = getpid(), pid = fork();
	int fd, status;
	char c = 0;

	if (pid == 0) {
		int asleep = wait_asleep(parent) == 0; /* if not: fail, but free the parent */

		*opened = 1;
		fd = open(path, my_mode == O_RDONLY ? O_WRONLY : O_RDONLY);
		if (my_mode == O_RDONLY)
			_exit(asleep && write(fd, "w", 1) == 1 ? 0 : 1);
		_exit(asleep && read(fd, &c, 1) == 1 && c == 'r' ? 0 : 1);
	}
	fd = open(path, my_mode);
	check("open", what,
	      fd < 0    ? err_of(fd)
	      : *opened ? NULL
			: "it returned before the other end");
	if (my_mode == O_RDONLY)
		check_val("open", "the waiting reader reads", "w",
			  read(fd, &c, 1) == 1 && c == 'w' ? "w" : "nothing");
	else
		check_val("open", "the waiting writer writes", "1", num(write(fd, "r", 1)));
	close(fd);
	waitpid(pid, &status, 0);
	check_val("open", "the other end's process", "exit 0",
		  WIFEXITED(status) && !WEXITSTATUS(status) ? "exit 0" : "failed");
	munmap((void *)opened, 4096);
}

/* A signal ends a blocked open with EINTR, and the open counts for nothing. */
static void open_eintr(const char *path)
{
	pid_t parent = getpid(), pid = fork();
	int fd;

	if (pid == 0) {
		if (wait_asleep(parent) == 0)
			kill(parent, SIGUSR1);
		else
			close(open(path, O_WRONLY)); /* fail, but free the parent */
		_exit(0);
	}
	sigusr1_catch();
	sigusr1_count = 0;
	fd = open(path, O_RDONLY);
	check_val("open", "a signal during a blocked open", "EINTR", err_of(fd));
	check_val("open", "the handler ran", "1", num(sigusr1_count));
	waitpid(pid, NULL, 0);
	signal(SIGUSR1, SIG_DFL);
	check_val("open", "after it, O_WRONLY|O_NONBLOCK finds no reader", "ENXIO",
		  err_of(open(path, O_WRONLY | O_NONBLOCK)));
}

void test_open(void)
{
	const char *path = fifo_new("open");
	struct stat st;

	check_val("open", "stat of a new FIFO", "S_IFIFO size 0",
		  stat(path, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_size == 0 ? "S_IFIFO size 0"
										  : "other");
	check_val("open", "its permissions", "600",
		  stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 ? "600" : "other");
	open_nonblock(path);
	open_waits(path, O_RDONLY, "O_RDONLY waits for a writer");
	open_waits(path, O_WRONLY, "O_WRONLY waits for a reader");
	open_eintr(path);
	open_rdwr(path);
	check_val("open", "mkfifo of an existing name", "EEXIST", err_of(mkfifo("/tmp", 0600)));
}

/* The type of the file at path: "FIFO", "regular", "missing", ... */
static const char *type_at(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return "missing";
	return S_ISFIFO(st.st_mode)  ? "FIFO"
	       : S_ISREG(st.st_mode) ? "regular"
	       : S_ISDIR(st.st_mode) ? "directory"
				     : "other";
}

void test_mknod(void)
{
	const char *p = "/tmp/fifotest-node";

	unlink(p);
	check_val("mknod", "mknod S_IFIFO", "0", err_of(syscall(SYS_mknod, p, S_IFIFO | 0644, 0)));
	check_val("mknod", "it is a FIFO", "FIFO", type_at(p));
	check_val("mknod", "mknod over it", "EEXIST", err_of(syscall(SYS_mknod, p, S_IFIFO, 0)));
	unlink(p);
	check_val("mknod", "mknodat S_IFIFO", "0",
		  err_of(syscall(SYS_mknodat, AT_FDCWD, p, S_IFIFO | 0600, 0)));
	check_val("mknod", "mknodat's is a FIFO", "FIFO", type_at(p));
	unlink(p);
	check_val("mknod", "mknod S_IFREG", "0", err_of(syscall(SYS_mknod, p, S_IFREG | 0644, 0)));
	check_val("mknod", "it is a regular file", "regular", type_at(p));
	unlink(p);
	check_val("mknod", "mknod of type 0 (regular)", "0",
		  err_of(syscall(SYS_mknod, p, 0644, 0)));
	check_val("mknod", "type 0 made a regular file", "regular", type_at(p));
	unlink(p);
	check_val("mknod", "mknod S_IFDIR", "EPERM",
		  err_of(syscall(SYS_mknod, p, S_IFDIR | 0755, 0)));
	check_val("mknod", "mknod of no type", "EINVAL",
		  err_of(syscall(SYS_mknod, p, 0170000 | 0644, 0)));
	check_val("mknod", "mknod in a missing directory", "ENOENT",
		  err_of(syscall(SYS_mknod, "/tmp/no-such-dir/f", S_IFIFO | 0644, 0)));
}
