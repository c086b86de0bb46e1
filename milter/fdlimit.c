/* Raising the open-file limit (fdlimit.h). */
#include "fdlimit.h"

#include <sys/resource.h>

static uint64_t figure(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

int fcr_fdlimit_raise(uint64_t *before, uint64_t *after)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	*before = *after = figure(rl.rlim_cur);
	if (rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	*after = figure(rl.rlim_cur);
	return 0;
}
