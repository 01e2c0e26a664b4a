/*
 * DMA memory for user-mode drivers (os_dma_alloc(2)) and the rule that
 * stops their devices before it is freed.  See dma.c.
 */
#ifndef MM_DMA_H
#define MM_DMA_H

#include <types.h>

struct proc;

/* If p ever allocated DMA memory, turn bus mastering off on every PCI
 * function, so that no device writes into its frames once they are freed.
 * Called at exit and exec, before the old address space goes. */
void dma_stop(struct proc *p);

#endif
