/*
 * The console's x,y mode: wrappers for SYS_os_console_xy, one call
 * multiplexed by op (<os/console.h>).
 *
 * Built inside musl's tree as src/os/console.c; see priority.c for the
 * syscall() convention.
 */
#include <os/os.h>
#include "syscall.h"

int os_console_info(struct os_console_info *info)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_INFO, info);
}

int os_console_take(void)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_TAKE);
}

int os_console_release(void)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_RELEASE);
}

int os_console_put(const struct os_cell *cells, size_t n)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_PUT, cells, n);
}

int os_console_clear(unsigned short cell)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_CLEAR, cell);
}

int os_console_cursor(int x, int y, int visible)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_CURSOR, x, y, visible);
}

int os_console_flush(const struct os_console_rect *r)
{
	return syscall(SYS_os_console_xy, OS_CONSOLE_FLUSH, r);
}
