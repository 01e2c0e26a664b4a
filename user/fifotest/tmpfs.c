/*
 * tmpfs.c: /tmp as Linux's tmpfs has it.  tmpfs: it is mounted (statfs's
 * magic, /proc/mounts, mode 1777); a 4 MiB file's pages show in Shmem and
 * go at the last close after an unlink; holes and truncation; directories
 * (rename over a file, ENOTEMPTY, EINVAL for a directory into itself);
 * removing files while listing them; a program copied in runs.  mount:
 * another instance with size=64k (ENOSPC past it, EBUSY while in use).
 * fatfifo: the FAT volume refuses FIFOs (EPERM, as vfat) but mknod makes
 * regular files there; a FUSE server without MKNOD answers ENOSYS.
 */
#define _GNU_SOURCE
#include "fifotest.h"
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
#include <sys/wait.h>
#include <unistd.h>

#define TMPFS_MAGIC 0x01021994
#define BIG_BYTES   (4 * 1024 * 1024 + 123)
#define BIG_SEED    5
#define HOLE_AT     (10 * 1024 * 1024)
#define NFILES      100
#define DIR_BASE    "/tmp/fifotest-d"
#define MOUNT_DIR   "/tmp/fifotest-m"

static char buf[8192 + CHUNK_MAX];

/* The type of the filesystem at path per /proc/mounts (its mount point). */
static const char *mounted_type(const char *path)
{
	static char found[64];
	char src[256], dir[256], type[64];
	FILE *f = fopen("/proc/mounts", "r");

	strcpy(found, "none");
	while (f && fscanf(f, "%255s %255s %63s %*[^\n]", src, dir, type) == 3)
		if (strcmp(dir, path) == 0)
			strcpy(found, type);
	if (f)
		fclose(f);
	return found;
}

static long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void tmpfs_mounted(void)
{
	struct statfs sf;
	struct stat st;
	char mode[16] = "?";

	check_val("tmpfs", "/proc/mounts: /tmp", "tmpfs", mounted_type("/tmp"));
	check_val("tmpfs", "statfs /tmp: f_type", "0x1021994",
		  statfs("/tmp", &sf) == 0
			  ? (snprintf(mode, sizeof(mode), "%#lx", (long)sf.f_type), mode)
			  : err_of(-1));
	if (stat("/tmp", &st) == 0)
		snprintf(mode, sizeof(mode), "%o", (unsigned)st.st_mode);
	check_val("tmpfs", "/tmp's mode", "41777", mode);
}

/* A 4 MiB file: written, read back, unlinked while open, then freed. */
static void tmpfs_memory(void)
{
	uint32_t s = BIG_SEED, sizes = 3, crc_w = 0, crc_r = 0;
	long shmem0, free0;
	size_t done = 0;
	struct stat st;
	ssize_t n;
	int fd;

	memset(buf, 0, sizeof(buf)); /* its pages are not the file's */
	shmem0 = meminfo_kb("Shmem");
	free0 = meminfo_kb("MemFree") + meminfo_kb("Slab");
	fd = open("/tmp/fifotest-big", O_RDWR | O_CREAT | O_TRUNC, 0644);

	while (done < BIG_BYTES) {
		size_t k = 1 + xorshift32(&sizes) % CHUNK_MAX;

		k = k < BIG_BYTES - done ? k : BIG_BYTES - done;
		for (size_t i = 0; i < k; i++)
			buf[i] = (char)xorshift32(&s);
		crc_w = crc32_update(crc_w, buf, k);
		if (write_all(fd, buf, k) != 0)
			break;
		done += k;
	}
	fact("tmpfs", "wrote %zu bytes: Shmem +%ld kB", done, meminfo_kb("Shmem") - shmem0);
	fstat(fd, &st);
	check_val("tmpfs", "its size", num(BIG_BYTES), num((long)st.st_size));
	check_val("tmpfs", "its blocks", num((BIG_BYTES + 4095) / 4096 * 8),
		  num((long)st.st_blocks));
	check_val("tmpfs", "lseek SEEK_END", num(BIG_BYTES), num(lseek(fd, 0, SEEK_END)));
	lseek(fd, 0, SEEK_SET);
	done = 0;
	while ((n = read(fd, buf, 1 + xorshift32(&sizes) % CHUNK_MAX)) > 0)
		crc_r = crc32_update(crc_r, buf, (size_t)n), done += (size_t)n;
	fact("tmpfs", "read back %zu bytes crc32 %08x", done, crc_r);
	check("tmpfs", "read back as written", crc_r == crc_w ? NULL : "different bytes");
	check_val("tmpfs", "unlink while open", "0", err_of(unlink("/tmp/fifotest-big")));
	check_val("tmpfs", "its name is gone", "ENOENT", err_of(size_of("/tmp/fifotest-big")));
	check_val("tmpfs", "it still reads", "100", num(pread(fd, buf, 100, 1000)));
	check_val("tmpfs", "its nlink", "0", fstat(fd, &st) == 0 ? num((long)st.st_nlink) : "?");
	close(fd);
	fact("tmpfs", "freed: Shmem %ld -> %ld kB, MemFree+Slab %ld -> %ld kB", shmem0,
	     meminfo_kb("Shmem"), free0, meminfo_kb("MemFree") + meminfo_kb("Slab"));
}

/* A hole, truncation down and up, O_APPEND. */
static void tmpfs_holes(void)
{
	int fd = open("/tmp/fifotest-hole", O_RDWR | O_CREAT | O_TRUNC, 0644), zeros = 0, xs = 0;
	char what[64];
	struct stat st;

	check_val("tmpfs", "a byte 10 MiB in", "1", num(pwrite(fd, "h", 1, HOLE_AT)));
	fstat(fd, &st);
	check_val("tmpfs", "the holed file's size", num(HOLE_AT + 1), num((long)st.st_size));
	check_val("tmpfs", "the holed file's blocks", "8", num((long)st.st_blocks));
	memset(buf, 1, 4096);
	pread(fd, buf, 4096, 4096 * 100);
	for (int i = 0; i < 4096; i++)
		zeros += buf[i] == 0;
	check_val("tmpfs", "the hole reads zeros", "4096", num(zeros));
	memset(buf, 'x', 8192);
	pwrite(fd, buf, 8192, 0);
	ftruncate(fd, 5000);
	ftruncate(fd, 8192);
	pread(fd, buf, 8192, 0);
	zeros = 0;
	for (int i = 0; i < 8192; i++) {
		xs += buf[i] == 'x';
		zeros += buf[i] == 0;
	}
	snprintf(what, sizeof(what), "%d x %d zeros", xs, zeros);
	check_val("tmpfs", "truncated down then up", "5000 x 3192 zeros", what);
	ftruncate(fd, 0);
	fstat(fd, &st);
	check_val("tmpfs", "truncated to 0: blocks", "0", num((long)st.st_blocks));
	check_val("tmpfs", "truncate to -1", "EINVAL", err_of(ftruncate(fd, -1)));
	close(fd);
	fd = open("/tmp/fifotest-hole", O_WRONLY | O_APPEND);
	write(fd, "a", 1);
	lseek(fd, 0, SEEK_SET);
	write(fd, "b", 1);
	close(fd);
	check_val("tmpfs", "O_APPEND writes at the end", "2", num(size_of("/tmp/fifotest-hole")));
	unlink("/tmp/fifotest-hole");
}

static void tmpfs_dirs(void)
{
	struct stat st;
	ino_t b_ino = 0;
	char cwd[64];

	check_val("tmpfs", "mkdir", "0", err_of(mkdir(DIR_BASE, 0755)));
	check_val("tmpfs", "mkdir again", "EEXIST", err_of(mkdir(DIR_BASE, 0755)));
	close(creat(DIR_BASE "/a", 0644));
	close(creat(DIR_BASE "/b", 0644));
	mkdir(DIR_BASE "/sub", 0755);
	if (stat(DIR_BASE "/b", &st) == 0)
		b_ino = st.st_ino;
	check_val("tmpfs", "rename into a subdirectory", "0",
		  err_of(rename(DIR_BASE "/a", DIR_BASE "/sub/a2")));
	check_val("tmpfs", "rename over it", "0",
		  err_of(rename(DIR_BASE "/b", DIR_BASE "/sub/a2")));
	check("tmpfs", "the name now is b's file",
	      stat(DIR_BASE "/sub/a2", &st) == 0 && st.st_ino == b_ino && size_of(DIR_BASE "/b") < 0
		      ? NULL
		      : "not b");
	check_val("tmpfs", "rmdir of a full directory", "ENOTEMPTY", err_of(rmdir(DIR_BASE)));
	check_val("tmpfs", "unlink of a directory", "EISDIR", err_of(unlink(DIR_BASE "/sub")));
	check_val("tmpfs", "rmdir of a file", "ENOTDIR", err_of(rmdir(DIR_BASE "/sub/a2")));
	check_val("tmpfs", "rename a directory", "0",
		  err_of(rename(DIR_BASE "/sub", DIR_BASE "/sub2")));
	check_val("tmpfs", "rename a directory into itself", "EINVAL",
		  err_of(rename(DIR_BASE, DIR_BASE "/sub2/x")));
	check_val("tmpfs", "nlink of a directory with one subdirectory", "3",
		  stat(DIR_BASE, &st) == 0 ? num((long)st.st_nlink) : err_of(-1));
	check_val("tmpfs", "open a directory for writing", "EISDIR",
		  err_of(open(DIR_BASE, O_WRONLY)));
	check_val("tmpfs", "O_CREAT|O_EXCL of an existing file", "EEXIST",
		  err_of(open(DIR_BASE "/sub2/a2", O_CREAT | O_EXCL | O_WRONLY, 0644)));
	if (chdir(DIR_BASE "/sub2") == 0) /* else "rel" would land in "/" */
		close(creat("rel", 0644));
	check_val("tmpfs", "a relative name in the cwd", "0",
		  err_of(size_of(DIR_BASE "/sub2/rel")));
	check_val("tmpfs", "getcwd", DIR_BASE "/sub2", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	chdir("/");
	unlink(DIR_BASE "/sub2/rel");
	unlink(DIR_BASE "/sub2/a2");
	rmdir(DIR_BASE "/sub2");
	check_val("tmpfs", "rmdir once empty", "0", err_of(rmdir(DIR_BASE)));
}

/* rm -r's way: remove each file as readdir lists it. */
static void tmpfs_readdir_unlink(void)
{
	int seen = 0, dfd;
	struct dirent *e;
	DIR *d;

	mkdir(DIR_BASE, 0755);
	for (int i = 0; i < NFILES; i++) {
		snprintf(buf, 64, DIR_BASE "/file-%03d", i);
		close(creat(buf, 0644));
	}
	d = opendir(DIR_BASE);
	dfd = d ? dirfd(d) : -1;
	while (d && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "file-", 5) == 0 && unlinkat(dfd, e->d_name, 0) == 0)
			seen++;
	if (d)
		closedir(d);
	check_val("tmpfs", "files removed as readdir lists them", num(NFILES), num(seen));
	check_val("tmpfs", "then the directory is empty", "0", err_of(rmdir(DIR_BASE)));
}

/* /bin/true copied into /tmp runs from there. */
static void tmpfs_exec(void)
{
	int in = open("/bin/true", O_RDONLY), out, status = -1;
	ssize_t n;
	pid_t pid;

	out = open("/tmp/fifotest-true", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		write_all(out, buf, (size_t)n);
	close(in);
	close(out);
	pid = fork();
	if (pid == 0) {
		execl("/tmp/fifotest-true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	check_val("tmpfs", "a program copied into /tmp runs", "exit 0",
		  WIFEXITED(status) && !WEXITSTATUS(status) ? "exit 0" : "failed");
	unlink("/tmp/fifotest-true");
}

void test_tmpfs(void)
{
	struct statfs sf;

	if (!on_kestrel() && (statfs("/tmp", &sf) != 0 || sf.f_type != TMPFS_MAGIC))
		fact("tmpfs", "mounted: skipped on Linux: /tmp is no tmpfs here");
	else
		tmpfs_mounted();
	tmpfs_memory();
	tmpfs_holes();
	tmpfs_dirs();
	tmpfs_readdir_unlink();
	tmpfs_exec();
}

void test_tmpfs_mount(void)
{
	struct statfs sf;
	int fd;

	mkdir(MOUNT_DIR, 0755);
	check_val("mount", "a bad option", "EINVAL",
		  err_of(mount("tmpfs", MOUNT_DIR, "tmpfs", 0, "bogus=1")));
	check_val("mount", "mount -t tmpfs -o size=64k", "0",
		  err_of(mount("tmpfs", MOUNT_DIR, "tmpfs", 0, "size=64k")));
	check_val("mount", "/proc/mounts", "tmpfs", mounted_type(MOUNT_DIR));
	check_val("mount", "statfs: blocks", "16",
		  statfs(MOUNT_DIR, &sf) == 0 ? num((long)sf.f_blocks) : err_of(-1));
	fd = open(MOUNT_DIR "/f", O_RDWR | O_CREAT, 0644);
	memset(buf, 'm', sizeof(buf));
	for (int i = 0; i < 12; i++) /* 96 KiB, past the 64 */
		if (write(fd, buf, 8192) != 8192)
			break;
	check_val("mount", "what fits", "65536", num(size_of(MOUNT_DIR "/f")));
	check_val("mount", "a write past it", "ENOSPC", err_of(write(fd, buf, 1)));
	check_val("mount", "umount while a file is open", "EBUSY", err_of(umount2(MOUNT_DIR, 0)));
	close(fd);
	check_val("mount", "umount", "0", err_of(umount2(MOUNT_DIR, 0)));
	check_val("mount", "its file went with it", "ENOENT", err_of(size_of(MOUNT_DIR "/f")));
	rmdir(MOUNT_DIR);
}

void test_fatfifo(const char *fat_dir, const char *fuse_dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/fifotest.fifo", fat_dir);
	check_val("fatfifo", "mkfifo on the FAT volume", "EPERM", err_of(mkfifo(path, 0600)));
	check_val("fatfifo", "nothing was made", "ENOENT", err_of(size_of(path)));
	snprintf(path, sizeof(path), "%s/fifotest.reg", fat_dir);
	check_val("fatfifo", "mknod S_IFREG on the FAT volume", "0",
		  err_of(syscall(SYS_mknod, path, S_IFREG | 0644, 0)));
	check_val("fatfifo", "it is an empty file", "0", num(size_of(path)));
	check_val("fatfifo", "unlink it", "0", err_of(unlink(path)));
	if (!fuse_dir)
		return;
	snprintf(path, sizeof(path), "%s/hello", fuse_dir);
	for (int i = 0; i < 1000 && size_of(path) < 0; i++)
		sleep_ms(10); /* the server mounting itself */
	snprintf(path, sizeof(path), "%s/fifotest.fifo", fuse_dir);
	check_val("fatfifo", "mkfifo where the server has no MKNOD", "ENOSYS",
		  err_of(mkfifo(path, 0600)));
	check_val("fatfifo", "umount the server", "0", err_of(umount2(fuse_dir, 0)));
}
