/*
 * Variables and word expansion.
 *
 * The shell's variables live in one table (name, value, exported?),
 * filled from the environment at start.  A program gets the exported ones
 * as its environment (var_environ), plus the NAME=value words in front of
 * its command.
 *
 * Expansion turns a raw word from the parser into the string a command
 * sees, in one pass (POSIX XCU 2.2 and 2.6, without field splitting,
 * globbing or command substitution):
 *
 *   \c         c, outside quotes (a backslash-newline disappears)
 *   '...'      everything literally
 *   "..."      literally, but $ expands and \ escapes $ ` " \ and newline
 *   $NAME ${NAME}  the variable's value, empty if unset
 *   $? $$ $# $0..$9  the last status, the shell's pid, the argument count,
 *              the arguments
 *   ~          at the start, before / or the end: $HOME
 *
 * An unquoted word that expands to nothing is dropped, as in sh: `echo
 * $UNSET x` runs echo with one argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksh.h"

struct var {
	char *name;
	char *value;
	bool exported;
};

static struct var *vars;
static int nvars, cap_vars;

/* A string that grows. */
struct buf {
	char *s;
	size_t len, cap;
};

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		sh_error("out of memory");
		sh_exit(2);
	}
	return p;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1) + 16;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

bool var_valid_name(const char *s, size_t len)
{
	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static struct var *var_find(const char *name)
{
	for (int i = 0; i < nvars; i++)
		if (strcmp(vars[i].name, name) == 0)
			return &vars[i];
	return NULL;
}

void var_init(char **envp)
{
	for (; envp && *envp; envp++) {
		char *eq = strchr(*envp, '=');
		char *name;

		if (!eq || !var_valid_name(*envp, eq - *envp))
			continue;
		name = strndup(*envp, eq - *envp);
		var_set(name, eq + 1, true);
		free(name);
	}
	if (!var_get("PATH"))
		var_set("PATH", "/bin", true);
}

const char *var_get(const char *name)
{
	struct var *v = var_find(name);

	return v ? v->value : NULL;
}

void var_set(const char *name, const char *value, bool export)
{
	struct var *v = var_find(name);

	if (!v) {
		if (nvars == cap_vars) {
			cap_vars = cap_vars ? 2 * cap_vars : 32;
			vars = xrealloc(vars, cap_vars * sizeof(*vars));
		}
		v = &vars[nvars++];
		v->name = strdup(name);
		v->value = NULL;
		v->exported = false;
	}
	free(v->value);
	v->value = strdup(value);
	v->exported |= export;
}

void var_export(const char *name)
{
	struct var *v = var_find(name);

	if (v)
		v->exported = true;
	else
		var_set(name, "", true);
}

void var_unset(const char *name)
{
	struct var *v = var_find(name);

	if (!v)
		return;
	free(v->name);
	free(v->value);
	*v = vars[--nvars];
}

static int var_compare(const void *a, const void *b)
{
	return strcmp(((const struct var *)a)->name, ((const struct var *)b)->name);
}

void var_print(bool exported_only)
{
	qsort(vars, nvars, sizeof(*vars), var_compare);
	for (int i = 0; i < nvars; i++)
		if (vars[i].exported || !exported_only)
			printf("%s%s='%s'\n", exported_only ? "export " : "", vars[i].name,
			       vars[i].value);
}

char **var_environ(void)
{
	char **env = xrealloc(NULL, (nvars + 1) * sizeof(char *));
	int n = 0;

	for (int i = 0; i < nvars; i++) {
		size_t len;

		if (!vars[i].exported)
			continue;
		len = strlen(vars[i].name) + strlen(vars[i].value) + 2;
		env[n] = xrealloc(NULL, len);
		snprintf(env[n++], len, "%s=%s", vars[i].name, vars[i].value);
	}
	env[n] = NULL;
	return env;
}

size_t assignment_name_len(const char *raw)
{
	const char *eq = strchr(raw, '=');

	return eq && var_valid_name(raw, eq - raw) ? (size_t)(eq - raw) : 0;
}

/* A special parameter's or a variable's value; NULL if unset. */
static const char *param_value(const char *name, char *tmp, size_t tmplen)
{
	if (strcmp(name, "?") == 0) {
		snprintf(tmp, tmplen, "%d", sh.status);
		return tmp;
	}
	if (strcmp(name, "$") == 0) {
		snprintf(tmp, tmplen, "%d", (int)sh.pid);
		return tmp;
	}
	if (strcmp(name, "#") == 0) {
		snprintf(tmp, tmplen, "%d", sh.nargs);
		return tmp;
	}
	if (name[0] >= '0' && name[0] <= '9' && !name[1]) {
		int i = name[0] - '0';

		return i == 0 ? sh.arg0 : i <= sh.nargs ? sh.args[i - 1] : NULL;
	}
	return var_get(name);
}

/* The $ expansion at raw[i] (the $) into b; the index after it. */
static size_t expand_dollar(const char *raw, size_t i, struct buf *b)
{
	char name[128], tmp[32];
	const char *value;
	size_t n = 0, start = i + 1;

	if (raw[start] == '{') {
		const char *close = strchr(raw + start, '}');

		if (!close || (size_t)(close - raw) - start - 1 >= sizeof(name)) {
			buf_addc(b, '$');
			return i + 1;
		}
		n = close - raw - start - 1;
		memcpy(name, raw + start + 1, n);
		i = close - raw + 1;
	} else if (raw[start] && strchr("?$#0123456789", raw[start])) {
		name[n++] = raw[start];
		i = start + 1;
	} else {
		while (n < sizeof(name) - 1 && var_valid_name(raw + start, n + 1))
			n++;
		if (n == 0) {
			buf_addc(b, '$'); /* a lone $ stays */
			return i + 1;
		}
		memcpy(name, raw + start, n);
		i = start + n;
	}
	name[n] = '\0';
	value = param_value(name, tmp, sizeof(tmp));
	if (value)
		buf_add(b, value, strlen(value));
	return i;
}

/* The double-quoted text at raw[i] (after the quote) into b; the index
 * after the closing quote. */
static size_t expand_dquote(const char *raw, size_t i, struct buf *b)
{
	while (raw[i] && raw[i] != '"') {
		if (raw[i] == '\\' && raw[i + 1] && strchr("$`\"\\\n", raw[i + 1])) {
			if (raw[i + 1] != '\n')
				buf_addc(b, raw[i + 1]);
			i += 2;
		} else if (raw[i] == '$') {
			i = expand_dollar(raw, i, b);
		} else {
			buf_addc(b, raw[i++]);
		}
	}
	return raw[i] ? i + 1 : i;
}

/* Expand raw into b; whether any of it was quoted. */
static bool expand_into(const char *raw, struct buf *b)
{
	bool quoted = false;
	size_t i = 0;

	if (raw[0] == '~' && (raw[1] == '/' || !raw[1])) {
		const char *home = var_get("HOME");

		buf_add(b, home ? home : "/", strlen(home ? home : "/"));
		i = 1;
	}
	while (raw[i]) {
		if (raw[i] == '\\') {
			quoted = true;
			if (raw[i + 1] && raw[i + 1] != '\n')
				buf_addc(b, raw[i + 1]);
			i += raw[i + 1] ? 2 : 1;
		} else if (raw[i] == '\'') {
			const char *close = strchr(raw + i + 1, '\'');
			size_t end = close ? (size_t)(close - raw) : strlen(raw);

			quoted = true;
			buf_add(b, raw + i + 1, end - i - 1);
			i = close ? end + 1 : end;
		} else if (raw[i] == '"') {
			quoted = true;
			i = expand_dquote(raw, i + 1, b);
		} else if (raw[i] == '$') {
			i = expand_dollar(raw, i, b);
		} else {
			buf_addc(b, raw[i++]);
		}
	}
	return quoted;
}

char *expand_word(const char *raw)
{
	struct buf b = { 0 };

	expand_into(raw, &b);
	if (!b.s)
		b.s = strdup("");
	return b.s;
}

char **expand_words(char *const raw[], int n, int *count)
{
	char **out = xrealloc(NULL, (n + 1) * sizeof(char *));
	int k = 0;

	for (int i = 0; i < n; i++) {
		struct buf b = { 0 };

		if (!expand_into(raw[i], &b) && b.len == 0) {
			free(b.s);
			continue;
		}
		out[k++] = b.s ? b.s : strdup("");
	}
	out[k] = NULL;
	if (count)
		*count = k;
	return out;
}

void free_words(char **words)
{
	if (!words)
		return;
	for (char **w = words; *w; w++)
		free(*w);
	free(words);
}
