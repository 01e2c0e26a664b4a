/*
 * Kernel command line.  cmdline_init splits a copy of the line into words in
 * place, so lookups hand out pointers into it.  Blanks inside single quotes
 * do not split (`run=/bin/ksh,-c,'echo hi | wc -c'` is one word); the quotes
 * stay in the word, for run= to take out (proc/run.c).  GRUB hands the line
 * over with a backslash before each \, ' and " (grub_create_loader_cmdline
 * escapes them), so a backslash here quotes the byte after it and goes.
 *
 * Nothing is dropped: a word takes at least two bytes of the line (itself
 * and a blank), so a line of CMDLINE_MAX bytes has at most CMDLINE_MAX / 2
 * words, and `words` has room for all of them.  (multiboot.c says so when
 * a loader passes a longer line.)
 */
#include "boot/cmdline.h"
#include <errno.h>
#include "boot/multiboot.h"
#include "debug/panic.h"
#include "lib/string.h"

#define MAX_WORDS (CMDLINE_MAX / 2)

static char line_copy[CMDLINE_MAX];
static char *words[MAX_WORDS];
static int nwords;

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Take out the backslash before each byte it quotes, in place. */
static void unescape(char *s)
{
	char *to = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		*to++ = *s;
	}
	*to = '\0';
}

/* Split s in place at blanks outside single quotes; the count of words. */
static int split_quoted(char *s)
{
	int n = 0;

	for (;;) {
		bool quoted = false;

		while (is_blank(*s))
			*s++ = '\0';
		if (!*s)
			return n;
		if (n == MAX_WORDS)
			return -E2BIG;
		words[n++] = s;
		for (; *s && (quoted || !is_blank(*s)); s++)
			if (*s == '\'')
				quoted = !quoted;
	}
}

void cmdline_init(const char *line)
{
	strlcpy(line_copy, line, sizeof(line_copy));
	unescape(line_copy);
	nwords = split_quoted(line_copy);
	if (nwords < 0)
		panic("cmdline: more than %d words in %d bytes", MAX_WORDS, CMDLINE_MAX);
}

const char *cmdline_get(const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < nwords; i++) {
		if (!str_starts_with(words[i], key))
			continue;
		if (words[i][len] == '=')
			return words[i] + len + 1;
		if (words[i][len] == '\0')
			return "";
	}
	return NULL;
}

bool cmdline_has(const char *key)
{
	return cmdline_get(key) != NULL;
}

bool cmdline_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);

		if (len == n && strncmp(list, word, n) == 0)
			return true;
		list += comma ? len + 1 : len;
	}
	return false;
}
