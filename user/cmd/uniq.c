/*
 * uniq [-c] [INPUT [OUTPUT]]: copy the input, writing each run of equal
 * adjacent lines once; -c puts the run's length before it ("%7d ", as
 * coreutils' uniq).
 */
#include "cmd.h"
#include <string.h>

int main(int argc, char **argv)
{
	char *prev = NULL, *line = NULL;
	size_t size = 0;
	ssize_t len;
	long run = 0;
	bool counts = false;
	FILE *in = stdin;
	int c;

	while ((c = getopt(argc, argv, "c")) != -1) {
		if (c != 'c')
			cmd_usage("[-c] [INPUT [OUTPUT]]");
		counts = true;
	}
	if (argc - optind > 2)
		cmd_usage("[-c] [INPUT [OUTPUT]]");
	if (optind < argc && strcmp(argv[optind], "-") != 0 && !(in = fopen(argv[optind], "r")))
		err(1, "%s", argv[optind]);
	if (argc - optind == 2 && !freopen(argv[optind + 1], "w", stdout))
		err(1, "%s", argv[optind + 1]);
	for (;;) {
		len = getline(&line, &size, in);
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (prev && (len < 0 || strcmp(prev, line) != 0)) {
			if (counts)
				printf("%7ld ", run);
			puts(prev);
			free(prev);
			prev = NULL;
		}
		if (len < 0)
			break;
		if (!prev) {
			if (!(prev = strdup(line)))
				err(1, "out of memory");
			run = 0;
		}
		run++;
	}
	free(line);
	return 0;
}
