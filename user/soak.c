/*
 * soak: a mixed workload, round after round, that must leave the system as
 * it found it.
 *
 *   soak SEED ROUNDS DIR
 *
 * Each round, with choices drawn from a xorshift64 generator seeded with
 * SEED (grade/soak.py draws the same ones to know what the disk must hold):
 *
 *   1. a pipeline through the shell: ksh -c 'echo soak-R | cat | wc -c',
 *      read back through a pipe (fork, exec, pipes, wait);
 *   2. a file: slot K gets SIZE bytes of the generator's output, written
 *      to DIR/tmp-K then renamed over DIR/slot-K.dat; one round in four
 *      also unlinks a slot (the FAT server: create, write, rename, unlink);
 *   3. one of threadtest counter (threads and a mutex), msgtest pingpong
 *      (messages) and chantest order (channels), in turn, output discarded.
 *
 * At the end every slot is read back and compared with what was written
 * (CRC-32 and size), and the memory free or accounted for (accounted_kb)
 * compared with what it was after the first round, which warmed the
 * caches.  It prints "soak: slot-K.dat SIZE CRC" for each file, then
 *
 *     soak: N rounds, M failed, F files, memory A kB after round 1, B kB at the end
 *
 * and exits with M (at most 100).  Progress: "soak: round R, N kB" every 10
 * rounds, with the memory accounted for then.  The memory is measured
 * before the files are read back: the first read of a file warms caches
 * of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testlib.h"

#define SLOTS    8
#define MAXSIZE  12288
#define PROGRESS 10

struct slot {
	int present;
	size_t size;
	uint32_t crc;
};

static uint64_t rng;
static int failures;
static struct slot slots[SLOTS];
static unsigned char buf[MAXSIZE];

/* xorshift64 (Marsaglia); grade/soak.py has the same. */
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static void fail(int round, const char *what)
{
	failures++;
	printf("soak: round %d: FAILED: %s (errno %d)\n", round, what, errno);
}

/* Run argv with stdout to fd out (or /dev/null if out < 0); its exit
 * status, or -1. */
static int run(char *const argv[], int out)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = out >= 0 ? out : open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void pipeline(int round)
{
	char word[32], cmd[64], out[32] = "";
	char *argv[] = { "/bin/ksh", "-c", cmd, NULL };
	int fds[2];
	ssize_t n;

	snprintf(word, sizeof(word), "soak-%d", round);
	snprintf(cmd, sizeof(cmd), "echo %s | cat | wc -c", word);
	if (pipe(fds) != 0) {
		fail(round, "pipe");
		return;
	}
	if (run(argv, fds[1]) != 0)
		fail(round, "ksh pipeline");
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = 0;
	if (atoi(out) != (int)strlen(word) + 1) /* the word and its newline */
		fail(round, "pipeline output");
}

static void slot_path(char *path, size_t len, const char *dir, const char *kind, int k)
{
	snprintf(path, len, "%s/%s-%d%s", dir, kind, k, kind[0] == 's' ? ".dat" : "");
}

static void write_slot(int round, const char *dir)
{
	char tmp[128], final[128];
	int k = (int)(next() % SLOTS);
	size_t size = 1 + next() % MAXSIZE;
	int fd;

	for (size_t i = 0; i < size; i += 8) {
		uint64_t v = next();

		memcpy(buf + i, &v, size - i < 8 ? size - i : 8);
	}
	slot_path(tmp, sizeof(tmp), dir, "tmp", k);
	slot_path(final, sizeof(final), dir, "slot", k);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size || close(fd) != 0) {
		fail(round, "write");
		return;
	}
	if (rename(tmp, final) != 0) {
		fail(round, "rename");
		return;
	}
	slots[k] = (struct slot){ 1, size, crc32(buf, size) };
	if (next() % 4 == 0) {
		int j = (int)(next() % SLOTS);

		slot_path(final, sizeof(final), dir, "slot", j);
		if (unlink(final) != 0 && !(errno == ENOENT && !slots[j].present))
			fail(round, "unlink");
		slots[j].present = 0;
	}
}

static void worker(int round)
{
	static char *const workers[][4] = {
		{ "/bin/threadtest", "counter", NULL },
		{ "/bin/msgtest", "pingpong", NULL },
		{ "/bin/chantest", "order", NULL },
	};

	if (run(workers[round % 3], -1) != 0)
		fail(round, workers[round % 3][0]);
}

/* A number from a /proc file's "Name: N kB" line, or 0. */
static long proc_field_kb(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	char line[128];
	long v = 0;
	size_t len = strlen(name);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && sscanf(line + len, " %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Memory that is free or accounted for: testlib_memory_kb's free memory,
 * the page tables, and the pages of every live process (the FAT servers'
 * heaps grow with the files they hold; that is not a leak).  A frame the
 * kernel lost makes it smaller. */
static long accounted_kb(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long kb = testlib_memory_kb() + proc_field_kb("/proc/meminfo", "PageTables:");
	char path[300];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		kb += proc_field_kb(path, "VmRSS:");
	}
	if (d)
		closedir(d);
	return kb;
}

/* Read every slot back; how many files there are. */
static int verify(const char *dir)
{
	char path[128];
	int files = 0;

	for (int k = 0; k < SLOTS; k++) {
		int fd;
		ssize_t n;

		slot_path(path, sizeof(path), dir, "slot", k);
		fd = open(path, O_RDONLY);
		if (!slots[k].present) {
			if (fd >= 0 || errno != ENOENT)
				fail(-1, "a deleted slot is there");
			if (fd >= 0)
				close(fd);
			continue;
		}
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)slots[k].size || crc32(buf, (size_t)n) != slots[k].crc)
			fail(-1, "a slot reads back wrong");
		printf("soak: slot-%d.dat %zu %08x\n", k, slots[k].size, slots[k].crc);
		files++;
	}
	return files;
}

int main(int argc, char *argv[])
{
	int rounds, files;
	long before = -1, after;

	if (argc != 4) {
		fprintf(stderr, "usage: soak SEED ROUNDS DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	rng = strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ull | 1;
	rounds = atoi(argv[2]);
	for (int r = 0; r < rounds; r++) {
		pipeline(r);
		write_slot(r, argv[3]);
		worker(r);
		if (r == 0)
			before = accounted_kb();
		if ((r + 1) % PROGRESS == 0)
			printf("soak: round %d, %ld kB\n", r + 1, accounted_kb());
	}
	after = accounted_kb();
	files = verify(argv[3]);
	if (rounds > 1 && after != before)
		fail(rounds, "memory not back to what it was after round 1");
	printf("soak: %d rounds, %d failed, %d files, memory %ld kB after round 1, %ld kB at the "
	       "end\n",
	       rounds, failures, files, before, after);
	return failures > 100 ? 100 : failures;
}
