/*
 * grep [-cinvE] PATTERN [FILE...]: print the lines that match a regular
 * expression (POSIX basic, or extended with -E: musl's regcomp).
 *
 *   -c  print only the number of (selected) lines
 *   -i  ignore case
 *   -n  put the line number before each line
 *   -v  select the lines that do not match
 *
 * With several files each line (or count) is headed "FILE:".  Status 0 if
 * a line was selected, 1 if none, 2 for an error, as coreutils' grep.
 */
#include "cmd.h"
#include <regex.h>
#include <string.h>

static bool count_only, numbers, invert;

/* Selected lines of f; prints them (or, with -c, their number). */
static long grep_file(const regex_t *re, FILE *f, const char *name)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	long lineno = 0, selected = 0;

	while ((len = getline(&line, &size, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if ((regexec(re, line, 0, NULL, 0) == 0) == invert)
			continue;
		selected++;
		if (count_only)
			continue;
		if (name)
			printf("%s:", name);
		if (numbers)
			printf("%ld:", lineno);
		puts(line);
	}
	free(line);
	if (count_only)
		printf("%s%s%ld\n", name ? name : "", name ? ":" : "", selected);
	return selected;
}

int main(int argc, char **argv)
{
	int c, flags = REG_NOSUB, status = 1, rc;
	bool failed = false;
	regex_t re;

	while ((c = getopt(argc, argv, "cinvE")) != -1) {
		if (c == 'c')
			count_only = true;
		else if (c == 'i')
			flags |= REG_ICASE;
		else if (c == 'n')
			numbers = true;
		else if (c == 'v')
			invert = true;
		else if (c == 'E')
			flags |= REG_EXTENDED;
		else
			cmd_usage("[-cinvE] PATTERN [FILE...]");
	}
	if (optind == argc)
		cmd_usage("[-cinvE] PATTERN [FILE...]");
	rc = regcomp(&re, argv[optind], flags);
	if (rc != 0) {
		char msg[128];

		regerror(rc, &re, msg, sizeof(msg));
		errx(2, "%s: %s", argv[optind], msg);
	}
	argv += optind + 1, argc -= optind + 1;
	if (argc == 0 && grep_file(&re, stdin, NULL) > 0)
		status = 0;
	for (int i = 0; i < argc; i++) {
		FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");

		if (!f) {
			warn("%s", argv[i]);
			failed = true;
			continue;
		}
		if (grep_file(&re, f, argc > 1 ? argv[i] : NULL) > 0)
			status = 0;
		if (f != stdin)
			fclose(f);
	}
	regfree(&re);
	return failed ? 2 : status;
}
