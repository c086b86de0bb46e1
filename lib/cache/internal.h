/* Inside the cache (lib/cache.h): the compact entry, the per-shard slabs it lives in, the shard's
 * hash table and LRU list, and the table of interned reasons. Not for use outside lib/cache/. */
#ifndef FCR_CACHE_INTERNAL_H
#define FCR_CACHE_INTERNAL_H

#include "cache.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#include "clock.h"

/* Reasons: a pass's "<name> confirms" is rebuilt from its name, the few other texts a cacheable
 * result can have are interned once per cache, and anything else (once the table is full) is kept
 * in the entry. */
#define REASONS_MAX 64
#define REASON_CONFIRMS 0xffff
#define REASON_INLINE 0xfffe

struct reasons {
	pthread_mutex_t lock;        /* for adding; entries never change once published by n */
	_Atomic unsigned n;
	char text[REASONS_MAX][FCR_CACHE_REASON_MAX];
};

enum entry_state {
	ENTRY_PENDING,   /* fill running in some thread; never in the LRU list, never evicted */
	ENTRY_DONE,      /* summary final; stored when in_lru */
};

#define EF_IN_TABLE 0x01
#define EF_IN_LRU 0x02
#define EF_REFRESHING 0x04           /* a refresh duty was handed out for it */

/* Summary flags. */
#define SF_GENERIC 0x01
#define SF_NAME 0x02
#define SF_CONFIRMS 0x04
#define SF_NAME_VALID 0x08
#define SF_VALID_NAME 0x10

/* What an entry keeps of a summary; its text follows the entry (name, valid name, inline reason,
 * without NULs). */
struct entry_sum {
	uint8_t flags;                   /* SF_* */
	uint8_t result, ptr_status, ttl_kind;
	uint8_t reason_len;              /* of an inline reason */
	uint8_t gen_kind;
	uint16_t gen_index;
	uint16_t reason;                 /* index into the interned reasons, or REASON_* */
	uint16_t name_len, valid_len;
};

/* One cached address: 88 bytes of header, then the text. */
struct entry {
	struct entry *hnext;             /* hash chain */
	struct entry *prev, *next;       /* LRU list, most recent first; next: the slab's free list */
	int64_t expires_ms;              /* valid while now < expires_ms */
	fcr_addr key;
	uint32_t hash;                   /* the low half of the key's hash */
	uint32_t life_s;                 /* lifetime given at store: its last tenth starts prefetch */
	uint32_t gen;                    /* the shard's push count when it went to the LRU head */
	uint16_t waiters;                /* threads holding on to it; freed only when 0 and out of the table */
	uint8_t flags;                   /* EF_* */
	uint8_t state;                   /* enum entry_state */
	uint8_t cls;                     /* size class */
	struct entry_sum sum;
	alignas(8) char text[];          /* word-aligned: snap.c copies it by words */
};

/* Size classes of entries (header included). A shard's chunks of a class are reused, never given
 * back to the heap until the cache is freed. */
#define SLAB_CLASSES 11
#define INITIAL_BUCKETS 16
#define SLAB_BLOCK (64 * 1024)
#define CHUNK_MAX 2304                     /* the largest class */

struct slab {
	struct entry *free[SLAB_CLASSES];  /* chunks given back */
	char *bump[SLAB_CLASSES];          /* the unused rest of the newest block of a class */
	size_t left[SLAB_CLASSES];
	void *blocks;                      /* every block, linked through its first word */
	size_t bytes;                      /* of the chunks carved so far */
};

/* A shard's hash table: its size and its chains in one allocation. The mask never changes; a
 * table outgrown is kept on the new one's retired list until the cache is freed, because a hit
 * without the lock (snap.c) may still be reading it. */
struct table {
	size_t mask;                     /* buckets - 1 */
	struct table *retired;
	struct entry *slot[];
};

/* The first cache line is what a hit without the lock reads (snap.c): it changes only inside a
 * write section, so hits on a shard nobody writes leave each other's caches alone. The writers'
 * side (the mutex and everything counted under it) is on lines of its own. */
struct shard {
	alignas(64) _Atomic uint32_t seq;  /* odd while a write section is open (write_begin) */
	uint32_t gen;                    /* entries pushed to the LRU head so far */
	_Atomic(struct table *) table;   /* grown with the entries, up to max_buckets */
	size_t cap;
	alignas(64) pthread_mutex_t lock;
	pthread_cond_t done;             /* broadcast whenever a pending entry of this shard completes */
	size_t nodes, max_buckets;       /* entries in the table (pending ones too); the table's limit */
	struct entry *head, *tail;       /* LRU list */
	size_t count;                    /* stored entries (in the LRU list) */
	uint64_t hits, shared, misses, evictions, expired, prefetches, refreshed;
	struct slab slab;
};

/* Hits served without the lock are counted per CPU, so that counting writes no line another core
 * is using. */
#define HIT_STRIPES 64
struct hit_stripe {
	alignas(64) _Atomic uint64_t n;
};

struct fcr_cache {
	struct fcr_cache_conf conf;
	uint64_t seed[2];
	unsigned nshards;                /* 0 when capacity is 0 */
	struct shard *shards;
	_Atomic uint64_t uncached_misses;  /* fills run without a shard (capacity 0) */
	struct reasons reasons;
	struct hit_stripe hits[HIT_STRIPES];
};

/* slab.c: a chunk of the smallest class that holds size bytes (its cls set); NULL when out of
 * memory. ENTRY_MAX fits the largest class: a pending entry takes one, whatever comes. */
#define ENTRY_MAX (sizeof(struct entry) + 2 * (FCR_CACHE_NAME_MAX - 1) + FCR_CACHE_REASON_MAX - 1)
struct entry *slab_get(struct slab *s, size_t size);
void slab_put(struct slab *s, struct entry *e);
/* Bytes of a chunk of class k (0 for a class that does not exist). */
size_t slab_class_size(unsigned k);
void slab_free_all(struct slab *s);

/* entry.c: the compact form of a summary and back. */
/* The reason code of sm, interning its text when it is new and there is room. */
uint16_t reason_code(struct reasons *rs, const struct fcr_cache_summary *sm);
/* Bytes an entry holding sm needs. */
size_t entry_size(const struct fcr_cache_summary *sm, uint16_t reason);
/* Writes sm (reason coded as given) into e, which has room for it; key, links and flags of the
 * table and LRU list are left alone. */
void entry_fill(struct entry *e, const struct fcr_cache_summary *sm, uint16_t reason);
/* Copies what entry_fill wrote from src into dst, which has room for it. */
void entry_copy(struct entry *dst, const struct entry *src);
size_t entry_used(const struct entry *e);
/* The summary held by e (a copy: queries and elapsed_ms 0). */
void entry_decode(const struct entry *e, const struct reasons *rs, struct fcr_cache_summary *out);
/* The same from e's header and a copy of its text kept apart from it (snap.c). */
void entry_decode_text(const struct entry *e, const char *text, const struct reasons *rs,
                       struct fcr_cache_summary *out);
int reasons_init(struct reasons *rs);
void reasons_destroy(struct reasons *rs);

/* shard.c: hashing, the table and the LRU list (all under the shard's lock but hashing). */
uint64_t key_hash(const uint64_t seed[2], const fcr_addr *a);
/* Same family and the same significant bytes (4 for IPv4, 16 for IPv6). */
bool key_equal(const fcr_addr *a, const fcr_addr *b);
struct entry *table_find(struct shard *s, const fcr_addr *a, uint64_t h);
void table_insert(struct shard *s, struct entry *e, uint64_t h);
void table_unlink(struct shard *s, struct entry *e);
void lru_unlink(struct shard *s, struct entry *e);
void lru_push(struct shard *s, struct entry *e);
void lru_touch(struct shard *s, struct entry *e);
/* Whether an entry pushed at entry_gen is still near enough the head to be left where it is. */
bool lru_fresh(uint32_t shard_gen, uint32_t entry_gen, size_t cap);
void entry_release(struct shard *s, struct entry *e);
void entry_drop(struct shard *s, struct entry *e);
void shard_evict(struct shard *s);
int shard_init(struct shard *s, size_t cap);
void shard_destroy(struct shard *s);
size_t shard_bytes(struct shard *s);

/* Write sections: everything that changes what snap.c reads (the table, the entries in it, the
 * LRU generation) happens between write_begin and write_end, under s->lock, so that a hit without
 * the lock that overlapped one sees the sequence change and throws its copy away. The release
 * fence keeps the odd sequence ahead of the section's stores; the release store at the end keeps
 * them ahead of the even one. */
static inline void write_begin(struct shard *s)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static inline void write_end(struct shard *s)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 1, memory_order_release);
}

/* The lock and a write section with it: every locked operation but counting. */
static inline void shard_lock(struct shard *s)
{
	pthread_mutex_lock(&s->lock);
	write_begin(s);
}

static inline void shard_unlock(struct shard *s)
{
	write_end(s);
	pthread_mutex_unlock(&s->lock);
}

/* The shard's table; under s->lock (a writer sees its own stores). */
static inline struct table *table_of(struct shard *s)
{
	return atomic_load_explicit(&s->table, memory_order_relaxed);
}

/* Whether a hit at now falls in the last tenth of e's life and nobody has its refresh duty. */
static inline bool prefetch_due(const struct entry *e, int64_t now)
{
	return !(e->flags & EF_REFRESHING) && now >= e->expires_ms - (int64_t)e->life_s * 100;
}

/* snap.c: a hit without the lock. */
enum snap {
	SNAP_HIT,        /* out holds a fresh entry's copy, counted as a hit */
	SNAP_ABSENT,     /* no entry for a at one consistent moment */
	SNAP_LOCKED,     /* undecided, or the hit needs the lock (LRU move, refresh duty, expiry) */
};
enum snap snap_get(fcr_cache *c, struct shard *s, const fcr_addr *a, uint64_t h,
                   struct fcr_cache_summary *out, bool can_refresh);
uint64_t snap_hits(const fcr_cache *c);

/* cache.c: stores sm for a as a new entry at the head of the LRU list, evicting as needed. Under
 * s->lock. False when out of memory. */
bool store(struct shard *s, const fcr_addr *a, uint64_t h, const struct fcr_cache_summary *sm,
           uint16_t reason, int64_t now, uint32_t life);

static inline int64_t now_ms(const fcr_cache *c)
{
	return c->conf.now_ms ? c->conf.now_ms(c->conf.now_arg) : fcr_coarse_now_ms();
}

/* The top bits of the hash pick the shard; the low half is the table's (shard.c). */
static inline struct shard *shard_of(fcr_cache *c, uint64_t h)
{
	return &c->shards[(h >> 58) & (c->nshards - 1)];
}

#endif
