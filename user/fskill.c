/*
 * fskill: kill a mounted filesystem server while a caller waits on it.
 *
 *     fskill hellofs DIR   (hellofs --test serving DIR)
 *     fskill fatfs         (the FAT server at "/", started by the kernel)
 *
 * hellofs: a child reads DIR/slow, whose READ hellofs holds unanswered;
 * once the child sleeps in it (State S in /proc), the server gets SIGKILL.
 * fatfs: a child reads /data's largest file again and again (most pages
 * are a READ: the file is larger than the part cached between kills)
 * while the server gets SIGKILL; fskill itself was loaded from /bin
 * before.  Each prints, with the errno numbers as Linux numbers them:
 *
 *     fskill: server NAME pid P
 *     fskill: child read: errno E    what the waiting read got
 *     fskill: stat after: errno E    a stat of the mount afterwards
 *     fskill: server collected       fatfs only: /proc/P went away (the
 *                                    kernel collected what it started)
 *     fskill: done
 *
 * A line "fskill: FAILED ..." says what could not be set up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The first word of /proc/PID/cmdline, or "" if it cannot be read. */
static void proc_name(const char *pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%.20s/cmdline", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
}

/* The pid of the process called name (its argv[0]), or -1. */
static int find_pid(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char word[256];
	int pid = -1;

	while (d && pid < 0 && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		proc_name(e->d_name, word, sizeof(word));
		if (strcmp(word, name) == 0 ||
		    (strrchr(word, '/') && !strcmp(strrchr(word, '/') + 1, name)))
			pid = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return pid;
}

/* /proc/PID/status's State letter, or 0 once the process is gone. */
static char proc_state(int pid)
{
	char path[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	s = strstr(buf, "State:\t");
	return s ? s[7] : '?';
}

/* The child: read path (again and again if loop) until an error; exit
 * with its errno. */
static void child_read(const char *path, int loop)
{
	static char buf[65536];
	int fd;

	do {
		ssize_t n;

		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(errno);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n < 0)
			_exit(errno);
		close(fd);
	} while (loop);
	_exit(0);
}

/* The largest regular file of dir, into out. */
static void largest_in(const char *dir, char *out, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	off_t best = -1;
	char path[600];

	out[0] = '\0';
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%.255s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > best) {
			best = st.st_size;
			snprintf(out, size, "%s", path);
		}
	}
	if (d)
		closedir(d);
}

int main(int argc, char *argv[])
{
	int hello = argc == 3 && strcmp(argv[1], "hellofs") == 0;
	const char *dir = hello ? argv[2] : "/";
	char path[600];
	struct stat st;
	int server, status, tries;
	pid_t child;

	if (!hello && !(argc == 2 && strcmp(argv[1], "fatfs") == 0)) {
		printf("usage: fskill hellofs DIR | fskill fatfs\n");
		return 2;
	}
	if (hello) {
		snprintf(path, sizeof(path), "%s/slow", dir);
		for (tries = 0; tries < 500 && stat(path, &st) != 0; tries++)
			pause_ms(10); /* the server started with us may not be there yet */
	} else {
		largest_in("/data", path, sizeof(path));
	}
	server = find_pid(argv[1]);
	if (server < 0 || !path[0]) {
		printf("fskill: FAILED: no %s, or nothing to read\n", argv[1]);
		return 1;
	}
	printf("fskill: server %s pid %d\n", argv[1], server);
	fflush(stdout);
	child = fork();
	if (child == 0)
		child_read(path, !hello);
	/* hellofs holds the child's READ: wait until the child sleeps in it.
	 * fatfs: let the child get going. */
	for (tries = 0; tries < 500 && proc_state(child) != 'S'; tries++)
		pause_ms(hello ? 10 : 1);
	kill(server, SIGKILL);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
		printf("fskill: FAILED: the child did not exit\n");
		return 1;
	}
	printf("fskill: child read: errno %d\n", WEXITSTATUS(status));
	printf("fskill: stat after: errno %d\n", stat(dir, &st) == 0 ? 0 : errno);
	if (!hello) {
		for (tries = 0; tries < 200 && proc_state(server); tries++)
			pause_ms(10);
		printf("fskill: server %s\n", proc_state(server) ? "still there" : "collected");
	}
	printf("fskill: done\n");
	return 0;
}
