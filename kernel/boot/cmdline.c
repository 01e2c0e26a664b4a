/*
 * Kernel command line.  cmdline_init splits a copy of the line into words in
 * place, so lookups hand out pointers into it.
 */
#include "boot/cmdline.h"
#include "lib/string.h"

#define MAX_WORDS 32

static char line_copy[256];
static char *words[MAX_WORDS];
static int nwords;

void cmdline_init(const char *line)
{
	strlcpy(line_copy, line, sizeof(line_copy));
	nwords = str_split_words(line_copy, words, MAX_WORDS);
}

const char *cmdline_get(const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < nwords; i++) {
		if (strncmp(words[i], key, len) != 0)
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
