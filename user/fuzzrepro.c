/*
 * fuzzrepro: the kernel bugs the fuzzer (user/fuzz/) found, each made again
 * on purpose, small and without randomness, so that a change of the
 * fuzzer's generator cannot lose them.  `fuzzrepro NAME` runs one and
 * prints "fuzzrepro: NAME: ok" or "fuzzrepro: NAME: FAILED why".
 *
 * orphan-signal   clone(SIGHUP) makes a child whose exit signal is
 *                 SIGHUP; its parent ends first, the reaper (this
 *                 program, the root of the tree the kernel started)
 *                 adopts it, and must get SIGCHLD when it ends, as on
 *                 Linux, not a SIGHUP that kills it (fuzz -f -s 4000 11
 *                 4111 before the generator's clone steering).
 * vfork-copy      clone(CLONE_VFORK | SIGCHLD) without CLONE_VM: the child
 *                 has a copy of the memory, the parent waits for its exit
 *                 or exec, and must wake when it exits (it waited for
 *                 ever, not even SIGKILL could end it: fuzz -f -F -s 4
 *                 5016 5, clone(0x4011, ...)).
 */
#define _GNU_SOURCE /* CLONE_VFORK */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int orphan_signal(void)
{
	pid_t middle = fork();
	int status;

	if (middle == 0) {
		if (syscall(SYS_clone, SIGHUP, 0, 0, 0, 0) == 0) {
			struct timespec t = { 0, 50 * 1000 * 1000 };

			nanosleep(&t, NULL); /* outlive the parent */
			_exit(0);
		}
		_exit(0);
	}
	waitpid(middle, &status, 0);
	/* Adopted now: wait for the grandchild as its reaper. */
	while (wait(&status) > 0)
		;
	return 0; /* reached only if its end did not kill us */
}

static int vfork_copy(void)
{
	long pid = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
	int status;

	if (pid == 0)
		_exit(7);
	if (pid < 0 || waitpid((pid_t)pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : -1;
}

static const struct {
	const char *name;
	int (*run)(void);
} repros[] = {
	{ "orphan-signal", orphan_signal },
	{ "vfork-copy", vfork_copy },
};

int main(int argc, char *argv[])
{
	for (unsigned i = 0; i < sizeof(repros) / sizeof(repros[0]); i++) {
		if (argc > 1 && strcmp(argv[1], repros[i].name) != 0)
			continue;
		printf("fuzzrepro: %s: %s\n", repros[i].name, repros[i].run() ? "FAILED" : "ok");
	}
	return 0;
}
