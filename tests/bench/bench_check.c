/* Core benchmarks of the check: cold checks whose waits overlap, the check alone with 1, 5 and 10 PTR
 * names, and how close one cold check comes to its two round trips. */
#include "bench_core.h"
#include "harness.h"
#include "synth_dns.h"

#include "fake_dns.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void bench_cold(const struct opts *o)
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

void bench_check_run(const struct opts *o)
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


/* ---- one cold check with 10 PTR names against its two round trips ---- */

#define RTT_MS 10
#define RTT_RUNS 5

/* Through the service (a cache miss), every question answered after RTT_MS: the PTR lookup, then
 * the 10 forward lookups at once. Best of RTT_RUNS, the cache emptied before each. */
void bench_cold_ratio(const struct opts *o)
{
	(void)o;
	struct multi *m = malloc(sizeof(*m));
	if (!m)
		exit(71);
	multi_init(m, 10);
	m->f.delay_ms = RTT_MS;
	struct fcr_config *conf = bench_config("1000");
	fcr_service *svc = bench_service(conf, fake_dns_dup(&m->f));
	fcr_addr a;
	fcr_addr_parse("192.0.2.1", &a);
	int64_t best = INT64_MAX;
	for (int i = 0; i < RTT_RUNS; i++) {
		fcr_cache_flush(fcr_service_cache(svc));
		int64_t t0 = bench_now_ns();
		check_one(svc, &a, 0);
		int64_t ns = bench_now_ns() - t0;
		best = ns < best ? ns : best;
	}
	double ratio = (double)best / (2.0 * RTT_MS * 1e6);
	char notes[96];
	snprintf(notes, sizeof(notes), "%.3f x two %d ms round trips", ratio, RTT_MS);
	bench_row(stdout, "cold check, 10 PTR names, 10 ms", 1, 1, best, notes);
	bench_key("cold_vs_2rtt_ratio", ratio);
	fcr_service_free(svc);
	fcr_config_free(conf);
	free(m);
}
