/* Monotonic milliseconds: the one time base for deadlines and cache expiry. */
#ifndef FCR_CLOCK_H
#define FCR_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. Thread-safe. */
int64_t fcr_now_ms(void);

#endif
