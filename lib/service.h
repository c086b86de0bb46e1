/* A ready-to-use checker: configuration snapshot, resolver transport, generic-name rules and the
 * shared cache, wired together. The milter keeps one per configuration; -t and benchmarks use it too.
 * The checks, peek and refresh may be called from any number of threads at once; the setters only
 * before the service is shared. */
#ifndef FCR_SERVICE_H
#define FCR_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "cache.h"
#include "check.h"
#include "config.h"
#include "dns.h"
#include "health.h"

typedef struct fcr_service fcr_service;

/* Builds a service for conf (borrowed: it must outlive the service). Nameservers come from conf or,
 * when it names none, from /etc/resolv.conf. A NULL transport means the real resolver; tests pass a
 * fake (the service then owns it). NULL with a reason in err on failure. */
fcr_service *fcr_service_new(const struct fcr_config *conf, fcr_transport *transport, char *err,
                             size_t errlen);

/* The same with a cache that outlives the service (a configuration reload keeps the cache): cache is
 * borrowed and must outlive the service; conf's Cache* keywords are then not used. */
fcr_service *fcr_service_new_shared(const struct fcr_config *conf, fcr_transport *transport,
                                    fcr_cache *cache, char *err, size_t errlen);

/* The cache settings of conf, as fcr_cache_new takes them. */
struct fcr_cache_conf fcr_service_cache_conf(const struct fcr_config *conf);

/* Checks address a through the cache; out (owned by the caller) receives the summary, and a hit
 * allocates nothing. *cached (may be NULL) says whether it came from the cache (a stored entry or
 * another thread's lookup). Returns 0, or -1 when memory ran out (out is a temperror then).
 * While the resolver counts as down (health.h: FCR_HEALTH_THRESHOLD checks in a row heard
 * nothing), a check the cache cannot answer returns at once: temperror, ptr_status
 * FCR_DNS_UNAVAILABLE, reason "resolver unavailable: failing fast after N timeouts", not cached,
 * *cached false; one check per FCR_HEALTH_PROBE_MS still asks DNS as a probe. Checks that hear
 * nothing while the resolver is down are not cached either.
 * A hit in the last tenth of its entry's lifetime hands the entry's refresh to the prefetch hook
 * (fcr_service_set_prefetch), once per entry; without a hook there is no prefetch. */
int fcr_service_verdict(fcr_service *s, const fcr_addr *a, struct fcr_cache_summary *out,
                        bool *cached);

/* The same with a whole result in out (zeroed by the caller, then owned by it): the check's own
 * when this call ran it; on a hit, the result rebuilt from the summary (the deciding names only:
 * no forward addresses, no failure details). */
int fcr_service_check(fcr_service *s, const fcr_addr *a, struct fcr_check_result *out, bool *cached);

/* A fresh check for a trace (-t): never answered from the cache nor stored in it, with every
 * detail; the resolver's health applies as above. out is zeroed by the caller, then owned by it. */
int fcr_service_trace(fcr_service *s, const fcr_addr *a, struct fcr_check_result *out);

/* The cached summary for a if there is a fresh one (see fcr_cache_peek): 1 hit, 0 none. Allocates
 * nothing; prefetch as for fcr_service_verdict. */
int fcr_service_peek(fcr_service *s, const fcr_addr *a, struct fcr_cache_summary *out);

/* Who runs prefetch refreshes: fn(arg, a) arranges for fcr_service_refresh(a) to run soon in
 * another thread and returns true, or false when it cannot (the duty then goes back to the cache).
 * It is called in the thread of the hit, after the cache's lock is released; it must not wait for
 * the refresh. Call before the service is shared between threads. */
typedef bool (*fcr_prefetch_fn)(void *arg, const fcr_addr *a);
void fcr_service_set_prefetch(fcr_service *s, fcr_prefetch_fn fn, void *arg);

/* Carries out a refresh duty for a: a check through this service stored over the cached entry (see
 * fcr_cache_refresh); while the resolver is down the duty is given back instead. Any thread. */
void fcr_service_refresh(fcr_service *s, const fcr_addr *a);

/* True when ExemptHosts covers a. */
bool fcr_service_exempt(const fcr_service *s, const fcr_addr *a);

/* The cache, for its statistics; NULL never. */
fcr_cache *fcr_service_cache(fcr_service *s);

/* Who hears of GenericPatterns hitting a PCRE2 limit (see fcr_patterns_set_hook). Call before the
 * service is shared between threads. */
void fcr_service_set_pattern_hook(fcr_service *s, fcr_pattern_limit_fn fn, void *arg);

/* Who hears of the resolver going down or coming back (see fcr_health_hook_fn: called under the
 * breaker's lock, must not call back into it). Call before the service is shared between threads. */
void fcr_service_set_health_hook(fcr_service *s, fcr_health_hook_fn fn, void *arg);

/* The breaker's state and counters. Any thread, not from the hook. */
void fcr_service_health(fcr_service *s, struct fcr_health_stats *st);

/* True while the resolver counts as down (one atomic load; any thread, not from the hook). A
 * caller waiting for a check can stop waiting then: it would wait out CheckTimeout for nothing. */
bool fcr_service_resolver_down(const fcr_service *s);

/* For a reload: s takes over prev's breaker (its state, counters and hook) when both ask the same
 * nameservers, so a reload during an outage does not make checks wait again; different servers
 * start fresh. Returns whether it was taken over. Call before s is shared between threads; prev
 * may go on being used and freed in any order. */
bool fcr_service_share_health(fcr_service *s, const fcr_service *prev);

/* Whether a and b judge names by the same generic-name rules (fcr_generic_same_rules): when they do
 * not, results a cached carry a's judgement and tags, which b would not give. Any thread. */
bool fcr_service_same_rules(const fcr_service *a, const fcr_service *b);

/* fcr_service_free(NULL) is a no-op. No thread may be using it. */
void fcr_service_free(fcr_service *s);

#endif
