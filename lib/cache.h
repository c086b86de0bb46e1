/* The shared caching core: one cache per process of whole check results, keyed by client address.
 * Sharded (a lock per shard, so threads checking different addresses rarely meet), bounded by a
 * number of entries with least-recently-used eviction per shard, and "single flight": concurrent
 * requests for one address wait for the one lookup in progress instead of starting their own.
 * All functions except _new and _free may be called from any number of threads at once. The cache
 * never hands out pointers into itself: callers get deep copies they own. */
#ifndef FCR_CACHE_H
#define FCR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "check.h"

typedef struct fcr_cache fcr_cache;

struct fcr_cache_conf {
	size_t capacity;             /* CacheSize; 0 = no caching (every call runs the fill function) */
	uint32_t max_ttl;            /* CacheMaxTTL: clamp for positive results */
	uint32_t neg_max_ttl;        /* NegativeCacheMaxTTL: clamp for negative results */
	uint32_t error_ttl;          /* ErrorCacheTTL: lifetime of temperror results */
	/* Clock in milliseconds; NULL means fcr_now_ms. Tests pass a fake. */
	int64_t (*now_ms)(void *arg);
	void *now_arg;
};

struct fcr_cache_stats {
	uint64_t hits;               /* served from a stored entry */
	uint64_t shared;             /* waited for another thread's lookup of the same address */
	uint64_t misses;             /* ran the fill function */
	uint64_t evictions;          /* dropped to stay within capacity */
	uint64_t expired;            /* dropped because their lifetime ended */
	size_t entries;
};

/* Computes a result for address a into out (zeroed by the caller). Returns 0, or -1 on local
 * failure (out must still hold a valid result, e.g. a temperror). */
typedef int (*fcr_cache_fill_fn)(void *arg, const fcr_addr *a, struct fcr_check_result *out);

/* NULL when out of memory. */
fcr_cache *fcr_cache_new(const struct fcr_cache_conf *conf);

/* Lifetime in seconds the cache gives a result, after clamps (0: not stored). */
uint32_t fcr_cache_lifetime(const struct fcr_cache_conf *conf, const struct fcr_check_result *r);

/* The result for a: a stored copy if one is fresh, the result of a lookup of a already in
 * progress in another thread, or else fill(arg, a, ...) run in this thread and stored for its
 * lifetime. out (zeroed by the caller) receives a deep copy owned by the caller; *hit (may be
 * NULL) says whether no fill ran in this call. Returns fill's status, or 0 for a hit; -1 also
 * when memory ran out (out is then a temperror). */
int fcr_cache_get(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg,
                  struct fcr_check_result *out, bool *hit);

/* A fresh stored result for a, without waiting for a lookup in progress and without starting one:
 * 1 and a deep copy in out (zeroed by the caller) on a hit (counted as one), 0 when there is none,
 * -1 when memory ran out (out is then a temperror). Lets a caller skip a thread hand-off on hits. */
int fcr_cache_peek(fcr_cache *c, const fcr_addr *a, struct fcr_check_result *out);

/* Current counters. */
void fcr_cache_stats(fcr_cache *c, struct fcr_cache_stats *s);

/* Drops every stored entry (in-flight lookups finish normally). */
void fcr_cache_flush(fcr_cache *c);

/* No thread may be using the cache. fcr_cache_free(NULL) is a no-op. */
void fcr_cache_free(fcr_cache *c);

#endif
