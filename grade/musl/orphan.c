/*
 * orphan (grade/forkexec_utils.py; built by musl-gcc at grade time):
 * leave a child behind.  The child outlives its parent by half a second
 * and exits with 7; whoever adopted it (init, the subreaper) collects it.
 *
 *     orphan: left pid N
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(500000);
		_exit(7);
	}
	printf("orphan: left pid %d\n", (int)pid);
	return pid < 0;
}
