/*
 * free: memory in KiB, from /proc/meminfo, in two lines:
 *
 *   Mem:    total (MemTotal), used (by programs and the kernel: total
 *           minus free and cached), free (MemFree), cache (Cached: file
 *           pages the kernel can give back), available (MemAvailable)
 *   Kernel: its heap (Slab), page tables (PageTables), thread stacks
 *           (KernelStack)
 */
#include "cmd.h"
#include <string.h>

static const char *const fields[] = { "MemTotal", "MemFree",    "Cached",     "MemAvailable",
				      "Slab",     "PageTables", "KernelStack" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

int main(int argc, char **argv)
{
	long long v[NFIELDS] = { 0 };
	char name[64];
	long long kb;
	FILE *f;

	if (getopt(argc, argv, "") != -1 || optind != argc)
		cmd_usage("");
	if (!(f = fopen("/proc/meminfo", "r")))
		err(1, "/proc/meminfo");
	while (fscanf(f, "%63[^:]: %lld kB\n", name, &kb) == 2)
		for (size_t i = 0; i < NFIELDS; i++)
			if (strcmp(name, fields[i]) == 0)
				v[i] = kb;
	fclose(f);
	printf("%-7s %10s %10s %10s %10s %10s\n", "", "total", "used", "free", "cache",
	       "available");
	printf("%-7s %10lld %10lld %10lld %10lld %10lld\n", "Mem:", v[0], v[0] - v[1] - v[2], v[1],
	       v[2], v[3]);
	printf("%-7s %10s %10s %10s\n", "", "heap", "pagetables", "stacks");
	printf("%-7s %10lld %10lld %10lld\n", "Kernel:", v[4], v[5], v[6]);
	return 0;
}
