/* Core benchmarks of the shared cache: hits, misses with eviction, single flight, prefetch, and
 * (-m) the memory a cached address costs. */
#include "bench_core.h"
#include "harness.h"
#include "synth_dns.h"

#include "fake_dns.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const unsigned thread_counts[] = { 1, 2, 4, 16 };
#define NTHREAD_COUNTS (sizeof(thread_counts) / sizeof(thread_counts[0]))

static void cache_stats(fcr_service *s, struct fcr_cache_stats *st)
{
	fcr_cache_stats(fcr_service_cache(s), st);
}

/* ---- the cache: hits on a warm working set, misses with eviction ---- */

struct random_ctx {
	fcr_service *svc;
	const fcr_addr *addrs;
	size_t n;
	int want_cached;
	int64_t cpu_ns;            /* CPU time of the threads of peek_body, atomic */
};

/* CPU time of the calling thread: on a machine shared with other work, what the calls cost apart
 * from the time their thread waited for a core. */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void random_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct random_ctx *c = arg;
	uint64_t st = 0x9E3779B97F4A7C15ULL * (tid + 1);
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++)
		check_one(c->svc, &c->addrs[bench_rand(&st) % c->n], c->want_cached);
}

/* What a connection of a cached client costs the milter: fcr_service_peek at connect. */
static void peek_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct random_ctx *c = arg;
	uint64_t st = 0x9E3779B97F4A7C15ULL * (tid + 1);
	(void)nthreads;
	int64_t cpu0 = thread_cpu_ns();
	for (unsigned long i = 0; i < ops; i++) {
		const fcr_addr *a = &c->addrs[bench_rand(&st) % c->n];
		struct fcr_cache_summary v;
		if (fcr_service_peek(c->svc, a, &v) != 1 || v.result != FCR_PASS ||
		    !fcr_addr_equal(&v.addr, a))
			bench_fail("cache hit: a warm address was not a pass from the cache");
	}
	__atomic_add_fetch(&c->cpu_ns, thread_cpu_ns() - cpu0, __ATOMIC_RELAXED);
}

void bench_hits(const struct opts *o)
{
	const size_t n = 10000;
	struct fcr_config *conf = bench_config("100000");
	fcr_service *svc = bench_service(conf, &synth_dns_new(0)->base);
	fcr_addr *addrs = mixed_set(n);
	struct random_ctx c = { svc, addrs, n, 1, 0 };
	bench_note("cache hits: warming %zu addresses", n);
	for (size_t i = 0; i < n; i++)
		check_one(svc, &addrs[i], 0);
	for (size_t k = 0; k < NTHREAD_COUNTS; k++) {
		unsigned t = thread_counts[k];
		unsigned long ops = 400000 / o->scale_div / t * t;
		c.cpu_ns = 0;
		int64_t ns = bench_best(o->runs, t, ops / t, peek_body, NULL, &c);
		double cpu = (double)c.cpu_ns / ((double)ops * o->runs);
		char notes[64];
		snprintf(notes, sizeof(notes), "CPU %.0f ns/op", cpu);
		bench_row(stdout, "cache hit (10k warm, v4+v6)", t, ops, ns, notes);
		if (t <= 2) {
			bench_key(t == 1 ? "cache_hit_ns" : "cache_hit_ns_2t", ns_per_op(ns, t, ops));
			bench_key(t == 1 ? "cache_hit_cpu_ns" : "cache_hit_cpu_ns_2t", cpu);
		}
	}
	fcr_service_free(svc);
	fcr_config_free(conf);
	free(addrs);
}

void bench_misses(const struct opts *o)
{
	const size_t n = 20000;
	struct fcr_config *conf = bench_config("1000");
	fcr_service *svc = bench_service(conf, &synth_dns_new(0)->base);
	fcr_addr *addrs = mixed_set(n);
	struct random_ctx c = { svc, addrs, n, -1, 0 };
	bench_note("cache misses: CacheSize 1000, %zu addresses at random", n);
	for (size_t k = 0; k < NTHREAD_COUNTS; k++) {
		unsigned t = thread_counts[k];
		unsigned long total = 100000 / o->scale_div, ops = total / t * t;
		struct fcr_cache_stats s0, s1;
		cache_stats(svc, &s0);
		int64_t ns = bench_best(o->runs, t, total / t, random_body, NULL, &c);
		cache_stats(svc, &s1);
		double calls = (double)ops * o->runs;
		char notes[128];
		snprintf(notes, sizeof(notes), "hits %.1f%%, evictions/op %.2f, entries %zu",
		         100.0 * (double)(s1.hits - s0.hits) / calls,
		         (double)(s1.evictions - s0.evictions) / calls, s1.entries);
		bench_row(stdout, "cache miss+evict (1k cache, 20k set)", t, ops, ns, notes);
	}
	fcr_service_free(svc);
	fcr_config_free(conf);
	free(addrs);
}

/* ---- single flight: many threads ask for the same few cold addresses at once ---- */

#define SF_ADDRS 4
#define SF_THREADS 16

/* PTR n.2.0.192.in-addr.arpa. -> sfn.example., whose A is 192.0.2.n. */
#define SF_PTR(n) { n ".2.0.192.in-addr.arpa.", FCR_T_PTR, FCR_XFER_OK, 0, \
                    n ".2.0.192.in-addr.arpa. PTR 3600 sf" n ".example.", -1, 0 }
#define SF_A(n) { "sf" n ".example.", FCR_T_A, FCR_XFER_OK, 0, \
                  "sf" n ".example. A 3600 192.0.2." n, -1, 0 }

static const struct fake_answer sf_table[] = {
	SF_PTR("1"), SF_PTR("2"), SF_PTR("3"), SF_PTR("4"), SF_A("1"), SF_A("2"), SF_A("3"), SF_A("4"),
};

struct sf_ctx {
	fcr_service *svc;
	fcr_addr addrs[SF_ADDRS];
	pthread_barrier_t round;
};

/* ops rounds: the cache is emptied, then every thread checks the SF_ADDRS addresses, each thread
 * starting at a different one so that all of them are asked for at the same moment. */
static void sf_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct sf_ctx *c = arg;
	(void)nthreads;
	for (unsigned long r = 0; r < ops; r++) {
		pthread_barrier_wait(&c->round);
		if (tid == 0)
			fcr_cache_flush(fcr_service_cache(c->svc));
		pthread_barrier_wait(&c->round);
		for (unsigned k = 0; k < SF_ADDRS; k++)
			check_one(c->svc, &c->addrs[(tid + k) % SF_ADDRS], -1);
	}
}

static void sf_variant(const struct opts *o, const char *cache_size, const char *what)
{
	struct fake_dns f;
	fake_dns_init(&f, sf_table, sizeof(sf_table) / sizeof(sf_table[0]));
	f.delay_ms = 1;
	struct fake_dns *dns = (struct fake_dns *)fake_dns_dup(&f);
	struct fcr_config *conf = bench_config(cache_size);
	struct sf_ctx c = { .svc = bench_service(conf, &dns->base) };
	for (unsigned k = 0; k < SF_ADDRS; k++) {
		char text[32];
		snprintf(text, sizeof(text), "192.0.2.%u", k + 1);
		fcr_addr_parse(text, &c.addrs[k]);
	}
	pthread_barrier_init(&c.round, NULL, SF_THREADS);
	unsigned long rounds = 40 / (o->scale_div > 1 ? 4 : 1);
	struct fcr_cache_stats s0, s1;
	cache_stats(c.svc, &s0);
	int64_t ns = bench_best(o->runs, SF_THREADS, rounds, sf_body, NULL, &c);
	cache_stats(c.svc, &s1);
	double checks = (double)rounds * SF_THREADS * SF_ADDRS * o->runs;
	char notes[160];
	snprintf(notes, sizeof(notes), "exchanges/check %.3f, lookups/check %.3f, waited for another %.0f%%",
	         (double)__atomic_load_n(&dns->exchanges, __ATOMIC_RELAXED) / checks,
	         (double)(s1.misses - s0.misses) / checks, 100.0 * (double)(s1.shared - s0.shared) / checks);
	bench_row(stdout, what, SF_THREADS, rounds * SF_THREADS * SF_ADDRS, ns, notes);
	pthread_barrier_destroy(&c.round);
	fcr_service_free(c.svc);
	fcr_config_free(conf);
}

/* A transport that counts the PTR questions reaching it, in front of another. */
struct ptr_counter {
	fcr_transport base;
	fcr_transport *inner;
	unsigned ptr_questions;
};

static void counting_exchange(fcr_transport *self, const struct fcr_question *q,
                              struct fcr_reply *out, size_t n, int64_t deadline_ms)
{
	struct ptr_counter *pc = (struct ptr_counter *)self;
	for (size_t i = 0; i < n; i++)
		if (q[i].type == FCR_T_PTR)
			__atomic_add_fetch(&pc->ptr_questions, 1, __ATOMIC_RELAXED);
	pc->inner->exchange(pc->inner, q, out, n, deadline_ms);
}

static void counting_free(fcr_transport *self)
{
	struct ptr_counter *pc = (struct ptr_counter *)self;
	pc->inner->free(pc->inner);
	free(pc);
}

static struct ptr_counter *ptr_counter_new(fcr_transport *inner)
{
	struct ptr_counter *pc = calloc(1, sizeof(*pc));
	if (!pc)
		exit(71);
	pc->base.exchange = counting_exchange;
	pc->base.free = counting_free;
	pc->inner = inner;
	return pc;
}

#define CROWD 100

struct crowd_ctx {
	fcr_service *svc;
	fcr_addr addr;
};

static void crowd_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct crowd_ctx *c = arg;
	(void)tid;
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++)
		check_one(c->svc, &c->addr, -1);
}

/* 100 sessions of one address nobody asked for yet arrive together (released by one barrier),
 * over a resolver that answers after 20 ms: the PTR questions that reach it (1 is the target). */
static void sf_crowd(const struct opts *o)
{
	(void)o;
	struct fake_dns f;
	fake_dns_init(&f, sf_table, sizeof(sf_table) / sizeof(sf_table[0]));
	f.delay_ms = 20;
	struct ptr_counter *pc = ptr_counter_new(fake_dns_dup(&f));
	struct fcr_config *conf = bench_config("1000");
	struct crowd_ctx c = { .svc = bench_service(conf, &pc->base) };
	fcr_addr_parse("192.0.2.1", &c.addr);
	int64_t ns = bench_best(1, CROWD, 1, crowd_body, NULL, &c);
	char notes[96];
	snprintf(notes, sizeof(notes), "PTR questions to the resolver: %u", pc->ptr_questions);
	bench_row(stdout, "100 sessions of one new address", CROWD, CROWD, ns, notes);
	bench_key("singleflight_ptr_queries", pc->ptr_questions);
	fcr_service_free(c.svc);
	fcr_config_free(conf);
}

void bench_single_flight(const struct opts *o)
{
	bench_note("single flight: %d threads, the same %d cold addresses, 1 ms per exchange",
	           SF_THREADS, SF_ADDRS);
	sf_variant(o, "1000", "same 4 addrs, cache (single flight)");
	sf_variant(o, "0", "same 4 addrs, CacheSize 0 (no sharing)");
	sf_crowd(o);
}


/* ---- prefetch: one steady sender over three lifetimes ---- */

struct pf_bench {
	int64_t now_ms;            /* the cache's clock, atomic */
	fcr_service *svc;
	fcr_addr addr;
	pthread_t refresher;
	bool running;              /* main thread only */
};

static int64_t pf_now(void *arg)
{
	return __atomic_load_n(&((struct pf_bench *)arg)->now_ms, __ATOMIC_RELAXED);
}

static void *pf_refresh(void *arg)
{
	struct pf_bench *b = arg;
	fcr_service_refresh(b->svc, &b->addr);
	return NULL;
}

/* The prefetch hook: the refresh runs in a thread of its own, as on the milter's job pool. */
static bool pf_hook(void *arg, const fcr_addr *a)
{
	struct pf_bench *b = arg;
	if (b->running)
		return false;
	b->addr = *a;
	b->running = pthread_create(&b->refresher, NULL, pf_refresh, b) == 0;
	return b->running;
}

static fcr_service *pf_service(struct pf_bench *b, const struct fcr_config *conf, fcr_cache **cache)
{
	char err[256];
	struct fcr_cache_conf cc = fcr_service_cache_conf(conf);
	cc.max_ttl = 10;            /* a 10 s lifetime */
	cc.now_ms = pf_now;
	cc.now_arg = b;
	struct fake_dns f;
	fake_dns_init(&f, sf_table, sizeof(sf_table) / sizeof(sf_table[0]));
	*cache = fcr_cache_new(&cc);
	fcr_service *s = *cache ? fcr_service_new_shared(conf, fake_dns_dup(&f), *cache, err,
	                                                 sizeof(err)) : NULL;
	if (!s) {
		fprintf(stderr, "bench: prefetch service: %s\n", *cache ? err : "out of memory");
		exit(70);
	}
	fcr_service_set_prefetch(s, pf_hook, b);
	return s;
}

/* One address checked every 100 ms (on the cache's clock) for three 10 s lifetimes: the cold
 * checks it meets (1 is the target: the first). */
void bench_prefetch(const struct opts *o)
{
	(void)o;
	struct pf_bench b = { 0 };
	struct fcr_config *conf = bench_config("1000");
	fcr_cache *cache;
	b.svc = pf_service(&b, conf, &cache);
	fcr_addr a;
	fcr_addr_parse("192.0.2.2", &a);
	unsigned cold = 0, checks = 0;
	int64_t start = bench_now_ns();
	for (int64_t t = 0; t <= 30000; t += 100, checks++) {
		__atomic_store_n(&b.now_ms, t, __ATOMIC_RELAXED);
		struct fcr_cache_summary v;
		bool cached = false;
		if (fcr_service_verdict(b.svc, &a, &v, &cached) != 0 || v.result != FCR_PASS)
			bench_fail("prefetch: check %u did not pass", checks);
		cold += !cached;
		if (b.running)
			pthread_join(b.refresher, NULL);
		b.running = false;
	}
	struct fcr_cache_stats st;
	fcr_cache_stats(cache, &st);
	char notes[128];
	snprintf(notes, sizeof(notes), "cold checks %u of %u, refreshes %llu", cold, checks,
	         (unsigned long long)st.refreshed);
	bench_row(stdout, "prefetch: 1 addr / 100 ms, 3 x 10 s", 1, checks, bench_now_ns() - start, notes);
	bench_key("prefetch_cold_checks", cold);
	fcr_service_free(b.svc);
	fcr_cache_free(cache);
	fcr_config_free(conf);
}

/* ---- -m: resident memory per cached address ---- */

static double rss_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) {
		fprintf(stderr, "bench: cannot read /proc/self/statm\n");
		exit(71);
	}
	fclose(f);
	return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* A pass by one name, as the check gives it for the synthetic zone. */
static int one_name_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	(void)arg;
	char name[80];
	synth_dns_name(a, name, sizeof(name));
	out->addr = *a;
	out->result = FCR_PASS;
	out->ttl_kind = FCR_TTL_POSITIVE;
	out->ttl = 86400;
	out->confirmed = 0;
	out->names = calloc(1, sizeof(*out->names));
	if (!out->names || !(out->names[0].name = strdup(name)))
		exit(71);
	out->nnames = out->ptr_total = 1;
	out->names[0].valid = out->names[0].confirms = true;
	snprintf(out->reason, sizeof(out->reason), "%.*s confirms", (int)strlen(name) - 1, name);
	return 0;
}

static void fill_distinct(fcr_cache *c, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		fcr_addr a = mixed_addr(i);
		struct fcr_cache_summary s;
		bool hit = true;
		if (fcr_cache_get(c, &a, one_name_fill, NULL, &s, NULL, &hit, NULL) != 0 || hit)
			bench_fail("memory: address %u was not a fresh pass", i);
	}
}

static double per_entry(fcr_cache *c, double rss, double empty)
{
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	return st.entries ? (rss - empty) / (double)st.entries : 0;
}

int bench_memory(void)
{
	struct fcr_cache_conf cc = { .capacity = 1000000, .max_ttl = 86400, .neg_max_ttl = 3600,
	                             .error_ttl = 60 };
	fcr_cache *c = fcr_cache_new(&cc);
	if (!c)
		return 71;
	double empty = rss_bytes();
	fill_distinct(c, 0, 1000000);
	double rss1 = rss_bytes(), per1 = per_entry(c, rss1, empty);
	fill_distinct(c, 1000000, 3000000);
	double rss3 = rss_bytes(), per3 = per_entry(c, rss3, empty);
	double growth = 100.0 * (rss3 - rss1) / rss1;
	printf("CacheSize 1,000,000, one-name passes (half IPv4, half IPv6), distinct addresses:\n"
	       "  empty cache        RSS %7.1f MB\n"
	       "  1,000,000 cached   RSS %7.1f MB  %6.1f bytes per entry\n"
	       "  3,000,000 seen     RSS %7.1f MB  %6.1f bytes per entry  (1M -> 3M: %+.2f%%)\n",
	       empty / 1e6, rss1 / 1e6, per1, rss3 / 1e6, per3, growth);
	bench_key("core_cache_bytes_per_entry_1m", per1);
	bench_key("core_cache_bytes_per_entry_3m", per3);
	bench_key("core_cache_rss_growth_1m_3m_pct", growth);
	fcr_cache_free(c);
	return bench_failures() ? 1 : 0;
}
