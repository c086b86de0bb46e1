/* Hits without the lock: a sequence-checked ("seqlock") read of the shard. A hit copies the entry
 * into the caller's stack, then looks at the shard's sequence again: if no write section opened
 * or closed meanwhile, the copy is what the entry held at one moment and is served; otherwise it
 * is thrown away and the hit tries again, or takes the lock. So a hit writes nothing another core
 * reads (its count goes to a per-CPU stripe), and two threads hitting the cache no longer pass a
 * mutex's cache line back and forth.
 *
 * The copy may read memory a writer is changing: an entry being rewritten, a chunk given back to
 * its slab, a table being outgrown. Every such read stays inside memory the cache owns for its
 * whole life (chunks are never handed back to the heap, tables are retired, not freed), is bounded
 * (a chain walk by WALK_MAX steps, a text by its chunk's size class), and is made with volatile
 * word loads in functions the sanitizers leave alone: what they read is only used once the
 * sequence shows nobody wrote it. Everything used after that check is a plain copy on the stack. */
#include "internal.h"

#include <sched.h>
#include <string.h>

#define WALK_MAX 16                /* chain steps; load factor 1 makes longer chains very rare */
#define TRIES 2                    /* before falling back to the lock */

#define RACY __attribute__((no_sanitize("address", "thread")))

typedef uint64_t __attribute__((may_alias)) word;

_Static_assert(offsetof(struct entry, text) == sizeof(struct entry) &&
               sizeof(struct entry) % sizeof(word) == 0, "an entry's text starts on a word");

RACY static void racy_words(void *dst, const void *src, size_t n)
{
	const volatile word *p = src;
	for (size_t i = 0; i < n; i++) {
		word w = p[i];
		memcpy((char *)dst + i * sizeof(w), &w, sizeof(w));
	}
}

RACY static struct entry *racy_ptr(struct entry *const *p)
{
	return *(struct entry *const volatile *)p;
}

RACY static uint32_t racy_u32(const uint32_t *p)
{
	return *(const volatile uint32_t *)p;
}

/* The entry for a in t with its header copied into *head, or NULL: the chain ended (*lost false)
 * or ran past WALK_MAX steps, as a chain changing under the walk can (*lost true). */
static const struct entry *walk(const struct table *t, const fcr_addr *a, uint32_t lo,
                                struct entry *head, bool *lost)
{
	const struct entry *e = racy_ptr(&t->slot[lo & t->mask]);
	for (unsigned i = 0; e && i < WALK_MAX; i++) {
		racy_words(head, e, sizeof(*head) / sizeof(word));
		if (head->hash == lo && key_equal(&head->key, a))
			return e;
		e = head->hnext;
	}
	*lost = e != NULL;
	return NULL;
}

/* Copies e's text by its header's lengths; false when they cannot be right (a torn header). */
static bool copy_text(const struct entry *e, const struct entry *head, char *text)
{
	size_t chunk = slab_class_size(head->cls), used = entry_used(head);
	if (chunk == 0 || sizeof(*head) + used > chunk)
		return false;
	racy_words(text, e->text, (used + sizeof(word) - 1) / sizeof(word));
	return true;
}

static void count_hit(fcr_cache *c)
{
	int cpu = sched_getcpu();
	unsigned k = cpu < 0 ? 0 : (unsigned)cpu % HIT_STRIPES;
	atomic_fetch_add_explicit(&c->hits[k].n, 1, memory_order_relaxed);
}

/* A consistent copy of an entry: served, unless the hit has to change something. */
static enum snap serve(fcr_cache *c, const struct entry *e, const char *text, uint32_t gen,
                       size_t cap, struct fcr_cache_summary *out, bool can_refresh)
{
	if (e->state != ENTRY_DONE)
		return SNAP_LOCKED;              /* wait for the fill */
	int64_t now = now_ms(c);
	if (now >= e->expires_ms || !lru_fresh(gen, e->gen, cap))
		return SNAP_LOCKED;              /* drop it, or move it up the LRU list */
	if (can_refresh && prefetch_due(e, now))
		return SNAP_LOCKED;              /* hand out the refresh duty */
	entry_decode_text(e, text, &c->reasons, out);
	count_hit(c);
	return SNAP_HIT;
}

enum snap snap_get(fcr_cache *c, struct shard *s, const fcr_addr *a, uint64_t h,
                   struct fcr_cache_summary *out, bool can_refresh)
{
	struct entry head;
	char text[CHUNK_MAX - sizeof(struct entry)];
	for (int i = 0; i < TRIES; i++) {
		uint32_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (q & 1)
			return SNAP_LOCKED;
		bool lost = false;
		const struct table *t = atomic_load_explicit(&s->table, memory_order_acquire);
		const struct entry *e = walk(t, a, (uint32_t)h, &head, &lost);
		uint32_t gen = racy_u32(&s->gen);
		bool whole = e && copy_text(e, &head, text);
		atomic_thread_fence(memory_order_acquire);   /* the copy is done before the check */
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != q)
			continue;
		if (lost || (e && !whole))
			return SNAP_LOCKED;
		if (!e)
			return SNAP_ABSENT;
		return serve(c, &head, text, gen, s->cap, out, can_refresh);
	}
	return SNAP_LOCKED;
}

uint64_t snap_hits(const fcr_cache *c)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < HIT_STRIPES; k++)
		n += atomic_load_explicit(&c->hits[k].n, memory_order_relaxed);
	return n;
}
