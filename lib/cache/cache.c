/* The cache's operations: lookups with single flight, storing, prefetch duties and refreshes.
 * Each shard has its own mutex and condition variable; fill functions run with no lock held. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Shards: a power of two, at most MAX_SHARDS, each holding at least MIN_PER_SHARD entries, so a
 * small cache is one shard with an exact LRU order (capacity < 2 * MIN_PER_SHARD). The capacity is
 * split exactly (the first capacity % nshards shards get one more), so the total never exceeds it;
 * LRU order is kept per shard, so a full shard may evict while another still has room. */
/* An entry stored at time t (when its fill returned) with lifetime L s is served while
 * now < t + L * 1000 ms: at exactly t + L * 1000 it has expired and the next request refills it.
 * From t + L * 900 ms on, a hit hands out the refresh duty (once).
 * A pending entry is in its shard's table (so others find and wait for it) but not in the LRU
 * list; it takes a chunk of the largest class, and when its fill is done it is replaced in the
 * table by an entry of the size the result needs, while the waiters read their copy from it. */
#define MAX_SHARDS 64
#define MIN_PER_SHARD 8

uint32_t fcr_cache_lifetime(const struct fcr_cache_conf *conf, const struct fcr_check_result *r)
{
	/* A temperror is an error whatever its kind, unless it says nothing about DNS at all (no
	 * socket, a resolver already known to be down): that one is not kept. */
	if (r->result == FCR_TEMPERROR)
		return r->ttl_kind == FCR_TTL_NONE ? 0 : conf->error_ttl;
	switch (r->ttl_kind) {
	case FCR_TTL_POSITIVE:
		return r->ttl < conf->max_ttl ? r->ttl : conf->max_ttl;
	case FCR_TTL_NEGATIVE:
		return r->ttl < conf->neg_max_ttl ? r->ttl : conf->neg_max_ttl;
	case FCR_TTL_ERROR:
		return conf->error_ttl;
	case FCR_TTL_NONE:
	default:
		return 0;
	}
}

/* ---- construction ---- */

static unsigned shard_count(size_t capacity)
{
	unsigned n = 1;
	while (n < MAX_SHARDS && capacity / ((size_t)n * 2) >= MIN_PER_SHARD)
		n *= 2;
	return n;
}

static int shards_new(fcr_cache *c)
{
	size_t cap = c->conf.capacity;
	unsigned n = shard_count(cap);
	c->shards = aligned_alloc(alignof(struct shard), n * sizeof(*c->shards));
	if (!c->shards)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (shard_init(&c->shards[i], cap / n + (i < cap % n))) {
			c->nshards = i;
			return -1;
		}
	}
	c->nshards = n;
	return 0;
}

fcr_cache *fcr_cache_new(const struct fcr_cache_conf *conf)
{
	fcr_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->conf = *conf;
	atomic_init(&c->uncached_misses, 0);
	if (reasons_init(&c->reasons)) {
		free(c);
		return NULL;
	}
	arc4random_buf(c->seed, sizeof(c->seed));
	if (conf->capacity > 0 && shards_new(c)) {
		fcr_cache_free(c);
		return NULL;
	}
	return c;
}

void fcr_cache_free(fcr_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++)
		shard_destroy(&c->shards[i]);
	free(c->shards);
	reasons_destroy(&c->reasons);
	free(c);
}

/* ---- lookups ---- */

/* A fill with nothing to share it with; full or a result of our own takes its detail. */
static int run_fill(fcr_cache_fill_fn fill, void *arg, const fcr_addr *a,
                    struct fcr_cache_summary *out, struct fcr_check_result *full)
{
	struct fcr_check_result own = { 0 }, *r = full ? full : &own;
	int rc = fill(arg, a, r);
	fcr_cache_summarize(r, out);
	fcr_check_result_clear(&own);
	return rc;
}

bool store(struct shard *s, const fcr_addr *a, uint64_t h, const struct fcr_cache_summary *sm,
                  uint16_t reason, int64_t now, uint32_t life)
{
	struct entry *e = slab_get(&s->slab, entry_size(sm, reason));
	if (!e)
		return false;
	e->key = *a;
	e->flags = 0;
	e->waiters = 0;
	e->state = ENTRY_DONE;
	e->expires_ms = now + (int64_t)life * 1000;
	e->life_s = life;
	entry_fill(e, sm, reason);
	table_insert(s, e, h);
	lru_push(s, e);
	shard_evict(s);
	return true;
}

/* Runs fill for the pending entry p (shard unlocked), then publishes the summary: to the waiters
 * through p, and stored for its lifetime in an entry of its own size. A fill that failed locally
 * (-1) is handed to the waiters but not stored: it says nothing about DNS, and the next
 * connection should try again. */
static int fill_pending(fcr_cache *c, struct shard *s, struct entry *p, uint64_t h,
                        fcr_cache_fill_fn fill, void *arg, struct fcr_cache_summary *out,
                        struct fcr_check_result *full)
{
	struct fcr_check_result own = { 0 }, *r = full ? full : &own;
	int rc = fill(arg, &p->key, r);
	uint32_t life = rc == 0 ? fcr_cache_lifetime(&c->conf, r) : 0;
	fcr_cache_summarize(r, out);
	fcr_check_result_clear(&own);
	uint16_t reason = reason_code(&c->reasons, out);
	int64_t now = life ? now_ms(c) : 0;
	shard_lock(s);
	entry_fill(p, out, reason);
	p->state = ENTRY_DONE;
	table_unlink(s, p);
	if (life)
		store(s, &p->key, h, out, reason, now, life);
	if (p->waiters)
		pthread_cond_broadcast(&s->done);
	entry_release(s, p);
	shard_unlock(s);
	return rc;
}

/* Waits for another thread's fill of e and copies its summary. Called and returns with s->lock
 * and a write section open; the section is closed while waiting, as the lock is given up.
 * Counted as shared when the wait starts, so the counter also shows who is waiting right now. */
static void wait_shared(fcr_cache *c, struct shard *s, struct entry *e, struct fcr_cache_summary *out)
{
	s->shared++;
	e->waiters++;
	while (e->state == ENTRY_PENDING) {
		write_end(s);
		pthread_cond_wait(&s->done, &s->lock);
		write_begin(s);
	}
	e->waiters--;
	entry_decode(e, &c->reasons, out);
	entry_release(s, e);
}

/* A stored entry found fresh at now: a copy, the LRU touch and, in the last tenth of its life,
 * the refresh duty for a caller that can take it. Under s->lock, in a write section. Most hits
 * never come here (snap.c); those that move the entry or take a duty do. */
static void serve_hit(fcr_cache *c, struct shard *s, struct entry *e, int64_t now,
                      struct fcr_cache_summary *out, bool *refresh)
{
	s->hits++;
	lru_touch(s, e);
	if (refresh && prefetch_due(e, now)) {
		e->flags |= EF_REFRESHING;
		s->prefetches++;
		*refresh = true;
	}
	entry_decode(e, &c->reasons, out);
}

/* The entry for a if it is pending or fresh (*now then read), or NULL (an expired entry is
 * dropped on the way). Under s->lock. */
static struct entry *find_fresh(fcr_cache *c, struct shard *s, const fcr_addr *a, uint64_t h,
                                int64_t *now)
{
	struct entry *e = table_find(s, a, h);
	if (!e || e->state == ENTRY_PENDING)
		return e;
	*now = now_ms(c);
	if (*now < e->expires_ms)
		return e;
	s->expired++;
	entry_drop(s, e);
	return NULL;
}

/* A pending entry for a in the table, or NULL when out of memory. Under s->lock. */
static struct entry *add_pending(struct shard *s, const fcr_addr *a, uint64_t h)
{
	struct entry *p = slab_get(&s->slab, ENTRY_MAX);
	if (!p)
		return NULL;
	p->key = *a;
	p->flags = 0;
	p->waiters = 0;
	p->state = ENTRY_PENDING;
	table_insert(s, p, h);
	return p;
}

int fcr_cache_get(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg,
                  struct fcr_cache_summary *out, struct fcr_check_result *full, bool *hit,
                  bool *refresh)
{
	bool dummy;
	if (!hit)
		hit = &dummy;
	*hit = false;
	if (refresh)
		*refresh = false;
	if (c->nshards == 0) {
		atomic_fetch_add_explicit(&c->uncached_misses, 1, memory_order_relaxed);
		return run_fill(fill, arg, a, out, full);
	}
	uint64_t h = key_hash(c->seed, a);
	struct shard *s = shard_of(c, h);
	if (snap_get(c, s, a, h, out, refresh != NULL) == SNAP_HIT) {
		*hit = true;
		return 0;
	}
	int64_t now = 0;
	shard_lock(s);
	struct entry *e = find_fresh(c, s, a, h, &now);
	if (e) {
		*hit = true;
		if (e->state == ENTRY_PENDING)
			wait_shared(c, s, e, out);
		else
			serve_hit(c, s, e, now, out, refresh);
		shard_unlock(s);
		return 0;
	}
	s->misses++;
	e = add_pending(s, a, h);
	shard_unlock(s);
	if (!e)  /* no room to coordinate: the check itself still runs, uncached */
		return run_fill(fill, arg, a, out, full);
	return fill_pending(c, s, e, h, fill, arg, out, full);
}

int fcr_cache_peek(fcr_cache *c, const fcr_addr *a, struct fcr_cache_summary *out, bool *refresh)
{
	if (refresh)
		*refresh = false;
	if (c->nshards == 0)
		return 0;
	uint64_t h = key_hash(c->seed, a);
	struct shard *s = shard_of(c, h);
	enum snap got = snap_get(c, s, a, h, out, refresh != NULL);
	if (got != SNAP_LOCKED)
		return got == SNAP_HIT;
	int64_t now = 0;
	shard_lock(s);
	struct entry *e = find_fresh(c, s, a, h, &now);
	int rc = e && e->state == ENTRY_DONE;
	if (rc)
		serve_hit(c, s, e, now, out, refresh);
	shard_unlock(s);
	return rc;
}
