/*
 * ksh, the kestrel shell: the first program the kernel runs (from the
 * ramdisk's /bin/ksh, with an empty command line), and the shell init
 * starts on the console.
 *
 *   ksh                 interactive: prompt, line editing, job control
 *   ksh -c 'CMD' [ARG0 [ARG...]]   run CMD, then exit with its status
 *   ksh SCRIPT [ARG...] run the file SCRIPT ($0 SCRIPT, $1... the args)
 *
 * The shell is a loop: read a line (edit.c), parse it into and-or lists
 * (parse.c), run them (exec.c, jobs.c), and before the next prompt report
 * the background jobs that ended.  A line that is not complete (an open
 * quote, a trailing |) gets continuation lines with the prompt "> ".
 * Interactive, a non-zero status is shown as "[status N]" (with the
 * signal's name for a job a signal ended), and ksh ignores SIGINT: Ctrl-C
 * is for the foreground job, or abandons the line being typed.
 *
 * A script or -c text is parsed whole, then run; a syntax error runs
 * nothing and gives status 2.  The shell is interactive when it reads
 * commands from a terminal (or, where there is no termios yet, a character
 * device such as /dev/console).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ksh.h"

struct shell sh;

extern char **environ;

void sh_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ksh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void sh_exit(int status)
{
	fflush(NULL);
	exit(status);
}

/* Parse text and run it; syntax errors are said and give status 2. */
static int run_text(const char *text, const char *where)
{
	struct andor *list;
	char err[256];
	enum parse_result r = parse_text(text, &list, err, sizeof(err));

	if (r == PARSE_INCOMPLETE)
		snprintf(err, sizeof(err),
			 "unexpected end of input (an open quote, or a "
			 "command missing after | && ||)");
	if (r != PARSE_OK) {
		sh_error("%s: %s", where, err);
		return sh.status = 2;
	}
	exec_list(list);
	parse_free(list);
	return sh.status;
}

/* All of fd's text, NUL-terminated; NULL (errno set) on an error. */
static char *read_all(int fd)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *bigger = realloc(text, cap = 2 * cap + 4096 + 1);

			if (!bigger) {
				free(text);
				errno = ENOMEM;
				return NULL;
			}
			text = bigger;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY), saved;
	char *text;

	if (fd < 0)
		return NULL;
	text = read_all(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return text;
}

static void make_prompt(char *buf, size_t len)
{
	const char *ps1 = var_get("PS1");
	char cwd[256];

	if (ps1) {
		snprintf(buf, len, "%s", ps1);
		return;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "?");
	snprintf(buf, len, "ksh:%s$ ", cwd);
}

static void show_status(void)
{
	int sig = sh.status - 128;

	if (sh.status == 0)
		return;
	if (sig > 0 && sig < 65)
		fprintf(stderr, "[status %d, %s]\n", sh.status, signal_name(sig));
	else
		fprintf(stderr, "[status %d]\n", sh.status);
}

/* A command line, with continuation lines while it is incomplete; NULL at
 * the end of input. */
static char *read_command(struct andor **list)
{
	char prompt[300], err[256];
	char *line;

	make_prompt(prompt, sizeof(prompt));
	line = edit_readline(prompt);
	while (line) {
		enum parse_result r = parse_text(line, list, err, sizeof(err));
		char *more, *joined;

		if (r == PARSE_OK)
			return line;
		if (r == PARSE_ERROR) {
			sh_error("%s", err);
			sh.status = 2;
			*list = NULL;
			return line;
		}
		more = edit_readline("> ");
		if (!more) {
			sh_error("unexpected end of input");
			*list = NULL;
			return line;
		}
		joined = malloc(strlen(line) + strlen(more) + 2);
		if (!joined)
			sh_exit(2);
		sprintf(joined, "%s\n%s", line, more);
		free(line);
		free(more);
		line = joined;
	}
	return NULL;
}

static int interactive_loop(void)
{
	for (;;) {
		struct andor *list = NULL;
		char *line;

		job_notify(true);
		line = read_command(&list);
		if (!line)
			break;
		edit_history_add(line);
		free(line);
		if (list) {
			exec_list(list);
			parse_free(list);
			show_status();
		}
	}
	return sh.status;
}

static int usage(void)
{
	fprintf(stderr, "usage: ksh [-c COMMAND [ARG0 [ARG...]] | SCRIPT [ARG...]]\n");
	return 2;
}

static bool is_terminal(int fd)
{
	struct stat st;

	return isatty(fd) || (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode));
}

int main(int argc, char **argv)
{
	char *text;

	var_init(environ);
	sh.pid = getpid();
	sh.arg0 = argv[0];
	sh.args = argv + argc;
	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		if (argc < 3)
			return usage();
		if (argc > 3) {
			sh.arg0 = argv[3];
			sh.args = argv + 4;
			sh.nargs = argc - 4;
		}
		sh_exit(run_text(argv[2], "-c"));
	}
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "-i") != 0)
		return usage();
	if (argc > 1 && strcmp(argv[1], "-i") != 0) {
		text = read_file(argv[1]);
		if (!text) {
			sh_error("%s: %s", argv[1], strerror(errno));
			return 127;
		}
		sh.arg0 = argv[1];
		sh.args = argv + 2;
		sh.nargs = argc - 2;
		run_text(text, argv[1]);
		free(text);
		sh_exit(sh.status);
	}
	sh.interactive = argc > 1 || is_terminal(STDIN_FILENO);
	if (!sh.interactive) {
		/* commands on a pipe or from a file: a script without a name */
		int status = 1;

		text = read_all(STDIN_FILENO);
		if (text)
			status = run_text(text, "stdin");
		free(text);
		sh_exit(status);
	}
	job_init();
	if (sh.interactive)
		fprintf(stderr, "ksh: the kestrel shell (help lists the commands)\n");
	sh_exit(interactive_loop());
}
