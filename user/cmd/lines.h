/*
 * lines.h: reading a whole input into lines, for sort and tail.
 */
#ifndef CMD_LINES_H
#define CMD_LINES_H

#include "cmd.h"
#include <string.h>

struct lines {
	char **line; /* each without its newline, malloc'd */
	size_t n, cap;
	bool unended; /* the input's last line had no newline */
};

/* Append every line of f to ls; a last line without a newline counts
 * (and sets ls->unended). */
static inline void lines_read(struct lines *ls, FILE *f)
{
	char *buf = NULL;
	size_t size = 0;
	ssize_t len;

	while ((len = getline(&buf, &size, f)) >= 0) {
		ls->unended = buf[len - 1] != '\n';
		if (!ls->unended)
			buf[len - 1] = '\0';
		if (ls->n == ls->cap) {
			ls->cap = ls->cap ? 2 * ls->cap : 256;
			ls->line = realloc(ls->line, ls->cap * sizeof(*ls->line));
			if (!ls->line)
				err(1, "out of memory");
		}
		if (!(ls->line[ls->n++] = strdup(buf)))
			err(1, "out of memory");
	}
	free(buf);
}

/* f for the operand name ("-": standard input), or NULL after a warning. */
static inline FILE *lines_open(const char *name)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");

	if (!f)
		warn("%s", name);
	return f;
}

static inline void lines_close(FILE *f)
{
	if (f != stdin)
		fclose(f);
}

#endif
