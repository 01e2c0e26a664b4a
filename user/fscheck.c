/*
 * fscheck: the FAT server's check mode (user/fatfs/check.c), through the
 * VFS: the same walk and the same write test, made of system calls.
 *
 *     fscheck ROOT      (ROOT: where the ramdisk is mounted, "/" at boot)
 *
 * prints, like `fatfs --check`,
 *
 *     check: dir PATH
 *     check: file SIZE CRC32 PATH      (paths relative to ROOT, from "/")
 *     check: bad ERRNO PATH            (-errno of a file that cannot be read,
 *                                       0 if it reads shorter than its size)
 *     check: N files, M directories, B bytes
 *     write: STEP: ok                  (or FAILED (why)), the steps of check.c
 *     after: ...                       the walk of /var/tmp after the writes
 *     check: done, F failed
 *
 * so grade/stage_fuse.py checks it against the build tree and then the
 * image taken out of the guest, as grade/stage_ramdisk.py does the check
 * mode's.  It also checks what only the VFS side can show: a file keeps its
 * inode number across a rename (the server's nodeids are stable), a name
 * is found whatever its case, and a file created where an unlinked one
 * that is still open was does not get its inode (one step more than the
 * check mode's, the last).  The directory walk skips "/dev" and
 * "/proc", which are not the ramdisk's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define PATH_BUF   4096
#define CHUNK      65536
#define WRITE_SIZE 20000
#define PIECE      3001
#define TRUNC_DOWN 1000
#define TRUNC_UP   3000

static const char *root;
static uint8_t chunk[CHUNK];
static int failures;
static unsigned long long nfiles, ndirs, nbytes;

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	static uint32_t table[256];

	if (table[1] == 0) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ROOT + rel ("/var/tmp") in buf. */
static const char *full(char *buf, const char *rel)
{
	snprintf(buf, PATH_BUF, "%s%s", strcmp(root, "/") == 0 ? "" : root, rel);
	return buf[0] ? buf : "/";
}

/* CRC32 and size of the file at path: 0 or -errno. */
static int file_crc(const char *path, uint32_t *crc, uint64_t *size)
{
	int fd = open(path, O_RDONLY), err = 0;
	ssize_t n;

	*crc = 0;
	*size = 0;
	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, CHUNK)) > 0) {
		*crc = crc32(*crc, chunk, (size_t)n);
		*size += (uint64_t)n;
	}
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static void walk(const char *prefix, const char *rel);

static void walk_entry(const char *prefix, const char *rel)
{
	char path[PATH_BUF];
	struct stat st;
	uint32_t crc;
	uint64_t size;
	int err;

	if (stat(full(path, rel), &st) != 0) {
		printf("%s: bad %d %s\n", prefix, -errno, rel);
		failures++;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		printf("%s: dir %s\n", prefix, rel);
		ndirs++;
		walk(prefix, rel);
		return;
	}
	err = file_crc(path, &crc, &size);
	if (!err && size != (uint64_t)st.st_size) {
		printf("%s: bad 0 %s\n", prefix, rel); /* read ended before stat's size */
		failures++;
		return;
	}
	if (err) {
		printf("%s: bad %d %s\n", prefix, err, rel);
		failures++;
		return;
	}
	printf("%s: file %llu %08x %s\n", prefix, (unsigned long long)size, crc, rel);
	nfiles++;
	nbytes += size;
}

static void walk(const char *prefix, const char *rel)
{
	char path[PATH_BUF], *sub = malloc(PATH_BUF);
	DIR *d = opendir(full(path, rel));
	struct dirent *e;

	if (!d || !sub) {
		printf("%s: bad %d %s\n", prefix, d ? -ENOMEM : -errno, rel);
		failures++;
		free(sub);
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, PATH_BUF, "%s/%s", strcmp(rel, "/") == 0 ? "" : rel, e->d_name);
		if (strcmp(sub, "/dev") == 0 || strcmp(sub, "/proc") == 0)
			continue;
		walk_entry(prefix, sub);
	}
	closedir(d);
	free(sub);
}

/* ---- the write test (check.c's steps) ------------------------------------- */

static uint8_t pattern_byte(uint64_t i)
{
	return (uint8_t)((i * 31 + 7) % 251);
}

static void step(const char *name, int ok, const char *detail)
{
	if (ok) {
		printf("write: %s: ok\n", name);
	} else {
		printf("write: %s: FAILED (%s)\n", name, detail);
		failures++;
	}
}

/* A step that is one call: r is its result (-1 and errno, or 0); want is
 * the errno it must fail with, or 0. */
static void step_call(const char *name, int r, int want)
{
	char detail[64];
	int got = r < 0 ? errno : 0;

	snprintf(detail, sizeof(detail), "%s", got ? strerror(got) : "it succeeded");
	step(name, got == want, detail);
}

static int exists(const char *rel)
{
	char path[PATH_BUF];
	struct stat st;

	return stat(full(path, rel), &st) == 0;
}

static ino_t inode_of(const char *rel)
{
	char path[PATH_BUF];
	struct stat st;

	return stat(full(path, rel), &st) == 0 ? st.st_ino : 0;
}

/* Does the file hold the pattern for [0, plen) and zeros for [plen, size)? */
static int holds(const char *rel, size_t plen, size_t size)
{
	char path[PATH_BUF];
	int fd = open(full(path, rel), O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, chunk, CHUNK);
	close(fd);
	if (n != (ssize_t)size)
		return 0;
	for (size_t i = 0; i < size; i++)
		if (chunk[i] != (i < plen ? pattern_byte(i) : 0))
			return 0;
	return 1;
}

/* Create rel and write the pattern in pieces; 1 if every write was whole. */
static int write_pattern(const char *rel, int *created)
{
	static uint8_t buf[WRITE_SIZE];
	char path[PATH_BUF];
	int fd = open(full(path, rel), O_WRONLY | O_CREAT | O_EXCL, 0644), ok = 1;

	*created = fd >= 0;
	if (fd < 0)
		return 0;
	for (size_t i = 0; i < WRITE_SIZE; i++)
		buf[i] = pattern_byte(i);
	for (size_t off = 0; off < WRITE_SIZE && ok; off += PIECE) {
		size_t n = WRITE_SIZE - off < PIECE ? WRITE_SIZE - off : PIECE;

		ok = write(fd, buf + off, n) == (ssize_t)n;
	}
	return close(fd) == 0 && ok;
}

static unsigned long long free_blocks(void)
{
	struct statvfs st;

	return statvfs(root, &st) == 0 ? (unsigned long long)st.f_bfree : 0;
}

static void test_file(void)
{
	char a[PATH_BUF], b[PATH_BUF];
	int created, ok = write_pattern("/var/tmp/Check File.TXT", &created), fd;
	ino_t ino = inode_of("/var/tmp/Check File.TXT");

	step("create /var/tmp/Check File.TXT", created, strerror(errno));
	step("write 20000 bytes in pieces", ok, "short write");
	step("read back", holds("/var/tmp/Check File.TXT", WRITE_SIZE, WRITE_SIZE),
	     "different bytes");
	step("lookup ignores case", ino && inode_of("/VAR/TMP/check file.txt") == ino, "not found");
	step_call("rename to /var/tmp/check/Moved Across.txt",
		  rename(full(a, "/var/tmp/Check File.TXT"),
			 full(b, "/var/tmp/check/Moved Across.txt")),
		  0);
	step("old name gone", !exists("/var/tmp/Check File.TXT"), "still there");
	step("new name found", ino && inode_of("/var/tmp/check/Moved Across.txt") == ino,
	     "not found, or another inode number");
	step("moved file intact", holds("/var/tmp/check/Moved Across.txt", WRITE_SIZE, WRITE_SIZE),
	     "different bytes");
	step_call("truncate to 1000",
		  truncate(full(a, "/var/tmp/check/Moved Across.txt"), TRUNC_DOWN), 0);
	step("truncated file", holds("/var/tmp/check/Moved Across.txt", TRUNC_DOWN, TRUNC_DOWN),
	     "wrong bytes");
	fd = open(full(a, "/var/tmp/check/Moved Across.txt"), O_RDWR);
	step_call("extend to 3000", fd < 0 ? -1 : ftruncate(fd, TRUNC_UP), 0);
	if (fd >= 0)
		close(fd);
	step("extension reads zeros",
	     holds("/var/tmp/check/Moved Across.txt", TRUNC_DOWN, TRUNC_UP), "wrong bytes");
}

static void test_remove(void)
{
	char a[PATH_BUF], b[PATH_BUF];
	unsigned long long before = free_blocks();
	int created, ok = write_pattern("/var/tmp/check/gone.txt", &created);

	step("create /var/tmp/check/gone.txt", created, strerror(errno));
	step("write gone.txt", ok, "short write");
	step_call("unlink gone.txt", unlink(full(a, "/var/tmp/check/gone.txt")), 0);
	step("gone.txt gone", !exists("/var/tmp/check/gone.txt"), "still there");
	step("free clusters back after unlink", free_blocks() == before, "a leak");
	step_call("mkdir /var/tmp/check/sub", mkdir(full(a, "/var/tmp/check/sub"), 0755), 0);
	step_call("rmdir /var/tmp/check (not empty)", rmdir(full(a, "/var/tmp/check")), ENOTEMPTY);
	step_call("rmdir /var/tmp/check/sub", rmdir(full(a, "/var/tmp/check/sub")), 0);
	step("sub gone", !exists("/var/tmp/check/sub"), "still there");
	step("free clusters back after rmdir", free_blocks() == before, "a leak");
	step_call("mkdir /var/tmp/dir-a", mkdir(full(a, "/var/tmp/dir-a"), 0755), 0);
	step_call("rename /var/tmp/dir-a to /var/tmp/check/dir-b",
		  rename(full(a, "/var/tmp/dir-a"), full(b, "/var/tmp/check/dir-b")), 0);
	step("dir-b's .. is /var/tmp/check",
	     inode_of("/var/tmp/check/dir-b/..") == inode_of("/var/tmp/check"), "wrong parent");
	step("dir-a gone", !exists("/var/tmp/dir-a"), "still there");
}

/* An unlinked file still open keeps its inode; a new file in its slot gets another. */
static void test_reuse(void)
{
	char a[PATH_BUF];
	struct stat old, new_st;
	int created, fd, ok;

	write_pattern("/var/tmp/check/open.txt", &created);
	fd = open(full(a, "/var/tmp/check/open.txt"), O_RDONLY);
	ok = fd >= 0 && fstat(fd, &old) == 0 && unlink(a) == 0;
	ok = ok && close(open(full(a, "/var/tmp/check/new.txt"), O_WRONLY | O_CREAT, 0644)) == 0;
	ok = ok && stat(a, &new_st) == 0 && new_st.st_ino != old.st_ino;
	step("a new file does not take an open unlinked file's inode", ok,
	     "the same inode number, or a call failed");
	if (fd >= 0)
		close(fd);
	unlink(full(a, "/var/tmp/check/new.txt"));
}

int main(int argc, char *argv[])
{
	char path[PATH_BUF];
	struct stat st;

	if (argc != 2) {
		fprintf(stderr, "usage: fscheck ROOT\n");
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	walk("check", "/");
	printf("check: %llu files, %llu directories, %llu bytes\n", nfiles, ndirs, nbytes);
	step("/var/tmp exists", stat(full(path, "/var/tmp"), &st) == 0 && S_ISDIR(st.st_mode),
	     "no /var/tmp");
	step_call("mkdir /var/tmp/check", mkdir(full(path, "/var/tmp/check"), 0755), 0);
	test_file();
	test_remove();
	test_reuse();
	walk("after", "/var/tmp");
	printf("check: done, %d failed\n", failures);
	return failures ? 1 : 0;
}
