/* One shard of the cache: a keyed hash of the client address picks it; it holds a hash table that
 * grows up to its capacity, an LRU list and the slabs its entries live in. All changed under its
 * lock, in write sections (internal.h), as hits read without it (snap.c). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static size_t key_len(const fcr_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

bool key_equal(const fcr_addr *a, const fcr_addr *b)
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
uint64_t key_hash(const uint64_t seed[2], const fcr_addr *a)
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

/* The low half of the hash is kept in the entry: it picks the bucket (buckets never number more
 * than 2^32) and skips most key compares. The top bits pick the shard (cache.c). */
struct entry *table_find(struct shard *s, const fcr_addr *a, uint64_t h)
{
	uint32_t lo = (uint32_t)h;
	struct table *t = table_of(s);
	for (struct entry *e = t->slot[lo & t->mask]; e; e = e->hnext)
		if (e->hash == lo && key_equal(&e->key, a))
			return e;
	return NULL;
}

static struct table *table_new(size_t buckets)
{
	struct table *t = calloc(1, sizeof(*t) + buckets * sizeof(t->slot[0]));
	if (t)
		t->mask = buckets - 1;
	return t;
}

/* Doubles the buckets when the load passes 1, up to the size for the shard's capacity: a small
 * working set keeps a small table (hits touch less memory), and once the cache has been full the
 * table never changes again. The new table is published whole (a release store), the old one
 * retired. On failure the chains just get longer. */
static void table_grow(struct shard *s)
{
	struct table *old = table_of(s);
	size_t n = (old->mask + 1) * 2;
	if (n > s->max_buckets)
		return;
	struct table *t = table_new(n);
	if (!t)
		return;
	for (size_t i = 0; i <= old->mask; i++) {
		for (struct entry *e = old->slot[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = t->slot[e->hash & t->mask];
			t->slot[e->hash & t->mask] = e;
		}
	}
	t->retired = old;
	atomic_store_explicit(&s->table, t, memory_order_release);
}

/* The entry is whole before the release store makes it reachable: a hit without the lock that
 * finds it reads what was written, never the chunk's earlier contents. */
void table_insert(struct shard *s, struct entry *e, uint64_t h)
{
	if (++s->nodes > table_of(s)->mask + 1)
		table_grow(s);
	struct table *t = table_of(s);
	e->hash = (uint32_t)h;
	e->flags |= EF_IN_TABLE;
	struct entry **p = &t->slot[e->hash & t->mask];
	e->hnext = *p;
	__atomic_store_n(p, e, __ATOMIC_RELEASE);
}

void table_unlink(struct shard *s, struct entry *e)
{
	struct table *t = table_of(s);
	struct entry **p = &t->slot[e->hash & t->mask];
	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	e->hnext = NULL;
	e->flags &= (uint8_t)~EF_IN_TABLE;
	s->nodes--;
}

void lru_unlink(struct shard *s, struct entry *e)
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
	e->flags &= (uint8_t)~EF_IN_LRU;
	s->count--;
}

void lru_push(struct shard *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	else
		s->tail = e;
	s->head = e;
	e->flags |= EF_IN_LRU;
	e->gen = s->gen++;
	s->count++;
}

/* An entry among the newest quarter of the list is left where it is: it is nowhere near eviction,
 * and moving it would touch three other entries' memory on every hit. So the order is exact but for
 * entries hit again within a quarter of the shard's capacity of pushes (a shard of fewer than 8 is
 * exact); a hot entry is never evicted. The generation difference cannot wrap: an entry not moved
 * leaves the list after at most cap pushes. */
bool lru_fresh(uint32_t shard_gen, uint32_t entry_gen, size_t cap)
{
	return (uint32_t)(shard_gen - entry_gen) <= cap / 4;
}

void lru_touch(struct shard *s, struct entry *e)
{
	if (s->head == e || lru_fresh(s->gen, e->gen, s->cap))
		return;
	lru_unlink(s, e);
	lru_push(s, e);
}

/* Gives e's chunk back unless a waiter still holds it (the last waiter gives it back then). */
void entry_release(struct shard *s, struct entry *e)
{
	if (!(e->flags & EF_IN_TABLE) && e->waiters == 0)
		slab_put(&s->slab, e);
}

/* Takes a finished entry out of the shard. */
void entry_drop(struct shard *s, struct entry *e)
{
	if (e->flags & EF_IN_LRU)
		lru_unlink(s, e);
	table_unlink(s, e);
	entry_release(s, e);
}

void shard_evict(struct shard *s)
{
	while (s->count > s->cap) {
		entry_drop(s, s->tail);
		s->evictions++;
	}
}

/* The most buckets a shard gets: a load of at most 1 at its capacity. */
static size_t bucket_max(size_t cap)
{
	size_t n = INITIAL_BUCKETS;
	while (n < cap)
		n *= 2;
	return n;
}

int shard_init(struct shard *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->max_buckets = bucket_max(cap);
	struct table *t = table_new(INITIAL_BUCKETS);
	if (!t)
		return -1;
	atomic_init(&s->table, t);
	atomic_init(&s->seq, 0);
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(t);
		return -1;
	}
	if (pthread_cond_init(&s->done, NULL)) {
		pthread_mutex_destroy(&s->lock);
		free(t);
		return -1;
	}
	return 0;
}

/* Retired tables count: they stay until the cache is freed (at most as many bytes as the current
 * one). */
size_t shard_bytes(struct shard *s)
{
	size_t n = s->slab.bytes;
	for (const struct table *t = table_of(s); t; t = t->retired)
		n += sizeof(*t) + (t->mask + 1) * sizeof(t->slot[0]);
	return n;
}

/* Every chunk lives in the slabs: freeing them frees every entry. */
void shard_destroy(struct shard *s)
{
	slab_free_all(&s->slab);
	for (struct table *t = table_of(s), *next; t; t = next) {
		next = t->retired;
		free(t);
	}
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
}
