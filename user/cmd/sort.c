/*
 * sort [-rnu] [FILE...]: the lines of all inputs in order: bytewise (as
 * coreutils' sort with LC_ALL=C), or with -n by the number each line
 * starts with (blanks, an optional '-', digits, an optional fraction; no
 * number counts as 0), ties then broken bytewise.  -r reverses the order;
 * -u keeps the first (in input order) of each run of lines that compare
 * equal (by the number alone, with -n), as coreutils' sort does.
 */
#include "lines.h"
#include <ctype.h>

static bool numeric, reverse, unique;
static struct lines ls;

/* The number at the start of s, as -n reads it. */
static long double leading_number(const char *s)
{
	char buf[64];
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-')
		buf[n++] = *s++;
	while (isdigit((unsigned char)*s) && n < sizeof(buf) - 2)
		buf[n++] = *s++;
	if (*s == '.')
		for (buf[n++] = *s++; isdigit((unsigned char)*s) && n < sizeof(buf) - 1;)
			buf[n++] = *s++;
	buf[n] = '\0';
	return strtold(buf, NULL);
}

/* The key comparison: -u's notion of equal. */
static int key_cmp(const char *a, const char *b)
{
	if (numeric) {
		long double x = leading_number(a), y = leading_number(b);

		return x < y ? -1 : x > y;
	}
	return strcmp(a, b);
}

/* Order of the lines with indices *pa and *pb: by key, then bytewise, or
 * (-u) by input order, so that the first of equal lines comes first. */
static int line_cmp(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	int c = key_cmp(ls.line[ia], ls.line[ib]);

	if (c == 0 && unique)
		return ia < ib ? -1 : ia > ib;
	if (c == 0)
		c = strcmp(ls.line[ia], ls.line[ib]);
	return reverse ? -c : c;
}

int main(int argc, char **argv)
{
	size_t *order;
	int c, status = 0;

	while ((c = getopt(argc, argv, "rnu")) != -1) {
		if (c == 'r')
			reverse = true;
		else if (c == 'n')
			numeric = true;
		else if (c == 'u')
			unique = true;
		else
			cmd_usage("[-rnu] [FILE...]");
	}
	if (optind == argc)
		lines_read(&ls, stdin);
	for (int i = optind; i < argc; i++) {
		FILE *f = lines_open(argv[i]);

		if (!f) {
			status = 2;
			continue;
		}
		lines_read(&ls, f);
		lines_close(f);
	}
	if (status)
		return status;
	if (!(order = malloc((ls.n + 1) * sizeof(*order))))
		err(1, "out of memory");
	for (size_t i = 0; i < ls.n; i++)
		order[i] = i;
	qsort(order, ls.n, sizeof(*order), line_cmp);
	for (size_t i = 0; i < ls.n; i++)
		if (!unique || i == 0 || key_cmp(ls.line[order[i - 1]], ls.line[order[i]]) != 0)
			puts(ls.line[order[i]]);
	return 0;
}
