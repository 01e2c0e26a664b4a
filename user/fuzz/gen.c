/*
 * The generator and the argument pools.
 *
 * A xorshift generator, reseeded at the start of every piece of
 * FUZZ_PIECE calls from the run's seed and the piece's number, so that any
 * piece can be made again alone (`-s K`) and a child that dies takes no
 * state with it.  The pools hold what breaks kernels: 0, -1, huge values,
 * page boundaries; pointers to the program's scratch pages (aligned and
 * misaligned, and buffers that straddle their end into the unmapped page
 * after them), a read-only and a PROT_NONE page, unmapped, kernel-half and
 * non-canonical addresses, the sandbox's pages (what the memory calls
 * mapped there: anonymous, of files, read-only...), paths (in /tmp on
 * tmpfs and, with -F, in /var/tmp on the FAT server, where calls may
 * create and remove, or nowhere); open, closed and bad descriptors;
 * random flags.  (The FUSE name cache keeps entries for a time, so with -F
 * the kernel's memory counters depend on timing: the graders leave it out.)
 *
 * The scratch pages are a mapping of their own with nothing of ours after
 * them: in .bss they lay just before the generator's state and libc's
 * data, so a call given their last byte and a longer length
 * (clock_gettime, uname, fstat, read...) overwrote the state with what it
 * returned, and a run no longer repeated.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"

static uint64_t state;
int fuzz_closed_fd = 3;

void gen_seed(uint64_t seed, uint64_t piece)
{
	state = (seed * 0x9e3779b97f4a7c15ul + 1) ^ (piece * 0xbf58476d1ce4e5b9ul);
	if (state == 0)
		state = 1;
}

uint64_t gen_next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static uint64_t pick(const uint64_t *values, size_t n)
{
	return values[gen_next() % n];
}
#define PICK(a) pick((a), sizeof(a) / sizeof((a)[0]))

/* The scratch pages at a piece's start: words a structure argument may
 * hold (an iovec, a timespec, a pollfd, a sigaction...): pointers of the
 * pools, small lengths and counts, anything. */
void gen_fill_scratch(void)
{
	uint64_t *w = (uint64_t *)SCRATCH;

	for (size_t i = 0; i < SCRATCH_SIZE / 8; i++) {
		switch (gen_next() % 4) {
		case 0:
			w[i] = gen_pointer();
			break;
		case 1:
			w[i] = gen_next() % 4096;
			break;
		case 2:
			w[i] = gen_next() % 16;
			break;
		default:
			w[i] = gen_value();
			break;
		}
	}
}

/* Anything at all, weighted towards what kernels get wrong. */
uint64_t gen_value(void)
{
	/* clang-format off */
	static const uint64_t interesting[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 64, 255, 256, 4095, 4096, 4097, 65536,
		(uint64_t)-1, (uint64_t)-2, (uint64_t)-4095, (uint64_t)-4096,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
		0x7fffffffffffffff, 0x8000000000000000,
		0x00007ffffffff000, 0x00007fffffffffff, 0x0000800000000000,
		0xffff800000000000, 0xffffffff80000000, 0xffffffff80100000,
		SCRATCH, SCRATCH + 4093, SANDBOX, SANDBOX + SANDBOX_SIZE - 4096,
	};
	/* clang-format on */

	switch (gen_next() % 4) {
	case 0:
		return gen_next();
	case 1:
		return gen_next() % 64;
	default:
		return PICK(interesting);
	}
}

/* clang-format off */
static const char *const paths[] = {
	"/var/tmp/fuzz-f", "/var/tmp/fuzz-e", "/var/tmp/fuzz-e/x", /* with -F only */
	"/tmp/fuzz-a", "/tmp/fuzz-b", "/tmp/fuzz-d", "/tmp/fuzz-d/x", "/tmp", "/",
	"/dev/null", "/proc/self/maps", "/nonexistent/x", "", "/tmp/fuzz-a/",
	"/tmp/../tmp/./fuzz-b", "/tmp/fuzz-d/../fuzz-a",
};
/* clang-format on */

#define NFAT_PATHS 3

const char *gen_path(void)
{
	size_t skip = fuzz_fat ? 0 : NFAT_PATHS;

	return paths[skip + gen_next() % (sizeof(paths) / sizeof(paths[0]) - skip)];
}

/* A pointer the calls may read or write, or a bad one. */
uint64_t gen_pointer(void)
{
	/* clang-format off */
	static const uint64_t pointers[] = {
		0, 1, 4096, SCRATCH, SCRATCH + 1, SCRATCH + 3, SCRATCH + 7, SCRATCH + 4096 - 8,
		SCRATCH + SCRATCH_SIZE - 1, SCRATCH + SCRATCH_SIZE - 4, SCRATCH + SCRATCH_SIZE - 8,
		SCRATCH + SCRATCH_SIZE - 16, SCRATCH + SCRATCH_SIZE - 100, SCRATCH + SCRATCH_SIZE,
		RDONLY, RDONLY + 4096 - 8, RDONLY + 1, NOACCESS, NOACCESS - 4, SANDBOX,
		0x00007ffffffff000, 0x0000800000000000 - 8, 0xffff800000000000,
		0xffffffff80100000, 0x8000000000000000, (uint64_t)-1,
	};
	/* clang-format on */

	switch (gen_next() % 10) {
	case 0:
		return gen_value();
	case 1:
		return (uint64_t)gen_path();
	case 2: /* what the memory calls mapped there, if anything */
		return gen_sandbox_address() + (gen_next() % 2 ? 0 : gen_next() % 4096);
	default:
		return PICK(pointers);
	}
}

uint64_t gen_bad_pointer(void)
{
	/* clang-format off */
	static const uint64_t bad[] = {
		0, 1, 4096, SANDBOX + 3 * 4096, 0x0000800000000000 - 8, 0xffff800000000000,
		0xffffffff80100000, 0x8000000000000000, SCRATCH + SCRATCH_SIZE, NOACCESS,
	};
	/* clang-format on */

	return PICK(bad);
}

/* An open descriptor (3..12: what setup and the calls opened), a closed
 * one, or a bad one; the console's only where the steering allows. */
uint64_t gen_fd(void)
{
	/* clang-format off */
	static const uint64_t bad[] = {
		(uint64_t)-1, 1023, 1024, 65535, 0x7fffffff, 0x80000000, 0x100000003,
		0xffffffff00000004,
	};
	/* clang-format on */

	switch (gen_next() % 8) {
	case 0:
		return PICK(bad);
	case 1:
		return (uint64_t)fuzz_closed_fd;
	case 2:
		return gen_next() % 3;
	default:
		return 3 + gen_next() % 10;
	}
}

/* Flags: a few bits, all of them, or one. */
uint64_t gen_flags(void)
{
	switch (gen_next() % 4) {
	case 0:
		return gen_next() & gen_next();
	case 1:
		return 1ull << (gen_next() % 64);
	case 2:
		return (gen_next() & 0xffff) | (gen_next() % 2 ? O_NONBLOCK : 0);
	default:
		return gen_next() % 2 ? (uint64_t)-1 : (gen_next() & 0x7ff);
	}
}

/* An address for the memory calls: in the sandbox, or one no call may use
 * (never the program's own pages). */
uint64_t gen_sandbox_address(void)
{
	static const uint64_t outside[] = { SANDBOX + 1, 0x0000800000000000, 0xffff800000000000,
					    0x8000000000000000, (uint64_t)-4096 };

	return gen_next() % 8 ? SANDBOX + (gen_next() % (SANDBOX_SIZE / 4096)) * 4096
			      : PICK(outside);
}

/* Argument i of a call: descriptors are likelier first, flags later. */
uint64_t gen_arg(int i)
{
	switch (gen_next() % 8) {
	case 0:
	case 1:
		return gen_value();
	case 2:
	case 3:
	case 4:
		return gen_pointer();
	case 5:
		return i == 0 ? gen_fd() : gen_flags();
	case 6:
		return gen_fd();
	default:
		return gen_flags();
	}
}

static int map_at(uint64_t addr, size_t len, int prot, int type)
{
	void *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE, type | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);

	if (p == MAP_FAILED)
		return -1;
	memset(p, 0x5a, len);
	memcpy(p, "/tmp/fuzz-a", 12); /* a path, in the read-only page too */
	return prot == (PROT_READ | PROT_WRITE) ? 0 : mprotect(p, len, prot);
}

/* The scratch, read-only and PROT_NONE pages, and the shared state (shared
 * with the children when `shared`). */
int gen_setup_memory(bool shared)
{
	if (map_at(SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE) != 0 ||
	    map_at(RDONLY, 4096, PROT_READ, MAP_PRIVATE) != 0 ||
	    map_at(NOACCESS, 4096, PROT_NONE, MAP_PRIVATE) != 0 ||
	    map_at(SHARED, sizeof(struct fuzz_shared), PROT_READ | PROT_WRITE,
		   shared ? MAP_SHARED : MAP_PRIVATE) != 0)
		return -1;
	memset((void *)SHARED, 0, sizeof(struct fuzz_shared));
	return 0;
}

/* Descriptors for the calls: a pipe (non-blocking: a read of its own empty
 * pipe would wait for ever), /dev/null, a file in /tmp, and a closed one.
 * Before the filesystem exists (stage syscalls) the opens fail: fine. */
void gen_setup_files(void)
{
	int p[2], fd;

	chdir("/tmp"); /* relative names: see calls.c */
	if (pipe2(p, O_NONBLOCK) != 0)
		p[0] = p[1] = -1;
	open("/dev/null", O_RDWR);
	open("/tmp/fuzz-a", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
	fd = fuzz_fat ? open("/var/tmp/fuzz-f", O_RDWR | O_CREAT, 0644) : -1;
	if (fd >= 0)                              /* a file of the FAT server's */
		write(fd, (void *)SCRATCH, 6000); /* something to map */
	fuzz_closed_fd = open("/dev/null", O_RDONLY);
	if (fuzz_closed_fd < 0)
		fuzz_closed_fd = 9;
	close(fuzz_closed_fd);
}

/* Remove path and, if it is a directory, what is in it. */
static void remove_tree(const char *path, int depth)
{
	DIR *dir;
	struct dirent *e;
	char sub[512];

	if (unlink(path) == 0 || depth > 16 || !(dir = opendir(path)))
		return;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		remove_tree(sub, depth + 1);
	}
	closedir(dir);
	rmdir(path);
}

/* What the calls may have made in /tmp: gone, so the memory they used
 * comes back between runs.  Directories may have been renamed into each
 * other (/tmp/fuzz-a/x/x...), and a relative name made of whatever bytes
 * the scratch pages hold is in /tmp too: all of /tmp goes. */
void gen_cleanup_files(void)
{
	DIR *tmp = opendir("/tmp");
	struct dirent *e;
	char path[512];

	while (tmp && (e = readdir(tmp)) != NULL) { /* names from scratch bytes too */
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "/tmp/%s", e->d_name);
		remove_tree(path, 0);
	}
	if (tmp)
		closedir(tmp);
	if (fuzz_fat) {
		remove_tree("/var/tmp/fuzz-f", 0);
		remove_tree("/var/tmp/fuzz-e", 0);
	}
}
