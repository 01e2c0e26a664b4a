/*
 * x,y mode of the console (drivers/xy.c): a program owns the screen as a
 * grid of cells.  The system call is sys_os_console_xy (syscall/syscall.h).
 */
#ifndef DRIVERS_XY_H
#define DRIVERS_XY_H

#include <types.h>

/* Process pid is ending: if it owns the screen, the terminal gets it back. */
void console_xy_exit(int pid);

#endif
