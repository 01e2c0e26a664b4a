/*
 * Running and-or lists, pipelines and simple commands.
 *
 * An and-or list runs its pipelines left to right: after &&, the next
 * runs only if the last status was 0, after || only if it was not; a
 * pipeline skipped passes its connector on (`false && a || b` runs b).
 *
 * A pipeline of n commands is n children joined by n - 1 pipes, made in
 * order: the shell creates the pipe to the next command before forking
 * this one, the child moves its ends onto 0 and 1, and the shell closes
 * its copies at once, so a reader sees end of file when its writer
 * exits.  The children form one job (jobs.c); its status is the last
 * command's.  A simple command alone in the foreground that is a builtin,
 * or only assignments and redirections, runs in the shell itself (cd must
 * change the shell's directory), with its redirections undone after.
 *
 * A background and-or list of more than one pipeline runs in a forked
 * copy of the shell (a subshell), which is then the job's one process.
 *
 * Redirections apply left to right (`>out 2>&1` sends both to out,
 * `2>&1 >out` only 1).  In a child the words are expanded after the fork:
 * expansion has no side effects, and $$ is the shell's pid there too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksh.h"

#define SAVED_MAX 16

/* Descriptors a redirection in the shell replaced, to put back after. */
struct saved {
	int fd[SAVED_MAX];
	int copy[SAVED_MAX]; /* -1: fd was closed before */
	int n;
};

static int open_redir(const struct redir *r)
{
	char *name = expand_word(r->word);
	int flags = r->kind == REDIR_IN       ? O_RDONLY
		    : r->kind == REDIR_APPEND ? O_WRONLY | O_CREAT | O_APPEND
					      : O_WRONLY | O_CREAT | O_TRUNC;
	int fd = open(name, flags, 0666);

	if (fd < 0)
		sh_error("%s: %s", name, strerror(errno));
	free(name);
	return fd;
}

static int dup_redir(const struct redir *r)
{
	char *word = expand_word(r->word);
	char *end;
	long from = strtol(word, &end, 10);
	int ret = 0;

	if (strcmp(word, "-") == 0) {
		close(r->fd);
	} else if (end == word || *end || from < 0 || from > 1023) {
		sh_error("%s: not a descriptor", word);
		ret = -1;
	} else if (from != r->fd && dup2((int)from, r->fd) < 0) {
		sh_error("%ld: %s", from, strerror(errno));
		ret = -1;
	}
	free(word);
	return ret;
}

static void save_fd(struct saved *sv, int fd)
{
	if (!sv || sv->n == SAVED_MAX)
		return;
	sv->fd[sv->n] = fd;
	sv->copy[sv->n++] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

static void restore_fds(struct saved *sv)
{
	fflush(stdout);
	fflush(stderr);
	while (sv->n > 0) {
		sv->n--;
		if (sv->copy[sv->n] >= 0) {
			dup2(sv->copy[sv->n], sv->fd[sv->n]);
			close(sv->copy[sv->n]);
		} else {
			close(sv->fd[sv->n]);
		}
	}
}

/* Apply the redirections r in order: 0, or -1 (said why).  With sv, the
 * descriptors replaced are kept there for restore_fds. */
static int redirect(const struct redir *r, struct saved *sv)
{
	for (; r; r = r->next) {
		int fd;

		save_fd(sv, r->fd);
		if (r->kind == REDIR_DUP) {
			if (dup_redir(r) < 0)
				return -1;
			continue;
		}
		fd = open_redir(r);
		if (fd < 0)
			return -1;
		if (fd != r->fd) {
			dup2(fd, r->fd);
			close(fd);
		}
	}
	return 0;
}

static int count_assignments(const struct command *c)
{
	int n = 0;

	while (n < c->nwords && assignment_name_len(c->words[n]))
		n++;
	return n;
}

/* The first n words of c (NAME=value) as variables; exported ones also go
 * to the environment. */
static void assign(const struct command *c, int n, bool export)
{
	for (int i = 0; i < n; i++) {
		size_t len = assignment_name_len(c->words[i]);
		char *name = strndup(c->words[i], len);
		char *value = expand_word(c->words[i] + len + 1);

		var_set(name, value, export);
		free(name);
		free(value);
	}
}

static void trace(char **argv)
{
	if (!sh.xtrace)
		return;
	fputs("+", stderr);
	for (; *argv; argv++)
		fprintf(stderr, " %s", *argv);
	fputs("\n", stderr);
}

/* execve argv[0], by path or through $PATH; does not return. */
static void exec_program(char **argv)
{
	char **env = var_environ();
	const char *path = var_get("PATH");
	int err = ENOENT;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, env);
		err = errno;
	} else {
		for (const char *dir = path ? path : "/bin"; dir;) {
			const char *colon = strchr(dir, ':');
			size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
			char file[1024];

			snprintf(file, sizeof(file), "%.*s%s%s", (int)len, len ? dir : ".", "/",
				 argv[0]);
			execve(file, argv, env);
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
			dir = colon ? colon + 1 : NULL;
		}
	}
	if (err == ENOENT) {
		sh_error("%s: not found", argv[0]);
		_exit(127);
	}
	sh_error("%s: %s", argv[0], strerror(err));
	_exit(126);
}

/* In a child: run c, a program or a builtin; does not return. */
static void exec_command(struct command *c)
{
	int nassign = count_assignments(c), argc;
	char **argv = expand_words(c->words + nassign, c->nwords - nassign, &argc);
	builtin_fn *builtin;

	assign(c, nassign, true);
	if (redirect(c->redirs, NULL) < 0)
		_exit(1);
	if (argc == 0)
		_exit(0);
	trace(argv);
	builtin = builtin_find(argv[0]);
	if (builtin) {
		int status = builtin(argc, argv);

		fflush(NULL);
		_exit(status);
	}
	exec_program(argv);
}

/* A lone foreground command the shell runs itself; its status, or -1 if
 * it must run in a child. */
static int run_in_shell(struct command *c)
{
	int nassign = count_assignments(c), argc, status = 0;
	char **argv = expand_words(c->words + nassign, c->nwords - nassign, &argc);
	builtin_fn *builtin = argc ? builtin_find(argv[0]) : NULL;
	struct saved sv = { .n = 0 };

	if (argc && !builtin) {
		free_words(argv);
		return -1;
	}
	assign(c, nassign, false);
	if (redirect(c->redirs, &sv) < 0) {
		status = 1;
	} else if (builtin) {
		trace(argv);
		status = builtin(argc, argv);
	}
	restore_fds(&sv);
	free_words(argv);
	return status;
}

/* Fork the commands of pl as job j; false if one could not be started. */
static bool start_pipeline(struct pipeline *pl, struct job *j, bool background)
{
	int in = -1;
	bool ok = true;

	for (struct command *c = pl->cmds; c; c = c->next) {
		int pfd[2] = { -1, -1 };
		pid_t pid;

		if (c->next && pipe(pfd) < 0) {
			sh_error("pipe: %s", strerror(errno));
			ok = false;
			break;
		}
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			sh_error("fork: %s", strerror(errno));
			close(pfd[0]);
			close(pfd[1]);
			ok = false;
			break;
		}
		if (pid == 0) {
			job_child_setup(job_pgid(j), !background);
			if (in >= 0) {
				dup2(in, STDIN_FILENO);
				close(in);
			}
			if (pfd[1] >= 0) {
				dup2(pfd[1], STDOUT_FILENO);
				close(pfd[1]);
				close(pfd[0]);
			}
			exec_command(c);
		}
		job_add(j, pid);
		if (in >= 0)
			close(in);
		if (pfd[1] >= 0)
			close(pfd[1]);
		in = pfd[0];
	}
	if (in >= 0)
		close(in);
	return ok;
}

static int run_pipeline(struct pipeline *pl, const char *text, bool background)
{
	struct job *j;
	int status;
	bool ok;

	if (!background && !pl->cmds->next) {
		status = run_in_shell(pl->cmds);
		if (status >= 0)
			return pl->negate ? !status : status;
	}
	j = job_new(text, background);
	if (!j) {
		sh_error("too many jobs");
		return 1;
	}
	ok = start_pipeline(pl, j, background);
	if (background) {
		job_started(j);
		return ok ? 0 : 1;
	}
	status = job_wait_fg(j);
	if (!ok)
		status = 1;
	return pl->negate ? !status : status;
}

int exec_andor(struct andor *a)
{
	int status = 0;
	struct pipeline *pl = a->pipes;

	while (pl) {
		enum connector conn;

		status = sh.status = run_pipeline(pl, a->text, false);
		conn = pl->conn;
		pl = pl->next;
		while (pl &&
		       ((conn == CONN_AND && status != 0) || (conn == CONN_OR && status == 0))) {
			conn = pl->conn;
			pl = pl->next;
		}
	}
	return status;
}

/* a, ended by &: a job the shell does not wait for. */
static int run_background(struct andor *a)
{
	struct job *j;
	pid_t pid;

	if (!a->pipes->next && !a->pipes->negate)
		return run_pipeline(a->pipes, a->text, true);
	j = job_new(a->text, true);
	if (!j) {
		sh_error("too many jobs");
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		sh_error("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		job_child_setup(0, false);
		sh.interactive = false;
		_exit(exec_andor(a));
	}
	job_add(j, pid);
	job_started(j);
	return 0;
}

int exec_list(struct andor *list)
{
	for (struct andor *a = list; a; a = a->next) {
		if (a->background)
			sh.status = run_background(a);
		else
			sh.status = exec_andor(a);
		if (sh.errexit && sh.status && !a->background)
			sh_exit(sh.status);
	}
	return sh.status;
}
