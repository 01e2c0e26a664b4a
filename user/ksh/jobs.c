/*
 * Jobs: the processes of one pipeline (or of a background and-or list's
 * subshell), their process group and the terminal.
 *
 * Job control as POSIX describes it (XBD 11.1.2, XSH setpgid and
 * tcsetpgrp): an interactive shell puts itself in a process group of its
 * own and holds the terminal.  Each job gets its own group, led by its
 * first process; parent and child both call setpgid, so whichever runs
 * first puts the child in place before the shell hands the terminal over
 * or the child execs.  For a foreground job the shell gives the terminal to
 * the job's group with tcsetpgrp, so Ctrl-C (the terminal's SIGINT to its
 * foreground group) reaches the job and not the shell, and takes the
 * terminal back once the job has ended or stopped.  The shell ignores
 * SIGINT, SIGQUIT, SIGTSTP, SIGTTIN and SIGTTOU (the last so that it may
 * call tcsetpgrp from the background); its children set them back.
 *
 * A system without process groups or a terminal with tcsetpgrp (setpgid
 * or tcsetpgrp failing) still runs jobs: they share the shell's group.
 *
 * Every child is collected with waitpid(-1), so a background job that ends
 * while the shell waits for the foreground is noted too; job_notify (before
 * each prompt) reports finished background jobs as "[N] Done  text" and
 * forgets them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "ksh.h"

#define JOB_MAX       32
#define JOB_MAX_PROCS 64

struct proc {
	pid_t pid;
	int wstatus;
	bool done;
};

struct job {
	int id; /* [N], from 1; 0 for a free slot */
	pid_t pgid;
	struct proc procs[JOB_MAX_PROCS];
	int nprocs;
	bool background;
	bool stopped;
	char *text;
};

static struct job jobs[JOB_MAX];
static bool controlling; /* job control: the shell has its own group and the terminal */
static int wait_flags = WUNTRACED;
static struct termios shell_modes;
static bool have_modes;

static const int job_signals[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU };

bool job_control(void)
{
	return controlling;
}

void job_init(void)
{
	if (!sh.interactive)
		return;
	for (size_t i = 0; i < sizeof(job_signals) / sizeof(job_signals[0]); i++)
		signal(job_signals[i], SIG_IGN);
	if (getpgrp() != getpid() && setpgid(0, 0) < 0)
		return; /* no process groups: every job runs in the shell's */
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0)
		return; /* no terminal to hand over: the same */
	controlling = true;
	have_modes = tcgetattr(STDIN_FILENO, &shell_modes) == 0;
}

struct job *job_new(const char *text, bool background)
{
	int id = 1;

	for (int i = 0; i < JOB_MAX; i++)
		if (jobs[i].id >= id)
			id = jobs[i].id + 1;
	for (int i = 0; i < JOB_MAX; i++) {
		if (jobs[i].id)
			continue;
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].id = id;
		jobs[i].background = background;
		jobs[i].text = strdup(text ? text : "");
		return &jobs[i];
	}
	return NULL;
}

static void job_free(struct job *j)
{
	free(j->text);
	j->text = NULL;
	j->id = 0;
}

pid_t job_pgid(const struct job *j)
{
	return j->pgid;
}

void job_add(struct job *j, pid_t pid)
{
	if (!j->pgid)
		j->pgid = pid;
	if (controlling)
		setpgid(pid, j->pgid); /* the child does the same: see the story */
	if (j->nprocs < JOB_MAX_PROCS)
		j->procs[j->nprocs++] = (struct proc){ .pid = pid };
}

void job_child_setup(pid_t pgid, bool foreground)
{
	/* Into the job's group and holding the terminal before SIGTTOU is
	 * back to its default, which would stop a tcsetpgrp from the
	 * background. */
	if (controlling) {
		setpgid(0, pgid);
		if (foreground)
			tcsetpgrp(STDIN_FILENO, pgid ? pgid : getpid());
	}
	for (size_t i = 0; i < sizeof(job_signals) / sizeof(job_signals[0]); i++)
		signal(job_signals[i], SIG_DFL);
	if (!controlling && !foreground) {
		/* sh's rule for & without job control: Ctrl-C is for the
		 * foreground */
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	}
	/* The child is no shell with jobs of its own (a subshell's children
	 * join its group). */
	controlling = false;
	for (int i = 0; i < JOB_MAX; i++)
		if (jobs[i].id)
			job_free(&jobs[i]);
}

int job_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	if (WIFSTOPPED(wstatus))
		return 128 + WSTOPSIG(wstatus);
	return 1;
}

const char *signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" },   { SIGINT, "SIGINT" },   { SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" },   { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" },   { SIGFPE, "SIGFPE" },   { SIGKILL, "SIGKILL" },
		{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" },
		{ SIGTTOU, "SIGTTOU" }, { SIGCONT, "SIGCONT" },
	};
	static char other[16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof(other), "signal %d", sig);
	return other;
}

static struct proc *find_proc(pid_t pid, struct job **jp)
{
	for (int i = 0; i < JOB_MAX; i++)
		for (int k = 0; jobs[i].id && k < jobs[i].nprocs; k++)
			if (jobs[i].procs[k].pid == pid) {
				*jp = &jobs[i];
				return &jobs[i].procs[k];
			}
	return NULL;
}

/* Collect one child: 1 if one was, 0 if none is ready (WNOHANG), -1 if
 * there are no children. */
static int reap(int flags)
{
	struct job *j;
	struct proc *p;
	int wstatus;
	pid_t pid = waitpid(-1, &wstatus, flags | wait_flags);

	if (pid < 0 && errno == EINVAL && wait_flags) {
		wait_flags = 0; /* a kernel without stopped processes */
		pid = waitpid(-1, &wstatus, flags);
	}
	if (pid < 0)
		return errno == EINTR ? 1 : -1;
	if (pid == 0)
		return 0;
	p = find_proc(pid, &j);
	if (!p)
		return 1;
	if (WIFSTOPPED(wstatus)) {
		j->stopped = true;
		p->wstatus = wstatus;
		return 1;
	}
	p->done = true;
	p->wstatus = wstatus;
	return 1;
}

static bool job_done(const struct job *j)
{
	for (int k = 0; k < j->nprocs; k++)
		if (!j->procs[k].done)
			return false;
	return true;
}

/* The status of a job: that of its last process. */
static int job_result(const struct job *j)
{
	return j->nprocs ? job_status(j->procs[j->nprocs - 1].wstatus) : 0;
}

/* "Done", "Exit 3", "SIGINT", "Stopped": how a job ended or stands. */
static const char *job_state(const struct job *j, char *buf, size_t len)
{
	int ws = j->nprocs ? j->procs[j->nprocs - 1].wstatus : 0;

	if (j->stopped)
		return "Stopped";
	if (!job_done(j))
		return "Running";
	if (WIFSIGNALED(ws))
		return signal_name(WTERMSIG(ws));
	if (WEXITSTATUS(ws) == 0)
		return "Done";
	snprintf(buf, len, "Exit %d", WEXITSTATUS(ws));
	return buf;
}

static void take_terminal(void)
{
	if (!controlling)
		return;
	tcsetpgrp(STDIN_FILENO, getpgrp());
	if (have_modes)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &shell_modes);
}

int job_wait_fg(struct job *j)
{
	int status;
	char buf[32];

	j->background = false;
	j->stopped = false;
	if (controlling && j->pgid)
		tcsetpgrp(STDIN_FILENO, j->pgid);
	while (!job_done(j) && !j->stopped)
		if (reap(0) < 0)
			break;
	take_terminal();
	status = job_result(j);
	if (j->stopped) {
		j->background = true;
		fprintf(stderr, "\n[%d] %s  %s\n", j->id, job_state(j, buf, sizeof(buf)), j->text);
		return status;
	}
	if (sh.interactive && WIFSIGNALED(j->procs[j->nprocs - 1].wstatus) &&
	    WTERMSIG(j->procs[j->nprocs - 1].wstatus) == SIGINT)
		fputc('\n', stderr); /* the ^C the terminal echoed ends no line */
	job_free(j);
	return status;
}

void job_started(struct job *j)
{
	if (sh.interactive)
		fprintf(stderr, "[%d] %d\n", j->id, (int)j->pgid);
}

void job_notify(bool report)
{
	char buf[32];

	while (reap(WNOHANG) > 0)
		;
	for (int i = 0; i < JOB_MAX; i++) {
		if (!jobs[i].id || !jobs[i].background || !job_done(&jobs[i]))
			continue;
		if (report)
			fprintf(stderr, "[%d] %s  %s\n", jobs[i].id,
				job_state(&jobs[i], buf, sizeof(buf)), jobs[i].text);
		job_free(&jobs[i]);
	}
}

void job_list(void)
{
	char buf[32];

	while (reap(WNOHANG) > 0)
		;
	for (int i = 0; i < JOB_MAX; i++) {
		if (!jobs[i].id)
			continue;
		printf("[%d] %d %s  %s\n", jobs[i].id, (int)jobs[i].pgid,
		       job_state(&jobs[i], buf, sizeof(buf)), jobs[i].text);
		if (job_done(&jobs[i]))
			job_free(&jobs[i]); /* reported: no Done line later */
	}
}

/* The job a spec names: %N, N, a pid, or (NULL) the newest. */
static struct job *job_find(const char *spec)
{
	struct job *best = NULL;
	long n = spec ? strtol(spec + (spec[0] == '%'), NULL, 10) : 0;

	for (int i = 0; i < JOB_MAX; i++) {
		if (!jobs[i].id)
			continue;
		if (!spec && (!best || jobs[i].id > best->id))
			best = &jobs[i];
		if (spec && (jobs[i].id == n || (spec[0] != '%' && jobs[i].pgid == n)))
			return &jobs[i];
	}
	return best;
}

int job_fg(const char *spec)
{
	struct job *j = job_find(spec);

	if (!j) {
		sh_error("fg: %s: no such job", spec ? spec : "current");
		return 1;
	}
	printf("%s\n", j->text);
	fflush(stdout);
	if (j->stopped) {
		if (controlling && j->pgid)
			tcsetpgrp(STDIN_FILENO, j->pgid);
		kill(-j->pgid, SIGCONT);
	}
	return job_wait_fg(j);
}

/* Wait for j (without the terminal); its status. */
static int job_wait_one(struct job *j)
{
	int status;

	while (!job_done(j) && !j->stopped)
		if (reap(0) < 0)
			break;
	status = job_result(j);
	if (!j->stopped)
		job_free(j);
	return status;
}

int job_wait(const char *spec)
{
	struct job *j;

	if (spec) {
		j = job_find(spec);
		if (!j) {
			sh_error("wait: %s: no such job", spec);
			return 127;
		}
		return job_wait_one(j);
	}
	for (int i = 0; i < JOB_MAX; i++)
		if (jobs[i].id && !jobs[i].stopped)
			job_wait_one(&jobs[i]);
	return 0; /* sh's wait without operands */
}
