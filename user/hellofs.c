/*
 * hellofs: the smallest useful FUSE server, an example of <fuse_lowlevel.h>.
 *
 *     hellofs [--test] [MOUNTPOINT]        (default /mnt)
 *
 * It mounts a read-only directory of generated files and serves it until
 * the directory is unmounted:
 *
 *     hello     "hello, world\n"
 *     numbers   40000 lines "0000000\n" "0000001\n" ... (320000 bytes), so
 *               any offset's bytes are known: line k is byte 8k
 *     big       the same lines over 4 MiB
 *     status    what it has served: "requests N", "reads NAME N" for
 *               each file, one per line (direct_io: never cached)
 *
 * The data files ask the kernel to keep their pages cached across opens
 * (keep_cache), so a second read of them sends no READ: `status` shows it.
 * With --test three more files exist for the grader: `stream`, the
 * numbers again but never cached (direct_io), so that every read of it is
 * a request; `slow`, whose read is answered only after the next request
 * has been (two requests answered out of order); `crash`, whose read
 * makes hellofs fault; and `scratch`, a file in hellofs's memory (at most
 * 64 KiB, 4096 bytes of 'a' at first) that can be written and truncated.
 * At the end it prints its counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	INO_ROOT = FUSE_ROOT_ID,
	INO_HELLO,
	INO_NUMBERS,
	INO_BIG,
	INO_STATUS,
	INO_STREAM,
	INO_SLOW,
	INO_CRASH,
	INO_SCRATCH,
	INO_END
};

#define LINE         8 /* "%07d\n" */
#define NUMBERS_SIZE (40000 * LINE)
#define BIG_SIZE     (4 << 20)

static const char hello_text[] = "hello, world\n";

struct hfile {
	const char *name;
	size_t size;
	int test_only;
	unsigned long reads; /* READ requests */
};

static struct hfile files[INO_END] = {
	[INO_HELLO] = { "hello", sizeof(hello_text) - 1, 0, 0 },
	[INO_NUMBERS] = { "numbers", NUMBERS_SIZE, 0, 0 },
	[INO_BIG] = { "big", BIG_SIZE, 0, 0 },
	[INO_STATUS] = { "status", 4096, 0, 0 },
	[INO_STREAM] = { "stream", NUMBERS_SIZE, 1, 0 },
	[INO_SLOW] = { "slow", 5, 1, 0 },
	[INO_CRASH] = { "crash", 4096, 1, 0 },
	[INO_SCRATCH] = { "scratch", 4096, 1, 0 },
};

static int test_mode;
static unsigned long nrequests, slow_answered;
static fuse_req_t held;     /* a read of `slow` waiting for the next request */
static char *readbuf;       /* one READ's data */
static char scratch[65536]; /* `scratch`'s bytes; files[INO_SCRATCH].size of them */

static int exists(fuse_ino_t ino)
{
	return ino > INO_ROOT && ino < INO_END && (test_mode || !files[ino].test_only);
}

static void file_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == INO_ROOT) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return;
	}
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = (off_t)files[ino].size;
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
}

/* Bytes [off, off + n) of the numbers lines: the first line formatted,
 * each next one by adding 1 to the digits of the last. */
static void gen_lines(char *buf, size_t off, size_t n)
{
	size_t col = off % LINE, done = 0, v = off / LINE;
	char text[LINE];

	text[LINE - 1] = '\n';
	for (int d = LINE - 2; d >= 0; d--, v /= 10)
		text[d] = (char)('0' + v % 10);
	while (done < n) {
		size_t chunk = LINE - col < n - done ? LINE - col : n - done;

		if (chunk == LINE)
			memcpy(buf + done, text, LINE);
		else
			memcpy(buf + done, text + col, chunk);
		done += chunk;
		col = 0;
		for (int d = LINE - 2; d >= 0 && ++text[d] > '9'; d--)
			text[d] = '0';
	}
}

/* Every callback starts here: count it, and let a held read go after it. */
static void request_begin(void)
{
	nrequests++;
}

static void request_end(void)
{
	if (held) {
		fuse_req_t req = held;

		held = NULL;
		slow_answered++;
		fuse_reply_buf(req, "slow\n", 5);
	}
}

static void hello_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	request_begin();
	memset(&e, 0, sizeof(e));
	for (fuse_ino_t ino = INO_HELLO; parent == INO_ROOT && ino < INO_END; ino++) {
		if (exists(ino) && strcmp(name, files[ino].name) == 0) {
			e.ino = ino;
			e.attr_timeout = 1.0;
			e.entry_timeout = 1.0;
			file_stat(ino, &e.attr);
			fuse_reply_entry(req, &e);
			request_end();
			return;
		}
	}
	fuse_reply_err(req, ENOENT);
	request_end();
}

static void hello_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	request_begin();
	if (ino != INO_ROOT && !exists(ino)) {
		fuse_reply_err(req, ENOENT);
	} else {
		file_stat(ino, &st);
		fuse_reply_attr(req, &st, 1.0);
	}
	request_end();
}

static void hello_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	request_begin();
	if (!exists(ino))
		fuse_reply_err(req, ENOENT);
	else if ((fi->flags & O_ACCMODE) != O_RDONLY && ino != INO_SCRATCH)
		fuse_reply_err(req, EROFS);
	else {
		fi->keep_cache = ino == INO_HELLO || ino == INO_NUMBERS || ino == INO_BIG ||
				 ino == INO_SCRATCH;
		fi->direct_io = !fi->keep_cache;
		fuse_reply_open(req, fi);
	}
	request_end();
}

static size_t status_text(char *buf, size_t size)
{
	size_t n =
		(size_t)snprintf(buf, size, "requests %lu\nslow %lu\n", nrequests, slow_answered);

	for (fuse_ino_t ino = INO_HELLO; ino < INO_END && n < size; ino++)
		if (exists(ino))
			n += (size_t)snprintf(buf + n, size - n, "reads %s %lu\n", files[ino].name,
					      files[ino].reads);
	return n < size ? n : size;
}

static void hello_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	size_t n = 0;

	(void)fi;
	request_begin();
	if (!exists(ino)) {
		fuse_reply_err(req, ENOENT);
		request_end();
		return;
	}
	files[ino].reads++;
	if (ino == INO_CRASH) {
		/* cppcheck-suppress nullPointer ; on purpose: the kernel must cope */
		*(volatile int *)0 = 1;
	}
	if (ino == INO_SLOW && !held) {
		held = req; /* answered after the next request */
		return;
	}
	if (size > 128 * 1024)
		size = 128 * 1024;
	if (ino == INO_STATUS) {
		char text[512];
		size_t len = status_text(text, sizeof(text));

		if ((size_t)off < len) {
			n = len - (size_t)off < size ? len - (size_t)off : size;
			memcpy(readbuf, text + off, n);
		}
	} else if ((size_t)off < files[ino].size) {
		n = files[ino].size - (size_t)off < size ? files[ino].size - (size_t)off : size;
		if (ino == INO_HELLO)
			memcpy(readbuf, hello_text + off, n);
		else if (ino == INO_SCRATCH)
			memcpy(readbuf, scratch + off, n);
		else if (ino == INO_SLOW)
			memcpy(readbuf, "slow\n" + off, n);
		else
			gen_lines(readbuf, (size_t)off, n);
	}
	fuse_reply_buf(req, readbuf, n);
	request_end();
}

static void hello_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	char buf[1024];
	size_t used = 0;
	struct stat st;

	(void)fi;
	request_begin();
	if (ino != INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		request_end();
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	/* Entry i is ".", "..", then the files; an entry's offset is i + 1. */
	for (off_t i = off; i < INO_END; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." : files[i].name;
		fuse_ino_t e = i < 2 ? INO_ROOT : (fuse_ino_t)i;
		size_t len;

		if (i >= 2 && (!name || !exists(e)))
			continue;
		file_stat(e, &st);
		len = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	request_end();
}

/* Make scratch size bytes long (new bytes are zeros): 0 or EFBIG. */
static int scratch_resize(size_t size)
{
	if (size > sizeof(scratch))
		return EFBIG;
	if (size > files[INO_SCRATCH].size)
		memset(scratch + files[INO_SCRATCH].size, 0, size - files[INO_SCRATCH].size);
	files[INO_SCRATCH].size = size;
	return 0;
}

static void hello_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	size_t end = (size_t)off + size;
	int err = 0;

	(void)fi;
	request_begin();
	if (ino != INO_SCRATCH || !exists(ino))
		err = EROFS;
	else if (end > files[INO_SCRATCH].size)
		err = scratch_resize(end);
	if (err) {
		fuse_reply_err(req, err);
	} else {
		memcpy(scratch + off, buf, size);
		fuse_reply_write(req, size);
	}
	request_end();
}

static void hello_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			  struct fuse_file_info *fi)
{
	struct stat st;
	int err = 0;

	(void)fi;
	request_begin();
	if (ino != INO_SCRATCH || !exists(ino))
		err = EROFS;
	else if (to_set & FUSE_SET_ATTR_SIZE)
		err = scratch_resize((size_t)attr->st_size);
	if (err) {
		fuse_reply_err(req, err);
	} else {
		file_stat(ino, &st);
		fuse_reply_attr(req, &st, 1.0);
	}
	request_end();
}

static void hello_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	request_begin();
	fuse_reply_err(req, 0);
	request_end();
}

static const struct fuse_lowlevel_ops hello_ops = {
	.lookup = hello_lookup,
	.getattr = hello_getattr,
	.open = hello_open,
	.read = hello_read,
	.write = hello_write,
	.setattr = hello_setattr,
	.readdir = hello_readdir,
	.release = hello_release,
	.releasedir = hello_release,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	const char *mountpoint = "/mnt";
	struct fuse_session *se;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--test") == 0)
			test_mode = 1;
		else
			mountpoint = argv[i];
	}
	memset(scratch, 'a', files[INO_SCRATCH].size);
	readbuf = malloc(128 * 1024);
	se = fuse_session_new(&args, &hello_ops, sizeof(hello_ops), NULL);
	if (!readbuf || !se || fuse_session_mount(se, mountpoint) != 0)
		return 1;
	printf("hellofs: serving %s\n", mountpoint);
	ret = fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	printf("hellofs: %lu requests, reads: hello %lu, numbers %lu, big %lu; loop %d\n",
	       nrequests, files[INO_HELLO].reads, files[INO_NUMBERS].reads, files[INO_BIG].reads,
	       ret);
	return ret ? 1 : 0;
}
