/*
 * The boot mount: the FAT server started from GRUB modules and mounted at
 * "/".  See rootmount.c.
 */
#ifndef FS_ROOTMOUNT_H
#define FS_ROOTMOUNT_H

/* How long boot waits for the server to mount "/", in seconds. */
#define ROOTMOUNT_TIMEOUT 10

/*
 * Once at boot, after vfs_init and proc_init: if GRUB loaded the modules
 * "ramdisk" and "fatfs", start the FAT server on the ramdisk and wait until
 * it has mounted "/" (at most ROOTMOUNT_TIMEOUT seconds), or exited.  Says
 * on the console what came of it; without "/" the kernel carries on (run=
 * then takes programs from GRUB modules).  May sleep.
 */
void rootmount_start(void);

#endif
