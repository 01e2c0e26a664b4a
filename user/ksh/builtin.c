/*
 * The builtins: commands the shell runs itself, because they change the
 * shell (cd, exit, export, set, unset, fg, wait) or know its state (pwd,
 * jobs, help), plus echo, true and false for speed.  Alone in the
 * foreground they run in the shell, with redirections undone after; in a
 * pipeline or in the background, in a child like any program (exec.c).
 *
 * Each takes argc and argv like main and returns its status; errors go to
 * standard error as "ksh: NAME: ...".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksh.h"

static int b_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : var_get("HOME");
	char cwd[PATH_MAX];
	bool dash = dir && strcmp(dir, "-") == 0;

	if (argc > 2) {
		sh_error("cd: too many arguments");
		return 2;
	}
	if (dash)
		dir = var_get("OLDPWD");
	if (!dir || !dir[0])
		dir = "/";
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (chdir(dir) < 0) {
		sh_error("cd: %s: %s", dir, strerror(errno));
		return 1;
	}
	var_set("OLDPWD", cwd, false);
	if (getcwd(cwd, sizeof(cwd)))
		var_set("PWD", cwd, false);
	if (dash)
		printf("%s\n", cwd);
	return 0;
}

static int b_pwd(int argc, char **argv)
{
	char cwd[PATH_MAX];

	(void)argc;
	(void)argv;
	if (!getcwd(cwd, sizeof(cwd))) {
		sh_error("pwd: %s", strerror(errno));
		return 1;
	}
	printf("%s\n", cwd);
	return 0;
}

static int b_echo(int argc, char **argv)
{
	int i = 1;
	bool newline = true;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = false;
		i++;
	}
	for (; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	if (newline)
		putchar('\n');
	return ferror(stdout) ? 1 : 0;
}

/* A number argument of exit and the like: 0 or -1 (said why). */
static int parse_number(const char *cmd, const char *s, long *out)
{
	char *end;

	*out = strtol(s, &end, 10);
	if (end == s || *end) {
		sh_error("%s: %s: not a number", cmd, s);
		return -1;
	}
	return 0;
}

static int b_exit(int argc, char **argv)
{
	long status = sh.status;

	if (argc > 2) {
		sh_error("exit: too many arguments");
		return 2;
	}
	if (argc == 2 && parse_number("exit", argv[1], &status) < 0)
		sh_exit(2);
	sh_exit((int)(status & 0xff));
}

static int b_true(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int b_false(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}

/* NAME=value or NAME; for export and set. */
static int set_variable(const char *cmd, const char *arg, bool export)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	char *name;

	if (!var_valid_name(arg, len)) {
		sh_error("%s: %s: not a variable name", cmd, arg);
		return 1;
	}
	name = strndup(arg, len);
	if (eq)
		var_set(name, eq + 1, export);
	else if (export)
		var_export(name);
	free(name);
	return 0;
}

static int b_export(int argc, char **argv)
{
	int status = 0;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "-p") == 0)) {
		var_print(true);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		status |= set_variable("export", argv[i], true);
	return status;
}

static int b_unset(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		var_unset(argv[i]);
	return 0;
}

/* The arguments after `set --` (or after the options), copied, become
 * $1...  (The old ones are kept: a builtin's caller may still use them.) */
static void set_args(int argc, char **argv)
{
	char **args = malloc((argc + 1) * sizeof(char *));

	if (!args)
		return;
	for (int i = 0; i < argc; i++)
		args[i] = strdup(argv[i]);
	args[argc] = NULL;
	sh.args = args;
	sh.nargs = argc;
}

static int b_set(int argc, char **argv)
{
	int i = 1;

	if (argc == 1) {
		var_print(false);
		return 0;
	}
	for (; i < argc && (argv[i][0] == '-' || argv[i][0] == '+'); i++) {
		bool on = argv[i][0] == '-';

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'e') {
				sh.errexit = on;
			} else if (*o == 'x') {
				sh.xtrace = on;
			} else {
				sh_error("set: -%c: unknown option (set [-ex] [--] [ARG...])", *o);
				return 2;
			}
		}
	}
	if (i < argc || strcmp(argv[i - 1], "--") == 0)
		set_args(argc - i, argv + i);
	return 0;
}

static int b_jobs(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	job_list();
	return 0;
}

static int b_fg(int argc, char **argv)
{
	return job_fg(argc > 1 ? argv[1] : NULL);
}

static int b_wait(int argc, char **argv)
{
	int status = 0;

	if (argc == 1)
		return job_wait(NULL);
	for (int i = 1; i < argc; i++)
		status = job_wait(argv[i]);
	return status;
}

static int b_help(int argc, char **argv);

static const struct builtin {
	const char *name;
	builtin_fn *fn;
	const char *usage;
} builtins[] = {
	{ "cd", b_cd, "cd [DIR | -]          change directory (default $HOME)" },
	{ "pwd", b_pwd, "pwd                   print the working directory" },
	{ "echo", b_echo, "echo [-n] [ARG...]    print the arguments" },
	{ "exit", b_exit, "exit [N]              leave the shell with status N" },
	{ "help", b_help, "help                  this list" },
	{ "jobs", b_jobs, "jobs                  list the jobs" },
	{ "fg", b_fg, "fg [%N]               continue job N in the foreground" },
	{ "wait", b_wait, "wait [%N | PID...]    wait for background jobs" },
	{ "export", b_export, "export [NAME[=VALUE]...]  give variables to programs" },
	{ "set", b_set, "set [-ex] [-- ARG...] list variables; options; set $1..." },
	{ "unset", b_unset, "unset NAME...         forget variables" },
	{ "true", b_true, "true                  succeed" },
	{ "false", b_false, "false                 fail" },
};

static int b_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("ksh, the kestrel shell.  Builtins:\n");
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		printf("  %s\n", builtins[i].usage);
	printf("Other commands are programs, found through $PATH (/bin).  Syntax:\n"
	       "  a ; b   a && b   a || b   a | b | c   a &   ! a\n"
	       "  < file   > file   >> file   2> file   2>&1   NAME=VALUE cmd\n"
	       "  'literal'  \"with $VAR\"  \\c   $VAR ${VAR} $? $$ $# $1   # comment\n"
	       "Keys: ^C abandons the line (or stops the job), ^D at an empty line exits,\n"
	       "  ^U ^W erase, Up/Down history, Left/Right move.\n");
	return 0;
}

builtin_fn *builtin_find(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].fn;
	return NULL;
}
