/* What the core benchmarks share: options, working sets, a configured service, and the parts in
 * bench_cache.c (the cache) and bench_check.c (the check). */
#ifndef BENCH_CORE_H
#define BENCH_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "service.h"

struct opts {
	unsigned runs;
	unsigned long scale_div;   /* work divided by this (-q) */
};

/* Address number i of a mixed working set: even i IPv4 in 10/8, odd i IPv6 in 2001:db8:ca:fe::/64. */
fcr_addr mixed_addr(uint32_t i);
fcr_addr *mixed_set(size_t n);

/* A configuration with CacheSize cache_size; exits on error. */
struct fcr_config *bench_config(const char *cache_size);
fcr_service *bench_service(const struct fcr_config *c, fcr_transport *t);

/* One check through the service; want_cached: 1 must be a hit, 0 must not, -1 either. */
void check_one(fcr_service *s, const fcr_addr *a, int want_cached);

/* ns one call took in its thread, as the table shows it. */
double ns_per_op(int64_t wall_ns, unsigned threads, unsigned long ops);

/* bench_cache.c */
void bench_hits(const struct opts *o);
void bench_misses(const struct opts *o);
void bench_single_flight(const struct opts *o);
void bench_prefetch(const struct opts *o);
/* -m: RSS per cached address at 1 and 3 million distinct addresses; returns the exit status. */
int bench_memory(void);

/* bench_check.c */
void bench_cold(const struct opts *o);
void bench_check_run(const struct opts *o);
void bench_cold_ratio(const struct opts *o);

/* bench_machine.c: what a thread wake-up and a loopback UDP exchange cost on this machine. */
void bench_machine(const struct opts *o);

#endif
