/*
 * fusetest: the grader's client of hellofs and fusebad (stage fuse).
 *
 *     fusetest MODE MOUNTPOINT [ID]
 *
 * Each mode waits until the server has mounted MOUNTPOINT (its file
 * `hello`, or fusebad's `x`, can be looked up), does its checks, printing
 * what it saw for the grader to compare with what it computes itself, and
 * unmounts (EBUSY is fine: another client still uses it, and the last one
 * to try succeeds):
 *
 *   read        hello, the listing, numbers at several offsets and whole
 *               (crc32), EOF, EROFS for writing, ENOENT
 *   cache       numbers read twice: the READ requests hellofs counted
 *               (its `status` file) for each pass
 *   stream ID   hellofs's uncached `stream` read in 4 KiB pieces, checked
 *               (several at once: concurrent requests)
 *   slow        read hellofs's `slow` (answered out of order)
 *   poke        make requests until hellofs says `slow` was answered
 *   crash       read hellofs's `crash` (the server faults): ENOTCONN then
 *   write       write, truncate and extend hellofs's `scratch`, reading it
 *               back after each step (through the page cache)
 *   bad         read fusebad's `x`, then stat it: what came back
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE 8

static const char *mnt;
static int failures;

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "0";
	case ENOENT:
		return "ENOENT";
	case EIO:
		return "EIO";
	case EBADF:
		return "EBADF";
	case EACCES:
		return "EACCES";
	case EBUSY:
		return "EBUSY";
	case EINVAL:
		return "EINVAL";
	case EROFS:
		return "EROFS";
	case ENOSYS:
		return "ENOSYS";
	case ENOTCONN:
		return "ENOTCONN";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	default:
		return "other";
	}
}

static char *path(const char *name)
{
	static char buf[2][256];
	static int which;

	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s%s%s", mnt,
		 mnt[strlen(mnt) - 1] == '/' ? "" : "/", name);
	return buf[which];
}

static void wait_mounted(const char *name)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct stat st;

	for (int i = 0; i < 1000; i++) {
		if (stat(path(name), &st) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	printf("fusetest: %s never appeared\n", path(name));
	exit(1);
}

static void finish(void)
{
	int r = umount2(mnt, 0);

	printf("fusetest: umount %s: %s\n", mnt, r == 0 ? "0" : errname(errno));
	if (r != 0 && errno != EBUSY)
		failures++;
	printf("fusetest: %d failures\n", failures);
	exit(failures ? 1 : 0);
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/* The text with newlines shown as '|'. */
static void show(const char *what, const char *buf, ssize_t n)
{
	char text[80];
	ssize_t i;

	for (i = 0; i < n && i < (ssize_t)sizeof(text) - 1; i++)
		text[i] = buf[i] == '\n' ? '|' : buf[i] == '\0' ? '.' : buf[i];
	text[i] = '\0';
	printf("fusetest: %s: %zd bytes \"%s\"\n", what, n, text);
}

/* Read the whole file with reads of chunk bytes: its crc32 and size. */
static ssize_t read_all(const char *name, size_t chunk, uint32_t *crc)
{
	static char buf[65536];
	int fd = open(path(name), O_RDONLY);
	ssize_t total = 0, n;

	*crc = 0;
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, chunk)) > 0) {
		*crc = crc32_update(*crc, (unsigned char *)buf, (size_t)n);
		total += n;
	}
	if (n < 0)
		total = -errno;
	close(fd);
	return total;
}

/* The "reads NAME N" line of hellofs's status file. */
static long status_reads(const char *name)
{
	char buf[1024], key[64];
	int fd = open(path("status"), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *p;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	snprintf(key, sizeof(key), "reads %s ", name);
	p = strstr(buf, key);
	return p ? atol(p + strlen(key)) : -1;
}

static void mode_read(void)
{
	static const long offsets[] = { 0, 7, 4095, 4096, 8190, 123457, 319990 };
	char buf[64];
	struct stat st;
	uint32_t crc;
	ssize_t n;
	int fd;
	DIR *d;
	struct dirent *e;

	fd = open(path("hello"), O_RDONLY);
	n = fd < 0 ? -errno : read(fd, buf, sizeof(buf));
	show("hello", buf, n);
	if (fd >= 0)
		close(fd);

	d = opendir(mnt);
	printf("fusetest: ls:");
	while (d && (e = readdir(d)))
		printf(" %s", e->d_name);
	printf("\n");
	if (d)
		closedir(d);

	if (stat(path("numbers"), &st) != 0)
		failures++;
	printf("fusetest: numbers size %lld mode %o\n", (long long)st.st_size, st.st_mode);
	fd = open(path("numbers"), O_RDONLY);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		char what[32];

		n = pread(fd, buf, 16, offsets[i]);
		snprintf(what, sizeof(what), "numbers@%ld", offsets[i]);
		show(what, buf, n < 0 ? 0 : n);
	}
	n = pread(fd, buf, 16, 320000);
	printf("fusetest: numbers@eof: %zd\n", n);
	close(fd);

	n = read_all("numbers", 3000, &crc);
	printf("fusetest: numbers crc %08x bytes %zd\n", crc, n);
	n = read_all("big", 65536, &crc);
	printf("fusetest: big crc %08x bytes %zd\n", crc, n);

	fd = open(path("hello"), O_WRONLY);
	printf("fusetest: open for writing: %s\n", fd < 0 ? errname(errno) : "0");
	printf("fusetest: stat missing: %s\n",
	       stat(path("missing"), &st) < 0 ? errname(errno) : "0");
}

static void mode_cache(void)
{
	uint32_t crc1, crc2;
	long r0 = status_reads("numbers");
	ssize_t n1 = read_all("numbers", 4096, &crc1);
	long r1 = status_reads("numbers");
	ssize_t n2 = read_all("numbers", 4096, &crc2);
	long r2 = status_reads("numbers");

	printf("fusetest: numbers crc %08x %08x bytes %zd %zd\n", crc1, crc2, n1, n2);
	printf("fusetest: numbers READs: first pass %ld, second pass %ld\n", r1 - r0, r2 - r1);
}

/* The numbers' bytes at [off, off + n) are buf's? */
static int numbers_ok(const char *buf, long off, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++) {
		long pos = off + i, line = pos / LINE, col = pos % LINE;
		char want = '\n';

		if (col < LINE - 1) {
			long v = line;

			for (long d = LINE - 2; d > col; d--)
				v /= 10;
			want = (char)('0' + v % 10);
		}
		if (buf[i] != want)
			return 0;
	}
	return 1;
}

static void mode_stream(const char *id)
{
	static char buf[4096];
	int fd = open(path("stream"), O_RDONLY);
	long off = 0, bad = 0;
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (!numbers_ok(buf, off, n))
			bad++;
		off += n;
	}
	if (fd >= 0)
		close(fd);
	printf("fusetest: stream %s: %ld bytes, %ld bad pieces\n", id, off, bad);
	if (bad || off != 320000)
		failures++;
}

static void mode_slow(void)
{
	char buf[16];
	int fd = open(path("slow"), O_RDONLY);
	ssize_t n = fd < 0 ? -errno : read(fd, buf, sizeof(buf));

	show("slow", buf, n);
	if (fd >= 0)
		close(fd);
}

static void mode_poke(void)
{
	char buf[64];
	int i;

	for (i = 0; i < 2000 && status_reads("slow") < 1; i++)
		sched_yield();
	/* One more request after the slow read was seen: the reply to it
	 * came after a later request's. */
	for (i = 0; i < 2000; i++) {
		char text[1024];
		int fd = open(path("status"), O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			text[n] = '\0';
			if (strstr(text, "\nslow 1\n"))
				break;
		}
	}
	int fd = open(path("hello"), O_RDONLY);
	ssize_t n = fd < 0 ? -errno : read(fd, buf, sizeof(buf));

	show("poke hello", buf, n);
	if (fd >= 0)
		close(fd);
}

static void mode_crash(void)
{
	char buf[16];
	struct stat st;
	int fd = open(path("crash"), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	printf("fusetest: read crash: %s\n", n < 0 ? errname(errno) : "data");
	if (fd >= 0)
		close(fd);
	printf("fusetest: stat after the crash: %s\n",
	       stat(path("hello"), &st) < 0 ? errname(errno) : "0");
	fd = open(path("hello"), O_RDONLY);
	printf("fusetest: open after the crash: %s\n", fd < 0 ? errname(errno) : "0");
	if (fd >= 0)
		close(fd);
}

/* pread 16 bytes at off and show them as "scratch@OFF". */
static void show_at(int fd, long off)
{
	char buf[16], what[32];
	ssize_t n = pread(fd, buf, sizeof(buf), off);

	snprintf(what, sizeof(what), "scratch@%ld", off);
	show(what, buf, n < 0 ? 0 : n);
}

static void mode_write(void)
{
	static char big[8000];
	struct stat st;
	uint32_t crc;
	int fd = open(path("scratch"), O_RDWR);
	ssize_t n;

	if (fd < 0) {
		printf("fusetest: open scratch: %s\n", errname(errno));
		failures++;
		return;
	}
	show_at(fd, 0);
	printf("fusetest: pwrite HELLO at 100: %zd\n", pwrite(fd, "HELLO", 5, 100));
	show_at(fd, 96);
	printf("fusetest: ftruncate 50: %d\n", ftruncate(fd, 50));
	show_at(fd, 40);
	show_at(fd, 100);
	printf("fusetest: ftruncate 200: %d\n", ftruncate(fd, 200));
	show_at(fd, 40);
	memset(big, 'b', sizeof(big));
	printf("fusetest: pwrite 8000 b at 4000: %zd\n", pwrite(fd, big, sizeof(big), 4000));
	show_at(fd, 3996);
	show_at(fd, 11990);
	fstat(fd, &st);
	printf("fusetest: scratch size %lld\n", (long long)st.st_size);
	close(fd);
	n = read_all("scratch", 4096, &crc);
	printf("fusetest: scratch crc %08x bytes %zd\n", crc, n);
}

static void mode_bad(void)
{
	char buf[64];
	struct stat st;
	int fd = open(path("x"), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (n < 0)
		printf("fusetest: read x: %s\n", errname(errno));
	else
		show("read x", buf, n);
	if (fd >= 0)
		close(fd);
	printf("fusetest: stat x: %s\n", stat(path("x"), &st) < 0 ? errname(errno) : "0");
}

int main(int argc, char *argv[])
{
	const char *mode = argc > 1 ? argv[1] : "read";

	mnt = argc > 2 ? argv[2] : "/mnt";
	wait_mounted(strcmp(mode, "bad") == 0 ? "x" : "hello");
	if (strcmp(mode, "read") == 0)
		mode_read();
	else if (strcmp(mode, "cache") == 0)
		mode_cache();
	else if (strcmp(mode, "stream") == 0)
		mode_stream(argc > 3 ? argv[3] : "0");
	else if (strcmp(mode, "slow") == 0)
		mode_slow();
	else if (strcmp(mode, "poke") == 0)
		mode_poke();
	else if (strcmp(mode, "crash") == 0)
		mode_crash();
	else if (strcmp(mode, "bad") == 0)
		mode_bad();
	else if (strcmp(mode, "write") == 0)
		mode_write();
	else {
		printf("fusetest: unknown mode %s\n", mode);
		return 2;
	}
	finish();
}
