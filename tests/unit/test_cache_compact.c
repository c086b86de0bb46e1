/* The cache's compact entries: a cached copy reads, for the headers, the reply text and the log
 * line, exactly as the result it came from; memory per entry and flat once full; prefetch. */
#include <criterion/criterion.h>

#include "cache_fixture.h"
#include "config.h"
#include "format.h"
#include "policy.h"
#include "trace.h"

/* ---- what a cached copy says ---- */

struct shape {
	const char *names[3];      /* PTR names, NULL-terminated */
	bool valid[3];
	int confirmed;
	enum fcr_result result;
	bool generic;
	const char *reason;        /* NULL: the check's own "<name> confirms" */
	struct fcr_generic_tag why; /* the rule that decided generic: the log line prints it */
};

static const char LONG_LABELS[] =
	"a123456789012345678901234567890123456789012345678901234567890ab."
	"b123456789012345678901234567890123456789012345678901234567890ab."
	"c123456789012345678901234567890123456789012345678901234567890ab."
	"d12345678901234567890123456789012345678901234567890123456789a.";

static const struct shape shapes[] = {
	{ { "mail.example.com.", NULL }, { true }, 0, FCR_PASS, false, NULL, { FCR_GENERIC_NONE, 0 } },
	{ { "a.example.", "b.example.", NULL }, { true, true }, 1, FCR_PASS, true, NULL,
	  { FCR_GENERIC_PATTERN, 3 } },
	{ { LONG_LABELS, NULL }, { true }, 0, FCR_PASS, false, NULL, { FCR_GENERIC_NONE, 0 } },
	{ { "bad_name\\032x.example.", "ok.example.", NULL }, { false, true }, -1, FCR_FAIL, true,
	  "PTR names do not resolve to the address", { FCR_GENERIC_POOL_WORD, 2 } },
	{ { "x.example.", NULL }, { true }, -1, FCR_FAIL, false, "PTR name does not resolve to the address",
	  { FCR_GENERIC_SERVER_WORD, 1 } },
	{ { NULL }, { false }, -1, FCR_PERMERROR, false, "no PTR record: reverse name does not exist",
	  { FCR_GENERIC_NONE, 0 } },
	{ { "t.example.", NULL }, { true }, -1, FCR_TEMPERROR, false, "forward lookup failed: timeout",
	  { FCR_GENERIC_NONE, 0 } },
	{ { "p.example.", NULL }, { true }, 0, FCR_PASS, false, "a reason of some other shape",
	  { FCR_GENERIC_NONE, 0 } },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static void build_shape(const struct shape *sh, const fcr_addr *a, struct fcr_check_result *r)
{
	memset(r, 0, sizeof(*r));
	r->addr = *a;
	r->result = sh->result;
	r->ttl_kind = FCR_TTL_POSITIVE;
	r->ttl = 60;
	r->confirmed = sh->confirmed;
	r->generic = sh->generic;
	r->generic_why = sh->why;
	r->names = xalloc(calloc(3, sizeof(*r->names)));
	for (size_t i = 0; sh->names[i]; i++) {
		r->names[i].name = xalloc(strdup(sh->names[i]));
		r->names[i].valid = sh->valid[i];
		r->names[i].confirms = (int)i == sh->confirmed;
		r->nnames = i + 1;
	}
	if (sh->reason)
		snprintf(r->reason, sizeof(r->reason), "%s", sh->reason);
	else  /* as the check writes it, cut at the end of the buffer */
		snprintf(r->reason, sizeof(r->reason), "%.*s confirms",
		         (int)strlen(sh->names[sh->confirmed]) - 1, sh->names[sh->confirmed]);
}

/* Everything the milter writes from a result, in one string. */
static void milter_text(const struct fcr_config *conf, const struct fcr_check_result *r, char *out,
                        size_t len)
{
	struct fcr_smtp_reply rep = { "550", "5.7.25", (char *)"client %a name %n" };
	struct fcr_trace_ctx t = { .conf = conf, .cached = true };
	char ar[2048], res[1536], score[32], reply[600], line[2048];
	fcr_format_authres(conf, r, ar, sizeof(ar));
	fcr_format_result_header(conf, r, res, sizeof(res));
	fcr_format_score(fcr_policy_score(conf, r), score, sizeof(score));
	fcr_format_reply_text(&rep, r, reply, sizeof(reply));
	fcr_trace_summary(&t, r, line, sizeof(line));
	snprintf(out, len, "%s|%s|%s|%s|%s|%s", ar, res, score, reply, line,
	         fcr_action_name(fcr_policy_action(conf, r)));
}

static int shape_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	build_shape(arg, a, out);
	return 0;
}

Test(cache_compact, cached_copy_writes_what_the_result_writes)
{
	char err[256];
	const char *ov[] = { "OnFail=reject", "OnGeneric=tempfail", "ScoreGeneric=1.5" };
	struct fcr_config *conf = fcr_config_load("/dev/null", ov, 3, err, sizeof(err));
	cr_assert_not_null(conf, "%s", err);
	fcr_cache *c = new_cache(100, NULL);
	for (size_t i = 0; i < NSHAPES; i++) {
		fcr_addr a = v4((unsigned)i + 1);
		struct fcr_check_result full, view;
		struct fcr_cache_summary s;
		struct fcr_name names[2];
		bool hit;
		build_shape(&shapes[i], &a, &full);
		char want[8192], got[8192];
		milter_text(conf, &full, want, sizeof(want));
		fcr_check_result_clear(&full);
		fcr_cache_get(c, &a, shape_fill, (void *)&shapes[i], &s, NULL, &hit, NULL);
		cr_assert(!hit);
		cr_assert_eq(fcr_cache_get(c, &a, shape_fill, (void *)&shapes[i], &s, NULL, &hit, NULL), 0);
		cr_assert(hit, "shape %zu was stored", i);
		fcr_cache_summary_view(&s, &view, names);
		milter_text(conf, &view, got, sizeof(got));
		cr_assert_str_eq(got, want, "shape %zu", i);
	}
	fcr_cache_free(c);
	fcr_config_free(conf);
}

/* More distinct reasons than the intern table holds: the rest are kept in their entries. */
static int reason_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	(void)arg;
	build_result(a, &(struct spec){ FCR_FAIL, FCR_TTL_POSITIVE, 60, 0 }, out);
	return 0;
}

Test(cache_compact, many_distinct_reasons)
{
	fcr_cache *c = new_cache(1000, NULL);
	struct fcr_cache_summary s;
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 300; i++) {
			fcr_addr a = v4(i);
			bool hit;
			fcr_cache_get(c, &a, reason_fill, NULL, &s, NULL, &hit, NULL);
			cr_assert_eq(hit, round == 1);
			assert_summary_for(&s, &a, FCR_FAIL);
		}
	}
	fcr_cache_free(c);
}

/* ---- memory ---- */

static size_t cache_bytes(fcr_cache *c)
{
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	return st.bytes;
}

static void fill_range(fcr_cache *c, struct filler *f, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		fcr_addr a = v4(i);
		cr_assert(!get(c, &a, f));
	}
}

/* A one-name result costs at most 256 bytes, hash table and slab slack included; once the cache is
 * full (shards fill unevenly: twice the capacity makes sure), eviction reuses memory: no growth
 * after twice as many again, nor after a flush. */
Test(cache_compact, memory_per_entry_and_flat_once_full)
{
	enum { CAP = 100000 };
	struct filler f = { .sp = POSITIVE };
	fcr_cache *c = new_cache(CAP, NULL);
	size_t empty = cache_bytes(c);
	fill_range(c, &f, 0, 2 * CAP);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.entries, CAP);
	size_t full = st.bytes;
	cr_assert_leq((full - empty) / CAP, 256, "%zu bytes per entry", (full - empty) / CAP);
	/* Names of 1 to 5 digits fall in two size classes: the mix may shift a little. */
	fill_range(c, &f, 2 * CAP, 4 * CAP);
	cr_assert_leq(cache_bytes(c), full + full / 100, "evicting entries for new ones: %zu -> %zu",
	              full, cache_bytes(c));
	fcr_cache_flush(c);
	fill_range(c, &f, 4 * CAP, 5 * CAP);
	cr_assert_leq(cache_bytes(c), full + full / 100, "a flushed cache refills in the memory it had");
	fcr_cache_free(c);
}

/* ---- prefetch ---- */

/* A caller that carries out a refresh duty at once (the milter queues it on its job pool). */
struct prefetcher {
	fcr_cache *c;
	struct filler f;
	unsigned cold, refreshes;
};

static void check_and_refresh(struct prefetcher *p, const fcr_addr *a)
{
	struct fcr_cache_summary s;
	bool hit, refresh;
	fcr_cache_get(p->c, a, fill_fn, &p->f, &s, NULL, &hit, &refresh);
	assert_summary_for(&s, a, FCR_PASS);
	p->cold += !hit;
	if (refresh) {
		p->refreshes++;
		fcr_cache_refresh(p->c, a, fill_fn, &p->f);
	}
}

/* One address every 100 ms for three 10 s lifetimes: refreshed at 9, 18 and 27 s (the last tenth
 * of each life), so only the very first check is a cold one. */
Test(cache_prefetch, steady_sender_meets_one_cold_check)
{
	struct fake_clock clk = { 0 };
	struct prefetcher p = { .c = new_cache(8, &clk), .f = { .sp = { FCR_PASS, FCR_TTL_POSITIVE, 10, 0 } } };
	fcr_addr a = v4(42);
	for (int t = 0; t <= 3 * 10000; t += 100) {
		check_and_refresh(&p, &a);
		advance(&clk, 100);
	}
	cr_assert_eq(p.cold, 1);
	cr_assert_eq(p.refreshes, 3);
	cr_assert_eq(atomic_load(&p.f.calls), 4);
	struct fcr_cache_stats st;
	fcr_cache_stats(p.c, &st);
	cr_assert_eq(st.expired, 0);
	cr_assert_eq(st.prefetches, 3);
	cr_assert_eq(st.refreshed, 3);
	fcr_cache_free(p.c);
}

static bool peek_duty(fcr_cache *c, const fcr_addr *a)
{
	struct fcr_cache_summary s;
	bool refresh = true;
	cr_assert_eq(fcr_cache_peek(c, a, &s, &refresh), 1);
	assert_summary_for(&s, a, FCR_PASS);
	return refresh;
}

Test(cache_prefetch, one_duty_per_entry_until_given_back)
{
	struct fake_clock clk = { 0 };
	struct filler f = { .sp = POSITIVE };          /* 50 s: the last tenth starts at 45 s */
	fcr_cache *c = new_cache(8, &clk);
	fcr_addr a = v4(43);
	struct fcr_cache_summary s;
	bool refresh = true;
	cr_assert_not(get(c, &a, &f));
	advance(&clk, 44999);
	cr_assert_not(peek_duty(c, &a), "not before the last tenth");
	advance(&clk, 1);
	cr_assert(get(c, &a, &f), "a caller that cannot refresh is not handed the duty");
	cr_assert(peek_duty(c, &a));
	cr_assert_not(peek_duty(c, &a), "never a second duty while one is out");
	cr_assert_eq(fcr_cache_get(c, &a, fill_fn, &f, &s, NULL, NULL, &refresh), 0);
	cr_assert_not(refresh);
	fcr_cache_refresh_abandon(c, &a);
	cr_assert(peek_duty(c, &a), "a duty given back is handed out again");
	cr_assert_eq(fcr_cache_refresh(c, &a, fill_fn, &f), 0);
	cr_assert_eq(atomic_load(&f.calls), 2);
	advance(&clk, 49999);                          /* 94.999 s: the refreshed entry lives on */
	cr_assert(peek_duty(c, &a), "the refreshed entry's own last tenth");
	advance(&clk, 1);
	cr_assert_eq(fcr_cache_peek(c, &a, &s, NULL), 0);
	struct fcr_cache_stats st;
	fcr_cache_stats(c, &st);
	cr_assert_eq(st.prefetches, 3);
	cr_assert_eq(st.refreshed, 1);
	fcr_cache_free(c);
}

/* A refresh that brings a temporary failure, an uncacheable result or a local failure leaves the
 * entry to serve out its life, without handing out another duty. */
Test(cache_prefetch, failed_refresh_keeps_entry_until_it_expires)
{
	static const struct spec bad[] = {
		{ FCR_TEMPERROR, FCR_TTL_ERROR, 0, 0 },
		{ FCR_PERMERROR, FCR_TTL_NONE, 0, 0 },
		{ FCR_TEMPERROR, FCR_TTL_ERROR, 0, -1 },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct fake_clock clk = { 0 };
		struct filler f = { .sp = POSITIVE }, worse = { .sp = bad[k] };
		fcr_cache *c = new_cache(8, &clk);
		fcr_addr a = v4(44);
		cr_assert_not(get(c, &a, &f));
		advance(&clk, 45000);
		cr_assert(peek_duty(c, &a));
		cr_assert_eq(fcr_cache_refresh(c, &a, fill_fn, &worse), bad[k].status);
		cr_assert_eq(atomic_load(&worse.calls), 1);
		cr_assert_not(peek_duty(c, &a), "case %zu: the pass stays, with no second duty", k);
		advance(&clk, 4999);
		cr_assert(get(c, &a, &f));
		advance(&clk, 1);
		cr_assert_not(get(c, &a, &f), "case %zu: expired when it would have", k);
		fcr_cache_free(c);
	}
}
