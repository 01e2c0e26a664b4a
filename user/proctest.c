/*
 * proctest: what a process gets from its parent and what /proc says about
 * it, with facts for the grader (grade/forkexec_signals.py) to check:
 *
 *   proctest nproc    "proctest: nproc: default CUR MAX, N processes, limit L:
 *                      forked K then errno E; after: status S, N2 processes"
 *                     RLIMIT_NPROC's default; with the soft limit set to
 *                     L (3 above the processes there are), forks until
 *                     one fails; then, the children reaped, a fork works
 *                     again (its child exits with S = 7).
 *   proctest nice     "proctest: nice: parent P child C stat S"
 *                     the nice value (run it under `nice -n N`), and a fork
 *                     child's, from getpriority and from /proc/PID/stat.
 *   proctest stopped  "proctest: stopped: 'STATE' STAT; continued: 'STATE' STAT"
 *                     /proc/PID/status's State and stat's state letter of
 *                     a child stopped by SIGSTOP, then continued.
 *
 * Each ends with "proctest: NAME: ok" or "proctest: NAME: FAILED (why)";
 * the status is 0 only if all passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testlib.h"

#define MAX_KIDS 64

static char why[160];

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond)) {                                   \
			snprintf(why, sizeof(why), __VA_ARGS__); \
			return false;                            \
		}                                                \
	} while (0)

/* /proc/PID/file into buf (NUL-ended); false if it cannot be read. */
static bool read_proc(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_RDONLY)) < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Field n (1-based, Linux's numbering) of /proc/PID/stat, or NULL.  The
 * name (field 2) may hold blanks: fields 3 on follow its last ')'. */
static const char *stat_field(pid_t pid, int n, char *buf, size_t size)
{
	char *p;

	if (!read_proc(pid, "stat", buf, size) || !(p = strrchr(buf, ')')))
		return NULL;
	p += 2;
	for (int i = 3; i < n && p; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p)
		p[strcspn(p, " ")] = '\0';
	return p;
}

/* The text of /proc/PID/status's State line ("S (sleeping)"), into buf. */
static bool status_state(pid_t pid, char *buf, size_t size)
{
	char text[2048], *s;

	if (!read_proc(pid, "status", text, sizeof(text)) || !(s = strstr(text, "State:")))
		return false;
	s += strspn(s + 6, " \t") + 6;
	s[strcspn(s, "\n")] = '\0';
	snprintf(buf, size, "%s", s);
	return true;
}

static bool t_nproc(void)
{
	static pid_t kids[MAX_KIDS];
	struct rlimit def, lim;
	int n = 0, e = 0, before = testlib_count_procs(), after, st = -1;
	pid_t pid;

	CHECK(getrlimit(RLIMIT_NPROC, &def) == 0, "getrlimit: %s", strerror(errno));
	lim.rlim_cur = before + 3;
	lim.rlim_max = def.rlim_max;
	CHECK(setrlimit(RLIMIT_NPROC, &lim) == 0, "setrlimit: %s", strerror(errno));
	while (n < MAX_KIDS) {
		if ((pid = fork()) == 0) {
			for (;;)
				pause();
		}
		if (pid < 0) {
			e = errno;
			break;
		}
		kids[n++] = pid;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	if ((pid = fork()) == 0)
		_exit(7);
	if (pid > 0)
		waitpid(pid, &st, 0);
	after = testlib_count_procs();
	CHECK(setrlimit(RLIMIT_NPROC, &def) == 0, "setrlimit back: %s", strerror(errno));
	printf("proctest: nproc: default %lld %lld, %d processes, limit %lld: forked %d then "
	       "errno %d; after: status %d, %d processes\n",
	       (long long)def.rlim_cur, (long long)def.rlim_max, before, (long long)lim.rlim_cur, n,
	       e, pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, after);
	return true;
}

static bool t_nice(void)
{
	char buf[1024];
	const char *f;
	int fds[2], parent, child[2] = { -99, -99 }, st;
	pid_t pid;

	errno = 0;
	parent = getpriority(PRIO_PROCESS, 0);
	CHECK(errno == 0, "getpriority: %s", strerror(errno));
	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	if ((pid = fork()) == 0) { /* its nice value, both ways */
		int mine[2] = { getpriority(PRIO_PROCESS, 0), -99 };

		if ((f = stat_field(getpid(), 19, buf, sizeof(buf))) != NULL)
			sscanf(f, "%d", &mine[1]);
		_exit(write(fds[1], mine, sizeof(mine)) == sizeof(mine) ? 0 : 1);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	close(fds[1]);
	CHECK(read(fds[0], child, sizeof(child)) == sizeof(child), "no word from the child");
	close(fds[0]);
	waitpid(pid, &st, 0);
	printf("proctest: nice: parent %d child %d stat %d\n", parent, child[0], child[1]);
	return true;
}

static bool t_stopped(void)
{
	char stopped[64], continued[64], buf[1024], letter[2][8];
	const char *f;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		for (;;)
			pause();
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st), "not stopped: 0x%x", st);
	CHECK(status_state(pid, stopped, sizeof(stopped)), "/proc/%d/status", (int)pid);
	CHECK((f = stat_field(pid, 3, buf, sizeof(buf))) != NULL, "/proc/%d/stat", (int)pid);
	snprintf(letter[0], sizeof(letter[0]), "%s", f);
	kill(pid, SIGCONT);
	CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st), "not continued: 0x%x", st);
	/* Continued, it goes back to pause(): wait until it sleeps there. */
	for (int i = 0; i < 1000; i++) {
		CHECK(status_state(pid, continued, sizeof(continued)), "/proc/%d/status", (int)pid);
		if (continued[0] != 'R')
			break;
		usleep(1000);
	}
	CHECK((f = stat_field(pid, 3, buf, sizeof(buf))) != NULL, "/proc/%d/stat", (int)pid);
	snprintf(letter[1], sizeof(letter[1]), "%s", f);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	printf("proctest: stopped: '%s' %s; continued: '%s' %s\n", stopped, letter[0], continued,
	       letter[1]);
	return true;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "nproc", t_nproc },
	{ "nice", t_nice },
	{ "stopped", t_stopped },
};

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		size_t t = 0;

		while (t < sizeof(tests) / sizeof(tests[0]) && strcmp(tests[t].name, argv[i]) != 0)
			t++;
		if (t == sizeof(tests) / sizeof(tests[0])) {
			printf("proctest: no test %s\n", argv[i]);
			return 2;
		}
		why[0] = '\0';
		if (tests[t].fn()) {
			printf("proctest: %s: ok\n", argv[i]);
		} else {
			printf("proctest: %s: FAILED (%s)\n", argv[i], why);
			failed++;
		}
		fflush(stdout);
	}
	return failed != 0;
}
