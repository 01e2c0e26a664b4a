/*
 * ksh, the kestrel shell: what its files share.
 *
 *   main.c     the story of the shell, options, the read-parse-run loop
 *   parse.c    the lexer and parser: text to a list of and-or lists
 *   expand.c   variables and word expansion (quotes, \, $VAR, $?)
 *   exec.c     running pipelines: fork, pipes, redirections, PATH
 *   jobs.c     the job table, process groups and the terminal
 *   edit.c     the line editor (raw mode, history)
 *   builtin.c  the builtins: cd, pwd, echo, exit, help, jobs, fg, ...
 *
 * The source is portable POSIX C: it builds against the OS's musl and on
 * Linux with gcc, where grade/test_ksh.py tests it.
 */
#ifndef KSH_H
#define KSH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- the syntax tree (parse.c) ---- */

enum redir_kind {
	REDIR_IN,     /* [n]<word */
	REDIR_OUT,    /* [n]>word */
	REDIR_APPEND, /* [n]>>word */
	REDIR_DUP,    /* [n]>&m, [n]<&m, [n]>&- */
};

struct redir {
	enum redir_kind kind;
	int fd;     /* the descriptor redirected */
	char *word; /* the raw word: a file name, or for REDIR_DUP m or "-" */
	struct redir *next;
};

/* One simple command: raw words (quotes still in them: expand.c removes
 * them when the command runs, so $? is the status of the one before). */
struct command {
	char **words; /* NULL-terminated */
	int nwords;
	struct redir *redirs;
	struct command *next; /* the next command of the pipeline */
};

enum connector { CONN_NONE, CONN_AND, CONN_OR };

struct pipeline {
	struct command *cmds;
	bool negate;         /* ! pipeline */
	enum connector conn; /* how the next pipeline of the and-or list follows */
	struct pipeline *next;
};

/* An and-or list, the unit a job is made of: `a | b && c`, ended by ;, &
 * or a newline. */
struct andor {
	struct pipeline *pipes;
	bool background; /* ended by & */
	char *text;      /* its source text, for job messages */
	struct andor *next;
};

enum parse_result { PARSE_OK, PARSE_ERROR, PARSE_INCOMPLETE };

/* Parse src into *out (NULL for nothing but blanks and comments).  On
 * PARSE_ERROR the message is in err (with the line number when
 * line_numbers is set); PARSE_INCOMPLETE means the text ends inside a
 * quote, after \, |, && or ||: more lines would complete it. */
enum parse_result parse_text(const char *src, struct andor **out, char *err, size_t errlen);
void parse_free(struct andor *list);

/* ---- variables and expansion (expand.c) ---- */

void var_init(char **envp);
const char *var_get(const char *name);
void var_set(const char *name, const char *value, bool export);
void var_export(const char *name);
void var_unset(const char *name);
void var_print(bool exported_only);
char **var_environ(void); /* a new array of NAME=value of exported variables */
bool var_valid_name(const char *s, size_t len);

/* Expand raw words: quotes and backslashes removed, $NAME, ${NAME}, $?,
 * $$, $#, $0..$9 and a leading ~ replaced.  The result is not split at
 * blanks; a word that was empty and unquoted disappears.  A new
 * NULL-terminated array of new strings (free with free_words). */
char **expand_words(char *const raw[], int n, int *count);
char *expand_word(const char *raw);
void free_words(char **words);
/* NAME=value as a raw word: the length of NAME, or 0 if it is not one. */
size_t assignment_name_len(const char *raw);

/* ---- running commands (exec.c) ---- */

/* Run every and-or list of list; the status of the last. */
int exec_list(struct andor *list);
/* Run one and-or list in this process (a background job's subshell). */
int exec_andor(struct andor *a);

/* ---- jobs (jobs.c) ---- */

struct job;

void job_init(void);
bool job_control(void); /* interactive, with process groups */
struct job *job_new(const char *text, bool background);
/* Note pid as a process of j, in j's process group (the first is its
 * leader); called in the parent after fork. */
void job_add(struct job *j, pid_t pid);
/* The process group a new child of j joins: 0 for the first (it leads). */
pid_t job_pgid(const struct job *j);
/* Wait for a foreground job with the terminal handed to it; its status
 * (128 + signal for a signal).  A stopped job stays in the table. */
int job_wait_fg(struct job *j);
/* Report the background job started: "[N] pid". */
void job_started(struct job *j);
/* Collect finished children without waiting; with report, say "[N] Done". */
void job_notify(bool report);
void job_list(void);
int job_fg(const char *spec);
int job_wait(const char *spec);
/* In a child after fork: back to default signals, into pgid, and (for a
 * foreground job) holding the terminal. */
void job_child_setup(pid_t pgid, bool foreground);
const char *signal_name(int sig);
/* The 128 + N encoding of a wait status. */
int job_status(int wstatus);

/* ---- the line editor (edit.c) ---- */

/* Read a line (without its newline) into a new string; NULL at end of
 * input (Ctrl-D on an empty line).  Ctrl-C gives an empty line. */
char *edit_readline(const char *prompt);
void edit_history_add(const char *line);

/* ---- builtins (builtin.c) ---- */

typedef int builtin_fn(int argc, char **argv);
builtin_fn *builtin_find(const char *name);

/* ---- the shell's state (main.c) ---- */

struct shell {
	bool interactive;
	int status;   /* $? */
	pid_t pid;    /* $$: the shell's pid, in its subshells too */
	char *arg0;   /* $0 */
	char **args;  /* $1...: NULL-terminated */
	int nargs;    /* $# */
	bool errexit; /* set -e */
	bool xtrace;  /* set -x */
};
extern struct shell sh;

void sh_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sh_exit(int status) __attribute__((noreturn));

#endif
