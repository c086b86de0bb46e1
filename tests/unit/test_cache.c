/* Unit tests of the shared caching core: copies, lifetimes, expiry, LRU order, flush, and (suite
 * "concurrency") single flight and heavy eviction under many threads. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cache.h"

/* ---- fixtures: a fake clock, addresses, results ---- */

struct fake_clock {
	_Atomic int64_t ms;
};

static int64_t fake_now(void *arg)
{
	return atomic_load(&((struct fake_clock *)arg)->ms);
}

static void advance(struct fake_clock *clk, int64_t ms)
{
	atomic_fetch_add(&clk->ms, ms);
}

static fcr_addr v4(unsigned n)
{
	fcr_addr a = { .family = AF_INET };
	a.bytes[0] = 10;
	a.bytes[1] = (uint8_t)(n >> 16);
	a.bytes[2] = (uint8_t)(n >> 8);
	a.bytes[3] = (uint8_t)n;
	return a;
}

/* What the fake fill computes for an address: everything derived from its last two bytes, so a
 * result can be checked against the address it was asked for. */
struct spec {
	enum fcr_result result;
	enum fcr_ttl_kind kind;
	uint32_t ttl;
	int status;        /* what fill returns */
};

static void *xalloc(void *p)
{
	if (!p)
		abort();   /* fills run in worker threads, where a Criterion assertion cannot end the test */
	return p;
}

static void build_result(const fcr_addr *a, const struct spec *sp, struct fcr_check_result *out)
{
	unsigned n = (unsigned)a->bytes[2] << 8 | a->bytes[3];
	char buf[64];
	out->addr = *a;
	out->result = sp->result;
	out->ttl_kind = sp->kind;
	out->ttl = sp->ttl;
	out->confirmed = 0;
	out->ptr_total = 1;
	snprintf(out->reverse_name, sizeof(out->reverse_name), "%u.%u.%u.10.in-addr.arpa.",
	         a->bytes[3], a->bytes[2], a->bytes[1]);
	snprintf(out->reason, sizeof(out->reason), "reason %u", n);
	snprintf(buf, sizeof(buf), "%u.cname.example.", n);
	out->ptr_canonical = xalloc(strdup(buf));
	out->names = xalloc(calloc(1, sizeof(*out->names)));
	out->nnames = 1;
	snprintf(buf, sizeof(buf), "host-%u.example.", n);
	out->names[0].name = xalloc(strdup(buf));
	out->names[0].valid = true;
	out->names[0].confirms = true;
	out->names[0].addrs = xalloc(malloc(sizeof(fcr_addr)));
	out->names[0].addrs[0] = *a;
	out->names[0].naddrs = 1;
	out->names[0].ttl = sp->ttl;
	out->queries = 2;
	out->elapsed_ms = 7;
}

/* Whether r is what build_result gives for a, written out by hand rather than rebuilt. Returns
 * a bool (no assertion) so that worker threads can use it too. */
static bool result_is_for(const struct fcr_check_result *r, const fcr_addr *a, enum fcr_result res)
{
	unsigned n = (unsigned)a->bytes[2] << 8 | a->bytes[3];
	char name[64], cname[64], reason[64];
	snprintf(name, sizeof(name), "host-%u.example.", n);
	snprintf(cname, sizeof(cname), "%u.cname.example.", n);
	snprintf(reason, sizeof(reason), "reason %u", n);
	return r->addr.family == AF_INET && memcmp(r->addr.bytes, a->bytes, 4) == 0 &&
	       r->result == res && r->nnames == 1 && r->names && r->names[0].name &&
	       strcmp(r->names[0].name, name) == 0 && r->ptr_canonical &&
	       strcmp(r->ptr_canonical, cname) == 0 && r->names[0].naddrs == 1 &&
	       memcmp(r->names[0].addrs[0].bytes, a->bytes, 4) == 0 && strcmp(r->reason, reason) == 0;
}

static void assert_result_for(const struct fcr_check_result *r, const fcr_addr *a, enum fcr_result res)
{
	cr_assert(result_is_for(r, a, res), "result for 10.%u.%u.%u is wrong (reason \"%s\")",
	          a->bytes[1], a->bytes[2], a->bytes[3], r->reason);
}

struct filler {
	struct spec sp;
	_Atomic unsigned calls;
	struct fake_clock *clk;      /* advanced by fill_ms during each fill, when set */
	int64_t fill_ms;
};

static int fill_fn(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	struct filler *f = arg;
	atomic_fetch_add(&f->calls, 1);
	if (f->clk)
		advance(f->clk, f->fill_ms);
	build_result(a, &f->sp, out);
	return f->sp.status;
}

static fcr_cache *new_cache(size_t capacity, struct fake_clock *clk)
{
	struct fcr_cache_conf conf = {
		.capacity = capacity, .max_ttl = 100, .neg_max_ttl = 60, .error_ttl = 30,
		.now_ms = clk ? fake_now : NULL, .now_arg = clk,
	};
	fcr_cache *c = fcr_cache_new(&conf);
	cr_assert_not_null(c);
	return c;
}

/* One get; returns whether it was a hit, checking the copy belongs to a. */
static bool get(fcr_cache *c, const fcr_addr *a, struct filler *f)
{
	struct fcr_check_result r;
	bool hit = false;
	memset(&r, 0, sizeof(r));
	int rc = fcr_cache_get(c, a, fill_fn, f, &r, &hit);
	cr_assert_eq(rc, hit ? 0 : f->sp.status);
	assert_result_for(&r, a, f->sp.result);
	fcr_check_result_clear(&r);
	return hit;
}

static const struct spec POSITIVE = { FCR_PASS, FCR_TTL_POSITIVE, 50, 0 };

/* ---- lifetimes ---- */

Test(cache, lifetime_clamps)
{
	struct fcr_cache_conf conf = { .capacity = 10, .max_ttl = 100, .neg_max_ttl = 60, .error_ttl = 30 };
	static const struct {
		enum fcr_result result;
		enum fcr_ttl_kind kind;
		uint32_t ttl, want;
	} cases[] = {
		{ FCR_PASS, FCR_TTL_POSITIVE, 50, 50 },
		{ FCR_PASS, FCR_TTL_POSITIVE, 100, 100 },
		{ FCR_PASS, FCR_TTL_POSITIVE, 86400, 100 },
		{ FCR_FAIL, FCR_TTL_POSITIVE, 0, 0 },
		{ FCR_FAIL, FCR_TTL_NEGATIVE, 59, 59 },
		{ FCR_PERMERROR, FCR_TTL_NEGATIVE, 3600, 60 },
		{ FCR_TEMPERROR, FCR_TTL_ERROR, 0, 30 },
		{ FCR_TEMPERROR, FCR_TTL_ERROR, 5000, 30 },
		{ FCR_TEMPERROR, FCR_TTL_POSITIVE, 90, 30 },  /* a temperror is an error, whatever its kind */
		{ FCR_TEMPERROR, FCR_TTL_NONE, 90, 0 },      /* ... unless it says nothing about DNS */
		{ FCR_PERMERROR, FCR_TTL_NONE, 500, 0 },
		{ FCR_FAIL, FCR_TTL_NONE, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fcr_check_result r = { .result = cases[i].result, .ttl_kind = cases[i].kind,
		                              .ttl = cases[i].ttl };
		cr_expect_eq(fcr_cache_lifetime(&conf, &r), cases[i].want, "case %zu", i);
	}
}

/* Stores one result at t=0 and checks it is served until just before lifetime_s and refilled at
 * exactly lifetime_s (an entry is valid while now < stored + lifetime). */
static void check_lifetime(struct spec sp, int64_t lifetime_s)
{
	struct fake_clock clk = { 0 };
	struct filler f = { .sp = sp };
	fcr_cache *c = new_cache(8, &clk);
	fcr_addr a = v4(1);
	cr_assert(!get(c, &a, &f));
	advance(&clk, lifetime_s * 1000 - 1);
	cr_assert(get(c, &a, &f), "still valid 1 ms before the end of its lifetime");
	advance(&clk, 1);
	cr_assert(!get(c, &a, &f), "expired exactly at the end of its lifetime");
	cr_assert_eq(atomic_load(&f.calls), 2);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.expired, 1);
	cr_assert_eq(st.hits, 1);
	cr_assert_eq(st.misses, 2);
	cr_assert_eq(st.entries, 1);
	fcr_cache_free(c);
}

Test(cache, ttl_positive_below_clamp)
{
	check_lifetime((struct spec){ FCR_PASS, FCR_TTL_POSITIVE, 50, 0 }, 50);
}

Test(cache, ttl_positive_clamped_to_max_ttl)
{
	check_lifetime((struct spec){ FCR_PASS, FCR_TTL_POSITIVE, 86400, 0 }, 100);
}

Test(cache, ttl_negative_clamped_to_neg_max_ttl)
{
	check_lifetime((struct spec){ FCR_PERMERROR, FCR_TTL_NEGATIVE, 3600, 0 }, 60);
}

Test(cache, ttl_negative_below_clamp)
{
	check_lifetime((struct spec){ FCR_FAIL, FCR_TTL_NEGATIVE, 20, 0 }, 20);
}

Test(cache, ttl_error_is_error_ttl)
{
	check_lifetime((struct spec){ FCR_TEMPERROR, FCR_TTL_ERROR, 86400, 0 }, 30);
}

Test(cache, ttl_none_not_stored)
{
	struct fake_clock clk = { 0 };
	struct filler f = { .sp = { FCR_PERMERROR, FCR_TTL_NONE, 300, 0 } };
	fcr_cache *c = new_cache(8, &clk);
	fcr_addr a = v4(1);
	cr_assert(!get(c, &a, &f));
	cr_assert(!get(c, &a, &f));
	cr_assert_eq(atomic_load(&f.calls), 2);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.entries, 0);
	cr_assert_eq(st.misses, 2);
	fcr_cache_free(c);
}

Test(cache, ttl_zero_not_stored)
{
	struct fake_clock clk = { 0 };
	struct filler f = { .sp = { FCR_PASS, FCR_TTL_POSITIVE, 0, 0 } };
	fcr_cache *c = new_cache(8, &clk);
	fcr_addr a = v4(1);
	cr_assert(!get(c, &a, &f));
	cr_assert(!get(c, &a, &f));
	cr_assert_eq(atomic_load(&f.calls), 2);
	fcr_cache_free(c);
}

Test(cache, lifetime_counts_from_end_of_fill)
{
	struct fake_clock clk = { 0 };
	struct filler f = { .sp = POSITIVE, .clk = &clk, .fill_ms = 5000 };
	fcr_cache *c = new_cache(8, &clk);
	fcr_addr a = v4(1);
	cr_assert(!get(c, &a, &f));            /* stored at t = 5 s, for 50 s */
	advance(&clk, 50 * 1000 - 1);
	cr_assert(get(c, &a, &f));
	advance(&clk, 1);
	cr_assert(!get(c, &a, &f));
	fcr_cache_free(c);
}

/* ---- copies, keys, status ---- */

Test(cache, hit_after_miss_gives_independent_copy)
{
	struct fake_clock clk = { 0 };
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(8, &clk);
	fcr_addr a = v4(258);
	struct fcr_check_result r;
	bool hit = true;

	memset(&r, 0, sizeof(r));
	cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &r, &hit), 0);
	cr_assert(!hit);
	cr_assert_eq(r.elapsed_ms, 7, "the filler's own result is untouched");
	/* Scribble on and free the caller's copy: the stored one must not notice. */
	r.names[0].name[0] = 'X';
	r.ptr_canonical[0] = 'X';
	r.names[0].addrs[0].bytes[3] = 99;
	snprintf(r.reason, sizeof(r.reason), "changed");
	fcr_check_result_clear(&r);

	memset(&r, 0, sizeof(r));
	cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &r, &hit), 0);
	cr_assert(hit);
	assert_result_for(&r, &a, FCR_PASS);
	cr_assert_eq(r.elapsed_ms, 0, "a cached copy took no check time");
	cr_assert_eq(r.queries, 2);
	cr_assert_eq(atomic_load(&f.calls), 1);
	r.names[0].name[0] = 'Y';
	fcr_check_result_clear(&r);

	cr_assert(get(c, &a, &f));
	cr_assert_eq(atomic_load(&f.calls), 1);
	fcr_cache_free(c);
}

Test(cache, hit_pointer_may_be_null)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(8, NULL);    /* the real clock */
	fcr_addr a = v4(3);
	struct fcr_check_result r;
	for (int i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &r, NULL), 0);
		assert_result_for(&r, &a, FCR_PASS);
		fcr_check_result_clear(&r);
	}
	cr_assert_eq(atomic_load(&f.calls), 1);
	fcr_cache_free(c);
}

static int count_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	(void)a;
	atomic_fetch_add((_Atomic unsigned *)arg, 1);
	out->result = FCR_PASS;
	out->ttl_kind = FCR_TTL_POSITIVE;
	out->ttl = 60;
	return 0;
}

Test(cache, key_is_family_and_significant_bytes)
{
	fcr_cache *c = new_cache(8, NULL);
	_Atomic unsigned calls = 0;
	fcr_addr a4 = v4(5), a4junk = v4(5), a6 = { .family = AF_INET6 };
	memset(a4junk.bytes + 4, 0xAB, 12);             /* bytes past an IPv4 address do not count */
	memcpy(a6.bytes, a4.bytes, 4);                  /* same leading bytes, other family */
	struct fcr_check_result r;
	const fcr_addr *seq[] = { &a4, &a4junk, &a6, &a6, &a4 };
	static const unsigned want_calls[] = { 1, 1, 2, 2, 2 };
	for (size_t i = 0; i < 5; i++) {
		memset(&r, 0, sizeof(r));
		fcr_cache_get(c, seq[i], count_fill, &calls, &r, NULL);
		fcr_check_result_clear(&r);
		cr_assert_eq(atomic_load(&calls), want_calls[i], "step %zu", i);
	}
	fcr_cache_free(c);
}

Test(cache, failed_fill_returned_not_stored)
{
	struct filler f = { .sp = { FCR_TEMPERROR, FCR_TTL_ERROR, 0, -1 } };
	fcr_cache *c = new_cache(8, NULL);
	fcr_addr a = v4(9);
	cr_assert(!get(c, &a, &f));   /* get() checks the status -1 comes back */
	cr_assert(!get(c, &a, &f));
	cr_assert_eq(atomic_load(&f.calls), 2);
	fcr_cache_free(c);
}

/* ---- capacity, LRU, flush ---- */

Test(cache, capacity_zero_always_fills)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(0, NULL);
	fcr_addr a = v4(1);
	for (int i = 0; i < 5; i++)
		cr_assert(!get(c, &a, &f));
	cr_assert_eq(atomic_load(&f.calls), 5);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.misses, 5);
	cr_assert_eq(st.hits + st.shared + st.entries + st.evictions, 0);
	fcr_cache_flush(c);
	fcr_cache_free(c);
}

/* Capacity 4 is below the sharding threshold (16), so one shard and an exact global LRU. */
Test(cache, lru_evicts_least_recently_used)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(4, NULL);
	fcr_addr A = v4(1), B = v4(2), C = v4(3), D = v4(4), E = v4(5);
	struct fcr_cache_stats st;

	cr_assert(!get(c, &A, &f));
	cr_assert(!get(c, &B, &f));
	cr_assert(!get(c, &C, &f));
	cr_assert(!get(c, &D, &f));
	cr_assert(get(c, &A, &f));           /* order now, oldest first: B C D A */
	cr_assert(!get(c, &E, &f));          /* evicts B */
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.evictions, 1);
	cr_assert_eq(st.entries, 4);
	cr_assert(get(c, &A, &f));
	cr_assert(get(c, &C, &f));
	cr_assert(get(c, &D, &f));
	cr_assert(get(c, &E, &f));           /* oldest first: A C D E */
	cr_assert(!get(c, &B, &f));          /* B was the one evicted; now evicts A */
	cr_assert(!get(c, &A, &f));          /* evicts C */
	cr_assert(get(c, &D, &f));
	cr_assert(!get(c, &C, &f));          /* evicts E (D was just used) */
	cr_assert(get(c, &D, &f));
	cr_assert(get(c, &B, &f));
	cr_assert(get(c, &A, &f));
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.evictions, 4);
	cr_assert_eq(st.entries, 4);
	cr_assert_eq(atomic_load(&f.calls), 8);
	fcr_cache_free(c);
}

Test(cache, small_capacity_is_exact)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(15, NULL);
	struct fcr_cache_stats st;
	for (unsigned i = 0; i < 15; i++) {
		fcr_addr a = v4(i);
		cr_assert(!get(c, &a, &f));
	}
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.entries, 15);
	cr_assert_eq(st.evictions, 0);
	fcr_addr a = v4(15);
	cr_assert(!get(c, &a, &f));
	a = v4(0);                           /* the oldest went */
	cr_assert(!get(c, &a, &f));
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.entries, 15);
	cr_assert_eq(st.evictions, 2);
	fcr_cache_free(c);
}

/* Sharded: each shard evicts on its own, but the total never exceeds the capacity. */
Test(cache, large_capacity_bounded)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(1000, NULL);
	struct fcr_cache_stats st;
	for (unsigned i = 0; i < 3000; i++) {
		fcr_addr a = v4(i);
		cr_assert(!get(c, &a, &f));
		if (i % 100 == 99) {
			fcr_cache_stats(c, &st);
			cr_assert_leq(st.entries, 1000);
			cr_assert_eq(st.entries + st.evictions, i + 1);
		}
	}
	fcr_cache_stats(c, &st);
	cr_assert_geq(st.evictions, 2000);
	fcr_addr last = v4(2999);
	cr_assert(get(c, &last, &f), "the entry just stored is never the one evicted");
	fcr_cache_free(c);
}

Test(cache, flush_drops_entries)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(100, NULL);
	struct fcr_cache_stats st;
	for (unsigned i = 0; i < 30; i++) {
		fcr_addr a = v4(i);
		cr_assert(!get(c, &a, &f));
	}
	fcr_cache_flush(c);
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.entries, 0);
	cr_assert_eq(st.evictions, 0);
	for (unsigned i = 0; i < 30; i++) {
		fcr_addr a = v4(i);
		cr_assert(!get(c, &a, &f));
		cr_assert(get(c, &a, &f));
	}
	cr_assert_eq(atomic_load(&f.calls), 60);
	fcr_cache_free(c);
}

Test(cache, free_null_is_noop)
{
	fcr_cache_free(NULL);
}

/* ---- concurrency ---- */

/* A fill that holds on until `want` other threads are waiting for it (the cache counts a shared
 * lookup when the wait starts), then builds its result. */
struct gate {
	fcr_cache *c;
	uint64_t want;
	struct filler f;
	pthread_barrier_t start;
	_Atomic int released;        /* set by the test to let a blocking fill finish */
	bool block;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int gate_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	struct gate *g = arg;
	struct fcr_cache_stats st;
	for (int i = 0; i < 20000; i++) {   /* 20 s at most, then the test fails on the counts */
		fcr_cache_stats(g->c, &st);
		if (st.shared >= g->want && (!g->block || atomic_load(&g->released)))
			break;
		sleep_ms(1);
	}
	return fill_fn(&g->f, a, out);
}

struct worker {
	struct gate *g;
	fcr_addr addr;
	struct fcr_check_result r;
	bool hit;
	int rc;
};

static void *gate_worker(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(&w->g->start);
	w->rc = fcr_cache_get(w->g->c, &w->addr, gate_fill, w->g, &w->r, &w->hit);
	return NULL;
}

/* Runs n threads asking for one address; fill waits until the n-1 others wait for it. */
static void run_gate(struct gate *g, struct worker *w, size_t n)
{
	pthread_t t[16];
	g->want = n - 1;
	pthread_barrier_init(&g->start, NULL, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		w[i] = (struct worker){ .g = g, .addr = v4(77) };
		cr_assert_eq(pthread_create(&t[i], NULL, gate_worker, &w[i]), 0);
	}
	for (size_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&g->start);
}

/* All n workers got the same result; exactly one ran fill (status fill_rc), the others shared. */
static void assert_single_flight(struct gate *g, struct worker *w, size_t n, int fill_rc)
{
	size_t fills = 0;
	for (size_t i = 0; i < n; i++) {
		assert_result_for(&w[i].r, &w[i].addr, g->f.sp.result);
		if (!w[i].hit) {
			fills++;
			cr_assert_eq(w[i].rc, fill_rc);
		} else {
			cr_assert_eq(w[i].rc, 0);
		}
		fcr_check_result_clear(&w[i].r);
	}
	cr_assert_eq(fills, 1);
	cr_assert_eq(atomic_load(&g->f.calls), 1);
	struct fcr_cache_stats st;
	fcr_cache_stats(g->c, &st);
	cr_assert_eq(st.shared, n - 1);
	cr_assert_eq(st.misses, 1);
	cr_assert_eq(st.hits, 0);
}

Test(concurrency, cache_single_flight)
{
	struct gate g = { .f = { .sp = POSITIVE } };
	struct worker w[16];
	g.c = new_cache(64, NULL);
	run_gate(&g, w, 16);
	assert_single_flight(&g, w, 16, 0);
	struct fcr_cache_stats st;
	fcr_cache_stats(g.c, &st);
	cr_assert_eq(st.entries, 1);
	fcr_cache_free(g.c);
}

/* Waiters share even a result that is not stored, and one whose fill failed. */
Test(concurrency, cache_single_flight_uncacheable)
{
	static const struct spec specs[] = {
		{ FCR_PERMERROR, FCR_TTL_NONE, 0, 0 },
		{ FCR_TEMPERROR, FCR_TTL_ERROR, 0, -1 },
	};
	for (size_t k = 0; k < 2; k++) {
		struct gate g = { .f = { .sp = specs[k] } };
		struct worker w[8];
		g.c = new_cache(64, NULL);
		run_gate(&g, w, 8);
		assert_single_flight(&g, w, 8, specs[k].status);
		struct fcr_cache_stats st;
		fcr_cache_stats(g.c, &st);
		cr_assert_eq(st.entries, 0);
		fcr_cache_free(g.c);
	}
}

static void *flush_filler(void *arg)
{
	struct worker *w = arg;
	w->rc = fcr_cache_get(w->g->c, &w->addr, gate_fill, w->g, &w->r, &w->hit);
	return NULL;
}

Test(concurrency, cache_flush_leaves_pending_alone)
{
	struct gate g = { .f = { .sp = POSITIVE }, .want = 0, .block = true };
	g.c = new_cache(8, NULL);
	struct filler other = { .sp = POSITIVE };
	fcr_addr b = v4(5);
	cr_assert(!get(g.c, &b, &other));
	struct worker w = { .g = &g, .addr = v4(77) };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, flush_filler, &w), 0);
	struct fcr_cache_stats st;
	for (int i = 0; i < 20000; i++) {    /* until the worker's entry is pending */
		fcr_cache_stats(g.c, &st);
		if (st.misses == 2)
			break;
		sleep_ms(1);
	}
	cr_assert_eq(st.misses, 2);
	fcr_cache_flush(g.c);
	atomic_store(&g.released, 1);
	pthread_join(t, NULL);
	cr_assert(!w.hit);
	assert_result_for(&w.r, &w.addr, FCR_PASS);
	fcr_check_result_clear(&w.r);
	fcr_cache_stats(g.c, &st);
	cr_assert_eq(st.entries, 1, "the in-flight lookup was stored after the flush");
	cr_assert(get(g.c, &w.addr, &other), "and is served from the cache");
	cr_assert(!get(g.c, &b, &other), "the stored entry was flushed");
	fcr_cache_free(g.c);
}

/* Many threads, many addresses, a tiny cache: constant eviction and expiry. */
struct storm {
	fcr_cache *c;
	struct fake_clock clk;
	_Atomic unsigned fills;
	_Atomic uint64_t calls;
	_Atomic unsigned bad;           /* wrong status or result seen by a worker */
	_Atomic unsigned next_seed;
	int64_t step_ms;                /* clock advance per call */
	unsigned naddrs, per_thread;
};

static int storm_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	struct storm *s = arg;
	atomic_fetch_add(&s->fills, 1);
	/* Mix of stored, unstored and error results, decided by the address alone. */
	static const struct spec specs[] = {
		{ FCR_PASS, FCR_TTL_POSITIVE, 2, 0 },
		{ FCR_FAIL, FCR_TTL_NEGATIVE, 1, 0 },
		{ FCR_PERMERROR, FCR_TTL_NONE, 0, 0 },
		{ FCR_TEMPERROR, FCR_TTL_ERROR, 0, 0 },
	};
	build_result(a, &specs[a->bytes[3] % 4], out);
	return 0;
}

static void *storm_worker(void *arg)
{
	struct storm *s = arg;
	static const enum fcr_result want[] = { FCR_PASS, FCR_FAIL, FCR_PERMERROR, FCR_TEMPERROR };
	unsigned seed = atomic_fetch_add(&s->next_seed, 1) + 1;   /* reproducible per thread */
	for (unsigned i = 0; i < s->per_thread; i++) {
		fcr_addr a = v4((unsigned)rand_r(&seed) % s->naddrs);
		struct fcr_check_result r;
		memset(&r, 0, sizeof(r));
		int rc = fcr_cache_get(s->c, &a, storm_fill, s, &r, NULL);
		atomic_fetch_add(&s->calls, 1);
		if (rc != 0 || !result_is_for(&r, &a, want[a.bytes[3] % 4]))
			atomic_fetch_add(&s->bad, 1);
		fcr_check_result_clear(&r);
		advance(&s->clk, s->step_ms);
		if (i % 5000 == 4999)
			fcr_cache_flush(s->c);
	}
	return NULL;
}

static void run_storm(size_t capacity, unsigned naddrs, bool expect_expiry)
{
	enum { NTHREADS = 8 };
	struct storm s = { .naddrs = naddrs, .per_thread = 20000, .step_ms = 5 };
	struct fcr_cache_conf conf = {
		.capacity = capacity, .max_ttl = 100, .neg_max_ttl = 60, .error_ttl = 1,
		.now_ms = fake_now, .now_arg = &s.clk,
	};
	s.c = fcr_cache_new(&conf);
	cr_assert_not_null(s.c);
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, storm_worker, &s), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	struct fcr_cache_stats st;
	fcr_cache_stats(s.c, &st);
	cr_assert_eq(atomic_load(&s.bad), 0);
	cr_assert_eq(atomic_load(&s.calls), (uint64_t)NTHREADS * s.per_thread);
	cr_assert_eq(st.hits + st.shared + st.misses, atomic_load(&s.calls));
	cr_assert_eq(st.misses, atomic_load(&s.fills));
	cr_assert_leq(st.entries, capacity);
	cr_assert_gt(st.hits, 0);
	if (capacity < naddrs)
		cr_assert_gt(st.evictions, 0);
	if (expect_expiry)
		cr_assert_gt(st.expired, 0);
	fcr_cache_free(s.c);
}

Test(concurrency, cache_heavy_eviction_small)
{
	run_storm(16, 200, false);
}

Test(concurrency, cache_heavy_eviction_sharded)
{
	run_storm(600, 3000, true);
}

/* ---- peek ---- */

Test(cache, peek_sees_only_fresh_stored_entries)
{
	struct fake_clock clk = { 0 };
	fcr_cache *c = new_cache(100, &clk);
	struct filler f = { .sp = POSITIVE };
	fcr_addr a = v4(7);
	struct fcr_check_result r;

	memset(&r, 0, sizeof(r));
	cr_assert_eq(fcr_cache_peek(c, &a, &r), 0, "nothing stored yet");
	cr_assert_eq(atomic_load(&f.calls), 0, "peek never fills");
	cr_assert_not(get(c, &a, &f));
	cr_assert_eq(fcr_cache_peek(c, &a, &r), 1);
	assert_result_for(&r, &a, FCR_PASS);
	fcr_check_result_clear(&r);
	advance(&clk, 50 * 1000); /* the 50 s lifetime is over */
	cr_assert_eq(fcr_cache_peek(c, &a, &r), 0);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.hits, 1);
	cr_assert_eq(st.expired, 1);
	fcr_cache_free(c);

	c = new_cache(0, NULL);
	cr_assert_eq(fcr_cache_peek(c, &a, &r), 0, "no cache, nothing to see");
	fcr_cache_free(c);
}
