/* Counters for the StatsFile: what the milter saw and did, written in Prometheus text format.
 * Counting is lock-free (relaxed atomics) and may happen on any thread. */
#ifndef FCR_STATS_H
#define FCR_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "check.h"
#include "config.h"

/* 1-2-5 steps from 1 ms to CheckTimeout's largest value (120 s), and CheckTimeout itself. */
#define FCR_STATS_MAX_BOUNDS 18

struct fcr_stats {
	uint64_t connections;          /* connections seen */
	uint64_t no_address;           /* without a client address (local submission) */
	uint64_t exempt;               /* ExemptHosts */
	uint64_t results[FCR_NRESULTS];
	uint64_t generic;
	uint64_t pattern_limits;       /* GenericPatterns matches that hit a PCRE2 limit (no match) */
	uint64_t actions[3];           /* accept, tempfail, reject, as applied */
	uint64_t dry_run;              /* reject/tempfail only logged */
	uint64_t authenticated;        /* exempt from reject/tempfail as authenticated */
	uint64_t cache_hits, cache_misses;
	uint64_t dns_queries;          /* questions sent by checks that were not cache hits */
	uint64_t dns_timeouts;         /* checks that ended in temperror for lack of an answer */
	uint64_t dns_no_socket;        /* checks that ended in temperror for want of a socket */
	uint64_t failed_fast;          /* checks answered at once: the resolver was down */
	uint64_t resolver_changes;     /* the resolver went down or came back (health.h) */
	uint64_t resolver_down;        /* gauge, 0 or 1: set before each write */
	uint64_t late;                 /* checks not finished when the verdict was due */
	uint64_t pending_at_close;     /* checks not finished when their connection closed */
	uint64_t reloads, reload_failures;
	uint64_t messages;             /* messages that got headers */
	uint64_t forged_removed;       /* forged headers removed */
	uint64_t cache_entries;        /* gauge: set before each write */

	/* The check-duration histogram. Its bounds are set once, before any thread counts
	 * (fcr_stats_init); the buckets are not cumulative here, the file makes them so. */
	unsigned n_bounds;
	int64_t bound_ms[FCR_STATS_MAX_BOUNDS];
	uint64_t duration[FCR_STATS_MAX_BOUNDS + 1];  /* the last one: beyond every bound */
	uint64_t duration_sum_ms;
};

/* Sets the histogram's bounds: 1, 2, 5, 10, 20, 50... ms below check_timeout_ms, then
 * check_timeout_ms itself (a check that took longer was late). Before any thread counts. */
void fcr_stats_init(struct fcr_stats *s, int64_t check_timeout_ms);

/* Counts one check that took ms milliseconds in the histogram. */
void fcr_stats_observe(struct fcr_stats *s, int64_t ms);

void fcr_stats_add(uint64_t *counter, uint64_t n);

/* Counts one finished check (result, generic, cache, DNS, its duration) from its summary. */
void fcr_stats_check(struct fcr_stats *s, const struct fcr_cache_summary *r, bool cached);

/* Writes the counters to path atomically (a temporary file in the same directory, then rename).
 * Returns 0, or -1 with errno set. */
int fcr_stats_write(const struct fcr_stats *s, const char *path, int64_t uptime_s);

#endif
