/*
 * Hardware access of user-mode drivers: the right (proc->hwright) and the
 * per-process I/O permission bitmap of ioperm(2) and iopl(2).  See
 * hwaccess.c.
 */
#ifndef PROC_HWACCESS_H
#define PROC_HWACCESS_H

#include <types.h>

struct proc;

/*
 * May a process starting the program name touch hardware?  Those that
 * drivers=NAME[,NAME...] on the kernel command line names (devmem= when
 * there is no drivers=); without either, fatfs, ps2kbd, ata and usbkbd.
 */
bool hwaccess_allowed(const char *name);

/* ioperm(2) for the caller: 0, -EINVAL (a range past port 65535 or
 * empty), -EPERM (allowing without the right), -ENOMEM. */
int hwaccess_ioperm(uint64_t from, uint64_t num, int on);
/* iopl(2) for the caller: 0, -EINVAL (level > 3), -EPERM (raising it
 * without the right). */
int hwaccess_iopl(unsigned level);

/* At fork: child gets parent's right, level and a copy of its bitmap.
 * 0 or -ENOMEM. */
int hwaccess_fork(struct proc *child, struct proc *parent);
/* At exit (and when a process that never ran is freed): its IRQ lines,
 * the raw serial port and its ports go.  May be called again. */
void hwaccess_exit(struct proc *p);
/* At a switch into p: load its bitmap into the TSS, or none.
 * Interrupts off. */
void hwaccess_switch_in(struct proc *p);

#endif
