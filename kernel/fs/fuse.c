/* A placeholder until the FUSE bridge lands (branch fuse replaces this file). */
#include "fs/fuse.h"

void fuse_init(void)
{
}
