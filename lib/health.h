/* The resolver's health as the checks find it: a circuit breaker that stops every check from
 * waiting out CheckTimeout while the resolver says nothing, and notices within a second when it
 * answers again. All functions except _new may be called from any number of threads at once. */
#ifndef FCR_HEALTH_H
#define FCR_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

/* Checks in a row that heard nothing (FCR_HEARD_NOTHING) before the resolver counts as down.
 * One is not enough: a reverse zone whose servers are dead times out through a healthy resolver
 * too. Five in a row with no reply of any kind between them do not happen to a resolver that
 * answers anything; under load they are reached within one CheckTimeout of the outage, and
 * with light traffic a false alarm costs at most one probe interval. */
#define FCR_HEALTH_THRESHOLD 5

/* While down, one real check (a probe) is let through per interval. A probe still waiting does not
 * hold the next one back, so the first probe after the resolver recovers sees it: recovery is
 * noticed within this interval plus a round trip, and at most CheckTimeout / interval probes
 * (5 with the defaults) wait at once. */
#define FCR_HEALTH_PROBE_MS 1000

typedef struct fcr_health fcr_health;

struct fcr_health_stats {
	bool down;
	unsigned timeouts;         /* consecutive checks that heard nothing, now */
	uint64_t failed_fast;      /* checks answered at once because the resolver was down */
	uint64_t changes;          /* state changes, either way */
	uint64_t probes;           /* checks let through as probes while down */
};

/* Called once per state change, under the breaker's lock (so calls come in order): down says the
 * new state; going down, timeouts is the run of silent checks that did it; coming back, down_ms is
 * how long the resolver was down. It must not call fcr_health_* (log and count only). */
typedef void (*fcr_health_hook_fn)(void *arg, bool down, unsigned timeouts, int64_t down_ms);

/* A breaker in the "up" state. now_ms (NULL: fcr_now_ms) is its clock, which tests drive. NULL when
 * out of memory. The caller holds the one reference. */
fcr_health *fcr_health_new(int64_t (*now_ms)(void *arg), void *now_arg);

/* One more reference (for a service that takes over another's breaker). Returns h. */
fcr_health *fcr_health_ref(fcr_health *h);

/* Drops a reference; the last one frees. NULL is a no-op. */
void fcr_health_free(fcr_health *h);

/* Installs the hook (fn NULL: none). */
void fcr_health_set_hook(fcr_health *h, fcr_health_hook_fn fn, void *arg);

/* True while the resolver counts as down (one atomic load). */
bool fcr_health_down(const fcr_health *h);

/* May a check ask DNS now? Always while up; while down only the first caller of each
 * FCR_HEALTH_PROBE_MS (a probe). A false answer is counted as a check failed fast. */
bool fcr_health_admit(fcr_health *h);

/* What a check that asked DNS heard. NOTHING counts towards going down; REPLIES and PARTLY reset
 * the count and bring the resolver back up; NO_SOCKET and UNASKED say nothing about the resolver.
 * Returns whether the resolver counts as down afterwards. */
bool fcr_health_report(fcr_health *h, enum fcr_heard heard);

/* Current state and counters. */
void fcr_health_stats(fcr_health *h, struct fcr_health_stats *st);

#endif
