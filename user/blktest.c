/*
 * blktest -- the block protocol (<os/blk.h>) of a driver, from a client.
 *
 *     blktest DRIVER SEED    start DRIVER (a path or a name in /bin) as a
 *                            child and test it on its disk
 *     blktest --bench DRIVER only the read rate, for `make bench` (reads
 *                            the first MiB of any disk, writes nothing):
 *                            "bench: blk_read_per_KiB N" (TSC ticks per
 *                            KiB: guest instructions under -icount) and
 *                            "bench: blk_read_KiBps N" (per second of
 *                            CLOCK_MONOTONIC)
 *
 * The disk is the grader's raw image (grade/drivers_blk.py): sector n
 * holds 512 bytes of the pattern blktest_byte(SEED, n, i), which both
 * sides compute.  blktest prints, for the grader:
 *
 *   "blktest: info S sectors of 512 bytes"
 *   "blktest: read ok: N sectors match"   every sector, in requests of up
 *                                         to BLK_MAX_SECTORS
 *   "blktest: errors: past end EINVAL, count 0 EINVAL, too many EINVAL,
 *    short write EINVAL, bad op EINVAL, other client EBUSY"
 *   "blktest: wrote sectors A..B and L"   the pattern of SEED + 1 over them
 *                                         (L the last sector), flushed, read
 *                                         back equal (the grader then checks
 *                                         the image)
 *   "blktest: bench: read K KiB in T ns: R KiB/s"
 *   "blktest: done"                       (status 0), or "blktest: FAILED
 *                                         (why)" and status 1
 */
#include <errno.h>
#include <os/blk.h>
#include <os/os.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_BYTES (1u << 20)

static pid_t driver;
static uint8_t *reply; /* page aligned, BLK_MSG_MAX bytes */

static void blktest_fail(const char *fmt, ...)
{
	va_list ap;

	printf("blktest: FAILED (");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	if (driver)
		kill(driver, SIGKILL);
	exit(1);
}

/* Byte i of sector n of the pattern seed (grade/drivers_blk.py computes it too). */
static uint8_t blktest_byte(uint32_t seed, uint64_t n, uint32_t i)
{
	uint32_t x = seed * 2654435761u ^ (uint32_t)n * 40503u ^ i * 2246822519u;

	x ^= x >> 13;
	x *= 3266489917u;
	return (uint8_t)(x >> 24);
}

/* One request of len bytes at msg (page aligned for a long one) to pid;
 * the reply's status, or -errno of the messaging. */
static int blktest_call(pid_t pid, struct blk_msg *msg, size_t len)
{
	struct timespec limit = { 30, 0 };
	ssize_t n;

	if (os_send(pid, msg, len, 0) != 0)
		return -errno;
	n = os_recv_timeout(pid, reply, BLK_MSG_MAX, NULL, 0, &limit);
	if (n < (ssize_t)BLK_DATA)
		return n < 0 ? -errno : -EPROTO;
	return ((struct blk_msg *)reply)->status;
}

/* A request without data (its header in a buffer of len bytes). */
static int blktest_simple(pid_t pid, uint32_t op, uint64_t lba, uint32_t count, size_t len)
{
	struct blk_msg *msg =
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (msg == MAP_FAILED)
		blktest_fail("mmap: %s", strerror(errno));
	*msg = (struct blk_msg){ .op = op, .lba = lba, .count = count };
	r = blktest_call(pid, msg, len);
	munmap(msg, len);
	return r;
}

static int blktest_write(uint64_t lba, uint32_t count, uint32_t seed)
{
	size_t len = BLK_DATA + (size_t)count * BLK_SECTOR_SIZE;
	uint8_t *msg = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (msg == MAP_FAILED)
		blktest_fail("mmap: %s", strerror(errno));
	*(struct blk_msg *)msg = (struct blk_msg){ .op = BLK_WRITE, .lba = lba, .count = count };
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t i = 0; i < BLK_SECTOR_SIZE; i++)
			msg[BLK_DATA + s * BLK_SECTOR_SIZE + i] = blktest_byte(seed, lba + s, i);
	r = blktest_call(driver, (struct blk_msg *)msg, len);
	munmap(msg, len);
	return r;
}

/* Read [lba, lba + count) and compare it with the pattern of seed. */
static void blktest_check(uint64_t lba, uint32_t count, uint32_t seed)
{
	int r = blktest_simple(driver, BLK_READ, lba, count, BLK_DATA);

	if (r != 0)
		blktest_fail("read of %u sectors at %llu: %s", count, (unsigned long long)lba,
			     strerror(-r));
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t i = 0; i < BLK_SECTOR_SIZE; i++)
			if (reply[BLK_DATA + s * BLK_SECTOR_SIZE + i] !=
			    blktest_byte(seed, lba + s, i))
				blktest_fail("sector %llu byte %u differs",
					     (unsigned long long)(lba + s), i);
}

static const char *blktest_errname(int r)
{
	return r == -EINVAL ? "EINVAL" : r == -EBUSY ? "EBUSY" : r == 0 ? "no error" : strerror(-r);
}

/* A second client: a child of ours asks for INFO; it must get EBUSY. */
static int blktest_other_client(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(blktest_simple(driver, BLK_INFO, 0, 0, BLK_DATA) == -EBUSY ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? -EBUSY : 0;
}

static void blktest_errors(uint64_t sectors)
{
	int end = blktest_simple(driver, BLK_READ, sectors - 1, 2, BLK_DATA);
	int zero = blktest_simple(driver, BLK_READ, 0, 0, BLK_DATA);
	int many = blktest_simple(driver, BLK_READ, 0, BLK_MAX_SECTORS + 1, BLK_DATA);
	int shortw = blktest_simple(driver, BLK_WRITE, 0, 2, BLK_DATA + BLK_SECTOR_SIZE);
	int badop = blktest_simple(driver, 99, 0, 1, BLK_DATA);
	int other = blktest_other_client();

	printf("blktest: errors: past end %s, count 0 %s, too many %s, short write %s, bad op %s, "
	       "other client %s\n",
	       blktest_errname(end), blktest_errname(zero), blktest_errname(many),
	       blktest_errname(shortw), blktest_errname(badop), blktest_errname(other));
}

/* Read the first MiB (or the whole disk if smaller) in requests of
 * BLK_MAX_SECTORS; rows for make bench if rows, else blktest's line. */
static void blktest_bench(uint64_t sectors, int rows)
{
	struct timespec t0, t1;
	uint64_t ns, ticks, n = BENCH_BYTES / BLK_SECTOR_SIZE, kib;

	n = n < sectors ? n : sectors;
	kib = n / 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ticks = __builtin_ia32_rdtsc();
	for (uint64_t lba = 0; lba < n; lba += BLK_MAX_SECTORS) {
		uint32_t count = n - lba < BLK_MAX_SECTORS ? (uint32_t)(n - lba) : BLK_MAX_SECTORS;

		if (blktest_simple(driver, BLK_READ, lba, count, BLK_DATA) != 0)
			blktest_fail("bench read at %llu", (unsigned long long)lba);
	}
	ticks = __builtin_ia32_rdtsc() - ticks;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)(t1.tv_nsec - t0.tv_nsec);
	if (rows) {
		printf("bench: blk_read_per_KiB %llu\n", (unsigned long long)(ticks / kib));
		printf("bench: blk_read_KiBps %llu\n",
		       (unsigned long long)(ns ? kib * 1000000000u / ns : 0));
	} else {
		printf("blktest: bench: read %llu KiB in %llu ns: %llu KiB/s\n",
		       (unsigned long long)kib, (unsigned long long)ns,
		       (unsigned long long)(ns ? kib * 1000000000u / ns : 0));
	}
}

/* Start the driver program (a path, or a name in /bin) as a child. */
static void blktest_start(const char *program)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", strchr(program, '/') ? "" : "/bin/", program);
	driver = fork();
	if (driver == 0) {
		execl(path, program, (char *)NULL);
		_exit(127);
	}
	if (driver < 0)
		blktest_fail("cannot start %s", path);
}

/* The disk's sectors, by BLK_INFO. */
static uint64_t blktest_info(void)
{
	int r = blktest_simple(driver, BLK_INFO, 0, 0, BLK_DATA);

	if (r != 0)
		blktest_fail("info: %s", strerror(-r));
	return ((struct blk_msg *)reply)->sectors;
}

static void blktest_stop(void)
{
	kill(driver, SIGKILL);
	waitpid(driver, NULL, 0);
}

int main(int argc, char *argv[])
{
	uint32_t seed;
	uint64_t sectors, a;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	reply = aligned_alloc(4096, BLK_MSG_MAX);
	if (argc != 3 || !reply)
		blktest_fail("usage: blktest DRIVER SEED | blktest --bench DRIVER");
	if (strcmp(argv[1], "--bench") == 0) {
		blktest_start(argv[2]);
		blktest_bench(blktest_info(), 1);
		blktest_stop();
		return 0;
	}
	seed = (uint32_t)strtoul(argv[2], NULL, 0);
	blktest_start(argv[1]);
	sectors = blktest_info();
	printf("blktest: info %llu sectors of %u bytes\n", (unsigned long long)sectors,
	       ((struct blk_msg *)reply)->sector_size);
	for (uint64_t lba = 0; lba < sectors; lba += BLK_MAX_SECTORS)
		blktest_check(lba,
			      sectors - lba < BLK_MAX_SECTORS ? (uint32_t)(sectors - lba)
							      : BLK_MAX_SECTORS,
			      seed);
	printf("blktest: read ok: %llu sectors match\n", (unsigned long long)sectors);
	blktest_errors(sectors);
	/* A run over a request boundary of the reads above, and the last sector. */
	a = sectors / 2 - 3;
	if ((r = blktest_write(a, 7, seed + 1)) != 0 ||
	    (r = blktest_write(sectors - 1, 1, seed + 1)))
		blktest_fail("write: %s", strerror(-r));
	if ((r = blktest_simple(driver, BLK_FLUSH, 0, 0, BLK_DATA)) != 0)
		blktest_fail("flush: %s", strerror(-r));
	blktest_check(a, 7, seed + 1);
	blktest_check(sectors - 1, 1, seed + 1);
	printf("blktest: wrote sectors %llu..%llu and %llu\n", (unsigned long long)a,
	       (unsigned long long)(a + 6), (unsigned long long)(sectors - 1));
	blktest_bench(sectors, 0);
	blktest_stop();
	printf("blktest: done\n");
	return 0;
}
