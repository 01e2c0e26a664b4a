/*
 * msgtest: messages by pid (stage ipc): os_send and os_recv (<os/os.h>).
 *
 * `msgtest` runs every test, `msgtest NAME...` the named ones.  Each
 * prints its facts, then "msgtest: NAME: ok" or "msgtest: NAME: FAILED
 * (why)"; the last line is "msgtest: N passed, M failed" (status 0 only
 * if all passed).  The facts, for the grader:
 *
 *   pingpong  "msgtest: pingpong: 1000 round trips, by pid and to the parent, sender ok"
 *             a child echoes 1,000 numbered messages back to the parent
 *             (OS_MSG_PARENT), then one of 3,000 bytes; the sender pid the
 *             parent sees is the child's
 *   many      "msgtest: many: 8 senders x 10000 messages, received R, per-sender order ok, sum S"
 *             8 children each send 10,000 messages (sender index, sequence)
 *             through one mailbox of 64; none lost, doubled or out of order
 *             per sender; S = the sum of every sequence number received
 *   move      "msgtest: move: 1048576 bytes, checksum C, sender rss before B after A"
 *             a child sends 1 MiB of a pattern page-aligned, twice: the
 *             parent receives the first into a page-aligned buffer (mapped)
 *             and the second into one that is not (copied), checks every byte (C = the sum of the pattern's bytes, which
 *             the grader computes too), and the child's RSS fell by the
 *             1 MiB (its pages are gone: B - A >= 1020 kB, a page of slack for stdio)
 *   full      "msgtest: full: 64 queued, then EAGAIN"   (to a child that waits)
 *   dies      "msgtest: dies: blocked senders got ESRCH"
 *             three children block sending to a full mailbox whose process
 *             then exits: all three end with ESRCH
 *   errors    "msgtest: errors: dead ESRCH, too big EMSGSIZE, bad buffer EFAULT, timeout ETIMEDOUT, small buffer EMSGSIZE, nonblock EAGAIN, sender died ESRCH"
 *             (the last: a receive waiting for one sender, which exits)
 *
 *   fd        "msgtest: fd: poll before 0, after 1 with revents - POLLIN, read 5 'ping', then EAGAIN"
 *             os_msgfd: poll over a pipe and the mailbox times out empty,
 *             wakes with POLLIN on the mailbox when a child's message
 *             comes; read takes it; a second read is EAGAIN (O_NONBLOCK)
 *
 * On Linux there is no os_send (ENOSYS): it says so and fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <os/os.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"

#define PAGE       4096
#define ROUNDS     1000
#define SENDERS    8
#define PER_SENDER 10000
#define MOVE_BYTES (1 << 20)

static int passed, failed;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("msgtest: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("msgtest: %s: ok\n", name);
		passed++;
	}
}

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "0";
	case ESRCH:
		return "ESRCH";
	case EMSGSIZE:
		return "EMSGSIZE";
	case EFAULT:
		return "EFAULT";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EAGAIN:
		return "EAGAIN";
	case EINVAL:
		return "EINVAL";
	case ENOSYS:
		return "ENOSYS";
	}
	return "other";
}

/* The errno of a call that returned r (0 if it succeeded). */
static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

static int child_status(pid_t pid)
{
	int status = -1;

	waitpid(pid, &status, 0);
	return status;
}

/* ---- pingpong ------------------------------------------------------------------- */

#define MEDIUM 3000 /* over a slot's own bytes, under a page: copied */

static const char *test_pingpong(void)
{
	static char medium[MEDIUM], back[MEDIUM];
	pid_t child = fork(), from = 0;
	int n, sent_ok = 1, status;
	const char *why = NULL;

	if (child == 0) {
		for (int i = 0; i < ROUNDS; i++) {
			if (os_recv(OS_MSG_ANY, &n, sizeof(n), NULL, 0) != sizeof(n) ||
			    os_send(OS_MSG_PARENT, &n, sizeof(n), 0) != 0)
				_exit(1);
		}
		if (os_recv(OS_MSG_ANY, back, sizeof(back), NULL, 0) != MEDIUM ||
		    os_send(OS_MSG_PARENT, back, MEDIUM, 0) != 0)
			_exit(1);
		_exit(0);
	}
	if (child < 0)
		return "fork failed";
	for (int i = 0; i < ROUNDS && sent_ok; i++) {
		sent_ok = os_send(child, &i, sizeof(i), 0) == 0 &&
			  os_recv(child, &n, sizeof(n), &from, 0) == sizeof(n) && n == i;
	}
	for (int i = 0; i < MEDIUM; i++)
		medium[i] = (char)(i * 13 + 1);
	if (sent_ok &&
	    (os_send(child, medium, MEDIUM, 0) != 0 ||
	     os_recv(child, back, MEDIUM, NULL, 0) != MEDIUM || memcmp(medium, back, MEDIUM) != 0))
		why = "a 3000-byte message did not come back the same";
	/* A failed round leaves the child waiting for a message for ever. */
	if (why || !sent_ok)
		kill(child, SIGKILL);
	status = child_status(child);
	if (why)
		return why;
	if (status != 0 || !sent_ok)
		return os_send(1, &n, 0, 0) < 0 && errno == ENOSYS ? "no os_send (ENOSYS)"
								   : "a round trip failed";
	printf("msgtest: pingpong: %d round trips, by pid and to the parent, sender %s\n", ROUNDS,
	       from == child ? "ok" : "wrong");
	return from == child ? NULL : "the sender pid is not the child's";
}

/* ---- many: 8 senders to one mailbox ---------------------------------------------- */

struct tagged {
	int sender, seq;
};

static const char *test_many(void)
{
	pid_t kids[SENDERS], self = getpid();
	int next[SENDERS] = { 0 }, ok = 1;
	long received = 0, sum = 0;
	struct tagged t;

	for (int k = 0; k < SENDERS; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			for (int i = 0; i < PER_SENDER; i++) {
				t = (struct tagged){ k, i };
				if (os_send(self, &t, sizeof(t), 0) != 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	while (received < (long)SENDERS * PER_SENDER) {
		if (os_recv(OS_MSG_ANY, &t, sizeof(t), NULL, 0) != sizeof(t))
			break;
		received++;
		sum += t.seq;
		if (t.sender < 0 || t.sender >= SENDERS || t.seq != next[t.sender]++)
			ok = 0;
	}
	for (int k = 0; k < SENDERS; k++)
		ok &= child_status(kids[k]) == 0;
	printf("msgtest: many: %d senders x %d messages, received %ld, per-sender order %s, sum "
	       "%ld\n",
	       SENDERS, PER_SENDER, received, ok ? "ok" : "wrong", sum);
	return ok && received == (long)SENDERS * PER_SENDER ? NULL : "messages lost or reordered";
}

/* ---- move: 1 MiB by page transfer ------------------------------------------------- */

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 12));
}

static const char *test_move(void)
{
	uint8_t *buf =
		mmap(NULL, MOVE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t child, from;
	uint64_t sum = 0;
	long got, rss[2];
	int fds[2];

	if (buf == MAP_FAILED || pipe(fds) != 0)
		return "mmap or pipe failed";
	memset(buf, 0xee, MOVE_BYTES); /* the parent's own pages, to be replaced */
	child = fork();
	if (child == 0) {
		for (int round = 0; round < 2; round++) {
			uint8_t *out = mmap(NULL, MOVE_BYTES, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			for (size_t i = 0; i < MOVE_BYTES; i++)
				out[i] = pattern(i);
			rss[0] = testlib_rss_kb();
			if (os_send(OS_MSG_PARENT, out, MOVE_BYTES, 0) != 0)
				_exit(1);
			rss[1] = testlib_rss_kb();
			if (round == 0)
				write(fds[1], rss, sizeof(rss));
		}
		_exit(0);
	}
	/* The second one into a buffer that is not page aligned: copied. */
	got = os_recv(child, buf, MOVE_BYTES, &from, 0);
	if (got == MOVE_BYTES) {
		uint8_t *odd = malloc(MOVE_BYTES + 8);

		if (!odd || os_recv(child, odd + 8, MOVE_BYTES, NULL, 0) != MOVE_BYTES)
			got = -1;
		for (size_t i = 0; got == MOVE_BYTES && i < MOVE_BYTES; i++)
			if (odd[8 + i] != pattern(i))
				got = -2;
		free(odd);
	}
	if (read(fds[0], rss, sizeof(rss)) != sizeof(rss))
		rss[0] = rss[1] = -1;
	close(fds[0]);
	close(fds[1]);
	if (child_status(child) != 0 || got != MOVE_BYTES)
		return got == -2 ? "a moved message copied into an unaligned buffer differs"
				 : "a 1 MiB message did not arrive";
	for (size_t i = 0; i < MOVE_BYTES; i++) {
		if (buf[i] != pattern(i))
			return "a byte of the moved message differs";
		sum += buf[i];
	}
	printf("msgtest: move: %d bytes, checksum %lu, sender rss before %ld after %ld\n",
	       MOVE_BYTES, (unsigned long)sum, rss[0], rss[1]);
	munmap(buf, MOVE_BYTES);
	/* (A page of slack: reading /proc/self/status may take one for stdio.) */
	return rss[0] - rss[1] >= MOVE_BYTES / 1024 - 4 ? NULL : "the sender kept its pages";
}

/* ---- full, dies ------------------------------------------------------------------------ */

/* A child that waits for SIGTERM without reading its mailbox. */
static pid_t idle_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static const char *test_full(void)
{
	pid_t child = idle_child();
	int i, n = 0, e = 0;

	for (i = 0; i < OS_MSG_QUEUE_MAX + 1; i++) {
		e = err_of(os_send(child, &i, sizeof(i), OS_MSG_NONBLOCK));
		if (e)
			break;
		n++;
	}
	kill(child, SIGTERM);
	child_status(child);
	printf("msgtest: full: %d queued, then %s\n", n, errname(e));
	return n == OS_MSG_QUEUE_MAX && e == EAGAIN ? NULL : "the mailbox's bound is not 64";
}

static const char *test_dies(void)
{
	pid_t target = idle_child(), senders[3];
	int ok = 1;

	for (int i = 0; i < OS_MSG_QUEUE_MAX; i++)
		os_send(target, &i, sizeof(i), 0);
	for (int k = 0; k < 3; k++) {
		senders[k] = fork();
		if (senders[k] == 0) /* blocks: the mailbox is full */
			_exit(os_send(target, &k, sizeof(k), 0) < 0 && errno == ESRCH ? 0 : 1);
	}
	usleep(50000); /* let them block (a late one sees ESRCH at once: the same) */
	kill(target, SIGKILL);
	child_status(target);
	for (int k = 0; k < 3; k++)
		ok &= child_status(senders[k]) == 0;
	if (ok)
		printf("msgtest: dies: blocked senders got ESRCH\n");
	return ok ? NULL : "a blocked sender did not get ESRCH";
}

/* ---- errors ---------------------------------------------------------------------------- */

static const char *test_errors(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	pid_t dead = fork(), child;
	int n = 7, e[7];
	char small[2];

	if (dead == 0)
		_exit(0);
	child_status(dead);
	e[0] = err_of(os_send(dead, &n, sizeof(n), 0));
	e[1] = err_of(os_send(getpid(), &n, OS_MSG_MAX + 1, 0));
	e[2] = err_of(os_send(getpid(), (void *)16, sizeof(n), 0));
	e[3] = err_of(os_recv_timeout(OS_MSG_ANY, &n, sizeof(n), NULL, 0, &ts));
	child = fork();
	if (child == 0)
		_exit(os_send(OS_MSG_PARENT, "hello", 5, 0) == 0 ? 0 : 1);
	child_status(child);
	e[4] = err_of(os_recv(child, small, sizeof(small), NULL, 0));
	if (os_recv(child, &n, sizeof(n) + 1, NULL, 0) != 5) /* it stayed queued */
		e[4] = -1;
	e[5] = err_of(os_recv(OS_MSG_ANY, &n, sizeof(n), NULL, OS_MSG_NONBLOCK));
	child = fork();
	if (child == 0) { /* exits without a word, while we wait for one */
		usleep(20000);
		_exit(0);
	}
	e[6] = err_of(os_recv(child, &n, sizeof(n), NULL, 0));
	child_status(child);
	printf("msgtest: errors: dead %s, too big %s, bad buffer %s, timeout %s, small buffer %s, "
	       "nonblock %s, sender died %s\n",
	       errname(e[0]), errname(e[1]), errname(e[2]), errname(e[3]), errname(e[4]),
	       errname(e[5]), errname(e[6]));
	return e[0] == ESRCH && e[1] == EMSGSIZE && e[2] == EFAULT && e[3] == ETIMEDOUT &&
			       e[4] == EMSGSIZE && e[5] == EAGAIN && e[6] == ESRCH
		       ? NULL
		       : "an error is not Linux-style as documented";
}

/* ---- fd: the mailbox as a descriptor --------------------------------------------- */

static const char *test_fd(void)
{
	int mfd = os_msgfd(O_CLOEXEC | O_NONBLOCK), p[2], n = 0, early, later;
	struct pollfd fds[2];
	pid_t child;
	char got[8];
	long len;

	if (mfd < 0 || pipe(p) != 0)
		return "os_msgfd or pipe failed";
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = mfd, .events = POLLIN };
	early = poll(fds, 2, 30); /* nothing yet: times out */
	child = fork();
	if (child == 0)
		_exit(os_send(OS_MSG_PARENT, "ping", 5, 0) == 0 ? 0 : 1);
	later = poll(fds, 2, 5000); /* the message wakes it */
	len = read(mfd, got, sizeof(got));
	n = read(mfd, got, sizeof(got)) < 0 && errno == EAGAIN; /* empty again */
	child_status(child);
	printf("msgtest: fd: poll before %d, after %d with revents %s %s, read %ld '%s', then %s\n",
	       early, later, fds[0].revents ? "pipe" : "-",
	       fds[1].revents & POLLIN ? "POLLIN" : "-", len, len == 5 ? got : "",
	       n ? "EAGAIN" : "other");
	close(mfd);
	close(p[0]);
	close(p[1]);
	return early == 0 && later == 1 && (fds[1].revents & POLLIN) && !fds[0].revents &&
			       len == 5 && n
		       ? NULL
		       : "the mailbox descriptor did not poll or read as documented";
}

static const struct {
	const char *name;
	const char *(*run)(void);
} tests[] = {
	{ "pingpong", test_pingpong },
	{ "many", test_many },
	{ "move", test_move },
	{ "full", test_full },
	{ "dies", test_dies },
	{ "errors", test_errors },
	{ "fd", test_fd },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int wanted = argc < 2;

		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], tests[i].name) == 0;
		if (wanted)
			result(tests[i].name, tests[i].run());
	}
	printf("msgtest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
