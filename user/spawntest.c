/*
 * spawntest: musl's process helpers on top of the kernel's clone, exec
 * and wait: posix_spawn (clone(CLONE_VM|CLONE_VFORK) and execve in the
 * child, while the parent sleeps), posix_spawnp with file actions,
 * system() and popen() (both run /bin/sh -c, which is ksh).
 *
 * Prints "spawntest: NAME: ok" or "spawntest: NAME: FAILED (why)" per
 * check, then "spawntest: done".  Runs on Linux too.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void report(const char *name, const char *why)
{
	if (why)
		printf("spawntest: %s: FAILED (%s)\n", name, why);
	else
		printf("spawntest: %s: ok\n", name);
	fflush(stdout);
}

/* Wait for pid; its exit code, or -1 (and why) if it did not exit. */
static int exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* posix_spawn of /bin/echo: the child's output and status; the parent's
 * memory untouched by the child that ran in its address space. */
static void test_spawn(void)
{
	char *argv[] = { "echo", "spawntest: spawn: child says hello", NULL };
	volatile int mine = 42;
	pid_t pid;
	int err = posix_spawn(&pid, "/bin/echo", NULL, NULL, argv, environ);

	if (err)
		return report("spawn", strerror(err));
	if (exit_code(pid) != 0)
		return report("spawn", "the child did not exit with 0");
	report("spawn", mine == 42 ? NULL : "the parent's memory changed");
}

/* posix_spawnp through PATH with stdout dup'd to a pipe: the parent
 * reads what the child wrote. */
static void test_spawnp_pipe(void)
{
	char *argv[] = { "echo", "through a pipe", NULL };
	posix_spawn_file_actions_t fa;
	char buf[64] = { 0 };
	int fds[2], err;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return report("spawnp pipe", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	err = posix_spawnp(&pid, "echo", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err)
		return report("spawnp pipe", strerror(err));
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	if (exit_code(pid) != 0)
		return report("spawnp pipe", "the child did not exit with 0");
	report("spawnp pipe", n == 15 && strcmp(buf, "through a pipe\n") == 0
				      ? NULL
				      : "the pipe did not carry the child's line");
}

/* A missing program: posix_spawn returns ENOENT (the child's exec error,
 * passed back by musl), and nothing is left to wait for. */
static void test_spawn_missing(void)
{
	char *argv[] = { "nosuch", NULL };
	pid_t pid;
	int err = posix_spawn(&pid, "/bin/nosuch", NULL, NULL, argv, environ);

	if (err != ENOENT)
		return report("spawn missing", err ? strerror(err) : "it succeeded");
	report("spawn missing", waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD
					? NULL
					: "a child was left behind");
}

/* system(): /bin/sh -c with a pipeline, and an exit status carried back. */
static void test_system(void)
{
	int status = system("exit 7");

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 7)
		return report("system", "system(\"exit 7\") did not give 7");
	status = system("echo spawntest: system: piped | cat");
	report("system",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL : "the pipeline failed");
}

/* popen(): read a command's output. */
static void test_popen(void)
{
	char line[64] = { 0 };
	FILE *f = popen("echo popen works", "r");

	if (!f)
		return report("popen", strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	if (pclose(f) != 0)
		return report("popen", "pclose did not give 0");
	report("popen", strcmp(line, "popen works\n") == 0 ? NULL : "wrong output");
}

int main(void)
{
	test_spawn();
	test_spawnp_pipe();
	test_spawn_missing();
	test_system();
	test_popen();
	printf("spawntest: done\n");
	return 0;
}
