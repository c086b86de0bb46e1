/* The cache under many threads (suite "concurrency", also run under TSan): single flight, flush
 * during a fill, heavy eviction and expiry, prefetch duties. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <time.h>

#include "cache_fixture.h"

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
	struct fcr_cache_summary r;
	bool hit;
	int rc;
};

static void *gate_worker(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(&w->g->start);
	w->rc = fcr_cache_get(w->g->c, &w->addr, gate_fill, w->g, &w->r, NULL, &w->hit, NULL);
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
		assert_summary_for(&w[i].r, &w[i].addr, g->f.sp.result);
		if (!w[i].hit) {
			fills++;
			cr_assert_eq(w[i].rc, fill_rc);
		} else {
			cr_assert_eq(w[i].rc, 0);
		}
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
	w->rc = fcr_cache_get(w->g->c, &w->addr, gate_fill, w->g, &w->r, NULL, &w->hit, NULL);
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
	assert_summary_for(&w.r, &w.addr, FCR_PASS);
	fcr_cache_stats(g.c, &st);
	cr_assert_eq(st.entries, 1, "the in-flight lookup was stored after the flush");
	cr_assert(get(g.c, &w.addr, &other), "and is served from the cache");
	cr_assert(!get(g.c, &b, &other), "the stored entry was flushed");
	fcr_cache_free(g.c);
}

/* Many threads, many addresses, a tiny cache: constant eviction and expiry, so hits without the
 * lock (lib/cache/snap.c) keep meeting entries rewritten, chunks reused and tables outgrown, and
 * must still never hand out a copy that mixes two entries. */
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
		struct fcr_cache_summary r;
		/* Every other call a peek first (the milter's connect): a hit without the lock that
		 * may also find nothing. */
		int rc = i % 2 && fcr_cache_peek(s->c, &a, &r, NULL) == 1 ? 0 :
		         fcr_cache_get(s->c, &a, storm_fill, s, &r, NULL, NULL, NULL);
		atomic_fetch_add(&s->calls, 1);
		if (rc != 0 || !summary_is_for(&r, &a, want[a.bytes[3] % 4]))
			atomic_fetch_add(&s->bad, 1);
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


/* Threads hitting one address in the last tenth of its life: one of them gets the refresh duty
 * and carries it out while the others go on hitting the entry. */
struct pf {
	fcr_cache *c;
	struct filler f;
	fcr_addr a;
	_Atomic unsigned duties, bad;
	pthread_barrier_t start;
};

static void *pf_worker(void *arg)
{
	struct pf *p = arg;
	pthread_barrier_wait(&p->start);
	for (int i = 0; i < 2000; i++) {
		struct fcr_cache_summary s;
		bool hit = false, refresh = false;
		fcr_cache_get(p->c, &p->a, fill_fn, &p->f, &s, NULL, &hit, &refresh);
		if (!hit || !summary_is_for(&s, &p->a, FCR_PASS))
			atomic_fetch_add(&p->bad, 1);
		if (refresh) {
			atomic_fetch_add(&p->duties, 1);
			fcr_cache_refresh(p->c, &p->a, fill_fn, &p->f);
		}
	}
	return NULL;
}

Test(concurrency, cache_prefetch_single_flight)
{
	enum { NT = 8 };
	struct fake_clock clk = { 0 };
	struct pf p = { .f = { .sp = POSITIVE }, .a = v4(88) };
	p.c = new_cache(64, &clk);
	cr_assert_not(get(p.c, &p.a, &p.f));
	advance(&clk, 45000);  /* the last tenth of its 50 s */
	pthread_barrier_init(&p.start, NULL, NT);
	pthread_t t[NT];
	for (int i = 0; i < NT; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, pf_worker, &p), 0);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&p.start);
	cr_assert_eq(atomic_load(&p.bad), 0);
	cr_assert_eq(atomic_load(&p.duties), 1);
	cr_assert_eq(atomic_load(&p.f.calls), 2, "the cold fill and one refresh");
	struct fcr_cache_stats st;
	fcr_cache_stats(p.c, &st);
	cr_assert_eq(st.refreshed, 1);
	cr_assert_eq(st.hits, (uint64_t)NT * 2000);
	fcr_cache_free(p.c);
}
