/*
 * head [-n N] [FILE...]: the first N lines (10 without -n) of each input,
 * each headed "==> FILE <==" when there are several, as coreutils' head.
 */
#include "cmd.h"
#include <string.h>

static void head(FILE *f, long n)
{
	int ch;

	while (n > 0 && (ch = getc(f)) != EOF) {
		putchar(ch);
		if (ch == '\n')
			n--;
	}
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
		head(stdin, n);
	for (int i = 0; i < argc; i++) {
		FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");

		if (!f) {
			warn("cannot open '%s' for reading", argv[i]);
			status = 1;
			continue;
		}
		if (argc > 1)
			printf("%s==> %s <==\n", i ? "\n" : "", argv[i]);
		head(f, n);
		if (f != stdin)
			fclose(f);
	}
	return status;
}
