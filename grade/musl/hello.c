/*
 * musl-gcc test (grade/forkexec_utils.py): stdio, malloc and a few of
 * libc's computations, with output that is the same on any Linux.  Built
 * by Debian's musl-gcc -static at grade time, run on the host and in
 * kestrel, and the two outputs compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	enum { N = 100000 };
	int *v = malloc(N * sizeof(*v));
	unsigned long sum = 0, seed = 12345;
	char *big;

	printf("hello from musl-gcc: %d arguments:", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	for (int i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		v[i] = (int)(seed >> 40);
	}
	qsort(v, N, sizeof(*v), by_value);
	for (int i = 0; i < N; i += 10000)
		sum += (unsigned long)v[i];
	printf("qsort: min %d max %d sample sum %lu\n", v[0], v[N - 1], sum);
	big = malloc(8 << 20);
	memset(big, 'k', 8 << 20);
	printf("malloc 8 MiB: %s\n", big && big[(8 << 20) - 1] == 'k' ? "ok" : "failed");
	printf("printf: %.3f %e %g %x %o %s\n", 3.14159265, 6.02e23, 1.0 / 3, 48879, 8, "end");
	printf("strtod: %.6f\n", strtod("2.718281828", NULL));
	free(big);
	free(v);
	return 0;
}
