/*
 * fstest: the file system calls on /dev and /proc, checked line by line.
 *
 * Two kinds of lines.  Checks, like badcall's, whose expectation is
 * Linux's behaviour:
 *
 *     fstest: open(/dev/null, O_DIRECTORY): expected ENOTDIR, got ENOTDIR ok
 *
 * and facts the grader compares with what it knows (the devices, the
 * processes, the memory the kernel reported, the arguments it was given):
 *
 *     fstest: ls /dev: . .. console full null random tty urandom zero
 *     fstest: meminfo MemTotal: 1046920 kB
 *
 * It ends with "fstest: N checks, M failed" and exit status M (at most
 * 100).  `fstest files DIR` instead checks files and directories made in
 * DIR (a writable filesystem: /var/tmp on the ramdisk, /tmp, or on Linux): creating,
 * O_EXCL, O_TRUNC, O_APPEND, offsets and SEEK_END, pread/pwrite, truncate,
 * rename, unlink, mkdir and rmdir with their errno values.  The program runs on a Linux host too (build/user/fstest), where
 * the checks that only hold on kestrel (what a mount does, the descriptor
 * limit, sizes of /proc files, ...) are skipped and the others confirm
 * Linux's errno values.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0

static int checks, failures;
static int on_kestrel;

static const char *err_name(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },         { ENOENT, "ENOENT" }, { EBADF, "EBADF" },
		{ EACCES, "EACCES" },       { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },       { EXDEV, "EXDEV" },   { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" },     { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" },       { ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" },
		{ ESPIPE, "ESPIPE" },       { ERANGE, "ERANGE" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOTEMPTY, "ENOTEMPTY" }, { EROFS, "EROFS" },
	};
	static char other[16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(other, sizeof(other), "errno%d", e);
	return other;
}

static void report(const char *what, const char *want, const char *got)
{
	int ok = strcmp(want, got) == 0;

	checks++;
	failures += !ok;
	printf("fstest: %s: expected %s, got %s %s\n", what, want, got, ok ? "ok" : "FAILED");
	fflush(stdout);
}

/* A libc call returning -1 and errno: it must fail with err. */
static void expect_err(const char *what, long ret, int err)
{
	char got[32];

	if (ret == -1)
		snprintf(got, sizeof(got), "%s", err_name(errno));
	else
		snprintf(got, sizeof(got), "%ld", ret);
	report(what, err_name(err), got);
}

/* It must return exactly value. */
static void expect_val(const char *what, long ret, long value)
{
	char got[32], want[32];

	if (ret == -1)
		snprintf(got, sizeof(got), "%s", err_name(errno));
	else
		snprintf(got, sizeof(got), "%ld", ret);
	snprintf(want, sizeof(want), "%ld", value);
	report(what, want, got);
}

static void expect_str(const char *what, const char *got, const char *want)
{
	report(what, want, got ? got : "(null)");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "fstest: ls DIR: . .. a b" in sorted order, through opendir/readdir. */
static void list_dir(const char *path)
{
	char *names[512];
	int n = 0;
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		printf("fstest: ls %s: %s\n", path, err_name(errno));
		return;
	}
	while ((e = readdir(d)) && n < 512)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	printf("fstest: ls %s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

/* Print a /proc file a line at a time: "fstest: PREFIX LINE". */
static void show_file(const char *path, const char *prefix)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("fstest: %s %s\n", prefix, err_name(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		printf("fstest: %s %s\n", prefix, line);
	}
	fclose(f);
}

static void test_listings(void)
{
	list_dir("/dev");
	list_dir("/proc");
	if (on_kestrel)
		list_dir("/");
	printf("fstest: pid %d\n", getpid());
	{
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d", getpid());
		list_dir(path);
	}
	show_file("/proc/self/stat", "stat");
	show_file("/proc/self/status", "status");
	show_file("/proc/meminfo", "meminfo");
	show_file("/proc/mounts", "mounts");
}

/* /proc/self/cmdline, NULs shown as "\0". */
static void test_cmdline(void)
{
	char buf[512];
	int fd = open("/proc/self/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	printf("fstest: cmdline ");
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i])
			putchar(buf[i]);
		else
			printf("\\0");
	}
	printf("\n");
	if (fd >= 0)
		close(fd);
}

/* dup shares the offset; O_CLOEXEC is per descriptor. */
static void test_descriptors(void)
{
	char buf[16];
	/* musl's open sets FD_CLOEXEC itself after the call (for old
	 * kernels): ask the kernel directly, to see what it does. */
	int fd = (int)syscall(SYS_open, "/proc/self/status", O_RDONLY | O_CLOEXEC, 0), fd2, fd3;

	expect_val("F_GETFD after open(O_CLOEXEC)", fcntl(fd, F_GETFD), FD_CLOEXEC);
	fd2 = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
	expect_val("F_GETFD after openat(O_CLOEXEC)", fcntl(fd2, F_GETFD), FD_CLOEXEC);
	close(fd2);
	fd2 = (int)syscall(SYS_open, "/dev/null", O_RDONLY, 0);
	expect_val("F_GETFD after open without O_CLOEXEC", fcntl(fd2, F_GETFD), 0);
	close(fd2);
	fd2 = dup(fd);
	expect_val("F_GETFD of its dup", fcntl(fd2, F_GETFD), 0);
	expect_val("read(fd, 10)", read(fd, buf, 10), 10);
	expect_val("read(dup, 6)", read(fd2, buf, 6), 6);
	expect_val("lseek(fd, 0, SEEK_CUR) after both reads", lseek(fd, 0, SEEK_CUR), 16);
	expect_val("lseek(dup, 3, SEEK_SET)", lseek(fd2, 3, SEEK_SET), 3);
	expect_val("lseek(fd, 0, SEEK_CUR) after the dup's seek", lseek(fd, 0, SEEK_CUR), 3);
	expect_val("lseek(fd, 2, SEEK_CUR)", lseek(fd, 2, SEEK_CUR), 5);
	expect_err("lseek(fd, -6, SEEK_CUR)", lseek(fd, -6, SEEK_CUR), EINVAL);
	expect_err("lseek(fd, 0, 7)", lseek(fd, 0, 7), EINVAL);
	if (on_kestrel) {
		/* /proc files have size 0 (Linux's seq files refuse SEEK_END). */
		expect_val("lseek(fd, 3, SEEK_END) of a /proc file", lseek(fd, 3, SEEK_END), 3);
		expect_err("lseek(fd, -1, SEEK_END) of a /proc file", lseek(fd, -1, SEEK_END),
			   EINVAL);
		lseek(fd, 5, SEEK_SET);
	}
	expect_val("pread(fd, 4, 0) leaves the offset", pread(fd, buf, 4, 0), 4);
	expect_val("lseek(fd, 0, SEEK_CUR) after pread", lseek(fd, 0, SEEK_CUR), 5);
	fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	expect_val("fcntl(F_DUPFD_CLOEXEC, 200)", fd3, 200);
	expect_val("F_GETFD of it", fcntl(fd3, F_GETFD), FD_CLOEXEC);
	expect_val("F_SETFD 0", fcntl(fd3, F_SETFD, 0), 0);
	expect_val("F_GETFD after F_SETFD 0", fcntl(fd3, F_GETFD), 0);
	expect_val("dup3(fd, 20, O_CLOEXEC)", dup3(fd, 20, O_CLOEXEC), 20);
	expect_val("F_GETFD of 20", fcntl(20, F_GETFD), FD_CLOEXEC);
	expect_val("dup2(fd2, 20) replaces it", dup2(fd2, 20), 20);
	expect_val("F_GETFD of 20 after dup2", fcntl(20, F_GETFD), 0);
	expect_val("dup2(fd, fd)", dup2(fd, fd), fd);
	expect_err("dup3(fd, fd, 0)", dup3(fd, fd, 0), EINVAL);
	/* musl's dup3 turns unknown flags into dup2: ask the kernel itself. */
	expect_err("dup3(fd, 21, 1)", syscall(SYS_dup3, fd, 21, 1), EINVAL);
	expect_val("F_GETFL of a read-only file", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND),
		   O_RDONLY);
	expect_val("F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND), 0);
	expect_val("F_GETFL shows O_APPEND on the dup", fcntl(fd2, F_GETFL) & O_APPEND, O_APPEND);
	expect_err("fcntl(fd, 9999)", fcntl(fd, 9999), EINVAL);
	close(20);
	close(fd3);
	close(fd2);
	expect_val("close(fd)", close(fd), 0);
	expect_err("close(fd) again", close(fd), EBADF);
	expect_err("read(closed fd)", read(fd, buf, 1), EBADF);
	expect_err("fcntl(closed fd, F_GETFD)", fcntl(fd, F_GETFD), EBADF);
	expect_err("dup(closed fd)", dup(fd), EBADF);
	expect_err("dup2(closed fd, 30)", dup2(fd, 30), EBADF);
	expect_err("dup2(0, -1)", dup2(0, -1), EBADF);
	expect_err("lseek(closed fd)", lseek(fd, 0, SEEK_SET), EBADF);
	expect_err("fstat(closed fd)", fstat(fd, &(struct stat){ 0 }), EBADF);
	/* The console: one description on 0, 1 and 2, a stream. */
	if (on_kestrel) {
		expect_val("F_GETFL of 1", fcntl(1, F_GETFL) & O_ACCMODE, O_RDWR);
		expect_err("lseek(1, 0, SEEK_SET)", lseek(1, 0, SEEK_SET), ESPIPE);
		expect_err("pwrite(1, 1 byte, 0)", pwrite(1, "x", 1, 0), ESPIPE);
	}
}

/* The descriptor table fills up with EMFILE. */
static void test_fd_limit(void)
{
	int fds[1100], n = 0, fd;

	while (n < 1100 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[n++] = fd;
	if (on_kestrel)
		printf("fstest: %d opens before %s\n", n, err_name(errno));
	else
		report("open until the table is full", "EMFILE", err_name(errno));
	while (n > 0)
		close(fds[--n]);
	expect_val("open after closing them", fd = open("/dev/null", O_RDONLY), 3);
	close(fd);
}

static void cwd_is(const char *what, const char *want)
{
	char buf[256];

	expect_str(what, getcwd(buf, sizeof(buf)), want);
}

static void test_cwd(void)
{
	char buf[8];
	int dev, fd;

	if (on_kestrel)
		cwd_is("getcwd at the start", "/");
	expect_val("chdir(/dev)", chdir("/dev"), 0);
	cwd_is("getcwd in /dev", "/dev");
	expect_val("access(null, F_OK) in /dev", access("null", F_OK), 0);
	expect_val("chdir(../proc/./self/..)", chdir("../proc/./self/.."), 0);
	cwd_is("getcwd after ../proc/./self/..", "/proc");
	expect_err("getcwd(buf, 5) in /proc", getcwd(buf, 5) ? 0 : -1, ERANGE);
	expect_val("getcwd(buf, 6) in /proc", getcwd(buf, 6) ? 0 : -1, 0);
	expect_val("chdir(self)", chdir("self"), 0);
	fd = open("status", O_RDONLY);
	expect_val("open(status) relative", fd >= 0, 1);
	close(fd);
	expect_val("chdir(..)", chdir(".."), 0);
	expect_val("chdir(../..)", chdir("../.."), 0);
	cwd_is("getcwd after ../.. from /proc", "/");
	expect_err("chdir(/dev/null)", chdir("/dev/null"), ENOTDIR);
	expect_err("chdir(/dev/nonexistent)", chdir("/dev/nonexistent"), ENOENT);
	expect_err("chdir(\"\")", chdir(""), ENOENT);
	dev = open("/dev", O_RDONLY | O_DIRECTORY);
	expect_val("fchdir(/dev)", fchdir(dev), 0);
	cwd_is("getcwd after fchdir", "/dev");
	fd = openat(dev, "zero", O_RDONLY);
	expect_val("openat(/dev fd, zero)", fd >= 0, 1);
	close(fd);
	expect_err("fchdir(0)", fchdir(0), ENOTDIR);
	expect_err("openat(0, zero)", openat(0, "zero", O_RDONLY), ENOTDIR);
	expect_err("openat(99, zero)", openat(99, "zero", O_RDONLY), EBADF);
	fd = openat(99, "/dev/zero", O_RDONLY);
	expect_val("openat(99, /dev/zero) ignores the fd", fd >= 0, 1);
	close(fd);
	close(dev);
	chdir("/");
}

static void test_errors(void)
{
	char buf[64];
	int fd;

	expect_err("open(/dev/nonexistent)", open("/dev/nonexistent", O_RDONLY), ENOENT);
	expect_err("open(/nonexistent/x)", open("/nonexistent/x", O_RDONLY), ENOENT);
	expect_err("open(/dev/null/x)", open("/dev/null/x", O_RDONLY), ENOTDIR);
	expect_err("open(/dev/null/)", open("/dev/null/", O_RDONLY), ENOTDIR);
	expect_err("open(/dev, O_WRONLY)", open("/dev", O_WRONLY), EISDIR);
	expect_err("open(/proc, O_RDWR)", open("/proc", O_RDWR), EISDIR);
	expect_err("open(/dev/null, O_DIRECTORY)", open("/dev/null", O_RDONLY | O_DIRECTORY),
		   ENOTDIR);
	expect_err("open(/dev/null, O_CREAT|O_EXCL)",
		   open("/dev/null", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	expect_err("open(\"\")", open("", O_RDONLY), ENOENT);
	memset(buf, 'a', sizeof(buf));
	{
		static char longname[300];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[0] = '/';
		expect_err("open(/ + 298 bytes)", open(longname, O_RDONLY), ENAMETOOLONG);
	}
	fd = open("/dev", O_RDONLY | O_DIRECTORY);
	expect_err("read(directory)", read(fd, buf, 8), EISDIR);
	expect_err("write(directory fd)", write(fd, buf, 8), EBADF);
	close(fd);
	fd = open("/proc/meminfo", O_RDONLY);
	expect_err("write(read-only fd)", write(fd, buf, 8), EBADF);
	expect_err("getdents64(regular file)", syscall(SYS_getdents64, fd, buf, sizeof(buf)),
		   ENOTDIR);
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	expect_err("read(write-only fd)", read(fd, buf, 8), EBADF);
	close(fd);
	expect_err("stat(/proc/nonexistent)", stat("/proc/nonexistent", &(struct stat){ 0 }),
		   ENOENT);
	expect_err("stat(/proc/999999)", stat("/proc/999999", &(struct stat){ 0 }), ENOENT);
	expect_err("access(/dev/nonexistent)", access("/dev/nonexistent", F_OK), ENOENT);
	expect_err("access(/dev/null, 8)", access("/dev/null", 8), EINVAL);
	expect_err("mkdir(/dev)", mkdir("/dev", 0755), EEXIST);
	expect_err("mkdir(/proc/meminfo)", mkdir("/proc/meminfo", 0755), EEXIST);
	expect_err("mkdir(/dev/null/x)", mkdir("/dev/null/x", 0755), ENOTDIR);
	expect_err("rmdir(/proc)", rmdir("/proc"), EBUSY);
	expect_err("rmdir(/dev/null)", rmdir("/dev/null"), ENOTDIR);
	expect_err("rmdir(/dev/nonexistent)", rmdir("/dev/nonexistent"), ENOENT);
	expect_err("rmdir(/dev/.)", rmdir("/dev/."), EINVAL);
	expect_err("rmdir(/proc/self/..)", rmdir("/proc/self/.."), ENOTEMPTY);
	expect_err("unlink(/dev)", unlink("/dev"), EISDIR);
	expect_err("unlink(/proc/nonexistent)", unlink("/proc/nonexistent"), ENOENT);
	expect_err("rename(/dev/nonexistent, /dev/x)", rename("/dev/nonexistent", "/dev/x"),
		   ENOENT);
	expect_err("rename(/dev/null, /proc/null)", rename("/dev/null", "/proc/null"), EXDEV);
	expect_err("truncate(/dev, 0)", truncate("/dev", 0), EISDIR);
	expect_err("truncate(/dev/null, -1)", truncate("/dev/null", -1), EINVAL);
	expect_err("fsync(1)", fsync(1), EINVAL);
	if (!on_kestrel)
		return;
	/* Linux's /dev is a tmpfs where these work; kestrel's devfs is fixed. */
	expect_err("unlink(/dev/null)", unlink("/dev/null"), EPERM);
	expect_err("mkdir(/dev/newdir)", mkdir("/dev/newdir", 0755), EPERM);
	expect_err("open(/dev/newfile, O_CREAT)", open("/dev/newfile", O_CREAT | O_WRONLY, 0644),
		   EACCES);
	expect_err("rename(/dev/null, /dev/null2)", rename("/dev/null", "/dev/null2"), EPERM);
}

static void test_devices(void)
{
	char buf[300];
	int fd, zeros = 1;

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 'x', sizeof(buf));
	expect_val("read(/dev/zero, 300)", read(fd, buf, sizeof(buf)), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		zeros &= buf[i] == 0;
	expect_val("/dev/zero gives zeros", zeros, 1);
	close(fd);
	fd = open("/dev/null", O_RDWR);
	expect_val("read(/dev/null)", read(fd, buf, sizeof(buf)), 0);
	expect_val("write(/dev/null, 300)", write(fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
	fd = open("/dev/full", O_RDWR);
	expect_err("write(/dev/full)", write(fd, buf, 10), ENOSPC);
	expect_val("read(/dev/full, 10)", read(fd, buf, 10), 10);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	expect_val("read(/dev/urandom, 32)", read(fd, buf, 32), 32);
	{
		int same = 1;

		for (int i = 1; i < 32; i++)
			same &= buf[i] == buf[0];
		expect_val("/dev/urandom bytes are not all the same", same, 0);
	}
	close(fd);
	if (on_kestrel) {
		fd = open("/dev/tty", O_WRONLY);
		expect_val("write(/dev/tty)", write(fd, "fstest: (written to /dev/tty)\n", 30), 30);
		close(fd);
	}
	{
		FILE *f = fopen("/dev/null", "w");

		expect_val("fprintf to /dev/null", f ? (long)fprintf(f, "%d", 12345) : -1, 5);
		expect_val("fclose", f ? fclose(f) : -1, 0);
	}
}

/* getdents64 by hand: record layout, small buffers, and rewinding. */
struct dirent64_raw {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void test_getdents(void)
{
	char buf[4096], names[1024] = "", *p;
	int fd = open("/dev", O_RDONLY | O_DIRECTORY), bad = 0, count = 0;
	long n;
	struct stat st;

	n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	for (long off = 0; off < n; off += ((struct dirent64_raw *)(buf + off))->d_reclen) {
		struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
		size_t want = (19 + strlen(d->d_name) + 1 + 7) & ~7ul;
		char path[4096 + 8];

		bad += d->d_reclen != want;
		count++;
		if (!on_kestrel || strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		bad += stat(path, &st) != 0 || st.st_ino != d->d_ino;
		bad += d->d_type != DT_CHR || !S_ISCHR(st.st_mode);
	}
	printf("fstest: getdents64 /dev gave %d records\n", count);
	expect_val("records 8-aligned, d_ino and d_type those of stat", bad, 0);
	expect_val("getdents64 at the end", syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	expect_val("lseek(dir, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET), 0);
	expect_err("getdents64 with 8 bytes", syscall(SYS_getdents64, fd, buf, 8), EINVAL);
	/* One record at a time: a buffer of 24 bytes holds a name of up to 4. */
	p = names;
	while ((n = syscall(SYS_getdents64, fd, buf, 32)) > 0) {
		struct dirent64_raw *d = (struct dirent64_raw *)buf;

		if (n != d->d_reclen)
			bad++;
		p += sprintf(p, " %s", d->d_name);
	}
	if (on_kestrel)
		printf("fstest: getdents64 /dev 32 bytes at a time:%s (%ld)\n", names, n);
	expect_val("each record alone fills the 32-byte buffer", bad, 0);
	close(fd);
}

static void test_stat(void)
{
	struct stat st, st2;
	struct statfs sf;
	int fd;

	expect_val("stat(/dev/null)", stat("/dev/null", &st), 0);
	expect_val("/dev/null is a character device", S_ISCHR(st.st_mode), 1);
	expect_val("/dev/null is device 1, 3", st.st_rdev == makedev(1, 3), 1);
	fd = open("/dev/null", O_RDONLY);
	expect_val("fstat(/dev/null fd)", fstat(fd, &st2), 0);
	expect_val("fstat's st_ino is stat's", st2.st_ino == st.st_ino && st2.st_dev == st.st_dev,
		   1);
	expect_val("fstatat(fd, \"\", AT_EMPTY_PATH)", fstatat(fd, "", &st2, AT_EMPTY_PATH), 0);
	expect_val("AT_EMPTY_PATH's st_ino is stat's", st2.st_ino == st.st_ino, 1);
	expect_err("fstatat(fd, \"\", 0)", fstatat(fd, "", &st2, 0), ENOENT);
	close(fd);
	expect_val("lstat(/proc)", lstat("/proc", &st), 0);
	expect_val("/proc is a directory", S_ISDIR(st.st_mode), 1);
	expect_val("stat(/proc/self/status)", stat("/proc/self/status", &st), 0);
	expect_val("/proc/self/status is a regular file", S_ISREG(st.st_mode), 1);
	expect_val("stat(/dev) and stat(/proc) differ in st_dev",
		   stat("/dev", &st) == 0 && stat("/proc", &st2) == 0 && st.st_dev != st2.st_dev,
		   1);
	if (on_kestrel)
		expect_val("fstat(1) is a character device",
			   fstat(1, &st) == 0 && S_ISCHR(st.st_mode), 1);
	expect_val("statfs(/proc)", statfs("/proc", &sf), 0);
	expect_val("statfs(/proc).f_type", sf.f_type, PROC_SUPER_MAGIC);
	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	expect_val("fstatfs(/proc fd).f_type", fstatfs(fd, &sf) == 0 ? (long)sf.f_type : -1,
		   PROC_SUPER_MAGIC);
	close(fd);
	expect_val("access(/proc/meminfo, R_OK)", access("/proc/meminfo", R_OK), 0);
	expect_val("faccessat(AT_FDCWD, /dev/zero, W_OK)",
		   faccessat(AT_FDCWD, "/dev/zero", W_OK, 0), 0);
}

/* Kestrel only: mount a second devfs, use it, unmount it. */
static void test_mount(void)
{
	int fd;

	expect_err("mount(proc at /nonexistent)", mount("none", "/nonexistent", "proc", 0, NULL),
		   ENOENT);
	expect_err("mount(proc at /dev/null)", mount("none", "/dev/null", "proc", 0, NULL),
		   ENOTDIR);
	expect_err("mount(nosuchfs at /proc/self)",
		   mount("none", "/proc/self", "nosuchfs", 0, NULL), ENODEV);
	expect_err("mount(proc at /dev): already a mount", mount("none", "/dev", "proc", 0, NULL),
		   EBUSY);
	expect_val("mount(devtmpfs at /proc/self/)",
		   mount("extradev", "/proc/self/", "devtmpfs", 0, NULL), 0);
	list_dir("/proc/self");
	show_file("/proc/mounts", "mounts after mount");
	fd = open("/proc/self/zero", O_RDONLY);
	expect_val("open(/proc/self/zero)", fd >= 0, 1);
	expect_err("umount(/proc/self) with a file open", umount("/proc/self"), EBUSY);
	close(fd);
	expect_val("umount(/proc/self)", umount("/proc/self"), 0);
	expect_err("umount(/proc/self) again", umount("/proc/self"), EINVAL);
	expect_err("umount(/nonexistent)", umount("/nonexistent"), ENOENT);
	expect_val("/proc/self/status is back", access("/proc/self/status", F_OK), 0);
}

/* dir/name, in one of four buffers taken in turn (for names used once). */
static const char *in_dir(const char *dir, const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Files in a writable directory: the VFS's open(2) rules over a real filesystem. */
static void test_files(const char *top)
{
	char dir[400], f[420], g[420], sub[420], buf[64];
	int fd, fd2;

	/* Every path below is under dir; in_dir's buffers are for the
	 * names used once. */
	snprintf(dir, sizeof(dir), "%s/fstest.%d", top, getpid());
	snprintf(f, sizeof(f), "%s/f", dir);
	snprintf(g, sizeof(g), "%s/g", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	expect_val("mkdir(dir)", mkdir(dir, 0755), 0);
	expect_err("mkdir(dir) again", mkdir(dir, 0755), EEXIST);
	fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0644);
	expect_val("open(f, O_CREAT|O_EXCL)", fd >= 0, 1);
	expect_err("open(f, O_CREAT|O_EXCL) again", open(f, O_RDWR | O_CREAT | O_EXCL, 0644),
		   EEXIST);
	expect_val("write(f, hello)", write(fd, "hello", 5), 5);
	expect_val("lseek(f, 0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR), 5);
	expect_val("lseek(f, 0, SEEK_END)", lseek(fd, 0, SEEK_END), 5);
	expect_val("lseek(f, -2, SEEK_END)", lseek(fd, -2, SEEK_END), 3);
	expect_err("lseek(f, -6, SEEK_END)", lseek(fd, -6, SEEK_END), EINVAL);
	expect_val("pwrite(f, XY, 2, 1)", pwrite(fd, "XY", 2, 1), 2);
	memset(buf, 0, sizeof(buf));
	expect_val("pread(f, 5, 0)", pread(fd, buf, 5, 0), 5);
	expect_str("pread's bytes", buf, "hXYlo");
	expect_val("lseek(f, 0, SEEK_CUR) after pread/pwrite", lseek(fd, 0, SEEK_CUR), 3);
	expect_val("read(f) from 3", read(fd, buf, sizeof(buf)), 2);
	expect_val("read(f) at the end", read(fd, buf, sizeof(buf)), 0);
	expect_val("fstat(f).st_size", fstat(fd, &(struct stat){ 0 }) == 0 ? file_size(f) : -1, 5);
	close(fd);

	fd = open(f, O_WRONLY | O_APPEND);
	expect_val("lseek(O_APPEND fd, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET), 0);
	expect_val("write(O_APPEND fd, !)", write(fd, "!", 1), 1);
	expect_val("O_APPEND: the offset is the new end", lseek(fd, 0, SEEK_CUR), 6);
	expect_val("O_APPEND: the size", file_size(f), 6);
	close(fd);
	fd = open(f, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	expect_val("read(f) whole", read(fd, buf, sizeof(buf)), 6);
	expect_str("f's bytes", buf, "hXYlo!");
	expect_err("ftruncate(O_RDONLY fd)", ftruncate(fd, 0), EINVAL);
	expect_err("write(O_RDONLY fd)", write(fd, "x", 1), EBADF);
	fd2 = dup(fd);
	expect_val("lseek(dup, 1, SEEK_SET)", lseek(fd2, 1, SEEK_SET), 1);
	expect_val("read(fd) after the dup's seek", read(fd, buf, 2), 2);
	expect_val("read's bytes are at 1", buf[0] == 'X' && buf[1] == 'Y', 1);
	close(fd2);
	close(fd);

	fd = open(f, O_RDWR | O_TRUNC);
	expect_val("open(f, O_TRUNC) empties it", file_size(f), 0);
	expect_val("ftruncate(f, 100)", ftruncate(fd, 100), 0);
	expect_val("size after ftruncate(100)", file_size(f), 100);
	memset(buf, 'x', sizeof(buf));
	expect_val("pread(f, 16, 90)", pread(fd, buf, 16, 90), 10);
	expect_val("the extension reads as zeros", buf[0] == 0 && buf[9] == 0, 1);
	close(fd);
	expect_val("truncate(f, 3)", truncate(f, 3), 0);
	expect_val("size after truncate(3)", file_size(f), 3);
	expect_err("truncate(dir, 0)", truncate(dir, 0), EISDIR);
	expect_err("open(f/, O_RDONLY)", open(in_dir(dir, "f/"), O_RDONLY), ENOTDIR);
	expect_err("open(f, O_DIRECTORY)", open(f, O_RDONLY | O_DIRECTORY), ENOTDIR);
	expect_err("open(dir, O_WRONLY)", open(dir, O_WRONLY), EISDIR);
	expect_err("open(new/, O_CREAT)", open(in_dir(dir, "new/"), O_RDWR | O_CREAT, 0644),
		   EISDIR);
	expect_err("open(missing/x, O_CREAT)",
		   open(in_dir(dir, "missing/x"), O_RDWR | O_CREAT, 0644), ENOENT);
	expect_err("open(f/x, O_CREAT)", open(in_dir(dir, "f/x"), O_RDWR | O_CREAT, 0644), ENOTDIR);

	fd = creat(g, 0644);
	expect_val("creat(g)", fd >= 0, 1);
	close(fd);
	expect_val("rename(g, h)", rename(g, in_dir(dir, "h")), 0);
	expect_err("stat(g) after the rename", stat(g, &(struct stat){ 0 }), ENOENT);
	expect_val("stat(h)", stat(in_dir(dir, "h"), &(struct stat){ 0 }), 0);
	expect_val("rename(h, f) replaces f", rename(in_dir(dir, "h"), f), 0);
	expect_val("f is h's (empty)", file_size(f), 0);
	expect_val("rename(f, f)", rename(f, f), 0);
	expect_val("mkdir(sub)", mkdir(sub, 0755), 0);
	expect_err("rename(dir, sub): into itself", rename(dir, in_dir(sub, "x")), EINVAL);
	expect_err("rename(f, sub): a file over a directory", rename(f, sub), EISDIR);
	expect_err("rename(sub, f): a directory over a file", rename(sub, f), ENOTDIR);
	expect_err("rename(missing, x)", rename(in_dir(dir, "missing"), g), ENOENT);
	fd = open(in_dir(sub, "inner"), O_WRONLY | O_CREAT, 0644);
	close(fd);
	expect_err("rmdir(sub) not empty", rmdir(sub), ENOTEMPTY);
	expect_err("rmdir(f)", rmdir(f), ENOTDIR);
	expect_err("unlink(sub)", unlink(sub), EISDIR);
	expect_err("unlink(missing)", unlink(in_dir(dir, "missing")), ENOENT);
	expect_err("mkdir(f/x)", mkdir(in_dir(dir, "f/x"), 0755), ENOTDIR);
	expect_val("chdir(sub)", chdir(sub), 0);
	fd = open("inner", O_RDONLY);
	expect_val("open(inner) relative to it", fd >= 0, 1);
	close(fd);
	expect_val("unlinkat(AT_FDCWD, inner, 0)", unlinkat(AT_FDCWD, "inner", 0), 0);
	expect_val("chdir(..)", chdir(".."), 0);
	list_dir(".");
	expect_val("unlinkat(sub, AT_REMOVEDIR)", unlinkat(AT_FDCWD, "sub", AT_REMOVEDIR), 0);
	expect_val("unlink(f)", unlink(f), 0);
	expect_val("chdir(/)", chdir("/"), 0);
	expect_val("rmdir(dir)", rmdir(dir), 0);
	expect_err("stat(dir) after rmdir", stat(dir, &(struct stat){ 0 }), ENOENT);
}

int main(int argc, char *argv[])
{
	struct utsname u;

	on_kestrel = uname(&u) == 0 && strcmp(u.sysname, "kestrel") == 0;
	printf("fstest: running on %s\n", u.sysname);
	if (argc == 3 && strcmp(argv[1], "files") == 0) {
		test_files(argv[2]);
		printf("fstest: %d checks, %d failed\n", checks, failures);
		return failures > 100 ? 100 : failures;
	}
	if (on_kestrel)
		test_listings();
	test_cmdline();
	test_descriptors();
	test_cwd();
	test_errors();
	test_devices();
	test_getdents();
	test_stat();
	if (on_kestrel) {
		test_mount();
		test_fd_limit();
	}
	printf("fstest: %d checks, %d failed\n", checks, failures);
	return failures > 100 ? 100 : failures;
}
