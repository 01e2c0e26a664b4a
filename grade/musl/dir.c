/*
 * musl-gcc test (grade/forkexec_utils.py): opendir/readdir/stat and file
 * I/O.  dir DIR SCRATCH lists DIR (names sorted, with sizes; "." and ".."
 * left out), then writes, reads back and removes a file in the directory
 * SCRATCH.  Run on the host against the ramdisk's tree and in kestrel
 * against the ramdisk: the outputs must be the same.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char *names[256], path[512], line[64];
	int n = 0, lines = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;
	FILE *f;

	if (argc != 3 || !(d = opendir(argv[1]))) {
		fprintf(stderr, "usage: dir DIR SCRATCH\n");
		return 2;
	}
	while ((e = readdir(d)) && n < 256)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	printf("dir: %d entries\n", n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		if (stat(path, &st) != 0)
			printf("dir: %s: stat failed\n", names[i]);
		else
			printf("dir: %s %s %lld\n", names[i], S_ISDIR(st.st_mode) ? "dir" : "file",
			       S_ISDIR(st.st_mode) ? 0 : (long long)st.st_size);
	}
	snprintf(path, sizeof(path), "%s/musl-dir-test.txt", argv[2]);
	if (!(f = fopen(path, "w")))
		return printf("dir: cannot create the scratch file\n"), 1;
	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	stat(path, &st);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		lines++;
	if (f)
		fclose(f);
	printf("dir: wrote %lld bytes, read back %d lines, remove %d\n", (long long)st.st_size, lines,
	       remove(path));
	return 0;
}
