/*
 * ln [-s] TARGET LINK: make a hard link (or with -s a symbolic one).
 * FAT has neither, so on kestrel's ramdisk this says why it failed.
 */
#include "cmd.h"
#include <unistd.h>

int main(int argc, char **argv)
{
	int c;
	bool symbolic = false;

	while ((c = getopt(argc, argv, "s")) != -1) {
		if (c != 's')
			cmd_usage("[-s] TARGET LINK");
		symbolic = true;
	}
	if (argc - optind != 2)
		cmd_usage("[-s] TARGET LINK");
	if ((symbolic ? symlink : link)(argv[optind], argv[optind + 1]) != 0)
		err(1, "cannot create link '%s' to '%s'", argv[optind + 1], argv[optind]);
	return 0;
}
