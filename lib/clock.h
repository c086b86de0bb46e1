/* Monotonic milliseconds: the one time base for deadlines and cache expiry. */
#ifndef FCR_CLOCK_H
#define FCR_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. Thread-safe. */
int64_t fcr_now_ms(void);

/* The same clock as the kernel last saw it at a tick (CLOCK_MONOTONIC_COARSE): up to a few
 * milliseconds behind, at a fraction of the cost. For the cache, which reads it on every hit and
 * whose lifetimes are seconds. Thread-safe. */
int64_t fcr_coarse_now_ms(void);

#endif
