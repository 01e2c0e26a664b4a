/*
 * Host unit tests of kernel/lib/string.c, built by grade/test_host.py: the
 * kernel's object file with its symbols renamed k_NAME (so they do not clash
 * with the host's C library), linked with this file under ASan and UBSan.
 * Prints one line per failed check and "string_test: N checks, M failed".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define E2BIG 7

int k_str_split_words(char *s, char **words, int max);
uint64_t k_str_to_u64(const char *s, const char **end);

static int checks, failed;

static void check(int ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failed++;
		printf("string_test.c:%d: %s\n", line, what);
	}
}
#define CHECK(cond) check((cond), #cond, __LINE__)

/* Split `line` with room for max words; compare with the words expected,
 * given as one string of words separated by single spaces. */
static void split_case(const char *line, int max, int want, const char *expect, int at)
{
	char buf[2048], want_buf[2048], *words[600], *wanted[600];
	int n = 0, got;

	snprintf(buf, sizeof(buf), "%s", line);
	snprintf(want_buf, sizeof(want_buf), "%s", expect);
	for (char *w = strtok(want_buf, " "); w; w = strtok(NULL, " "))
		wanted[n++] = w;
	memset(words, 0, sizeof(words));
	got = k_str_split_words(buf, words, max);
	check(got == want, "the count str_split_words returned", at);
	for (int i = 0; i < n && i < max; i++)
		check(words[i] && strcmp(words[i], wanted[i]) == 0, "a word", at);
	check(words[max] == NULL, "nothing stored past max", at);
}

static void test_split(void)
{
	char line[2048], expect[2048];
	size_t len = 0;

	split_case("", 4, 0, "", __LINE__);
	split_case("   \t  ", 4, 0, "", __LINE__);
	split_case("one", 4, 1, "one", __LINE__);
	split_case("  one  two\tthree \t", 4, 3, "one two three", __LINE__);
	split_case("a b c d", 4, 4, "a b c d", __LINE__);
	/* More words than room: the first max are kept, each terminated. */
	split_case("a b c d e", 4, -E2BIG, "a b c d", __LINE__);
	split_case("a b c d     ", 4, 4, "a b c d", __LINE__);
	split_case("a", 0, -E2BIG, "", __LINE__);
	split_case("", 0, 0, "", __LINE__);

	/* The case: 33 words, room for 32; "w31" must not swallow the rest. */
	for (int i = 0; i < 31; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "w%d ", i);
	snprintf(line + len, sizeof(line) - len, "run=hello exit");
	memcpy(expect, line, len);
	snprintf(expect + len, sizeof(expect) - len, "run=hello");
	split_case(line, 32, -E2BIG, expect, __LINE__);
	split_case(line, 33, 33, line, __LINE__);

	/* The most words a CMDLINE_MAX (1024) line can hold: 512. */
	for (int i = 0; i < 1022; i += 2)
		memcpy(line + i, "x ", 2);
	line[1022] = 'y';
	line[1023] = '\0';
	split_case(line, 512, 512, line, __LINE__);
}

static void test_to_u64(void)
{
	const char *end;

	CHECK(k_str_to_u64("0", &end) == 0 && *end == '\0');
	CHECK(k_str_to_u64("1234x", &end) == 1234 && *end == 'x');
	CHECK(k_str_to_u64("0x1fF", &end) == 0x1ff && *end == '\0');
	CHECK(k_str_to_u64("18446744073709551615", NULL) == UINT64_MAX);
}

int main(void)
{
	test_split();
	test_to_u64();
	printf("string_test: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
