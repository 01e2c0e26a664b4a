#include <stdio.h>

int main(void)
{
	puts("hello from /home/guest/Hello.c");
	return 0;
}
