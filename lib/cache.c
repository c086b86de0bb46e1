/* The shared caching core: sharded hash tables with per-shard LRU lists and single-flight fills.
 * Each shard has its own mutex and condition variable; the fill function runs with no lock held. */
#include "cache.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"

/* Shards: a power of two, at most MAX_SHARDS, each holding at least MIN_PER_SHARD entries, so a
 * small cache is one shard with an exact LRU order (capacity < 2 * MIN_PER_SHARD). The capacity is
 * split exactly (the first capacity % nshards shards get one more), so the total never exceeds it;
 * LRU order is kept per shard, so a full shard may evict while another still has room. */
/* An entry stored at time t (when its fill returned) with lifetime L s is served while
 * now < t + L * 1000 ms: at exactly t + L * 1000 it has expired and the next request refills it.
 * A pending entry is in its shard's table (so others find and wait for it) but not in the LRU
 * list until it is stored, so eviction and flush never see it. */
#define MAX_SHARDS 64
#define MIN_PER_SHARD 8
#define INITIAL_BUCKETS 16

enum entry_state {
	ENTRY_PENDING,   /* fill running in some thread; never in the LRU list, never evicted */
	ENTRY_DONE,      /* result final; stored when in_lru */
};

struct entry {
	struct entry *hnext;             /* hash chain */
	struct entry *prev, *next;       /* LRU list, most recent first (stored entries only) */
	fcr_addr key;
	uint64_t hash;
	int64_t expires_ms;              /* valid while now < expires_ms */
	enum entry_state state;
	bool in_table;
	bool in_lru;
	unsigned waiters;                /* threads holding on to it; freed only when 0 and out of the table */
	struct fcr_check_result result;
};

struct shard {
	alignas(64) pthread_mutex_t lock;
	pthread_cond_t done;             /* broadcast whenever a pending entry of this shard completes */
	struct entry **buckets;
	size_t mask;                     /* buckets - 1 */
	size_t nodes;                    /* entries in the table, pending ones included */
	struct entry *head, *tail;       /* LRU list */
	size_t count;                    /* stored entries (in the LRU list) */
	size_t cap;
	uint64_t hits, shared, misses, evictions, expired;
};

struct fcr_cache {
	struct fcr_cache_conf conf;
	uint64_t seed[2];
	unsigned nshards;                /* 0 when capacity is 0 */
	struct shard *shards;
	_Atomic uint64_t uncached_misses;  /* fills run without a shard (capacity 0) */
};

/* ---- keys ---- */

static size_t key_len(const fcr_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static bool key_equal(const fcr_addr *a, const fcr_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, key_len(a)) == 0;
}

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-1-3 over three words (family, address bytes zero-padded), keyed per cache, so that
 * nobody can choose client addresses that pile into one shard or one hash chain. */
static uint64_t key_hash(const uint64_t seed[2], const fcr_addr *a)
{
	uint64_t w[3] = { (uint64_t)(unsigned)a->family, 0, 0 };
	memcpy(&w[1], a->bytes, key_len(a));
	uint64_t v[4] = { seed[0] ^ 0x736f6d6570736575ULL, seed[1] ^ 0x646f72616e646f6dULL,
	                  seed[0] ^ 0x6c7967656e657261ULL, seed[1] ^ 0x7465646279746573ULL };
	for (int i = 0; i < 3; i++) {
		v[3] ^= w[i];
		sipround(v);
		v[0] ^= w[i];
	}
	uint64_t b = (uint64_t)sizeof(w) << 56;
	v[3] ^= b;
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 3; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- lifetimes and results ---- */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

uint32_t fcr_cache_lifetime(const struct fcr_cache_conf *conf, const struct fcr_check_result *r)
{
	/* A temperror is an error whatever its kind, unless it says nothing about DNS at all (no
	 * socket, a resolver already known to be down): that one is not kept. */
	if (r->result == FCR_TEMPERROR)
		return r->ttl_kind == FCR_TTL_NONE ? 0 : conf->error_ttl;
	switch (r->ttl_kind) {
	case FCR_TTL_POSITIVE:
		return min_u32(r->ttl, conf->max_ttl);
	case FCR_TTL_NEGATIVE:
		return min_u32(r->ttl, conf->neg_max_ttl);
	case FCR_TTL_ERROR:
		return conf->error_ttl;
	case FCR_TTL_NONE:
	default:
		return 0;
	}
}

static void oom_result(struct fcr_check_result *r, const fcr_addr *a)
{
	memset(r, 0, sizeof(*r));
	r->addr = *a;
	r->result = FCR_TEMPERROR;
	r->ptr_status = FCR_DNS_LOCAL;
	r->confirmed = -1;
	r->ttl_kind = FCR_TTL_ERROR;
	snprintf(r->reason, sizeof(r->reason), "out of memory");
}

/* A copy for a caller that ran no fill; elapsed_ms is this retrieval's, i.e. none. */
static int copy_out(struct fcr_check_result *out, const struct entry *e)
{
	if (fcr_check_result_copy(out, &e->result)) {
		oom_result(out, &e->key);
		return -1;
	}
	out->elapsed_ms = 0;
	return 0;
}

static int64_t now_ms(const fcr_cache *c)
{
	return c->conf.now_ms ? c->conf.now_ms(c->conf.now_arg) : fcr_now_ms();
}

/* ---- one shard: hash table and LRU list (all under s->lock) ---- */

static struct shard *shard_of(fcr_cache *c, uint64_t h)
{
	return &c->shards[(h >> 58) & (c->nshards - 1)];
}

static struct entry *table_find(struct shard *s, const fcr_addr *a, uint64_t h)
{
	for (struct entry *e = s->buckets[h & s->mask]; e; e = e->hnext)
		if (e->hash == h && key_equal(&e->key, a))
			return e;
	return NULL;
}

/* Doubles the bucket array when the load passes 1; on failure the chains just get longer. */
static void table_grow(struct shard *s)
{
	size_t n = (s->mask + 1) * 2;
	struct entry **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i <= s->mask; i++) {
		for (struct entry *e = s->buckets[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->mask = n - 1;
}

static void table_insert(struct shard *s, struct entry *e)
{
	if (s->nodes >= s->mask + 1)
		table_grow(s);
	struct entry **p = &s->buckets[e->hash & s->mask];
	e->hnext = *p;
	*p = e;
	e->in_table = true;
	s->nodes++;
}

static void table_unlink(struct shard *s, struct entry *e)
{
	struct entry **p = &s->buckets[e->hash & s->mask];
	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	e->hnext = NULL;
	e->in_table = false;
	s->nodes--;
}

static void lru_unlink(struct shard *s, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
	e->in_lru = false;
	s->count--;
}

static void lru_push(struct shard *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	else
		s->tail = e;
	s->head = e;
	e->in_lru = true;
	s->count++;
}

static void lru_touch(struct shard *s, struct entry *e)
{
	if (s->head == e)
		return;
	lru_unlink(s, e);
	lru_push(s, e);
}

static void entry_free(struct entry *e)
{
	fcr_check_result_clear(&e->result);
	free(e);
}

/* Frees e unless a waiter still holds it (the last waiter frees it then). */
static void entry_release(struct entry *e)
{
	if (!e->in_table && e->waiters == 0)
		entry_free(e);
}

/* Takes a finished entry out of the shard. */
static void entry_drop(struct shard *s, struct entry *e)
{
	if (e->in_lru)
		lru_unlink(s, e);
	table_unlink(s, e);
	entry_release(e);
}

static void shard_evict(struct shard *s)
{
	while (s->count > s->cap) {
		entry_drop(s, s->tail);
		s->evictions++;
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

static int shard_init(struct shard *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->buckets = calloc(INITIAL_BUCKETS, sizeof(*s->buckets));
	if (!s->buckets)
		return -1;
	s->mask = INITIAL_BUCKETS - 1;
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s->buckets);
		return -1;
	}
	if (pthread_cond_init(&s->done, NULL)) {
		pthread_mutex_destroy(&s->lock);
		free(s->buckets);
		return -1;
	}
	return 0;
}

static void shard_destroy(struct shard *s)
{
	for (size_t i = 0; i <= s->mask; i++) {
		for (struct entry *e = s->buckets[i], *next; e; e = next) {
			next = e->hnext;
			entry_free(e);
		}
	}
	free(s->buckets);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
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
	free(c);
}

/* ---- lookups ---- */

static int run_uncached(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg,
                        struct fcr_check_result *out)
{
	atomic_fetch_add_explicit(&c->uncached_misses, 1, memory_order_relaxed);
	return fill(arg, a, out);
}

/* Waits for another thread's fill of e and copies its result. Called and returns with s->lock.
 * Counted as shared when the wait starts, so the counter also shows who is waiting right now. */
static int wait_shared(struct shard *s, struct entry *e, struct fcr_check_result *out)
{
	s->shared++;
	e->waiters++;
	while (e->state == ENTRY_PENDING)
		pthread_cond_wait(&s->done, &s->lock);
	e->waiters--;
	int rc = copy_out(out, e);
	entry_release(e);
	return rc;
}

/* Publishes the filler's result: stored for its lifetime, or only handed to the waiters. */
static void finish_fill(fcr_cache *c, struct shard *s, struct entry *e, uint32_t life)
{
	int64_t now = life ? now_ms(c) : 0;
	pthread_mutex_lock(&s->lock);
	e->state = ENTRY_DONE;
	if (life) {
		e->expires_ms = now + (int64_t)life * 1000;
		lru_push(s, e);
		shard_evict(s);
	} else {
		table_unlink(s, e);
	}
	if (e->waiters)
		pthread_cond_broadcast(&s->done);
	entry_release(e);
	pthread_mutex_unlock(&s->lock);
}

/* Runs fill for the pending entry e (shard unlocked), then publishes a copy of the result.
 * A fill that failed locally (-1) is handed to the waiters but not stored: it says nothing about
 * DNS, and the next connection should try again. */
static int fill_entry(fcr_cache *c, struct shard *s, struct entry *e, fcr_cache_fill_fn fill,
                      void *arg, struct fcr_check_result *out)
{
	int rc = fill(arg, &e->key, out);
	uint32_t life = 0;
	if (fcr_check_result_copy(&e->result, out) == 0)
		life = rc == 0 ? fcr_cache_lifetime(&c->conf, out) : 0;
	else
		oom_result(&e->result, &e->key);  /* the waiters get that; nothing is stored */
	finish_fill(c, s, e, life);
	return rc;
}

/* A fresh stored copy, or NULL (an expired entry is dropped on the way). Under s->lock. */
static struct entry *find_fresh(fcr_cache *c, struct shard *s, const fcr_addr *a, uint64_t h)
{
	struct entry *e = table_find(s, a, h);
	if (!e || e->state == ENTRY_PENDING)
		return e;
	if (now_ms(c) < e->expires_ms)
		return e;
	s->expired++;
	entry_drop(s, e);
	return NULL;
}

/* Serves a found entry: a stored copy, or the result of the fill in progress. Under s->lock. */
static int serve(struct shard *s, struct entry *e, struct fcr_check_result *out)
{
	if (e->state == ENTRY_PENDING)
		return wait_shared(s, e, out);
	s->hits++;
	lru_touch(s, e);
	return copy_out(out, e);
}

int fcr_cache_get(fcr_cache *c, const fcr_addr *a, fcr_cache_fill_fn fill, void *arg,
                  struct fcr_check_result *out, bool *hit)
{
	bool dummy;
	if (!hit)
		hit = &dummy;
	*hit = false;
	if (c->nshards == 0)
		return run_uncached(c, a, fill, arg, out);

	uint64_t h = key_hash(c->seed, a);
	struct shard *s = shard_of(c, h);
	pthread_mutex_lock(&s->lock);
	struct entry *e = find_fresh(c, s, a, h);
	if (e) {
		*hit = true;
		int rc = serve(s, e, out);
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	s->misses++;
	e = calloc(1, sizeof(*e));
	if (!e) {
		/* No room to coordinate: the check itself still runs, uncached. */
		pthread_mutex_unlock(&s->lock);
		return fill(arg, a, out);
	}
	e->key = *a;
	e->hash = h;
	e->state = ENTRY_PENDING;
	table_insert(s, e);
	pthread_mutex_unlock(&s->lock);
	return fill_entry(c, s, e, fill, arg, out);
}

int fcr_cache_peek(fcr_cache *c, const fcr_addr *a, struct fcr_check_result *out)
{
	if (c->nshards == 0)
		return 0;
	uint64_t h = key_hash(c->seed, a);
	struct shard *s = shard_of(c, h);
	pthread_mutex_lock(&s->lock);
	struct entry *e = find_fresh(c, s, a, h);
	int rc = 0;
	if (e && e->state != ENTRY_PENDING)
		rc = serve(s, e, out) == 0 ? 1 : -1;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void fcr_cache_stats(fcr_cache *c, struct fcr_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->misses = atomic_load_explicit(&c->uncached_misses, memory_order_relaxed);
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		st->hits += s->hits;
		st->shared += s->shared;
		st->misses += s->misses;
		st->evictions += s->evictions;
		st->expired += s->expired;
		st->entries += s->count;
		pthread_mutex_unlock(&s->lock);
	}
}

/* Flushed entries count neither as evictions nor as expired. */
void fcr_cache_flush(fcr_cache *c)
{
	for (unsigned i = 0; i < c->nshards; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		while (s->head)
			entry_drop(s, s->head);
		pthread_mutex_unlock(&s->lock);
	}
}
