/*
 * Driver memory: wrappers for SYS_os_physmap and SYS_os_dma_alloc.
 *
 * Built inside musl's tree as src/os/physmap.c; see priority.c for the
 * syscall() convention.  The kernel returns an address or -errno; musl's
 * syscall() turns the latter into -1, which is MAP_FAILED.
 */
#include <os/os.h>
#include "syscall.h"

void *os_physmap(uint64_t phys, size_t len, int prot)
{
	return (void *)syscall(SYS_os_physmap, phys, len, prot);
}

void *os_dma_alloc(size_t len, uint64_t *phys)
{
	return (void *)syscall(SYS_os_dma_alloc, len, phys);
}
