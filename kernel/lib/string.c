/* Byte-at-a-time string functions: simple over fast, except that memset and
 * memcpy use `rep stos`/`rep movs`, which modern CPUs run at full speed. */
#include "lib/string.h"
#include <errno.h>

/*
 * memset and memcpy go eight bytes a step, then the rest byte by byte:
 * under QEMU's -icount every iteration of a rep instruction counts as one
 * instruction, so a 4 KiB copy (a page-cache read, say) costs 512 of them
 * instead of 4096, and so does zeroing a kcalloc'd struct.
 */
void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t words = n / 8, rest = n % 8;
	uint64_t pattern = 0x0101010101010101ull * (uint8_t)c;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(pattern) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n / 8, rest = n % 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(rest) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}

char *strpbrk(const char *s, const char *accept)
{
	for (; *s; s++)
		if (strchr(accept, *s))
			return (char *)s;
	return NULL;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *str_basename(const char *path)
{
	const char *name = path;

	for (; *path; path++)
		if (*path == '/')
			name = path + 1;
	return name;
}

uint64_t str_to_u64(const char *s, const char **end)
{
	uint64_t v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * base + d;
	}
	if (end)
		*end = s;
	return v;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Each word is terminated (its blank overwritten) by the next round of the
 * loop, before the check for room: so every stored word is a string of its
 * own even when the words do not all fit. */
int str_split_words(char *s, char **words, int max)
{
	int n = 0;

	for (;;) {
		while (is_blank(*s))
			*s++ = '\0';
		if (!*s)
			return n;
		if (n == max)
			return -E2BIG;
		words[n++] = s;
		while (*s && !is_blank(*s))
			s++;
	}
}
