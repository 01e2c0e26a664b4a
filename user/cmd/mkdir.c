/*
 * mkdir [-p] DIR...: make directories.  With -p, make missing parents too
 * and accept directories that exist.
 */
#include "cmd.h"
#include <string.h>
#include <sys/stat.h>

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p: each prefix of path that ends before a '/', then path. */
static int make_parents(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0777) != 0 && !is_dir(path)) {
			warn("cannot create directory '%s'", path);
			*s = '/';
			return 1;
		}
		*s = '/';
	}
	if (mkdir(path, 0777) != 0 && !is_dir(path)) {
		warn("cannot create directory '%s'", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int c, status = 0;
	bool parents = false;

	while ((c = getopt(argc, argv, "p")) != -1) {
		if (c != 'p')
			cmd_usage("[-p] DIR...");
		parents = true;
	}
	if (optind == argc)
		cmd_usage("[-p] DIR...");
	for (int i = optind; i < argc; i++) {
		if (parents) {
			status |= make_parents(argv[i]);
		} else if (mkdir(argv[i], 0777) != 0) {
			warn("cannot create directory '%s'", argv[i]);
			status = 1;
		}
	}
	return status;
}
