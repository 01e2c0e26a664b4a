/*
 * upcase: read lines from the console and print them in capitals, until a
 * line "quit" or the end of input.
 *
 * It reads through musl's stdio (fgets, which calls readv on fd 0), so it
 * tests reading the console: read(2) returns a line at a time, as a
 * terminal in canonical mode does, after the console's line discipline
 * has let the user edit it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	char line[128];
	int lines = 0;

	printf("upcase: type lines, \"quit\" to stop\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "quit\n") == 0)
			break;
		for (char *p = line; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		printf("upcase: %s", line);
		lines++;
	}
	printf("upcase: %d lines\n", lines);
	return 0;
}
