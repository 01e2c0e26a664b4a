/*
 * forktest: fork(2) and wait4(2) as musl's fork() and waitpid() use them,
 * in the spirit of xv6's usertests.
 *
 * Each test prints one line, "forktest: NAME: ok" or
 * "forktest: NAME: FAILED (why)", and the last line is
 * "forktest: N passed, M failed"; the exit status is 0 only if all passed.
 * Some lines carry facts for the grader to check:
 *
 *   forktest: statuses: exit 0 1 42 255 killed 11 4 8
 *   forktest: many: 100 children, statuses sum S
 *   forktest: frames: before B after A   (MemFree + Slab + Cached, in kB)
 *
 * The tests run twice; the frame figures are those of the second round.
 *
 * The COW tests fill memory with a pattern that depends on the address
 * and on a seed, so that a page seen through the wrong frame shows.  Where
 * a child must look after its parent wrote, it sleeps first (the parent
 * writes straight after fork returns): there is no other way to wait yet.
 * The exec tests run SELF (this program, from the ramdisk's /bin) with
 * --check-args, --check-fds A B or --exit N, and write two bad programs in
 * /var/tmp (on the ramdisk's FAT volume).  Runs on Linux too, with the same
 * lines but for the frame figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"

#define PAGE      4096
#define COW_PAGES 64
#define BIG       (16u << 20)
#define NMANY     100
#define DEPTH     10
#define NARGS     100
#define SELF      "/bin/forktest"
#define GARBAGE   "/var/tmp/forktest.garbage"
#define TRUNCATED "/var/tmp/forktest.truncated"

extern char **environ;

static int passed, failed;
static uint64_t cow_buf[COW_PAGES * PAGE / 8];

static void result(const char *name, const char *why)
{
	if (why) {
		printf("forktest: %s: FAILED (%s)\n", name, why);
		failed++;
	} else {
		printf("forktest: %s: ok\n", name);
		passed++;
	}
}

/* Fork, run fn in the child and exit with its value; the child's status
 * from waitpid, or -1. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };

	nanosleep(&ts, NULL);
}

static void fill(uint64_t *buf, size_t words, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		buf[i] = seed * 0x9e3779b97f4a7c15ull + i;
}

/* The number of words of buf that differ from fill(seed). */
static size_t wrong(const uint64_t *buf, size_t words, uint64_t seed)
{
	size_t bad = 0;

	for (size_t i = 0; i < words; i++)
		bad += buf[i] != seed * 0x9e3779b97f4a7c15ull + i;
	return bad;
}

/* ---- the tests --------------------------------------------------------- */

static pid_t parent_pid;

static int child_identity(void)
{
	return getppid() == parent_pid && getpid() != parent_pid ? 42 : 1;
}

static void test_basic(void)
{
	int status;

	parent_pid = getpid();
	status = in_child(child_identity);
	if (status < 0)
		result("basic", "fork or waitpid failed");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		result("basic", "the child's getpid/getppid or exit status is wrong");
	else
		result("basic", NULL);
}

static int exit_0(void)
{
	return 0;
}
static int exit_1(void)
{
	return 1;
}
static int exit_42(void)
{
	return 42;
}
static int exit_255(void)
{
	return 255;
}

static int die_segv(void)
{
	volatile uintptr_t addr = 8; /* hidden from the compiler's bounds checks */

	return *(volatile int *)addr;
}

static int die_ill(void)
{
	__asm__ volatile("ud2");
	return 0;
}

static int die_fpe(void)
{
	volatile int seven = 7, zero = 0;

	/* cppcheck-suppress zerodiv ; the fault is the point */
	return seven / zero;
}

/* Exit statuses and deaths by a fault, as WEXITSTATUS and WTERMSIG see them. */
static void test_statuses(void)
{
	int (*const exits[])(void) = { exit_0, exit_1, exit_42, exit_255 };
	int (*const kills[])(void) = { die_segv, die_ill, die_fpe };
	char line[128];
	int n = snprintf(line, sizeof(line), "exit");
	bool ok = true;

	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
		int s = in_child(exits[i]);

		ok = ok && s >= 0 && WIFEXITED(s);
		n += snprintf(line + n, sizeof(line) - n, " %d", WEXITSTATUS(s));
	}
	n += snprintf(line + n, sizeof(line) - n, " killed");
	for (size_t i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
		int s = in_child(kills[i]);

		ok = ok && s >= 0 && WIFSIGNALED(s);
		n += snprintf(line + n, sizeof(line) - n, " %d", WTERMSIG(s));
	}
	printf("forktest: statuses: %s\n", line);
	result("statuses", ok ? NULL : "a status has the wrong kind");
}

/* Each generation forks the next and exits with its child's status + 1. */
static int chain(int depth)
{
	int status;
	pid_t pid;

	if (depth == 0)
		return 0;
	pid = fork();
	if (pid < 0)
		return 100;
	if (pid == 0)
		_exit(chain(depth - 1));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 100;
	return WEXITSTATUS(status) + 1;
}

static void test_chain(void)
{
	int got = chain(DEPTH);

	result("chain", got == DEPTH ? NULL : "a generation's status was lost");
}

/* NMANY children at once, collected by wait(-1) in any order. */
static void test_many(void)
{
	int started = 0, collected = 0, sum = 0, status;
	pid_t pid;

	for (int i = 0; i < NMANY; i++) {
		pid = fork();
		if (pid == 0)
			_exit(i);
		if (pid > 0)
			started++;
	}
	while ((pid = waitpid(-1, &status, 0)) > 0) {
		collected++;
		sum += WEXITSTATUS(status);
	}
	printf("forktest: many: %d children, statuses sum %d\n", collected, sum);
	if (started != NMANY || collected != NMANY)
		result("many", "not every child was forked and collected");
	else if (errno != ECHILD)
		result("many", "the last waitpid did not fail with ECHILD");
	else
		result("many", sum == NMANY * (NMANY - 1) / 2 ? NULL : "wrong statuses");
}

static int sleep_then_exit(void)
{
	pause_ms(50);
	return 7;
}

/* WNOHANG on a running child, ECHILD without one, EFAULT for bad pointers. */
static void test_wait_errors(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(sleep_then_exit());
	if (waitpid(pid, &status, WNOHANG) != 0) {
		result("wnohang", "WNOHANG did not return 0 for a running child");
	} else if (waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 7) {
		result("wnohang", "the blocking waitpid after it failed");
	} else {
		result("wnohang", NULL);
	}
	errno = 0;
	if (waitpid(-1, &status, 0) != -1 || errno != ECHILD)
		result("echild", "waitpid(-1) without children did not fail with ECHILD");
	else if (waitpid(parent_pid + 1000, &status, 0) != -1 || errno != ECHILD)
		result("echild", "waitpid of a stranger did not fail with ECHILD");
	else
		result("echild", NULL);
	pid = fork();
	if (pid == 0)
		_exit(3);
	if (syscall(SYS_wait4, pid, (int *)8, 0, NULL) != -1 || errno != EFAULT)
		result("efault", "wait4 with a bad status pointer did not fail with EFAULT");
	else
		result("efault", NULL);
	while (waitpid(-1, &status, 0) > 0)
		;
}

/* The child writes: the parent must not see it. */
static int cow_child_writes(void)
{
	size_t bad = wrong(cow_buf, sizeof(cow_buf) / 8, 1);

	fill(cow_buf, sizeof(cow_buf) / 8, 2);
	return bad == 0 && wrong(cow_buf, sizeof(cow_buf) / 8, 2) == 0 ? 0 : 1;
}

/* The parent writes: the child, looking later, must not see it. */
static int cow_child_looks(void)
{
	pause_ms(50);
	return wrong(cow_buf, sizeof(cow_buf) / 8, 1) == 0 ? 0 : 1;
}

static void test_cow(void)
{
	int status;
	pid_t pid;

	fill(cow_buf, sizeof(cow_buf) / 8, 1);
	status = in_child(cow_child_writes);
	if (status != 0) {
		result("cow child writes", "the child saw the wrong data");
		return;
	}
	result("cow child writes", wrong(cow_buf, sizeof(cow_buf) / 8, 1)
					   ? "the parent sees the child's writes"
					   : NULL);
	pid = fork();
	if (pid == 0)
		_exit(cow_child_looks());
	fill(cow_buf, sizeof(cow_buf) / 8, 3);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		result("cow parent writes", "the child sees the parent's writes");
	else
		result("cow parent writes", wrong(cow_buf, sizeof(cow_buf) / 8, 3) ? "lost" : NULL);
}

static uint64_t *big;

static int big_child(void)
{
	fill(big, BIG / 8, 5);
	return wrong(big, BIG / 8, 5) == 0 ? 0 : 1;
}

/* A child rewrites 16 MiB the parent filled: the parent's pages stay. */
static void test_big(void)
{
	big = malloc(BIG);
	if (!big) {
		result("16 MiB", "malloc failed");
		return;
	}
	fill(big, BIG / 8, 4);
	if (in_child(big_child) != 0)
		result("16 MiB", "the child could not write its copy");
	else
		result("16 MiB", wrong(big, BIG / 8, 4) ? "the parent's pages changed" : NULL);
	free(big);
}

/* The current directory goes to the child. */
static int cwd_child(void)
{
	char buf[64];

	return getcwd(buf, sizeof(buf)) && strcmp(buf, "/proc") == 0 ? 0 : 1;
}

static void test_cwd(void)
{
	char old[256];

	if (!getcwd(old, sizeof(old)) || chdir("/proc") != 0) {
		result("cwd", "chdir /proc failed");
		return;
	}
	result("cwd", in_child(cwd_child) == 0 ? NULL : "the child has another directory");
	chdir(old);
}

/* ---- execve ------------------------------------------------------------ */

/* Write n bytes of data to path (made anew); 0 or -1. */
static int write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, data, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* execve(path, argv) must fail with err, and this process go on. */
static void expect_exec_error(const char *name, const char *path, char *const argv[], int err)
{
	char why[96];

	errno = 0;
	execve(path, argv, environ);
	if (errno == err) {
		result(name, NULL);
		return;
	}
	snprintf(why, sizeof(why), "errno %d, expected %d", errno, err);
	result(name, why);
}

static void test_exec_errors(void)
{
	static char *many[2100];
	char *argv[] = { "forktest", NULL };
	char garbage[4096], head[300];
	int fd = open(SELF, O_RDONLY);
	volatile uintptr_t bad_argv;

	memset(garbage, 'g', sizeof(garbage));
	mkdir("/var/tmp", 0755);
	if (fd < 0 || read(fd, head, sizeof(head)) != (ssize_t)sizeof(head) ||
	    write_file(GARBAGE, garbage, sizeof(garbage)) ||
	    write_file(TRUNCATED, head, sizeof(head))) {
		result("exec files", "cannot read " SELF " or write in /var/tmp");
		return;
	}
	close(fd);
	expect_exec_error("exec missing", "/no/such/program", argv, ENOENT);
	expect_exec_error("exec directory", "/bin", argv, EACCES);
	expect_exec_error("exec garbage", GARBAGE, argv, ENOEXEC);
	expect_exec_error("exec truncated", TRUNCATED, argv, ENOEXEC);
	for (int i = 0; i < 2099; i++)
		many[i] = "x";
	expect_exec_error("exec E2BIG", SELF, many, E2BIG);
	bad_argv = 8; /* volatile: hidden from the compiler's bounds checks */
	expect_exec_error("exec EFAULT", SELF, (char **)bad_argv, EFAULT);
	unlink(GARBAGE);
	unlink(TRUNCATED);
}

/* Fork, exec SELF with argv and envp in the child; its status or -1. */
static int spawn_self(char *const argv[], char *const envp[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execve(SELF, argv, envp);
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void test_exec_args(void)
{
	static char strings[2 * NARGS][16];
	char *argv[NARGS + 3] = { "forktest", "--check-args" };
	char *envp[NARGS + 1];
	int status;

	for (int i = 0; i < NARGS; i++) {
		snprintf(strings[i], sizeof(strings[i]), "arg%d", i);
		snprintf(strings[NARGS + i], sizeof(strings[i]), "E%d=v%d", i, i);
		argv[2 + i] = strings[i];
		envp[i] = strings[NARGS + i];
	}
	argv[NARGS + 2] = NULL;
	envp[NARGS] = NULL;
	status = spawn_self(argv, envp);
	result("exec 100 arguments", status == 0 ? NULL : "the new program saw other strings");
}

/* A descriptor opened O_CLOEXEC is closed by exec, one without stays. */
static void test_exec_cloexec(void)
{
	int a = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	int b = open("/proc/meminfo", O_RDONLY);
	char fa[16], fb[16];
	char *argv[] = { "forktest", "--check-fds", fa, fb, NULL };

	snprintf(fa, sizeof(fa), "%d", a);
	snprintf(fb, sizeof(fb), "%d", b);
	result("exec close-on-exec", spawn_self(argv, environ) == 0 ? NULL : "wrong descriptors");
	close(a);
	close(b);
}

/* musl's execv, and the exit status of the program it runs. */
static void test_execv(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(SELF, (char *[]){ "forktest", "--exit", "17", NULL });
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		result("execv", "fork or waitpid failed");
	else
		result("execv", WEXITSTATUS(status) == 17 ? NULL : "wrong exit status");
}

/* The exec'd side of the tests: 0 if argv and the environment are as
 * test_exec_args made them. */
static int check_args(int argc, char *argv[])
{
	char want[16];
	int n = 0;

	if (argc != NARGS + 2)
		return 1;
	for (int i = 0; i < NARGS; i++) {
		snprintf(want, sizeof(want), "arg%d", i);
		if (strcmp(argv[2 + i], want) != 0)
			return 1;
	}
	for (; environ[n]; n++) {
		snprintf(want, sizeof(want), "E%d=v%d", n, n);
		if (n >= NARGS || strcmp(environ[n], want) != 0)
			return 1;
	}
	return n == NARGS ? 0 : 1;
}

/* 0 if descriptor closed is closed and open is open. */
static int check_fds(const char *closed, const char *open_fd)
{
	errno = 0;
	if (fcntl(atoi(closed), F_GETFD) != -1 || errno != EBADF)
		return 1;
	return fcntl(atoi(open_fd), F_GETFD) == 0 ? 0 : 2;
}

static void run_tests(void)
{
	test_basic();
	test_statuses();
	test_chain();
	test_many();
	test_wait_errors();
	test_cow();
	test_big();
	test_cwd();
	test_exec_errors();
	test_exec_args();
	test_exec_cloexec();
	test_execv();
}

/* The tests run twice: the second round is measured, when the parent's
 * stack and malloc's heap have grown as far as the tests take them. */
int main(int argc, char *argv[])
{
	long before, after;

	if (argc == NARGS + 2 && strcmp(argv[1], "--check-args") == 0)
		return check_args(argc, argv);
	if (argc == 4 && strcmp(argv[1], "--check-fds") == 0)
		return check_fds(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "--exit") == 0)
		return atoi(argv[2]);

	setvbuf(stdout, NULL, _IONBF, 0); /* nothing buffered twice by fork */
	run_tests();
	printf("forktest: round 2\n");
	before = testlib_memory_kb();
	run_tests();
	after = testlib_memory_kb();
	printf("forktest: frames: before %ld after %ld\n", before, after);
	printf("forktest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
