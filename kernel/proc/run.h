/*
 * Running user programs before there is a shell: from the filesystem
 * (`run=/bin/hello`, or `run=hello` for /bin/hello once "/" is mounted, see
 * fs/rootmount.h) or, while there is no "/" (the stages before the
 * filesystem, or `noroot`), from GRUB modules (one `module2 /boot/NAME
 * NAME` line each in grub.cfg), started as processes and waited for.
 *
 * From the kernel command line:
 *
 *     run=PROG[,ARG...][;PROG[,ARG...]...]   run each program in turn
 *     run=PROG[,ARG...]&PROG[,ARG...]       run programs at the same time
 *                                           (at most 4), wait for all
 *     env=NAME=VALUE[,NAME=VALUE...]        their environment (default:
 *                                           HOME=/ PATH=/bin TERM=vt100)
 *     exit                                  then leave QEMU: status 33 if
 *                                           the last program (for programs
 *                                           run at the same time: all of
 *                                           them) exited with 0, else 35
 *     trace=PROG | trace=all                trace their system calls
 *
 * The command line is split at spaces, so a program's arguments are
 * separated by commas: `run=args,one,two` runs args with argv
 * {"args", "one", "two"}.  Single quotes keep blanks, commas, ';' and '&'
 * in an argument and are taken out: `run=/bin/ksh,-c,'echo a, b | wc -c'`
 * gives ksh the argument "echo a, b | wc -c" (GRUB's script quoting
 * carries no ", $ or \: gradelib refuses them).  From the monitor:
 * `run args one two`.
 *
 * With neither run= nor `monitor` on the command line, the kernel runs
 * the shell, /bin/ksh from the ramdisk, as its first program, and the
 * kernel monitor once the shell exits (run_shell).
 */
#ifndef PROC_RUN_H
#define PROC_RUN_H

#include <types.h>

/* A program's file: its bytes, and the buffer holding them (NULL for a
 * GRUB module, which stays where GRUB put it). */
struct run_image {
	const void *data;
	size_t size;
	void *buf;
};

/*
 * The file of the program name into img: a name with a slash is a path in
 * the filesystem; a plain name is /bin/NAME once "/" is mounted (mounting
 * it first if that has not been tried yet), else the GRUB module NAME.
 * 0, or -errno (-ENOENT: no such program), said on the console.  May
 * sleep.  Give img back with run_image_put.
 */
int run_image_get(const char *name, struct run_image *img);
void run_image_put(struct run_image *img);

/*
 * Start the program named argv[0] with arguments argv (NULL-terminated)
 * and the environment from the command line, wait for it and return its
 * exit status; afterwards print "run: N frames free, M heap blocks in use".
 * -ENOENT if there is no such program, or the error that kept it from
 * starting (said on the console).  May sleep.
 */
int run_program(const char *const argv[]);

/* Do what run= and exit on the command line ask; returns if there is no
 * run= (or exit). */
void run_cmdline(void);

#define RUN_SHELL "/bin/ksh"

/* Run the shell RUN_SHELL and wait until it exits (it said so); returns at
 * once, having said why, if there is no shell to run.  May sleep. */
void run_shell(void);

#endif
