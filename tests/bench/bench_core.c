/* Core benchmarks over fake transports (no network): the shared cache, single flight, the check and
 * the text it produces; and what this machine charges for a wake-up and a loopback UDP exchange.
 * Prints a table on stdout, and with -J the figures as flat JSON; exits 1 only when some call gave a
 * wrong answer.
 *   usage: bench_core [-r RUNS] [-q] [-J FILE]   (-q: a tenth of the work, for a quick look)
 *          bench_core -m                        (memory per cached address, about a minute) */
#include "bench_core.h"
#include "harness.h"
#include "synth_dns.h"

#include "format.h"
#include "generic.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fcr_addr mixed_addr(uint32_t i)
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

fcr_addr *mixed_set(size_t n)
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

struct fcr_config *bench_config(const char *cache_size)
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

fcr_service *bench_service(const struct fcr_config *c, fcr_transport *t)
{
	char err[512];
	fcr_service *s = fcr_service_new(c, t, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "bench: service: %s\n", err);
		exit(70);
	}
	return s;
}

void check_one(fcr_service *s, const fcr_addr *a, int want_cached)
{
	struct fcr_cache_summary r;
	bool cached = false;
	int rc = fcr_service_verdict(s, a, &r, &cached);
	if (rc != 0 || r.result != FCR_PASS || (want_cached >= 0 && cached != (want_cached == 1))) {
		char buf[FCR_ADDR_STRLEN];
		bench_fail("check of %s: rc %d, %s (%s), cached %d, expected pass%s", fcr_addr_format(a, buf,
		           sizeof(buf)), rc, fcr_result_name(r.result), r.reason, cached,
		           want_cached == 1 ? " from the cache" : want_cached == 0 ? " by a lookup" : "");
	}
}

double ns_per_op(int64_t wall_ns, unsigned threads, unsigned long ops)
{
	return (double)wall_ns * threads / (double)ops;
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

static void usage(void)
{
	fprintf(stderr, "usage: bench_core [-r RUNS] [-q] [-J FILE] | bench_core -m\n");
	exit(64);
}

static void run_all(const struct opts *o)
{
	printf("core benchmarks (best of %u runs; ns/op = time one call takes in its thread)\n", o->runs);
	bench_header(stdout);
	bench_hits(o);
	bench_misses(o);
	bench_cold(o);
	bench_single_flight(o);
	bench_prefetch(o);
	bench_generic(o);
	bench_format(o);
	bench_check_run(o);
	bench_cold_ratio(o);
	bench_machine(o);
}

int main(int argc, char **argv)
{
	struct opts o = { 3, 1 };
	const char *json = NULL;
	bool memory = false;
	int ch;
	while ((ch = getopt(argc, argv, "r:qJ:m")) != -1) {
		if (ch == 'r' && atoi(optarg) > 0)
			o.runs = (unsigned)atoi(optarg);
		else if (ch == 'q')
			o.scale_div = 10;
		else if (ch == 'J')
			json = optarg;
		else if (ch == 'm')
			memory = true;
		else
			usage();
	}
	if (optind != argc)
		usage();
	int rc = 0;
	if (memory)
		rc = bench_memory();
	else
		run_all(&o);
	if (json && bench_json_write(json) != 0) {
		perror(json);
		return 74;
	}
	unsigned long bad = bench_failures();
	if (bad) {
		fprintf(stderr, "bench_core: %lu wrong results\n", bad);
		return 1;
	}
	return rc;
}
