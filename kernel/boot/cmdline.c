/*
 * Kernel command line.  cmdline_init splits a copy of the line into words in
 * place, so lookups hand out pointers into it.
 *
 * Nothing is dropped: a word takes at least two bytes of the line (itself
 * and a blank), so a line of CMDLINE_MAX bytes has at most CMDLINE_MAX / 2
 * words, and `words` has room for all of them.  (multiboot.c says so when
 * a loader passes a longer line.)
 */
#include "boot/cmdline.h"
#include "boot/multiboot.h"
#include "debug/panic.h"
#include "lib/string.h"

#define MAX_WORDS (CMDLINE_MAX / 2)

static char line_copy[CMDLINE_MAX];
static char *words[MAX_WORDS];
static int nwords;

void cmdline_init(const char *line)
{
	strlcpy(line_copy, line, sizeof(line_copy));
	nwords = str_split_words(line_copy, words, MAX_WORDS);
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
