/*
 * The lexer and parser: command text to a list of and-or lists.
 *
 * The grammar is the simple-command part of POSIX sh (XCU 2.10):
 *
 *   list     := andor ((';' | '&' | newline) andor)* [';' | '&']
 *   andor    := pipeline (('&&' | '||') newline* pipeline)*
 *   pipeline := ['!'] command ('|' newline* command)*
 *   command  := (word | redir)+
 *   redir    := [digits] ('<' | '>' | '>>' | '<&' | '>&') word
 *
 * The lexer cuts words at unquoted blanks and operator characters and
 * keeps their quotes and backslashes: expansion happens when a command
 * runs (expand.c), so that `false; echo $?` sees the status of false.  A
 * word of digits directly before < or > is the descriptor redirected
 * (`2>err`); `#` at the start of a word starts a comment.
 *
 * Text that stops inside quotes, after a trailing backslash or after |,
 * && or || is PARSE_INCOMPLETE, so the interactive loop can read another
 * line ("> ") and parse the whole again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksh.h"

enum token {
	T_WORD,
	T_IONUM,
	T_PIPE,
	T_OR,
	T_AMP,
	T_AND,
	T_SEMI,
	T_NEWLINE,
	T_LESS,
	T_GREAT,
	T_DGREAT,
	T_LESSAND,
	T_GREATAND,
	T_EOF,
	T_INCOMPLETE, /* text ended inside a quote or after \ */
};

struct parser {
	const char *src;
	size_t pos;      /* where the lexer reads next */
	enum token tok;  /* the current token */
	size_t start;    /* where it starts in src */
	size_t prev_end; /* where the token before it ended */
	char *word;      /* its text, for T_WORD and T_IONUM */
	int line;        /* its line, from 1 */
	char *err;
	size_t errlen;
	bool incomplete;
};

static const char *const token_text[] = {
	[T_WORD] = "word",   [T_IONUM] = "number",     [T_PIPE] = "|",    [T_OR] = "||",
	[T_AMP] = "&",       [T_AND] = "&&",           [T_SEMI] = ";",    [T_NEWLINE] = "newline",
	[T_LESS] = "<",      [T_GREAT] = ">",          [T_DGREAT] = ">>", [T_LESSAND] = "<&",
	[T_GREATAND] = ">&", [T_EOF] = "end of input",
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		sh_error("out of memory");
		sh_exit(2);
	}
	return p;
}

/* The end of the quoted text starting at s[i] (the quote), or 0 if it
 * does not end. */
static size_t skip_quote(const char *s, size_t i)
{
	char q = s[i++];

	while (s[i] && s[i] != q) {
		if (q == '"' && s[i] == '\\' && s[i + 1])
			i++;
		i++;
	}
	return s[i] ? i + 1 : 0;
}

/* The word starting at p->pos: its end, or 0 if it stops inside quotes. */
static size_t word_end(const char *s, size_t i)
{
	while (s[i] && !strchr(" \t\n|&;<>", s[i])) {
		if (s[i] == '\\') {
			if (!s[i + 1])
				return 0;
			i += 2;
		} else if (s[i] == '\'' || s[i] == '"') {
			i = skip_quote(s, i);
			if (!i)
				return 0;
		} else {
			i++;
		}
	}
	return i;
}

static enum token lex_operator(struct parser *p)
{
	const char *s = p->src + p->pos;
	static const struct {
		const char *text;
		enum token tok;
	} ops[] = {
		{ "&&", T_AND },      { "||", T_OR },   { ">>", T_DGREAT },  { "<&", T_LESSAND },
		{ ">&", T_GREATAND }, { "|", T_PIPE },  { "&", T_AMP },      { ";", T_SEMI },
		{ "<", T_LESS },      { ">", T_GREAT }, { "\n", T_NEWLINE },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t len = strlen(ops[i].text);

		if (strncmp(s, ops[i].text, len) == 0) {
			p->pos += len;
			return ops[i].tok;
		}
	}
	return T_EOF; /* not reached: the caller saw an operator character */
}

static void lex_next(struct parser *p)
{
	const char *s = p->src;
	size_t end;

	p->prev_end = p->pos;
	free(p->word);
	p->word = NULL;
	for (;;) {
		while (s[p->pos] == ' ' || s[p->pos] == '\t')
			p->pos++;
		if (s[p->pos] == '\\' && s[p->pos + 1] == '\n') {
			p->pos += 2; /* a continued line */
			p->line++;
			continue;
		}
		if (s[p->pos] == '#')
			while (s[p->pos] && s[p->pos] != '\n')
				p->pos++;
		break;
	}
	p->start = p->pos;
	if (!s[p->pos]) {
		p->tok = T_EOF;
		return;
	}
	if (strchr("|&;<>\n", s[p->pos])) {
		p->tok = lex_operator(p);
		if (p->tok == T_NEWLINE)
			p->line++;
		return;
	}
	end = word_end(s, p->pos);
	if (!end) {
		p->tok = T_INCOMPLETE;
		return;
	}
	p->word = strndup(s + p->pos, end - p->pos);
	p->tok = strspn(p->word, "0123456789") == end - p->pos && (s[end] == '<' || s[end] == '>')
			 ? T_IONUM
			 : T_WORD;
	for (size_t i = p->pos; i < end; i++)
		p->line += s[i] == '\n';
	p->pos = end;
}

static bool syntax_error(struct parser *p)
{
	if (p->tok == T_INCOMPLETE || p->tok == T_EOF) {
		p->incomplete = true;
		return false;
	}
	snprintf(p->err, p->errlen, "line %d: syntax error near %s", p->line,
		 p->tok == T_WORD ? p->word : token_text[p->tok]);
	return false;
}

static bool is_redir_op(enum token t)
{
	return t == T_LESS || t == T_GREAT || t == T_DGREAT || t == T_LESSAND || t == T_GREATAND;
}

static struct redir *parse_redir(struct parser *p)
{
	struct redir *r = xcalloc(1, sizeof(*r));
	enum token op;

	r->fd = -1;
	if (p->tok == T_IONUM) {
		r->fd = atoi(p->word);
		lex_next(p);
	}
	op = p->tok;
	r->kind = op == T_LESS     ? REDIR_IN
		  : op == T_DGREAT ? REDIR_APPEND
		  : op == T_GREAT  ? REDIR_OUT
				   : REDIR_DUP;
	if (r->fd < 0)
		r->fd = op == T_LESS || op == T_LESSAND ? 0 : 1;
	lex_next(p);
	if (p->tok != T_WORD) {
		/* a missing file name is an error even at the end of the text */
		if (p->tok == T_EOF)
			snprintf(p->err, p->errlen, "line %d: a redirection without a file name",
				 p->line);
		else
			syntax_error(p);
		free(r);
		return NULL;
	}
	r->word = p->word;
	p->word = NULL;
	lex_next(p);
	return r;
}

static void free_command(struct command *c)
{
	while (c) {
		struct command *next = c->next;

		for (int i = 0; i < c->nwords; i++)
			free(c->words[i]);
		free(c->words);
		while (c->redirs) {
			struct redir *r = c->redirs->next;

			free(c->redirs->word);
			free(c->redirs);
			c->redirs = r;
		}
		free(c);
		c = next;
	}
}

static struct command *parse_command(struct parser *p)
{
	struct command *c = xcalloc(1, sizeof(*c));
	struct redir **tail = &c->redirs;
	int cap = 0;

	c->words = xcalloc(1, sizeof(char *));
	for (;;) {
		if (p->tok == T_WORD) {
			if (c->nwords + 1 >= cap) {
				cap = cap ? 2 * cap : 8;
				c->words = realloc(c->words, cap * sizeof(char *));
				if (!c->words) {
					sh_error("out of memory");
					sh_exit(2);
				}
			}
			c->words[c->nwords++] = p->word;
			c->words[c->nwords] = NULL;
			p->word = NULL;
			lex_next(p);
		} else if (p->tok == T_IONUM || is_redir_op(p->tok)) {
			*tail = parse_redir(p);
			if (!*tail) {
				free_command(c);
				return NULL;
			}
			tail = &(*tail)->next;
		} else {
			break;
		}
	}
	if (c->nwords == 0 && !c->redirs) {
		syntax_error(p);
		free_command(c);
		return NULL;
	}
	return c;
}

static void skip_newlines(struct parser *p)
{
	while (p->tok == T_NEWLINE)
		lex_next(p);
}

static void free_pipelines(struct pipeline *pl)
{
	while (pl) {
		struct pipeline *next = pl->next;

		free_command(pl->cmds);
		free(pl);
		pl = next;
	}
}

static struct pipeline *parse_pipeline(struct parser *p)
{
	struct pipeline *pl = xcalloc(1, sizeof(*pl));
	struct command **tail = &pl->cmds;

	if (p->tok == T_WORD && strcmp(p->word, "!") == 0) {
		pl->negate = true;
		lex_next(p);
	}
	for (;;) {
		*tail = parse_command(p);
		if (!*tail) {
			free_pipelines(pl);
			return NULL;
		}
		tail = &(*tail)->next;
		if (p->tok != T_PIPE)
			return pl;
		lex_next(p);
		skip_newlines(p);
	}
}

static struct andor *parse_andor(struct parser *p)
{
	struct andor *a = xcalloc(1, sizeof(*a));
	struct pipeline **tail = &a->pipes;
	size_t start = p->start;

	for (;;) {
		*tail = parse_pipeline(p);
		if (!*tail) {
			free_pipelines(a->pipes);
			free(a);
			return NULL;
		}
		if (p->tok != T_AND && p->tok != T_OR)
			break;
		(*tail)->conn = p->tok == T_AND ? CONN_AND : CONN_OR;
		tail = &(*tail)->next;
		lex_next(p);
		skip_newlines(p);
	}
	a->text = strndup(p->src + start, p->start - start);
	/* the text up to the end of the last word, without the blanks after it */
	for (size_t n = strlen(a->text); n && strchr(" \t\n", a->text[n - 1]); n--)
		a->text[n - 1] = '\0';
	return a;
}

void parse_free(struct andor *list)
{
	while (list) {
		struct andor *next = list->next;

		free_pipelines(list->pipes);
		free(list->text);
		free(list);
		list = next;
	}
}

enum parse_result parse_text(const char *src, struct andor **out, char *err, size_t errlen)
{
	struct parser p = { .src = src, .line = 1, .err = err, .errlen = errlen };
	struct andor **tail = out;

	*out = NULL;
	err[0] = '\0';
	lex_next(&p);
	for (;;) {
		skip_newlines(&p);
		if (p.tok == T_EOF)
			break;
		*tail = parse_andor(&p);
		if (!*tail)
			goto fail;
		if (p.tok == T_AMP || p.tok == T_SEMI) {
			(*tail)->background = p.tok == T_AMP;
			lex_next(&p);
		} else if (p.tok != T_NEWLINE && p.tok != T_EOF) {
			syntax_error(&p);
			goto fail;
		}
		tail = &(*tail)->next;
	}
	free(p.word);
	return PARSE_OK;
fail:
	free(p.word);
	parse_free(*out);
	*out = NULL;
	if (p.incomplete && !err[0])
		return PARSE_INCOMPLETE;
	if (!err[0])
		snprintf(err, errlen, "line %d: syntax error", p.line);
	return PARSE_ERROR;
}
