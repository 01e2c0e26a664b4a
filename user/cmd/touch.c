/*
 * touch FILE...: make each file that does not exist (empty), and set the
 * times of each to now (utimensat).
 */
#include "cmd.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status = 0;

	if (getopt(argc, argv, "") != -1 || optind == argc)
		cmd_usage("FILE...");
	for (int i = optind; i < argc; i++) {
		int fd = open(argv[i], O_WRONLY | O_CREAT | O_EXCL, 0666);

		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != EEXIST || utimensat(AT_FDCWD, argv[i], NULL, 0) != 0) {
			warn("cannot touch '%s'", argv[i]);
			status = 1;
		}
	}
	return status;
}
