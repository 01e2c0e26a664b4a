/*
 * The boot mount: "/" is the ramdisk, served by the FAT server.
 *
 * GRUB loads what the kernel needs before there is a filesystem as
 * modules: the kernel's symbols, the ramdisk (a FAT image) and the FAT
 * server (user/fatfs, a program like any other).  rootmount_start starts
 * the server as
 *
 *     fatfs --image 0xPHYS:SIZE /
 *
 * PHYS:SIZE being the ramdisk module's physical range, which devmem_init
 * registered as device memory; the server has the right to map it
 * (hwaccess_allowed: fatfs, unless drivers= says otherwise), so it works on
 * the module's own pages.  The server opens /dev/fuse and mounts itself at
 * "/" like any FUSE server; boot waits for that, for the server's exit
 * (a refused image, say), or for ROOTMOUNT_TIMEOUT seconds, whichever
 * comes first, then asks the new root for /bin, so that the handshake
 * (INIT) is over and the server answers before anything else runs.
 *
 * This happens before the first user program runs (run.c), not earlier:
 * the kernel monitor alone, which the early stages' graders use to look at
 * memory, sees the memory as boot left it.  `noroot` on the command line
 * leaves "/" unmounted (the ramdisk stage runs the server's check mode on
 * the ramdisk instead, which must then be the only program writing it).
 *
 * The server keeps running for the life of the system.  The kernel
 * started it, so the kernel collects it: a kernel thread (rootmount_reap)
 * waits for its end, so that a server that dies (killed, crashed) does not
 * stay a zombie forever.  Its files then fail with ENOTCONN (the FUSE code
 * aborts the connection when the server's /dev/fuse closes).
 */
#include "fs/rootmount.h"
#include <errno.h>
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/timer.h"
#include "boot/cmdline.h"
#include "boot/multiboot.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "lib/wait.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "syscall/syscall.h"

static const char *const server_env[] = { "HOME=/", "PATH=/bin", "TERM=vt100", NULL };

/* Wait for "/" or the server's end: true if "/" is mounted. */
static bool wait_for_root(struct proc *p)
{
	for (int tick = 0; tick < ROOTMOUNT_TIMEOUT * TIMER_HZ; tick++) {
		/* The server's exit wakes exit_wait; a mount wakes nobody, so
		 * look again at every tick. */
		if (wait_event_timeout(&p->exit_wait, vfs_root_mounted() || p->state == PROC_ZOMBIE,
				       1))
			break;
	}
	return vfs_root_mounted();
}

/* The kernel's wait for the server it started: collect it when it ends
 * (its exit has said so on the console). */
static void rootmount_reap(void *arg)
{
	proc_wait(arg);
}

/* Start rootmount_reap for p, which runs. */
static void rootmount_watch(struct proc *p)
{
	struct thread *t;
	int err = thread_create("rootmount reap", rootmount_reap, p, SCHED_PRIO_DEFAULT, &t);

	if (err)
		kprintf("rootmount: cannot watch fatfs (%d): it will stay a zombie if it dies\n",
			err);
	else
		thread_detach(t);
}

/* The server answers: /bin looked up through it.  0 or -errno. */
static int root_answers(void)
{
	struct inode *bin;
	int err = vfs_lookup("/bin", &bin);

	if (!err)
		inode_put(bin);
	return err;
}

void rootmount_start(void)
{
	const struct boot_module *rd = multiboot_find_module("ramdisk");
	const struct boot_module *srv = multiboot_find_module("fatfs");
	char range[48];
	const char *argv[] = { "fatfs", "--image", range, "/", NULL };
	static bool started;
	struct proc *p;
	int err;

	if (started)
		return;
	started = true;
	if (!rd || !srv || cmdline_has("noroot"))
		return; /* a tree without the filesystem: programs stay GRUB modules */
	ksnprintf(range, sizeof(range), "0x%lx:%lu", rd->start, rd->end - rd->start);
	p = proc_spawn("fatfs", phys_to_virt(srv->start), srv->end - srv->start, argv, server_env,
		       &err);
	if (!p) {
		kprintf("rootmount: cannot start fatfs: %s; no /\n",
			errno_name(-err) ? errno_name(-err) : "error");
		return;
	}
	if (!wait_for_root(p)) {
		if (p->state == PROC_ZOMBIE) {
			kprintf("rootmount: fatfs exited with status %d before mounting /; no /\n",
				proc_wait(p));
		} else {
			kprintf("rootmount: fatfs did not mount / in %d s; carrying on without /\n",
				ROOTMOUNT_TIMEOUT);
			rootmount_watch(p);
		}
		return;
	}
	rootmount_watch(p);
	err = root_answers();
	if (err)
		kprintf("rootmount: / is mounted but /bin gives %s\n",
			errno_name(-err) ? errno_name(-err) : "an error");
	else
		kprintf("rootmount: / is the ramdisk, served by fatfs (pid %d)\n", p->pid);
}
