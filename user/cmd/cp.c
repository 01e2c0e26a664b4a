/*
 * cp SOURCE DEST, cp SOURCE... DIR: copy regular files (copy.h); into DIR,
 * each under its own name.
 */
#include "copy.h"

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

		status |= copy_file(argv[i], dst);
		free(dst);
	}
	return status;
}
