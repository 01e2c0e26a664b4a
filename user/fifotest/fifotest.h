/*
 * fifotest.h: what the parts of fifotest share (see main.c for the
 * program and its lines): reporting checks, names of errno values and
 * poll events, time, the byte stream, waiting for another process to
 * sleep, and /proc/meminfo's figures.
 */
#ifndef FIFOTEST_H
#define FIFOTEST_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FIFO_RW    "/tmp/fifotest-rw" /* where reader and writer meet */
#define DATA_BYTES (256 * 1024 + 77)  /* what the writer sends */
#define CHUNK_MAX  9000               /* write and read sizes: 1 .. CHUNK_MAX */
#define PIPE_CAP   65536              /* Linux's pipe and FIFO capacity */

/* Count and print a check: "fifotest: GROUP: WHAT: ok", or "FAILED (why)". */
void check(const char *group, const char *what, const char *why);
/* A check of a value: "fifotest: GROUP: WHAT: expected E, got G ok|FAILED". */
void check_val(const char *group, const char *what, const char *expected, const char *got);
/* Print "fifotest: GROUP: ..." (a fact for the grader), flushed. */
void fact(const char *group, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "0" for r >= 0, else the name of errno ("ENXIO"); strings live until the
 * eighth call after. */
const char *err_of(long r);
/* The decimal text of v, with the same lifetime. */
const char *num(long v);
/* "POLLIN|POLLHUP" (Linux's names, in bit order), "0" for none. */
const char *events(short ev);

long now_ms(void);
void sleep_ms(long ms);
/* Wait until process pid sleeps (state S in /proc/PID/stat): it is blocked
 * in the call it was about to make.  0, or -1 after 10 s. */
int wait_asleep(pid_t pid);
/* A page shared with children forked after (MAP_SHARED | MAP_ANONYMOUS). */
volatile int *shared_page(void);
/* SIGUSR1 to a handler that counts it (no SA_RESTART: calls end EINTR). */
void sigusr1_catch(void);
extern volatile int sigusr1_count;

/* The test stream: the low byte of each xorshift32 state from seed. */
uint32_t xorshift32(uint32_t *s);
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);
/* Write all n bytes: 0, or -1. */
int write_all(int fd, const void *p, size_t n);

/* A field of /proc/meminfo in kB ("Shmem"), or -1. */
long meminfo_kb(const char *field);
/* Is the program running on kestrel (uname's sysname)? */
int on_kestrel(void);

/* The groups (fifo.c, poll.c, tmpfs.c). */
void test_reader(uint32_t seed);
void test_writer(uint32_t seed);
void test_open(void);
void test_mknod(void);
void test_poll(void);
void test_select(void);
void test_masks(void);
void test_console(void);
void test_tmpfs(void);
void test_tmpfs_mount(void);
void test_fatfifo(const char *fat_dir, const char *fuse_dir);

#endif
