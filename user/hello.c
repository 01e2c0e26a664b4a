/*
 * hello: the smallest user program, and the C library's smoke test.
 *
 * It goes through musl's stdio (printf, buffering, write(2) on exit), its
 * start-up code (crt1.o, __libc_start_main: argc, argv, auxv, TLS) and its
 * exit path.  Because the OS uses Linux's system call numbers, the same
 * static binary also runs on a Linux host: `build/user/hello a b` prints
 * "hello, world" and "argc 3".
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
	(void)argv;
	printf("hello, world\n");
	printf("argc %d\n", argc);
	return 0;
}
