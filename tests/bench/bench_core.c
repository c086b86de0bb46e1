/* Core benchmarks over fake transports (no network): the shared cache, single flight, the check and
 * the text it produces. Prints a table on stdout; exits 1 only when some call gave a wrong answer.
 *   usage: bench_core [-r RUNS] [-q]      (-q: a tenth of the work, for a quick look) */
#include "harness.h"
#include "synth_dns.h"

#include "clock.h"
#include "fake_dns.h"
#include "format.h"
#include "generic.h"
#include "service.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned thread_counts[] = { 1, 2, 4, 16 };
#define NTHREAD_COUNTS (sizeof(thread_counts) / sizeof(thread_counts[0]))

struct opts {
	unsigned runs;
	unsigned long scale_div;   /* work divided by this (-q) */
};

/* Address number i of a mixed working set: even i IPv4 in 10/8, odd i IPv6 in 2001:db8:ca:fe::/64. */
static fcr_addr mixed_addr(uint32_t i)
{
	fcr_addr a = { 0 };
	uint32_t k = i >> 1;
	if (i % 2 == 0) {
		a.family = AF_INET;
		a.bytes[0] = 10;
		a.bytes[1] = (uint8_t)(k >> 16);
		a.bytes[2] = (uint8_t)(k >> 8);
		a.bytes[3] = (uint8_t)k;
	} else {
		static const uint8_t prefix[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xca, 0x00, 0xfe };
		a.family = AF_INET6;
		memcpy(a.bytes, prefix, sizeof(prefix));
		a.bytes[12] = (uint8_t)(k >> 24);
		a.bytes[13] = (uint8_t)(k >> 16);
		a.bytes[14] = (uint8_t)(k >> 8);
		a.bytes[15] = (uint8_t)k;
	}
	return a;
}

static fcr_addr *mixed_set(size_t n)
{
	fcr_addr *v = calloc(n, sizeof(*v));
	if (!v) {
		fprintf(stderr, "bench: out of memory\n");
		exit(71);
	}
	for (size_t i = 0; i < n; i++)
		v[i] = mixed_addr((uint32_t)i);
	return v;
}

static struct fcr_config *bench_config(const char *cache_size)
{
	char cs[64], err[512];
	snprintf(cs, sizeof(cs), "CacheSize=%s", cache_size);
	const char *ov[] = { cs, "ExemptHosts=none", "AuthservID=mx.bench.example", "Syslog=no",
	                     "Nameservers=127.0.0.1" };
	struct fcr_config *c = fcr_config_load("/dev/null", ov, sizeof(ov) / sizeof(ov[0]), err,
	                                       sizeof(err));
	if (!c) {
		fprintf(stderr, "bench: configuration: %s\n", err);
		exit(70);
	}
	return c;
}

static fcr_service *bench_service(const struct fcr_config *c, fcr_transport *t)
{
	char err[512];
	fcr_service *s = fcr_service_new(c, t, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "bench: service: %s\n", err);
		exit(70);
	}
	return s;
}

/* One check through the service; want_cached: 1 must be a hit, 0 must not, -1 either. */
static void check_one(fcr_service *s, const fcr_addr *a, int want_cached)
{
	struct fcr_check_result r = { 0 };
	bool cached = false;
	int rc = fcr_service_check(s, a, &r, &cached);
	if (rc != 0 || r.result != FCR_PASS || (want_cached >= 0 && cached != (want_cached == 1))) {
		char buf[FCR_ADDR_STRLEN];
		bench_fail("check of %s: rc %d, %s (%s), cached %d, expected pass%s", fcr_addr_format(a, buf,
		           sizeof(buf)), rc, fcr_result_name(r.result), r.reason, cached,
		           want_cached == 1 ? " from the cache" : want_cached == 0 ? " by a lookup" : "");
	}
	fcr_check_result_clear(&r);
}

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
};

static void random_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct random_ctx *c = arg;
	uint64_t st = 0x9E3779B97F4A7C15ULL * (tid + 1);
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++)
		check_one(c->svc, &c->addrs[bench_rand(&st) % c->n], c->want_cached);
}

static void bench_hits(const struct opts *o)
{
	const size_t n = 10000;
	struct fcr_config *conf = bench_config("100000");
	fcr_service *svc = bench_service(conf, &synth_dns_new(0)->base);
	fcr_addr *addrs = mixed_set(n);
	struct random_ctx c = { svc, addrs, n, 1 };
	bench_note("cache hits: warming %zu addresses", n);
	for (size_t i = 0; i < n; i++)
		check_one(svc, &addrs[i], 0);
	for (size_t k = 0; k < NTHREAD_COUNTS; k++) {
		unsigned t = thread_counts[k];
		unsigned long total = 400000 / o->scale_div;
		int64_t ns = bench_best(o->runs, t, total / t, random_body, NULL, &c);
		bench_row(stdout, "cache hit (10k warm, v4+v6)", t, total / t * t, ns, NULL);
	}
	fcr_service_free(svc);
	fcr_config_free(conf);
	free(addrs);
}

static void bench_misses(const struct opts *o)
{
	const size_t n = 20000;
	struct fcr_config *conf = bench_config("1000");
	fcr_service *svc = bench_service(conf, &synth_dns_new(0)->base);
	fcr_addr *addrs = mixed_set(n);
	struct random_ctx c = { svc, addrs, n, -1 };
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

/* ---- cold checks with a 1 ms round trip: threads overlap their waits ---- */

struct cold_ctx {
	fcr_service *svc;
	uint32_t base;             /* first address number of the current run */
};

static void cold_prepare(void *arg, unsigned run)
{
	struct cold_ctx *c = arg;
	(void)run;
	c->base += 1u << 20;       /* fresh addresses: every check is a miss */
}

static void cold_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct cold_ctx *c = arg;
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++) {
		fcr_addr a = mixed_addr(c->base + (uint32_t)(tid * ops + i));
		check_one(c->svc, &a, 0);
	}
}

static void bench_cold(const struct opts *o)
{
	static const unsigned counts[] = { 1, 4, 16, 64 };
	struct fcr_config *conf = bench_config("100000");
	struct synth_dns *dns = synth_dns_new(1);
	fcr_service *svc = bench_service(conf, &dns->base);
	struct cold_ctx c = { svc, 0 };
	bench_note("cold checks: distinct addresses, 1 ms per exchange");
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		unsigned t = counts[k];
		unsigned long per = 60 / (o->scale_div > 1 ? 6 : 1);
		unsigned x0 = __atomic_load_n(&dns->exchanges, __ATOMIC_RELAXED);
		int64_t ns = bench_best(o->runs, t, per, cold_body, cold_prepare, &c);
		unsigned x1 = __atomic_load_n(&dns->exchanges, __ATOMIC_RELAXED);
		char notes[128];
		snprintf(notes, sizeof(notes), "exchanges/check %.2f",
		         (double)(x1 - x0) / ((double)per * t * o->runs));
		bench_row(stdout, "cold check, 1 ms/exchange", t, per * t, ns, notes);
	}
	fcr_service_free(svc);
	fcr_config_free(conf);
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

static void bench_single_flight(const struct opts *o)
{
	bench_note("single flight: %d threads, the same %d cold addresses, 1 ms per exchange",
	           SF_THREADS, SF_ADDRS);
	sf_variant(o, "1000", "same 4 addrs, cache (single flight)");
	sf_variant(o, "0", "same 4 addrs, CacheSize 0 (no sharing)");
}

/* ---- per-call costs: generic names, header text ---- */

static const struct {
	const char *name, *addr;
	bool generic;  /* SPEC.md: embedded address, or pool word (with a host number), unless static/mail */
} gen_cases[] = {
	{ "mail.example.com.", "192.0.2.25", false },
	{ "dsl-203-0-113-42.pool.example.net.", "203.0.113.42", true },
	{ "host42.static.example.org.", "198.51.100.42", false },
	{ "c-98-207-12-34.hsd1.ca.example.net.", "98.207.12.34", true },
	{ "host7.dyn.example.net.", "2001:db8::7", true },
	{ "mx1.bench.example.", "2001:db8::25", false },
};
#define NGEN (sizeof(gen_cases) / sizeof(gen_cases[0]))

struct gen_ctx {
	fcr_generic *g;
	fcr_addr addrs[NGEN];
};

static void gen_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct gen_ctx *c = arg;
	(void)tid;
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++) {
		size_t k = i % NGEN;
		if (fcr_generic_match(c->g, gen_cases[k].name, &c->addrs[k]) != gen_cases[k].generic)
			bench_fail("generic: %s should%s be generic", gen_cases[k].name,
			           gen_cases[k].generic ? "" : " not");
	}
}

static void bench_generic(const struct opts *o)
{
	char err[256];
	struct gen_ctx c = { .g = fcr_generic_new(NULL, NULL, err, sizeof(err)) };
	if (!c.g) {
		fprintf(stderr, "bench: generic: %s\n", err);
		exit(70);
	}
	for (size_t k = 0; k < NGEN; k++)
		fcr_addr_parse(gen_cases[k].addr, &c.addrs[k]);
	bench_note("fcr_generic_match: %zu names, generic and not", NGEN);
	for (unsigned t = 1; t <= 2; t++) {
		unsigned long per = 600000 / o->scale_div;
		int64_t ns = bench_best(o->runs, t, per, gen_body, NULL, &c);
		bench_row(stdout, "fcr_generic_match", t, per * t, ns, "built-in rules, 6 names mixed");
	}
	fcr_generic_free(c.g);
}

struct fmt_ctx {
	const struct fcr_config *conf;
	struct fcr_check_result r[2];  /* an IPv4 and an IPv6 pass */
	bool authres;
};

static void fmt_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct fmt_ctx *c = arg;
	char buf[1024];
	(void)tid;
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++) {
		const struct fcr_check_result *r = &c->r[i % 2];
		if (c->authres)
			fcr_format_authres(c->conf, r, buf, sizeof(buf));
		else
			fcr_format_result_header(c->conf, r, buf, sizeof(buf));
	}
}

/* The expected header texts follow SPEC.md "Headers" for the synthetic names. */
static void check_format(struct fmt_ctx *c)
{
	char buf[1024], want[256], name[80];
	static const char ar[] = "mx.bench.example; iprev=pass policy.iprev=\"2001:db8:ca:fe::\" (";
	fcr_format_authres(c->conf, &c->r[1], buf, sizeof(buf));
	if (strncmp(buf, ar, strlen(ar)) != 0)
		bench_fail("Authentication-Results: got '%s', expected it to start with '%s'", buf, ar);
	synth_dns_name(&c->r[0].addr, name, sizeof(name));
	name[strlen(name) - 1] = '\0';
	snprintf(want, sizeof(want), "pass ip=10.0.0.0 ptr=%s", name);
	fcr_format_result_header(c->conf, &c->r[0], buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		bench_fail("result header: got '%s', expected '%s'", buf, want);
}

static void bench_format(const struct opts *o)
{
	struct fcr_config *conf = bench_config("0");
	struct synth_dns *dns = synth_dns_new(0);
	struct fcr_check_params p = { 10, 5000, NULL };
	struct fmt_ctx c = { .conf = conf };
	for (uint32_t i = 0; i < 2; i++) {
		fcr_addr a = mixed_addr(i);
		if (fcr_check_run(&dns->base, &p, &a, &c.r[i]) != 0 || c.r[i].result != FCR_PASS)
			bench_fail("format: the synthetic check did not pass");
	}
	check_format(&c);
	bench_note("header formatting");
	for (int k = 0; k < 2; k++) {
		c.authres = k == 0;
		unsigned long per = 600000 / o->scale_div;
		int64_t ns = bench_best(o->runs, 1, per, fmt_body, NULL, &c);
		bench_row(stdout, c.authres ? "fcr_format_authres" : "fcr_format_result_header", 1, per, ns,
		          "pass, IPv4 and IPv6 alternately");
	}
	fcr_check_result_clear(&c.r[0]);
	fcr_check_result_clear(&c.r[1]);
	fcr_transport_free(&dns->base);
	fcr_config_free(conf);
}

/* ---- fcr_check_run alone with 1, 5 and 10 PTR names: the forward lookups go out in one round ---- */

struct multi {
	struct fake_answer table[11];
	char text[11][1024];
	char names[10][32];
	struct fake_dns f;
};

#define MULTI_REV "1.2.0.192.in-addr.arpa."

/* PTR 192.0.2.1 -> n1..nN.multi.example.; only the last name's A is the client address. */
static void multi_init(struct multi *m, unsigned n)
{
	memset(m, 0, sizeof(*m));
	size_t o = 0;
	for (unsigned i = 0; i < n; i++) {
		char *nm = m->names[i], *t = m->text[i + 1];
		snprintf(nm, sizeof(m->names[i]), "n%u.multi.example.", i + 1);
		o += (size_t)snprintf(m->text[0] + o, sizeof(m->text[0]) - o, "%s" MULTI_REV " PTR 3600 %s",
		                      i ? ";" : "", nm);
		if (i + 1 == n)
			snprintf(t, sizeof(m->text[0]), "%s A 3600 192.0.2.1", nm);
		else
			snprintf(t, sizeof(m->text[0]), "%s A 3600 198.51.100.%u", nm, i + 1);
		m->table[i + 1] = (struct fake_answer){ nm, FCR_T_A, FCR_XFER_OK, 0, t, -1, 0 };
	}
	m->table[0] = (struct fake_answer){ MULTI_REV, FCR_T_PTR, FCR_XFER_OK, 0, m->text[0], -1, 0 };
	fake_dns_init(&m->f, m->table, n + 1);
}

struct run_ctx {
	struct multi *m;
	const struct fcr_check_params *p;
	fcr_addr a;
	unsigned n;
};

static void run_body(void *arg, unsigned tid, unsigned nthreads, unsigned long ops)
{
	struct run_ctx *c = arg;
	(void)tid;
	(void)nthreads;
	for (unsigned long i = 0; i < ops; i++) {
		struct fcr_check_result r = { 0 };
		int rc = fcr_check_run(&c->m->f.base, c->p, &c->a, &r);
		if (rc != 0 || r.result != FCR_PASS || r.confirmed != (int)c->n - 1 || r.queries != c->n + 1)
			bench_fail("check_run with %u names: %s, confirmed %d, %u queries; expected pass by "
			           "name %u with %u queries", c->n, fcr_result_name(r.result), r.confirmed,
			           r.queries, c->n - 1, c->n + 1);
		fcr_check_result_clear(&r);
	}
}

static void run_variant(const struct opts *o, const fcr_generic *g, unsigned n)
{
	struct multi *m = malloc(sizeof(*m));
	if (!m)
		exit(71);
	multi_init(m, n);
	struct fcr_check_params p = { 10, 5000, g };
	struct run_ctx c = { m, &p, { 0 }, n };
	fcr_addr_parse("192.0.2.1", &c.a);
	char what[64], notes[160];
	for (int delay = 0; delay <= 1; delay++) {
		m->f.delay_ms = delay;
		m->f.exchanges = m->f.questions = m->f.max_batch = 0;
		unsigned long ops = delay ? 20 / (o->scale_div > 1 ? 4 : 1) : 100000 / o->scale_div;
		int64_t ns = bench_best(delay ? 1 : o->runs, 1, ops, run_body, NULL, &c);
		double runs = (double)ops * (delay ? 1 : o->runs);
		snprintf(what, sizeof(what), "fcr_check_run, %2u PTR names%s", n, delay ? ", 1 ms" : "");
		snprintf(notes, sizeof(notes), "exchanges/check %.2f, questions/check %.1f, largest batch %u%s",
		         m->f.exchanges / runs, m->f.questions / runs, m->f.max_batch,
		         delay ? "" : " (fake's table lookup included)");
		bench_row(stdout, what, 1, ops, ns, notes);
	}
	free(m);
}

static void bench_check_run(const struct opts *o)
{
	char err[256];
	fcr_generic *g = fcr_generic_new(NULL, NULL, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "bench: generic: %s\n", err);
		exit(70);
	}
	bench_note("fcr_check_run over the fake transport, 1/5/10 PTR names");
	run_variant(o, g, 1);
	run_variant(o, g, 5);
	run_variant(o, g, 10);
	fcr_generic_free(g);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_core [-r RUNS] [-q]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	struct opts o = { 3, 1 };
	int ch;
	while ((ch = getopt(argc, argv, "r:q")) != -1) {
		if (ch == 'r' && atoi(optarg) > 0)
			o.runs = (unsigned)atoi(optarg);
		else if (ch == 'q')
			o.scale_div = 10;
		else
			usage();
	}
	if (optind != argc)
		usage();
	printf("core benchmarks (best of %u runs; ns/op = time one call takes in its thread)\n", o.runs);
	bench_header(stdout);
	bench_hits(&o);
	bench_misses(&o);
	bench_cold(&o);
	bench_single_flight(&o);
	bench_generic(&o);
	bench_format(&o);
	bench_check_run(&o);
	unsigned long bad = bench_failures();
	if (bad) {
		fprintf(stderr, "bench_core: %lu wrong results\n", bad);
		return 1;
	}
	return 0;
}
