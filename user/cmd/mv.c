/*
 * mv SOURCE DEST, mv SOURCE... DIR: rename files and directories; into
 * DIR, each under its own name.  A regular file that rename(2) cannot move
 * (EXDEV: another filesystem) is copied (copy.h) and then removed.
 */
#include "copy.h"
#include <stdio.h>

static int move(const char *src, const char *dst)
{
	if (rename(src, dst) == 0)
		return 0;
	if (errno != EXDEV) {
		warn("cannot move '%s' to '%s'", src, dst);
		return 1;
	}
	if (copy_file(src, dst) != 0)
		return 1;
	if (unlink(src) != 0) {
		warn("cannot remove '%s'", src);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	int status = 0;

	if (getopt(argc, argv, "") != -1 || argc - optind < 2)
		cmd_usage("SOURCE DEST | SOURCE... DIR");
	argv += optind, argc -= optind;
	if (argc > 2 && (stat(argv[argc - 1], &st) != 0 || !S_ISDIR(st.st_mode)))
		errx(1, "target '%s' is not a directory", argv[argc - 1]);
	for (int i = 0; i < argc - 1; i++) {
		char *dst = copy_target(argv[i], argv[argc - 1]);

		status |= move(argv[i], dst);
		free(dst);
	}
	return status;
}
