/*
 * Raw serial input for programs driven from a serial terminal:
 *
 *     ssize_t os_serial_read(void *buf, size_t len, int timeout_ms);
 *
 * reads the bytes typed on COM1 as they come, without the terminal's line
 * discipline (no echo, no line editing, no Ctrl-C): up to len bytes, as
 * soon as there is one, waiting at most timeout_ms milliseconds (0: not at
 * all, -1: for ever).  It returns how many it read, or 0 if none came in
 * time; -EINVAL (another negative timeout), -EFAULT, -EINTR (a signal),
 * -EBUSY (another process reads the port raw).
 *
 * The first call makes the caller the port's raw reader, until it exits
 * (serial_raw_release, from hwaccess_exit): from then on the serial
 * interrupt hands every byte to the raw ring here instead of to the
 * console (serial_raw_input), so nothing typed between two calls reaches
 * the shell, and a game reading keys gets each one once.  A full ring
 * drops the newest bytes, as the UART would.  The ring and the owner
 * change with interrupts off.
 */
#include "drivers/serial.h"
#include <errno.h>
#include "arch/x86_64/x86.h"
#include "lib/wait.h"
#include "mm/usercopy.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define RAW_SIZE 256

static struct {
	char buf[RAW_SIZE];
	unsigned head, tail; /* read at tail, written at head */
	struct proc *owner;  /* the raw reader, or NULL: bytes go to the console */
} raw;

static struct waitq raw_wait = WAITQ_INIT("serial raw");

bool serial_raw_input(char c)
{
	if (!raw.owner)
		return false;
	if (raw.head - raw.tail < RAW_SIZE)
		raw.buf[raw.head++ % RAW_SIZE] = c;
	wait_wake_all(&raw_wait);
	return true;
}

/* Become the raw reader and wait (interrupts off) until a byte is there
 * or the deadline (0: none, 1: at once) passes: 0 or -errno. */
static int serial_raw_wait(uint64_t deadline)
{
	struct proc *p = proc_current();

	if (raw.owner && raw.owner != p)
		return -EBUSY;
	raw.owner = p;
	while (raw.head == raw.tail) {
		if (deadline == 1)
			return 0;
		if (wait_interrupted())
			return -EINTR;
		if (!deadline)
			wait_sleep(&raw_wait);
		else if (!wait_sleep_until(&raw_wait, deadline))
			return 0;
	}
	return 0;
}

int64_t serial_raw_read(uint64_t ubuf, size_t len, int timeout_ms)
{
	char kbuf[RAW_SIZE];
	uint64_t flags, deadline;
	size_t n = 0;
	int err;

	if (timeout_ms < -1)
		return -EINVAL;
	deadline = timeout_ms < 0 ? 0 : timeout_ms == 0 ? 1 : ns_deadline(timeout_ms * 1000000ll);
	len = MIN(len, sizeof(kbuf));
	flags = irq_save();
	err = serial_raw_wait(deadline);
	while (!err && n < len && raw.tail != raw.head)
		kbuf[n++] = raw.buf[raw.tail++ % RAW_SIZE];
	irq_restore(flags);
	if (err)
		return err;
	return copy_to_user(ubuf, kbuf, n) ? -EFAULT : (int64_t)n;
}

void serial_raw_release(struct proc *p)
{
	uint64_t flags = irq_save();

	if (raw.owner == p) {
		raw.owner = NULL;
		raw.head = raw.tail = 0;
	}
	irq_restore(flags);
}
