/*
 * The regression mode of the fuzz harnesses (grade/host/fuzz_*.c): a main()
 * in place of libFuzzer's that runs LLVMFuzzerTestOneInput once on every
 * file named on the command line, or in a directory named there, and ends
 * "fuzz: N inputs, M accepted" (M: those the parser took, the image
 * mounted or the file loaded).  A harness that finds a bug aborts (or a sanitizer
 * stops the program), so reaching the last line means every input passed.
 * grade/test_fuzz.py runs it over the seed corpus and the reproducers of
 * bugs the fuzzers found.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern int fuzz_accepted; /* inputs the harness's parser accepted */

static long inputs;

static void fuzz_run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		exit(2);
	}
	rewind(f);
	/* malloc(0) may return NULL: keep one byte, pass the true size. */
	data = malloc((size_t)size + 1);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	fprintf(stderr, "fuzz: %s\n", path);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	inputs++;
}

static void fuzz_run_path(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[4096];

	if (!d) {
		fuzz_run_file(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		fuzz_run_path(sub);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		fuzz_run_path(argv[i]);
	printf("fuzz: %ld inputs, %d accepted\n", inputs, fuzz_accepted);
	return 0;
}
