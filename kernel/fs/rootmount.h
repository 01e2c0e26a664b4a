/*
 * The boot mount: the FAT server started from GRUB modules and mounted at
 * "/".  See rootmount.c.
 */
#ifndef FS_ROOTMOUNT_H
#define FS_ROOTMOUNT_H

/* How long boot waits for the server to mount "/", in seconds. */
#define ROOTMOUNT_TIMEOUT 10

/*
 * Before the first user program (run.c calls it; later calls return at
 * once): if GRUB loaded the modules "ramdisk" and "fatfs" and the command
 * line does not say `noroot`, start the FAT server on the ramdisk and wait
 * until it has mounted "/" (at most ROOTMOUNT_TIMEOUT seconds), or exited.
 * Says on the console what came of it; without "/" the kernel carries on
 * (run= then takes programs from GRUB modules only).  May sleep.
 */
void rootmount_start(void);

#endif
