/*
 * musl-gcc test (grade/forkexec_utils.py): fork, waitpid and exit
 * statuses, copy-on-write, execve.  The output does not depend on pids,
 * so the host and kestrel print the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int shared = 7;

int main(int argc, char **argv)
{
	pid_t kids[4];
	int status;

	if (argc == 2) { /* the exec'd copy */
		printf("fork: exec'd with %s\n", argv[1]);
		return 42;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 0; i < 4; i++) {
		if ((kids[i] = fork()) == 0) {
			shared = 100 + i;
			_exit(shared);
		}
	}
	for (int i = 3; i >= 0; i--) {
		if (waitpid(kids[i], &status, 0) != kids[i])
			return printf("fork: waitpid failed\n"), 1;
		printf("fork: child %d exited with %d\n", i, WEXITSTATUS(status));
	}
	printf("fork: parent still sees %d; another wait: %d\n", shared, (int)wait(&status));
	if (fork() == 0) {
		execl(argv[0], argv[0], "an argument", (char *)NULL);
		_exit(127);
	}
	wait(&status);
	printf("fork: exec'd child's status %d\n", WEXITSTATUS(status));
	return 0;
}
