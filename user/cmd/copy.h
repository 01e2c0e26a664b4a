/*
 * copy.h: copying one file's bytes to another, for cp and mv (mv copies
 * when rename(2) cannot cross filesystems).
 */
#ifndef CMD_COPY_H
#define CMD_COPY_H

#include "cmd.h"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "dir/base(src)" if dst is a directory, else dst; malloc'd. */
static inline char *copy_target(const char *src, const char *dst)
{
	struct stat st;
	const char *base = strrchr(src, '/');
	char *out;

	if (stat(dst, &st) != 0 || !S_ISDIR(st.st_mode))
		base = NULL;
	else
		base = base ? base + 1 : src;
	if (asprintf(&out, "%s%s%s", dst, base ? "/" : "", base ? base : "") < 0)
		err(1, "out of memory");
	return out;
}

/* Copy the regular file src to dst (made or truncated, with src's mode):
 * 0, or 1 after saying what failed. */
static inline int copy_file(const char *src, const char *dst)
{
	static char buf[16384];
	struct stat st;
	int in = open(src, O_RDONLY), out = -1;
	ssize_t n = 0;

	if (in < 0 || fstat(in, &st) != 0) {
		warn("cannot open '%s'", src);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		warnx("'%s' is a directory (not copied)", src);
		goto fail;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777);
	if (out < 0) {
		warn("cannot create '%s'", dst);
		goto fail;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0) {
				warn("error writing '%s'", dst);
				goto fail;
			}
			done += w;
		}
	}
	if (n < 0) {
		warn("error reading '%s'", src);
		goto fail;
	}
	close(in);
	if (close(out) != 0) {
		warn("error writing '%s'", dst);
		return 1;
	}
	return 0;
fail:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return 1;
}

#endif
