/*
 * echo [-n] [STRING...]: the strings separated by spaces, then a newline
 * unless -n.  Like coreutils' echo, only leading -n words are options;
 * everything else, "--" too, is printed.
 */
#include "cmd.h"
#include <string.h>

int main(int argc, char **argv)
{
	int i = 1;
	bool newline = true;

	for (; i < argc && strcmp(argv[i], "-n") == 0; i++)
		newline = false;
	for (int first = i; i < argc; i++)
		printf("%s%s", i > first ? " " : "", argv[i]);
	if (newline)
		putchar('\n');
	return fflush(stdout) == 0 ? 0 : 1;
}
