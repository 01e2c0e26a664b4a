/*
 * tail [-n N] [FILE...]: the last N lines (10 without -n) of each input,
 * each headed "==> FILE <==" when there are several.  The input is read
 * whole into memory (lines.h); a last line without a newline stays so.
 */
#include "lines.h"

static void tail(FILE *f, long n)
{
	struct lines ls = { 0 };

	lines_read(&ls, f);
	for (size_t i = 0; i < ls.n; i++) {
		if (ls.n - i <= (size_t)n)
			printf("%s%s", ls.line[i], i + 1 == ls.n && ls.unended ? "" : "\n");
		free(ls.line[i]);
	}
	free(ls.line);
}

int main(int argc, char **argv)
{
	long n = 10;
	int c, status = 0;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			cmd_usage("[-n N] [FILE...]");
		n = cmd_number(optarg, 0, LONG_MAX, "number of lines");
	}
	argv += optind, argc -= optind;
	if (argc == 0)
		tail(stdin, n);
	for (int i = 0; i < argc; i++) {
		FILE *f = lines_open(argv[i]);

		if (!f) {
			status = 1;
			continue;
		}
		if (argc > 1)
			printf("%s==> %s <==\n", i ? "\n" : "", argv[i]);
		tail(f, n);
		lines_close(f);
	}
	return status;
}
