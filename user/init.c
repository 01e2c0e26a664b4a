/*
 * init [INITTAB]: start the userspace that /etc/inittab (or INITTAB)
 * describes, keep the respawn entries running, and reap orphans.
 *
 * The file has busybox's format: one entry a line, "id::action:command",
 * blank lines and lines starting with '#' ignored.
 *
 *   id       a name for messages (busybox's terminal; the console is
 *            everyone's here)
 *   action   sysinit  run and wait for it to end, before anything else
 *            wait     the same, after every sysinit entry
 *            once     start it and go on (a server: hellofs /mnt)
 *            respawn  start it, and again whenever it ends (the shell)
 *   command  the program (a path, or a name looked up in PATH) and its
 *            arguments, separated by spaces; '...' quotes a word that
 *            holds spaces
 *
 * Entries start in that order of actions, each action's in the order of
 * the file.  Each child runs in a session of its own (setsid), with
 * init's environment and PATH=/bin if there is none.
 *
 * Then init waits for any child.  A respawn entry that ended is started
 * again; one that ended less than RESPAWN_QUICK seconds after its start is
 * started again only RESPAWN_QUICK seconds after it started (so one that
 * dies at once restarts once a second, not in a tight loop), and after
 * RESPAWN_GIVE_UP such quick ends in a row it is not restarted at all.
 * init asks to be the subreaper of its descendants
 * (prctl(PR_SET_CHILD_SUBREAPER)), so orphaned grandchildren are
 * re-parented to it and collected here too.  init ends (status 0) when it
 * has no child left and nothing to respawn.
 *
 * It says what it does on stdout: "init: ID started (pid N): COMMAND",
 * "init: ID (pid N) exited with status S" (or "killed by signal S"),
 * "init: reaped orphan pid N", "init: ID respawning too fast: disabled".
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ENTRIES_MAX     32
#define ARGS_MAX        16
#define RESPAWN_QUICK   1.0 /* seconds: an end sooner than this is quick */
#define RESPAWN_GIVE_UP 10  /* quick ends in a row before giving up */
#define POLL_NS         100000000L

enum action { SYSINIT, WAIT, ONCE, RESPAWN, NACTIONS };
static const char *const action_names[NACTIONS] = { "sysinit", "wait", "once", "respawn" };

struct entry {
	char id[32];
	enum action action;
	char *argv[ARGS_MAX + 1]; /* into the entry's own copy of the line */
	char *command;            /* the command as written, for messages */
	pid_t pid;                /* running as this child, or 0 */
	double started;           /* when it last started (monotonic seconds) */
	int quick;                /* quick ends in a row */
	bool disabled;
};

static struct entry entries[ENTRIES_MAX];
static int nentries;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Split s in place into words (see the top); false if there are too many
 * or a quote is not closed. */
static bool split_words(char *s, char **argv)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == ARGS_MAX)
			return false;
		if (*s == '\'') {
			argv[n++] = ++s;
			if (!(s = strchr(s, '\'')))
				return false;
		} else {
			argv[n++] = s;
			s += strcspn(s, " \t");
			if (!*s)
				break;
		}
		*s++ = '\0';
	}
	argv[n] = NULL;
	return n > 0;
}

/* One line "id::action:command" into entries[]; false if it is malformed. */
static bool parse_entry(char *line)
{
	struct entry *e = &entries[nentries];
	char *id = line, *action, *command, *copy;
	int a;

	if (!(action = strstr(line, "::")) || !(command = strchr(action + 2, ':')))
		return false;
	*action = '\0', action += 2;
	*command++ = '\0';
	for (a = 0; a < NACTIONS && strcmp(action, action_names[a]) != 0; a++)
		continue;
	if (a == NACTIONS || nentries == ENTRIES_MAX)
		return false;
	if (!(copy = strdup(command)) || !(e->command = strdup(command)))
		err(1, "out of memory");
	if (!split_words(copy, e->argv))
		return false;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->action = (enum action)a;
	nentries++;
	return true;
}

static void read_inittab(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int lineno = 0;

	if (!f)
		err(1, "%s", path);
	while ((len = getline(&line, &size, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		if (!parse_entry(line))
			warnx("%s:%d: not an entry \"id::sysinit|wait|once|respawn:command\"", path,
			      lineno);
	}
	free(line);
	fclose(f);
}

static void start(struct entry *e)
{
	pid_t pid = fork();

	if (pid < 0) {
		warn("%s: fork", e->id);
		return;
	}
	if (pid == 0) {
		setsid();
		execvp(e->argv[0], e->argv);
		warn("%s: %s", e->id, e->argv[0]);
		_exit(127);
	}
	e->pid = pid;
	e->started = now();
	printf("init: %s started (pid %d): %s\n", e->id, pid, e->command);
}

static void report(const char *id, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		printf("init: %s (pid %d) killed by signal %d\n", id, pid, WTERMSIG(status));
	else
		printf("init: %s (pid %d) exited with status %d\n", id, pid, WEXITSTATUS(status));
}

/* A child ended: note it in its entry (or report an orphan). */
static void ended(pid_t pid, int status)
{
	for (int i = 0; i < nentries; i++) {
		struct entry *e = &entries[i];

		if (e->pid != pid)
			continue;
		e->pid = 0;
		report(e->id, pid, status);
		if (e->action != RESPAWN)
			return;
		e->quick = now() - e->started < RESPAWN_QUICK ? e->quick + 1 : 0;
		if (e->quick >= RESPAWN_GIVE_UP) {
			printf("init: %s respawning too fast: disabled\n", e->id);
			e->disabled = true;
		}
		return;
	}
	printf("init: reaped orphan pid %d\n", pid);
}

/* Start the respawn entries that are due; true if one is waiting for its
 * time (the caller must then poll instead of blocking in wait). */
static bool respawn_due(void)
{
	bool waiting = false;

	for (int i = 0; i < nentries; i++) {
		struct entry *e = &entries[i];

		if (e->action != RESPAWN || e->pid || e->disabled)
			continue;
		if (e->quick && now() - e->started < RESPAWN_QUICK)
			waiting = true;
		else
			start(e);
	}
	return waiting;
}

/* Start an action's entries; for sysinit and wait, one at a time, each
 * waited for (other children that end meanwhile are noted too). */
static void run_action(enum action a)
{
	for (int i = 0; i < nentries; i++) {
		struct entry *e = &entries[i];
		int status;
		pid_t pid;

		if (e->action != a)
			continue;
		start(e);
		while ((a == SYSINIT || a == WAIT) && e->pid) {
			if ((pid = wait(&status)) < 0)
				break;
			ended(pid, status);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		errx(2, "usage: init [INITTAB]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Until the kernel knows the call, orphans go to pid 1 as before. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 && errno != EINVAL && errno != ENOSYS)
		warn("prctl(PR_SET_CHILD_SUBREAPER)");
	setenv("PATH", "/bin", 0);
	read_inittab(argc == 2 ? argv[1] : "/etc/inittab");
	for (int a = SYSINIT; a <= RESPAWN; a++)
		run_action((enum action)a);
	for (;;) {
		bool waiting = respawn_due();
		int status;
		pid_t pid = waitpid(-1, &status, waiting ? WNOHANG : 0);

		if (pid > 0) {
			ended(pid, status);
		} else if (pid == 0 || (pid < 0 && errno == ECHILD && waiting)) {
			nanosleep(&(struct timespec){ 0, POLL_NS }, NULL);
		} else if (errno == ECHILD) {
			printf("init: no processes left\n");
			return 0;
		}
	}
}
