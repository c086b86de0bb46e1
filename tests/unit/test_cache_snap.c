/* Hits without the lock (lib/cache/snap.c) against a writer that keeps rewriting the same few
 * entries in one shard: every copy a reader gets must be one entry at one moment, never a mix of
 * two (suite "concurrency", also run under TSan). */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>

#include "cache_fixture.h"

enum { KEYS = 6, SPAN = 12, READERS = 3, WRITES = 60000 };

struct churn {
	fcr_cache *c;
	_Atomic unsigned version;
	_Atomic int stop;
	_Atomic unsigned bad, hits;
	char first_bad[256];         /* the first wrong copy, written by whoever saw it */
	_Atomic int have_bad;
};

/* Version v of a's name: 0 to 60 x's long. */
static void versioned_name(char *buf, size_t len, unsigned v, const fcr_addr *a)
{
	static const char xs[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	snprintf(buf, len, "v%u-%.*s.host-%u.example.", v, (int)(v % 61), xs, a->bytes[3]);
}

/* Each fill writes a new version into the name and into the reason, and changes the name's length
 * with it, so a copy that took its text from one version and its lengths or reason from another
 * cannot pass for a real entry. Reasons are all different: past the interned ones they are kept in
 * the entry's own text. */
static int churn_fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	struct churn *ch = arg;
	unsigned v = atomic_fetch_add(&ch->version, 1);
	build_result(a, &POSITIVE, out);
	char name[160];
	versioned_name(name, sizeof(name), v, a);
	free(out->names[0].name);
	out->names[0].name = xalloc(strdup(name));
	snprintf(out->reason, sizeof(out->reason), "r%u/%u", v, a->bytes[3]);
	return 0;
}

/* Whether s is whole: its name, reason and address all from one fill. */
static bool copy_is_whole(const struct fcr_cache_summary *s, const fcr_addr *a)
{
	unsigned v, rv, rn;
	if (!fcr_addr_equal(&s->addr, a) || s->result != FCR_PASS || !s->has_name ||
	    sscanf(s->name, "v%u-", &v) != 1)
		return false;
	char want[160];
	versioned_name(want, sizeof(want), v, a);
	return strcmp(s->name, want) == 0 && sscanf(s->reason, "r%u/%u", &rv, &rn) == 2 && rv == v &&
	       rn == a->bytes[3];
}

static void note_bad(struct churn *ch, const struct fcr_cache_summary *s)
{
	atomic_fetch_add(&ch->bad, 1);
	if (atomic_exchange(&ch->have_bad, 1) == 0)
		snprintf(ch->first_bad, sizeof(ch->first_bad), "name \"%.100s\" reason \"%.60s\"",
		         s->name, s->reason);
}

static void *churn_reader(void *arg)
{
	struct churn *ch = arg;
	unsigned seed = 7;
	while (!atomic_load(&ch->stop)) {
		fcr_addr a = v4((unsigned)rand_r(&seed) % SPAN);
		struct fcr_cache_summary s;
		if (fcr_cache_peek(ch->c, &a, &s, NULL) != 1)
			continue;
		atomic_fetch_add(&ch->hits, 1);
		if (!copy_is_whole(&s, &a))
			note_bad(ch, &s);
	}
	return NULL;
}

/* Rewrites entries in place (a refresh frees the old chunk and takes it straight back) and brings
 * in addresses that push others out, so chunks also change hands between keys. */
static void churn_write(struct churn *ch)
{
	unsigned seed = 3;
	for (unsigned i = 0; i < WRITES; i++) {
		fcr_addr a = v4((unsigned)rand_r(&seed) % SPAN);
		struct fcr_cache_summary s;
		if (fcr_cache_peek(ch->c, &a, &s, NULL) == 1)
			fcr_cache_refresh(ch->c, &a, churn_fill, ch);
		else
			fcr_cache_get(ch->c, &a, churn_fill, ch, &s, NULL, NULL, NULL);
	}
}

Test(concurrency, cache_hits_without_lock_are_never_torn)
{
	struct churn ch = { 0 };
	ch.c = new_cache(KEYS, NULL);   /* one shard: every write meets every reader */
	pthread_t t[READERS];
	for (int i = 0; i < READERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, churn_reader, &ch), 0);
	churn_write(&ch);
	atomic_store(&ch.stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&ch.bad), 0, "%u torn copies of %u hits; the first: %s",
	             atomic_load(&ch.bad), atomic_load(&ch.hits), ch.first_bad);
	cr_assert_gt(atomic_load(&ch.hits), 0);
	struct fcr_cache_stats st;
	fcr_cache_stats(ch.c, &st);
	cr_assert_leq(st.entries, (size_t)KEYS);
	cr_assert_gt(st.refreshed, 0);
	cr_assert_gt(st.evictions, 0);
	fcr_cache_free(ch.c);
}
