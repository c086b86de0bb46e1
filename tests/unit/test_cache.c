/* Unit tests of the shared caching core: copies, lifetimes, expiry, LRU order, flush, peek. Threads:
 * test_cache_threads.c; compact entries, memory and prefetch: test_cache_compact.c. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <time.h>

#include "cache_fixture.h"

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
	struct fcr_cache_summary s;
	bool hit = true;

	memset(&r, 0, sizeof(r));
	cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &s, &r, &hit, NULL), 0);
	cr_assert(!hit);
	assert_summary_for(&s, &a, FCR_PASS);
	cr_assert_eq(s.elapsed_ms, 7, "the filler's own summary has its check's time");
	cr_assert_eq(s.queries, 2);
	cr_assert_eq(r.elapsed_ms, 7, "the filler gets the whole result of its fill");
	cr_assert_str_eq(r.ptr_canonical, "258.cname.example.");
	cr_assert_eq(r.names[0].naddrs, 1);
	/* Scribble on and free the caller's copies: the stored one must not notice. */
	r.names[0].name[0] = 'X';
	fcr_check_result_clear(&r);
	s.name[0] = 'X';
	snprintf(s.reason, sizeof(s.reason), "changed");

	memset(&r, 0, sizeof(r));
	cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &s, &r, &hit, NULL), 0);
	cr_assert(hit);
	assert_summary_for(&s, &a, FCR_PASS);
	cr_assert_eq(s.elapsed_ms, 0, "a cached copy took no check time");
	cr_assert_eq(s.queries, 0, "nor sent a question");
	cr_assert_null(r.names, "a hit leaves the whole result alone");
	cr_assert_eq(atomic_load(&f.calls), 1);

	cr_assert(get(c, &a, &f));
	cr_assert_eq(atomic_load(&f.calls), 1);
	fcr_cache_free(c);
}

Test(cache, hit_pointer_may_be_null)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(8, NULL);    /* the real clock */
	fcr_addr a = v4(3);
	struct fcr_cache_summary s;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &s, NULL, NULL, NULL), 0);
		assert_summary_for(&s, &a, FCR_PASS);
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
	struct fcr_cache_summary s;
	const fcr_addr *seq[] = { &a4, &a4junk, &a6, &a6, &a4 };
	static const unsigned want_calls[] = { 1, 1, 2, 2, 2 };
	for (size_t i = 0; i < 5; i++) {
		fcr_cache_get(c, seq[i], count_fill, &calls, &s, NULL, NULL, NULL);
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

/* Entries hit again soon after their last move stay where they are in the LRU list (cheaper hits),
 * but one hit at least every quarter of a shard's capacity of insertions is never evicted. */
Test(cache, hot_entry_survives_eviction)
{
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(64, NULL);     /* 4 shards of 16 */
	fcr_addr hot = v4(60000);
	cr_assert(!get(c, &hot, &f));
	for (unsigned i = 0; i < 2000; i++) {
		fcr_addr a = v4(i);
		cr_assert(!get(c, &a, &f));
		if (i % 3 == 2)
			cr_assert(get(c, &hot, &f), "hot entry evicted after %u insertions", i + 1);
	}
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_geq(st.evictions, 2000 - 64);
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

/* ---- peek ---- */

Test(cache, peek_sees_only_fresh_stored_entries)
{
	struct fake_clock clk = { 0 };
	fcr_cache *c = new_cache(100, &clk);
	struct filler f = { .sp = POSITIVE };
	fcr_addr a = v4(7);
	struct fcr_cache_summary s;

	cr_assert_eq(fcr_cache_peek(c, &a, &s, NULL), 0, "nothing stored yet");
	cr_assert_eq(atomic_load(&f.calls), 0, "peek never fills");
	cr_assert_not(get(c, &a, &f));
	cr_assert_eq(fcr_cache_peek(c, &a, &s, NULL), 1);
	assert_summary_for(&s, &a, FCR_PASS);
	advance(&clk, 50 * 1000); /* the 50 s lifetime is over */
	cr_assert_eq(fcr_cache_peek(c, &a, &s, NULL), 0);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.hits, 1);
	cr_assert_eq(st.expired, 1);
	fcr_cache_free(c);

	c = new_cache(0, NULL);
	cr_assert_eq(fcr_cache_peek(c, &a, &s, NULL), 0, "no cache, nothing to see");
	fcr_cache_free(c);
}
