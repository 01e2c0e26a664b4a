/* The C string and memory functions the kernel needs.  GCC may emit calls to
 * memcpy, memset, memmove and memcmp on its own, so these must exist. */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <types.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strpbrk(const char *s, const char *accept);
size_t strlcpy(char *dst, const char *src, size_t size);
bool str_starts_with(const char *s, const char *prefix);
/* What follows the last '/' of path (all of it if there is none). */
const char *str_basename(const char *path);
/* Split s in place at spaces and tabs (each becomes a NUL), store the word
 * pointers in words and return how many there are: at most max, or -E2BIG
 * if there are more (words then holds the first max, each terminated). */
int str_split_words(char *s, char **words, int max);
/* Parse an unsigned number in base 10 or, with a 0x prefix, 16. */
uint64_t str_to_u64(const char *s, const char **end);

#endif
