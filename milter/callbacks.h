/* The libmilter callbacks: the filter description registered with smfi_register. */
#ifndef FCR_CALLBACKS_H
#define FCR_CALLBACKS_H

#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "stats.h"

/* The description with every callback the configuration might need; each connection negotiates
 * away the steps its own snapshot does not use. */
extern struct smfiDesc fcr_milter_desc;

/* Counters of the running milter (for the StatsFile). */
extern struct fcr_stats fcr_milter_stats;

#endif
