/* What the cache's unit tests share: a fake clock, addresses, and a fill whose results can be told
 * apart by address (every field derived from its last two bytes). */
#ifndef CACHE_FIXTURE_H
#define CACHE_FIXTURE_H

#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cache.h"

struct fake_clock {
	_Atomic int64_t ms;
};

static inline int64_t fake_now(void *arg)
{
	return atomic_load(&((struct fake_clock *)arg)->ms);
}

static inline void advance(struct fake_clock *clk, int64_t ms)
{
	atomic_fetch_add(&clk->ms, ms);
}

static inline fcr_addr v4(unsigned n)
{
	fcr_addr a = { .family = AF_INET };
	a.bytes[0] = 10;
	a.bytes[1] = (uint8_t)(n >> 16);
	a.bytes[2] = (uint8_t)(n >> 8);
	a.bytes[3] = (uint8_t)n;
	return a;
}

struct spec {
	enum fcr_result result;
	enum fcr_ttl_kind kind;
	uint32_t ttl;
	int status;        /* what fill returns */
};

static inline void *xalloc(void *p)
{
	if (!p)
		abort();   /* fills run in worker threads, where a Criterion assertion cannot end the test */
	return p;
}

/* A one-name result with every detail a check has (CNAME, forward address, counters). */
static inline void build_result(const fcr_addr *a, const struct spec *sp, struct fcr_check_result *out)
{
	unsigned n = (unsigned)a->bytes[2] << 8 | a->bytes[3];
	char buf[64];
	out->addr = *a;
	out->result = sp->result;
	out->ttl_kind = sp->kind;
	out->ttl = sp->ttl;
	out->confirmed = sp->result == FCR_PASS ? 0 : -1;
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
	out->names[0].confirms = sp->result == FCR_PASS;
	out->names[0].addrs = xalloc(malloc(sizeof(fcr_addr)));
	out->names[0].addrs[0] = *a;
	out->names[0].naddrs = 1;
	out->names[0].ttl = sp->ttl;
	out->generic = n % 2 == 1;
	out->queries = 2;
	out->elapsed_ms = 7;
}

/* Whether s is the summary of what build_result gives for a, written out by hand rather than
 * rebuilt. Returns a bool (no assertion) so that worker threads can use it too. */
static inline bool summary_is_for(const struct fcr_cache_summary *s, const fcr_addr *a,
                                  enum fcr_result res)
{
	unsigned n = (unsigned)a->bytes[2] << 8 | a->bytes[3];
	char name[64], reason[64];
	snprintf(name, sizeof(name), "host-%u.example.", n);
	snprintf(reason, sizeof(reason), "reason %u", n);
	return s->addr.family == AF_INET && memcmp(s->addr.bytes, a->bytes, 4) == 0 &&
	       s->result == res && s->has_name && strcmp(s->name, name) == 0 && s->name_valid &&
	       s->name_confirms == (res == FCR_PASS) && !s->has_valid_name &&
	       s->generic == (n % 2 == 1) && strcmp(s->reason, reason) == 0;
}

static inline void assert_summary_for(const struct fcr_cache_summary *s, const fcr_addr *a,
                                      enum fcr_result res)
{
	cr_assert(summary_is_for(s, a, res), "summary for 10.%u.%u.%u is wrong (name \"%s\", reason \"%s\")",
	          a->bytes[1], a->bytes[2], a->bytes[3], s->name, s->reason);
}

struct filler {
	struct spec sp;
	_Atomic unsigned calls;
	struct fake_clock *clk;      /* advanced by fill_ms during each fill, when set */
	int64_t fill_ms;
};

static inline int fill_fn(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	struct filler *f = arg;
	atomic_fetch_add(&f->calls, 1);
	if (f->clk)
		advance(f->clk, f->fill_ms);
	build_result(a, &f->sp, out);
	return f->sp.status;
}

static inline fcr_cache *new_cache(size_t capacity, struct fake_clock *clk)
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
static inline bool get(fcr_cache *c, const fcr_addr *a, struct filler *f)
{
	struct fcr_cache_summary s;
	bool hit = false;
	int rc = fcr_cache_get(c, a, fill_fn, f, &s, NULL, &hit, NULL);
	cr_assert_eq(rc, hit ? 0 : f->sp.status);
	assert_summary_for(&s, a, f->sp.result);
	return hit;
}

static const struct spec POSITIVE = { FCR_PASS, FCR_TTL_POSITIVE, 50, 0 };

#endif
