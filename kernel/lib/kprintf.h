/*
 * Formatted output.  kprintf writes to the console (screen and COM1).
 * Conversions: %d %i %u %x %X %o %p %s %c %%, length modifiers l, ll, z,
 * flags '-' (left-justify) and '0' (zero pad), a field width (or *).
 * May be called with interrupts on or off, from any context.
 */
#ifndef LIB_KPRINTF_H
#define LIB_KPRINTF_H

#include <stdarg.h>
#include <types.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int vkprintf(const char *fmt, va_list ap);
/* Like snprintf: always NUL-terminates, returns the length it wanted. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
int vksnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* The core: calls emit(c, arg) for each character produced. */
int vkformat(void (*emit)(char c, void *arg), void *arg, const char *fmt, va_list ap);

#endif
