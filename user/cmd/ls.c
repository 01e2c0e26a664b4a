/*
 * ls [-al] [FILE...]: list directories and files, one name a line.
 *
 * A directory operand lists its entries (sorted by name, bytewise, as
 * coreutils' ls in the C locale; names starting with "." only with -a),
 * any other operand names itself.  Files come first, then each directory,
 * headed "DIR:" when there is more than one operand.  -l prints the long
 * form: mode, links, owner, group, size, modification time, name, with a
 * "total" line of 1 KiB blocks per directory.  No operand lists ".".
 */
#include "cmd.h"
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool all, longform;

static char *path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name) < 0)
		err(1, "out of memory");
	return p;
}

/* "drwxr-xr-x": the file type and the permission bits. */
static void mode_text(mode_t m, char *out)
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(m)    ? 'd'
		 : S_ISCHR(m)  ? 'c'
		 : S_ISBLK(m)  ? 'b'
		 : S_ISLNK(m)  ? 'l'
		 : S_ISFIFO(m) ? 'p'
		 : S_ISSOCK(m) ? 's'
			       : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = m & (0400 >> i) ? rwx[i] : '-';
	out[10] = '\0';
}

static void print_long(const char *name, const struct stat *st)
{
	char mode[11], when[32], uid[16], gid[16];
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	struct tm tm;

	mode_text(st->st_mode, mode);
	snprintf(uid, sizeof(uid), "%u", (unsigned)st->st_uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)st->st_gid);
	gmtime_r(&st->st_mtime, &tm);
	strftime(when, sizeof(when), "%b %e %H:%M", &tm);
	printf("%s %2lu %-6s %-6s %8lld %s %s\n", mode, (unsigned long)st->st_nlink,
	       pw ? pw->pw_name : uid, gr ? gr->gr_name : gid, (long long)st->st_size, when, name);
}

/* One entry: name as shown, path to stat it by. */
static int show(const char *name, const char *path)
{
	struct stat st;

	if (!longform) {
		puts(name);
		return 0;
	}
	if (lstat(path, &st) != 0) {
		warn("cannot access '%s'", path);
		return 1;
	}
	print_long(name, &st);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	long long blocks = 0;
	int status = 0;

	if (!d) {
		warn("cannot open directory '%s'", dir);
		return 2;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && !all)
			continue;
		if (n == cap) {
			char **more = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!more)
				err(1, "out of memory");
			names = more;
		}
		if (!(names[n++] = strdup(e->d_name)))
			err(1, "out of memory");
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	if (longform) {
		for (size_t i = 0; i < n; i++) {
			struct stat st;
			char *p = path_join(dir, names[i]);

			if (lstat(p, &st) == 0)
				blocks += st.st_blocks;
			free(p);
		}
		printf("total %lld\n", blocks / 2);
	}
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);

		status |= show(names[i], p);
		free(p);
		free(names[i]);
	}
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	int c, status = 0, ndirs = 0;
	struct stat st;

	while ((c = getopt(argc, argv, "al1")) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'l')
			longform = true;
		else if (c != '1')
			cmd_usage("[-al] [FILE...]");
	}
	argv += optind, argc -= optind;
	if (argc == 0)
		return list_dir(".");
	qsort(argv, (size_t)argc, sizeof(*argv), by_name);
	for (int i = 0; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			warn("cannot access '%s'", argv[i]);
			status = 2;
			argv[i] = NULL;
		} else if (S_ISDIR(st.st_mode)) {
			ndirs++;
		} else {
			status |= show(argv[i], argv[i]);
			argv[i] = NULL;
		}
	}
	for (int i = 0, shown = argc - ndirs; i < argc; i++) {
		if (!argv[i])
			continue;
		if (argc > 1)
			printf("%s%s:\n", shown++ ? "\n" : "", argv[i]);
		status |= list_dir(argv[i]);
	}
	return status;
}
