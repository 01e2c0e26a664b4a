/*
 * Drivers in userspace: wrappers for SYS_os_irq_attach, SYS_os_irq_ack,
 * SYS_os_console_input and SYS_os_serial_read.
 *
 * Built inside musl's tree as src/os/hw.c; see priority.c for the
 * syscall() convention.
 */
#include <os/os.h>
#include "syscall.h"

int os_irq_attach(int irq, int flags)
{
	return syscall(SYS_os_irq_attach, irq, flags);
}

int os_irq_ack(int irq)
{
	return syscall(SYS_os_irq_ack, irq);
}

ssize_t os_console_input(const void *buf, size_t len)
{
	return syscall(SYS_os_console_input, buf, len);
}

ssize_t os_serial_read(void *buf, size_t len, int timeout_ms)
{
	return syscall(SYS_os_serial_read, buf, len, timeout_ms);
}
