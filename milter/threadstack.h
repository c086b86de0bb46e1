/* The stack size of libmilter's threads. libmilter starts a thread whenever none of its pool is
 * idle and lets it end soon after, with the default attributes: 8 MiB stacks (the usual ulimit -s),
 * of which glibc keeps only five for reuse, so under load nearly every session maps, faults in and
 * unmaps a fresh stack. Smaller stacks are reused from glibc's cache instead. */
#ifndef FCR_THREADSTACK_H
#define FCR_THREADSTACK_H

#include <stddef.h>

/* What the milter's callbacks need, with a wide margin (their largest frames are a few KiB of
 * header and log buffers; ASan builds use about three times as much). */
#define FCR_CALLBACK_STACK (256 * 1024)

/* Makes size the default stack size of threads created from now on without attributes (as
 * libmilter creates its own). Returns 0, or an errno value. Call before any such thread starts. */
int fcr_threadstack_default(size_t size);

#endif
