/*
 * The system-call fuzzer's parts (see main.c for the story): the generator
 * and its argument pools (gen.c), the calls and how they are steered
 * (calls.c), the run in pieces and the forked children (main.c).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stdint.h>

/* The program's own memory far from its code, data and stack. */
#define SANDBOX      0x100000000ul /* 4 GiB: the memory calls' playground */
#define SANDBOX_SIZE (1ul << 30)
#define SCRATCH      (SANDBOX - (1ul << 20)) /* 2 pages the calls may write, */
#define SCRATCH_SIZE 8192                    /* an unmapped page after them */
#define RDONLY       (SCRATCH + 4 * 4096)    /* a read-only page, */
#define NOACCESS     (SCRATCH + 6 * 4096)    /* a PROT_NONE page */
#define SHARED       (SANDBOX - (2ul << 20)) /* struct fuzz_shared, out of reach */

#define FUZZ_PIECE 500 /* calls per piece: one generator seed, one child with -f */
#define FUZZ_RING  16  /* the last calls kept for a report */

struct fuzz_call {
	uint64_t index; /* the call's number in the run: the reproducer's K */
	long nr;
	uint64_t args[6];
};

/* What the children and the parent share (MAP_SHARED with -f): counters
 * survive a child's death, and the ring names the calls it made last. */
struct fuzz_shared {
	uint64_t made;      /* calls made */
	uint64_t bad;       /* results neither a value nor -errno in [-4095, -1] */
	uint64_t errnos[2]; /* bit e: errno e (< 128) seen */
	uint64_t started;   /* calls begun: the index of the one in progress + 1 */
	struct fuzz_call ring[FUZZ_RING];
};

extern bool fuzz_forking; /* -f: dangerous calls allowed, in children */
extern bool fuzz_fat;     /* -F: paths on the FAT server too */
extern bool fuzz_chaos;   /* -t: a thread in each child changes what the calls use */
extern int fuzz_closed_fd;

/* gen.c */
void gen_seed(uint64_t seed, uint64_t piece);
void gen_fill_scratch(void);
uint64_t gen_next(void);
uint64_t gen_value(void);
uint64_t gen_pointer(void);
uint64_t gen_bad_pointer(void);
uint64_t gen_fd(void);
uint64_t gen_flags(void);
uint64_t gen_sandbox_address(void);
uint64_t gen_arg(int i);
int gen_setup_memory(bool shared);
void gen_setup_files(void);
void gen_cleanup_files(void);
const char *gen_path(void);

/* chaos.c */
void chaos_start(uint64_t seed);

/* calls.c */
long calls_pick(void);
int calls_steer(long n, uint64_t a[6]);
bool calls_may_block(long n);

#endif
