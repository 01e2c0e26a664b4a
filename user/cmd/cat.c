/*
 * cat [FILE...]: copy each file (or "-", standard input; no operand is
 * standard input) to standard output, in the order given.
 */
#include "cmd.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Copy fd to standard output: 0, or -1 with errno set. */
static int cat_fd(int fd)
{
	static char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(1, buf + done, (size_t)(n - done));

			if (w < 0)
				return -1;
			done += w;
		}
	}
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc > 1 && argv[1][0] == '-' && argv[1][1] && strcmp(argv[1], "--") != 0)
		cmd_usage("[FILE...]");
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		argv++, argc--;
	if (argc == 1 && cat_fd(0) != 0)
		err(1, "standard input");
	for (int i = 1; i < argc; i++) {
		int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY);

		if (fd < 0 || cat_fd(fd) != 0) {
			warn("%s", argv[i]);
			status = 1;
		}
		if (fd > 0)
			close(fd);
	}
	return status;
}
