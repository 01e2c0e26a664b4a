/*
 * wc [-lwc] [FILE...]: count lines, words (runs of non-space characters)
 * and bytes; all three without options.  The output is coreutils': the
 * counts right-aligned in one width (the digits of the files' total size,
 * or 7 when an input is not a regular file, 1 for a single count of a
 * single input), the name after them, and a "total" line for several files.
 */
#include "cmd.h"
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

struct counts {
	long long lines, words, bytes;
};

static bool show_lines, show_words, show_bytes;

static void count(FILE *f, struct counts *c)
{
	int ch;
	bool in_word = false;

	while ((ch = getc(f)) != EOF) {
		c->bytes++;
		if (ch == '\n')
			c->lines++;
		if (isspace(ch)) {
			in_word = false;
		} else if (!in_word) {
			in_word = true;
			c->words++;
		}
	}
}

static void print(const struct counts *c, int width, const char *name)
{
	const char *sep = "";

	if (show_lines)
		printf("%*lld", width, c->lines), sep = " ";
	if (show_words)
		printf("%s%*lld", sep, width, c->words), sep = " ";
	if (show_bytes)
		printf("%s%*lld", sep, width, c->bytes);
	printf("%s%s\n", name ? " " : "", name ? name : "");
}

/* coreutils' rule for the column width (see the top). */
static int number_width(char **names, int n)
{
	long long total = 0;
	int width = 1, digits = 1;
	struct stat st;

	if (show_lines + show_words + show_bytes == 1 && n <= 1)
		return 1;
	for (int i = 0; i < n || (n == 0 && i == 0); i++) {
		const char *name = n ? names[i] : "-";
		int ok = strcmp(name, "-") == 0 ? fstat(0, &st) : stat(name, &st);

		if (ok == 0 && S_ISREG(st.st_mode))
			total += st.st_size;
		else
			width = 7;
	}
	for (; total >= 10; total /= 10)
		digits++;
	return digits > width ? digits : width;
}

int main(int argc, char **argv)
{
	struct counts total = { 0 };
	int c, width, status = 0;

	while ((c = getopt(argc, argv, "lwc")) != -1) {
		if (c == 'l')
			show_lines = true;
		else if (c == 'w')
			show_words = true;
		else if (c == 'c')
			show_bytes = true;
		else
			cmd_usage("[-lwc] [FILE...]");
	}
	if (!show_lines && !show_words && !show_bytes)
		show_lines = show_words = show_bytes = true;
	argv += optind, argc -= optind;
	width = number_width(argv, argc);
	if (argc == 0) {
		count(stdin, &total);
		print(&total, width, NULL);
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		struct counts one = { 0 };
		FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");

		if (!f) {
			warn("%s", argv[i]);
			status = 1;
			continue;
		}
		count(f, &one);
		if (f != stdin)
			fclose(f);
		print(&one, width, argv[i]);
		total.lines += one.lines, total.words += one.words, total.bytes += one.bytes;
	}
	if (argc > 1)
		print(&total, width, "total");
	return status;
}
