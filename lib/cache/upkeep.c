/* The cache's upkeep: refreshes that prefetch hands out, counters, flushing. */
#include "internal.h"

#include <string.h>

/* Whether a refresh's result takes the entry's place: it must be storable, and a temporary
 * failure does not push out an answer that still has time to run. */
static bool replaces(const struct entry *old, const struct fcr_cache_summary *sm, uint32_t life)
{
	if (life == 0)
		return false;
	return !(sm->result == FCR_TEMPERROR && old && old->sum.result != FCR_TEMPERROR);
}

int fcr_cache_refresh(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg)
{
	if (c->nshards == 0)
		return 0;
	struct fcr_check_result r = { 0 };
	struct fcr_cache_summary sm;
	int rc = fill(arg, a, &r);
	uint32_t life = rc == 0 ? fcr_cache_lifetime(&c->conf, &r) : 0;
	fcr_cache_summarize(&r, &sm);
	fcr_check_result_clear(&r);
	uint16_t reason = reason_code(&c->reasons, &sm);
	uint64_t h = key_hash(c->seed, a);
	struct shard *s = shard_of(c, h);
	int64_t now = now_ms(c);
	shard_lock(s);
	struct entry *old = table_find(s, a, h);
	/* A pending entry: it expired meanwhile and a lookup is on it already. */
	if ((!old || old->state == ENTRY_DONE) && replaces(old, &sm, life)) {
		if (old)
			entry_drop(s, old);
		s->refreshed += store(s, a, h, &sm, reason, now, life);
	}
	shard_unlock(s);
	return rc;
}

void fcr_cache_refresh_abandon(fcr_cache *c, const fcr_addr *a)
{
	if (c->nshards == 0)
		return;
	uint64_t h = key_hash(c->seed, a);
	struct shard *s = shard_of(c, h);
	shard_lock(s);
	struct entry *e = table_find(s, a, h);
	if (e && e->state == ENTRY_DONE)
		e->flags &= (uint8_t)~EF_REFRESHING;
	shard_unlock(s);
}

void fcr_cache_stats(fcr_cache *c, struct fcr_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->misses = atomic_load_explicit(&c->uncached_misses, memory_order_relaxed);
	st->hits = snap_hits(c);
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		st->hits += s->hits;
		st->shared += s->shared;
		st->misses += s->misses;
		st->evictions += s->evictions;
		st->expired += s->expired;
		st->prefetches += s->prefetches;
		st->refreshed += s->refreshed;
		st->entries += s->count;
		st->bytes += shard_bytes(s);
		pthread_mutex_unlock(&s->lock);
	}
}

/* Flushed entries count neither as evictions nor as expired. */
void fcr_cache_flush(fcr_cache *c)
{
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		shard_lock(s);
		while (s->head)
			entry_drop(s, s->head);
		shard_unlock(s);
	}
}
