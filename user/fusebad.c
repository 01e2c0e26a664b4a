/*
 * fusebad: a FUSE server that breaks the protocol on purpose (stage
 * fuse's grader), speaking <os/fuse_kernel.h> directly, without the
 * library, so that it can write what the library never would.
 *
 *     fusebad MODE MOUNTPOINT
 *
 * It serves one file, `x` ("hello, world\n", uncached), and answers its
 * READ according to MODE:
 *
 *   unique   first a reply with an id no request has (refused), then the
 *            right one
 *   length   a header whose len is not what write(2) gives, an error out
 *            of range (both refused, the request still waiting), then
 *            more data than was asked for (refused, and the request fails
 *            with EIO)
 *   exit     no reply: fusebad exits, with the request unanswered
 *
 * It prints what each write(2) returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <os/fuse_kernel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUFSIZE (FUSE_MIN_READ_BUFFER + 65536)
#define X_INO   2

static const char x_text[] = "hello, world\n";
static int fd;
static const char *mode;

/* Write a reply of error err and len bytes of data; what write said. */
static int reply_raw(uint64_t unique, int err, const void *data, size_t len, int len_delta)
{
	static char out[BUFSIZE];
	struct fuse_out_header oh = { (uint32_t)(sizeof(oh) + len + (size_t)len_delta), err,
				      unique };

	memcpy(out, &oh, sizeof(oh));
	if (len)
		memcpy(out + sizeof(oh), data, len);
	return write(fd, out, sizeof(oh) + len) < 0 ? -errno : 0;
}

static void reply(uint64_t unique, int err, const void *data, size_t len)
{
	reply_raw(unique, err, data, len, 0);
}

static void say(const char *what, int r)
{
	printf("fusebad: %s: %s\n", what, r == -EINVAL ? "EINVAL" : r == 0 ? "0" : "other");
}

static void fill_attr(uint64_t ino, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0555 : S_IFREG | 0444;
	a->nlink = ino == FUSE_ROOT_ID ? 2 : 1;
	a->size = ino == FUSE_ROOT_ID ? 0 : sizeof(x_text) - 1;
}

static void do_read(const struct fuse_in_header *in, const struct fuse_read_in *rd)
{
	static char big[65536];
	size_t n = sizeof(x_text) - 1;

	if (strcmp(mode, "exit") == 0) {
		printf("fusebad: exiting with a READ unanswered\n");
		exit(0);
	}
	if (strcmp(mode, "unique") == 0) {
		say("reply to an unknown unique id", reply_raw(in->unique + 1000, 0, x_text, n, 0));
		reply(in->unique, 0, x_text, n < rd->size ? n : rd->size);
		return;
	}
	say("header len one more than written", reply_raw(in->unique, 0, x_text, n, 1));
	say("error out of range", reply_raw(in->unique, 5, NULL, 0, 0));
	memset(big, 'x', sizeof(big));
	say("more data than asked for", reply_raw(in->unique, 0, big, rd->size + 16, 0));
	say("the request after it is gone", reply_raw(in->unique, 0, x_text, n, 0));
}

static void serve(const char *buf, size_t len)
{
	const struct fuse_in_header *in = (const void *)buf;
	const void *arg = buf + sizeof(*in);

	if (len < sizeof(*in))
		return;
	switch (in->opcode) {
	case FUSE_INIT: {
		struct fuse_init_out out = { .major = FUSE_KERNEL_VERSION,
					     .minor = FUSE_KERNEL_MINOR_VERSION,
					     .max_write = 4096 };

		reply(in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out e;

		if (strcmp(arg, "x") != 0) {
			reply(in->unique, -ENOENT, NULL, 0);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.nodeid = X_INO;
		fill_attr(X_INO, &e.attr);
		reply(in->unique, 0, &e, sizeof(e));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out a;

		memset(&a, 0, sizeof(a));
		fill_attr(in->nodeid, &a.attr);
		reply(in->unique, 0, &a, sizeof(a));
		break;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		struct fuse_open_out o = { .fh = 7, .open_flags = FOPEN_DIRECT_IO };

		reply(in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_READ:
		do_read(in, arg);
		break;
	case FUSE_FORGET:
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		reply(in->unique, 0, NULL, 0);
		break;
	default:
		reply(in->unique, -ENOSYS, NULL, 0);
		break;
	}
}

int main(int argc, char *argv[])
{
	static char buf[BUFSIZE];
	char opts[96];
	ssize_t n;

	mode = argc > 1 ? argv[1] : "unique";
	fd = open("/dev/fuse", O_RDWR);
	if (fd < 0) {
		perror("fusebad: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("fusebad", argc > 2 ? argv[2] : "/mnt", "fuse", 0, opts) != 0) {
		perror("fusebad: mount");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		serve(buf, (size_t)n);
	printf("fusebad: read: %s\n", n < 0 && errno == ENODEV ? "ENODEV" : "other");
	return 0;
}
