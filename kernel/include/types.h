/* Fixed-width integers, size_t, bool and friends for the freestanding kernel. */
#ifndef TYPES_H
#define TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t ssize_t;

#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

#define NORETURN __attribute__((noreturn))
#define NOINLINE __attribute__((noinline))
#define PACKED   __attribute__((packed))
#define UNUSED   __attribute__((unused))

#endif
