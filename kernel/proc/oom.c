/*
 * The OOM killer (see oom.h): a placeholder until the "proc" slice of stage
 * forkexec lands its own, which replaces this file.  It finds nobody to
 * kill, so a request for a frame that finds none fails with -ENOMEM.
 */
#include "proc/oom.h"

bool oom_reclaim(void)
{
	return false;
}
