/*
 * fat_unit -- unit tests of the FAT library's name and time rules, on the host.
 *
 * grade/test_fatfs.py builds this with the library under AddressSanitizer
 * and UndefinedBehaviorSanitizer and runs it.  Each failed check prints a
 * line; the last line is "fat_unit: N checks, M failed" and the exit status
 * is 0 only if M is 0.  The rules checked come from the spec's "Date and
 * Time Formats", "The Basis-Name Generation Algorithm", "The Numeric-Tail
 * Generation Algorithm" and "FAT Long Directory Entries" (the checksum).
 * Whole volumes are tested by the Python driver against mkfs.fat and mtools.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../fat_int.h"

static int checks, failed;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		checks++;                                                               \
		if (!(cond)) {                                                          \
			failed++;                                                       \
			printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                       \
	} while (0)

static void test_time(void)
{
	uint16_t date, time;

	/* 2024-02-29 13:45:58 UTC is 1709214358. */
	fat_time_encode(1709214358, &date, &time);
	CHECK(date == ((2024 - 1980) << 9 | 2 << 5 | 29));
	CHECK(time == (13 << 11 | 45 << 5 | 29));
	CHECK(fat_time_decode(date, time) == 1709214358);
	/* Odd seconds round down to the 2-second field. */
	fat_time_encode(1709214359, &date, &time);
	CHECK(fat_time_decode(date, time) == 1709214358);
	/* Before 1980 clamps to the FAT epoch, after 2107 to its last second. */
	CHECK(fat_time_encode(0, &date, &time) == 315532800);
	CHECK(date == 0x21 && time == 0);
	CHECK(fat_time_encode(5000000000ll, &date, &time) == 4354819198ll);
	CHECK(date == (127 << 9 | 12 << 5 | 31));
	/* Month 0 and day 0, which a corrupt entry may hold, read as 1. */
	CHECK(fat_time_decode(0, 0) == 315532800);
	for (int64_t t = 315532800; t < 4354819198ll; t += 86400 * 37 + 7202) {
		fat_time_encode(t, &date, &time);
		CHECK(fat_time_decode(date, time) == t - t % 2);
	}
}

static int basis(const char *name, const char *want, int want_tail)
{
	uint8_t raw[11];
	int tail = fat_name_basis(name, strlen(name), raw);

	if (memcmp(raw, want, 11) != 0 || tail != want_tail) {
		printf("basis of \"%s\": \"%.11s\" tail %d, want \"%s\" tail %d\n", name,
		       (const char *)raw, tail, want, want_tail);
		return 0;
	}
	return 1;
}

static void test_basis(void)
{
	CHECK(basis("The quick brown.fox", "THEQUICKFOX", 1));
	CHECK(basis("ReadMe.txt", "README  TXT", 0));
	CHECK(basis("data.tar.gz", "DATA    GZ ", 1));
	CHECK(basis(".bashrc", "BASHRC     ", 1));
	CHECK(basis("a+b=c.[x]", "A_B_C   _X_", 1));
	CHECK(basis("caf\xc3\xa9.txt", "CAF_    TXT", 1));
	CHECK(basis("Makefile", "MAKEFILE   ", 0));
	CHECK(basis("Makefiles", "MAKEFILE   ", 1));
	CHECK(basis("x.jpeg", "X       JPE", 1));
}

static int tail(const char *basis, uint32_t n, const char *want)
{
	uint8_t raw[11];

	fat_name_tail(raw, (const uint8_t *)basis, n);
	if (memcmp(raw, want, 11) != 0) {
		printf("tail %u of \"%s\": \"%.11s\", want \"%s\"\n", n, basis, (const char *)raw,
		       want);
		return 0;
	}
	return 1;
}

static void test_tail(void)
{
	CHECK(tail("THEQUICKFOX", 1, "THEQUI~1FOX"));
	CHECK(tail("THEQUICKFOX", 10, "THEQU~10FOX"));
	CHECK(tail("THEQUICKFOX", 999999, "T~999999FOX"));
	CHECK(tail("AB      C  ", 3, "AB~3    C  "));
}

static int plain(const char *name, const char *want, int want_ntres)
{
	uint8_t raw[11], ntres = 0xFF;
	int ok = fat_name_plain83(name, strlen(name), raw, &ntres);

	if (want == NULL)
		return !ok;
	return ok && memcmp(raw, want, 11) == 0 && ntres == want_ntres;
}

static void test_plain83(void)
{
	CHECK(plain("README.TXT", "README  TXT", 0));
	CHECK(plain("readme.txt", "README  TXT", NTRES_LOWER_BASE | NTRES_LOWER_EXT));
	CHECK(plain("readme.TXT", "README  TXT", NTRES_LOWER_BASE));
	CHECK(plain("README.txt", "README  TXT", NTRES_LOWER_EXT));
	CHECK(plain("a1$~", "A1$~       ", NTRES_LOWER_BASE));
	CHECK(plain("123", "123        ", 0));
	CHECK(plain("ReadMe.txt", NULL, 0));
	CHECK(plain("readme.text", NULL, 0));
	CHECK(plain("a.b.c", NULL, 0));
	CHECK(plain("a b", NULL, 0));
	CHECK(plain(".x", NULL, 0));
	CHECK(plain("ninechars", NULL, 0));
	CHECK(plain("a+b", NULL, 0));
	CHECK(plain("caf\xc3\xa9", NULL, 0));
}

static void test_check(void)
{
	char long_name[300];
	size_t len;

	CHECK(fat_name_check("hello.txt", &len) == 9 && len == 9);
	CHECK(fat_name_check("trailing...", &len) == 8 && len == 8);
	CHECK(fat_name_check(".", &len) == -EINVAL);
	CHECK(fat_name_check("..", &len) == -EINVAL);
	CHECK(fat_name_check("", &len) == -EINVAL);
	CHECK(fat_name_check("space ", &len) == -EINVAL);
	CHECK(fat_name_check("a:b", &len) == -EINVAL);
	CHECK(fat_name_check("a*b", &len) == -EINVAL);
	CHECK(fat_name_check("a\x01", &len) == -EINVAL);
	CHECK(fat_name_check("bad\xc3", &len) == -EINVAL);         /* cut UTF-8 */
	CHECK(fat_name_check("over\xc0\xaf", &len) == -EINVAL);    /* overlong '/' */
	CHECK(fat_name_check("sur\xed\xa0\x80", &len) == -EINVAL); /* a surrogate */
	CHECK(fat_name_check("\xf0\x9f\x98\x80", &len) == 2);      /* U+1F600: a pair */
	memset(long_name, 'x', 255);
	long_name[255] = '\0';
	CHECK(fat_name_check(long_name, &len) == 255);
	long_name[255] = 'x';
	long_name[256] = '\0';
	CHECK(fat_name_check(long_name, &len) == -ENAMETOOLONG);
}

static void test_utf(void)
{
	uint16_t units[FAT_NAME_MAX];
	char out[FAT_NAME_BUF];
	const char *s = "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
	int n = fat_name_utf16(s, strlen(s), units);
	uint16_t lone[2] = { 0xD800, 'a' };

	CHECK(n == 9);
	CHECK(units[0] == 0xE9 && units[4] == 0x65E5 && units[7] == 0xD83D && units[8] == 0xDE00);
	fat_name_utf8(units, n, out);
	CHECK(strcmp(out, s) == 0);
	fat_name_utf8(lone, 2, out);
	CHECK(strcmp(out, "\xef\xbf\xbd"
			  "a") == 0);
	CHECK(fat_name_equal("readme.TXT", 10, "README.txt"));
	CHECK(!fat_name_equal("readme", 6, "readme.txt"));
	CHECK(!fat_name_equal("\xc3\xa9", 2, "\xc3\x89")); /* only ASCII folds */
}

static void test_checksum(void)
{
	/* By hand: the rotate-right-and-add sum over "README  TXT". */
	const uint8_t *raw = (const uint8_t *)"README  TXT";
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)((sum >> 1 | sum << 7) + raw[i]);
	CHECK(fat_name_checksum(raw) == sum);
	CHECK(fat_name_checksum((const uint8_t *)"FOO     BAR") != sum);
}

int main(void)
{
	test_time();
	test_basis();
	test_tail();
	test_plain83();
	test_check();
	test_utf();
	test_checksum();
	printf("fat_unit: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
