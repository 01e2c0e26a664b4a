/*
 * Kernel command line.  cmdline_init splits a copy of the line into words in
 * place (each space becomes a NUL), so lookups hand out pointers into it.
 */
#include "boot/cmdline.h"
#include "lib/string.h"

#define MAX_WORDS 32

static char line_copy[256];
static const char *words[MAX_WORDS];
static int nwords;

void cmdline_init(const char *line)
{
	char *p = line_copy;

	strlcpy(line_copy, line, sizeof(line_copy));
	nwords = 0;
	while (*p && nwords < MAX_WORDS) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		words[nwords++] = p;
		while (*p && *p != ' ')
			p++;
	}
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
