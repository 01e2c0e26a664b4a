/*
 * rm [-rf] FILE...: remove files; with -r, directories and everything in
 * them (depth first, with opendir/readdir); with -f, say nothing about
 * files that do not exist, and accept no operand.
 */
#include "cmd.h"
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool recursive, force;

static int remove_path(const char *path);

/* Everything in directory path, then path itself. */
static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int status = 0;

	if (!d) {
		warn("cannot remove '%s'", path);
		return 1;
	}
	while ((e = readdir(d))) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&p, "%s/%s", path, e->d_name) < 0)
			err(1, "out of memory");
		status |= remove_path(p);
		free(p);
	}
	closedir(d);
	if (rmdir(path) != 0) {
		warn("cannot remove '%s'", path);
		return 1;
	}
	return status;
}

static int remove_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (force && errno == ENOENT)
			return 0;
		warn("cannot remove '%s'", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (recursive)
			return remove_tree(path);
		warnx("cannot remove '%s': Is a directory", path);
		return 1;
	}
	if (unlink(path) != 0) {
		warn("cannot remove '%s'", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int c, status = 0;

	while ((c = getopt(argc, argv, "rRf")) != -1) {
		if (c == 'r' || c == 'R')
			recursive = true;
		else if (c == 'f')
			force = true;
		else
			cmd_usage("[-rf] FILE...");
	}
	if (optind == argc && !force)
		cmd_usage("[-rf] FILE...");
	for (int i = optind; i < argc; i++)
		status |= remove_path(argv[i]);
	return status;
}
