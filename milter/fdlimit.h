/* The open-file limit: raised to the hard limit at start, as daemons do, since every session and
 * every DNS question in flight holds a descriptor. */
#ifndef FCR_FDLIMIT_H
#define FCR_FDLIMIT_H

#include <stdint.h>

/* Raises RLIMIT_NOFILE's soft limit to the hard one. *before and *after receive the soft limit
 * (UINT64_MAX: unlimited). Returns 0, or -1 with errno set (the limit is then unchanged). */
int fcr_fdlimit_raise(uint64_t *before, uint64_t *after);

#endif
