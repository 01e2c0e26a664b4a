/*
 * System call tracing: wrapper for SYS_os_trace.
 *
 * Built inside musl's tree as src/os/trace.c; see priority.c for the
 * syscall() convention.
 */
#include <os/os.h>
#include "syscall.h"

int os_trace(pid_t pid, int on)
{
	return syscall(SYS_os_trace, pid, on);
}
