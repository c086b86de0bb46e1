/* The shared caching core: one cache per process of compact check summaries, keyed by client address.
 * Sharded (a lock per shard, so threads checking different addresses rarely meet), bounded by a
 * number of entries with least-recently-used eviction per shard, and "single flight": concurrent
 * requests for one address wait for the one lookup in progress instead of starting their own.
 *
 * What is stored is not the whole check result but what the milter needs to decide, write its
 * headers and its log line (struct fcr_cache_summary): the result, the confirmed or first PTR name,
 * the generic flag and its tag, the short reason, the TTL class and the expiry. An entry is one
 * record of a fixed size class taken from its shard's slabs (lib/cache/slab.c), so eviction never
 * fragments the heap: memory is bounded by CacheSize and stays flat once the cache is full, and a
 * reload that keeps the cache keeps its memory. A -t trace needs the full detail and runs a fresh
 * check instead (fcr_service_trace).
 *
 * Prefetch (as unbound's): a hit on an entry in the last tenth of its lifetime hands its caller the
 * duty to refresh it (*refresh true), once per entry — single flight, never two refreshes for one
 * address. The cache owns no thread: the caller arranges for fcr_cache_refresh to run elsewhere
 * (the milter queues it on its check-job pool, milter/jobs.c) or, when it cannot, gives the duty
 * back with fcr_cache_refresh_abandon. Meanwhile the entry goes on serving hits.
 *
 * Threads: every function except _new and _free may be called from any number of threads at once.
 * A hit takes no lock and writes nothing another thread reads (lib/cache/snap.c), so hits scale with
 * cores; misses, stores and the rare hit that moves an entry or hands out a refresh take the
 * shard's lock.
 * Ownership: the cache never hands out pointers into itself; callers get copies into structures
 * they own, and a hit allocates nothing. */
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
	/* Clock in milliseconds; NULL means fcr_coarse_now_ms. Tests pass a fake. */
	int64_t (*now_ms)(void *arg);
	void *now_arg;
};

struct fcr_cache_stats {
	uint64_t hits;               /* served from a stored entry */
	uint64_t shared;             /* waited for another thread's lookup of the same address */
	uint64_t misses;             /* ran the fill function */
	uint64_t evictions;          /* dropped to stay within capacity */
	uint64_t expired;            /* dropped because their lifetime ended */
	uint64_t prefetches;         /* refresh duties handed out (hits in the last tenth of a life) */
	uint64_t refreshed;          /* entries a refresh replaced */
	size_t entries;
	size_t bytes;                /* memory of entries, chunks free for reuse and hash tables */
};

/* A name's text with its NUL: 255 wire octets, each at worst a \DDD escape. */
#define FCR_CACHE_NAME_MAX 1024
#define FCR_CACHE_REASON_MAX 128

/* What the milter needs of a check: a plain fixed-size record its holder owns (no pointers). */
struct fcr_cache_summary {
	fcr_addr addr;
	enum fcr_result result;
	enum fcr_dns_status ptr_status;
	enum fcr_ttl_kind ttl_kind;
	enum fcr_heard heard;        /* of the check this call ran; FCR_HEARD_REPLIES for a copy */
	bool generic;
	struct fcr_generic_tag generic_tag;
	bool has_name;               /* name holds the confirmed name (pass) or the first PTR name */
	bool name_confirms;
	bool name_valid;             /* a valid host name */
	bool has_valid_name;         /* valid_name: the first valid PTR name, when it is not name */
	unsigned queries;            /* DNS questions this call sent (0 for a copy) */
	int64_t elapsed_ms;          /* wall time of the check (0 for a copy's own retrieval) */
	char reason[FCR_CACHE_REASON_MAX];
	char name[FCR_CACHE_NAME_MAX];
	char valid_name[FCR_CACHE_NAME_MAX];
};

/* The summary of a full result r. Thread-safe. */
void fcr_cache_summarize(const struct fcr_check_result *r, struct fcr_cache_summary *out);

/* A temperror that asked no DNS (see fcr_check_result_unasked), as a summary. */
void fcr_cache_summary_unasked(struct fcr_cache_summary *out, const fcr_addr *a, const char *reason);

/* A result that formatting, policy and the log line (format.h, policy.h, trace.h summary) read as
 * they read the full one: view's names point into s and into names[2], so it lives no longer than
 * they do and must never be given to fcr_check_result_clear. Allocates nothing. */
void fcr_cache_summary_view(const struct fcr_cache_summary *s, struct fcr_check_result *view,
                            struct fcr_name names[2]);

/* Computes a result for address a into out (zeroed by the caller). Returns 0, or -1 on local
 * failure (out must still hold a valid result, e.g. a temperror). */
typedef int (*fcr_cache_fill_fn)(void *arg, const fcr_addr *a, struct fcr_check_result *out);

/* NULL when out of memory. */
fcr_cache *fcr_cache_new(const struct fcr_cache_conf *conf);

/* Lifetime in seconds the cache gives a result, after clamps (0: not stored). */
uint32_t fcr_cache_lifetime(const struct fcr_cache_conf *conf, const struct fcr_check_result *r);

/* The summary for a into out: a stored entry if one is fresh, the result of a lookup of a already
 * in progress in another thread, or else fill(arg, a, ...) run in this thread and stored for its
 * lifetime. full (may be NULL) receives, when this call ran the fill, its whole result (owned by
 * the caller, who zeroes it first); it is left alone otherwise. *hit (may be NULL) says whether no
 * fill ran in this call. refresh NULL: the caller cannot refresh; otherwise *refresh says whether
 * the caller now holds the entry's refresh duty (see above). Returns fill's status, or 0 for a
 * hit; -1 also when memory ran out (out is then a temperror). */
int fcr_cache_get(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg,
                  struct fcr_cache_summary *out, struct fcr_check_result *full, bool *hit,
                  bool *refresh);

/* A fresh stored summary for a, without waiting for a lookup in progress and without starting one:
 * 1 and a copy in out on a hit (counted as one), 0 when there is none. refresh as for _get. Lets a
 * caller skip a thread hand-off on hits. */
int fcr_cache_peek(fcr_cache *c, const fcr_addr *a, struct fcr_cache_summary *out, bool *refresh);

/* Carries out a refresh duty: runs fill(arg, a, ...) in this thread and stores its result in place
 * of the entry, which served hits meanwhile. A result that cannot be stored (not cacheable, a local
 * failure) or that is a temperror where the entry is not leaves the entry to expire as it would
 * have, without another refresh. Returns fill's status. */
int fcr_cache_refresh(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg);

/* Gives a refresh duty back unperformed: a later hit in the last tenth may take it again. */
void fcr_cache_refresh_abandon(fcr_cache *c, const fcr_addr *a);

/* Current counters. */
void fcr_cache_stats(fcr_cache *c, struct fcr_cache_stats *s);

/* Drops every stored entry (in-flight lookups finish normally). Their memory stays with the cache
 * for the entries that follow. */
void fcr_cache_flush(fcr_cache *c);

/* No thread may be using the cache. fcr_cache_free(NULL) is a no-op. */
void fcr_cache_free(fcr_cache *c);

#endif
