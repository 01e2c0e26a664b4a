/*
 * killtest (grade/forkexec_utils.py; built by musl-gcc at grade time):
 * /bin/ps and /bin/kill as a shell would use them.  Starts
 * "nice -n 2 sleep 10" in the background, runs ps, then "kill -TERM
 * PID" of the sleeper, and reports how each ended:
 *
 *     killtest: pid P, sleeper S
 *     (ps's output)
 *     killtest: ps exited with 0
 *     killtest: kill exited with 0                (else it stops here)
 *     killtest: sleeper killed by signal 15       (or "exited with N")
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	return pid;
}

/* Wait for pid and say how it ended: its exit status, or -1. */
static int report(const char *what, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		printf("killtest: %s: waitpid failed\n", what);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		printf("killtest: %s killed by signal %d\n", what, WTERMSIG(status));
		return -1;
	}
	printf("killtest: %s exited with %d\n", what, WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

int main(void)
{
	char pidtext[16];
	pid_t sleeper, ps;

	setvbuf(stdout, NULL, _IONBF, 0);
	sleeper = spawn((char *[]){ "/bin/nice", "-n", "2", "/bin/sleep", "10", NULL });
	printf("killtest: pid %d, sleeper %d\n", (int)getpid(), (int)sleeper);
	usleep(200000); /* let nice exec sleep, which then sleeps */
	ps = spawn((char *[]){ "/bin/ps", NULL });
	report("ps", ps);
	snprintf(pidtext, sizeof(pidtext), "%d", (int)sleeper);
	if (report("kill", spawn((char *[]){ "/bin/kill", "-TERM", pidtext, NULL })) != 0)
		return 1; /* not waiting 10 s for the sleeper */
	report("sleeper", sleeper);
	return 0;
}
