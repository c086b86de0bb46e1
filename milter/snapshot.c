/* Reference-counted configuration snapshots (OpenDKIM's conf_refcnt idea). */
#include "snapshot.h"

#include "jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

/* Every connection reads it, a reload writes it: readers must not wait for one another. */
static pthread_rwlock_t current_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct fcr_snapshot *current;

/* A cache and the snapshots using it. */
struct fcr_shared_cache {
	fcr_cache *cache;
	struct fcr_cache_conf conf;
	int refs;                    /* atomic */
};

static bool same_cache_conf(const struct fcr_cache_conf *a, const struct fcr_cache_conf *b)
{
	return a->capacity == b->capacity && a->max_ttl == b->max_ttl &&
	       a->neg_max_ttl == b->neg_max_ttl && a->error_ttl == b->error_ttl;
}

static struct fcr_shared_cache *cache_for(const struct fcr_config *conf,
                                          const struct fcr_snapshot *prev)
{
	struct fcr_cache_conf want = fcr_service_cache_conf(conf);
	if (prev && same_cache_conf(&prev->cache->conf, &want)) {
		__atomic_add_fetch(&prev->cache->refs, 1, __ATOMIC_RELAXED);
		return prev->cache;
	}
	struct fcr_shared_cache *sc = calloc(1, sizeof(*sc));
	if (sc && !(sc->cache = fcr_cache_new(&want))) {
		free(sc);
		return NULL;
	}
	if (sc) {
		sc->conf = want;
		sc->refs = 1;
	}
	return sc;
}

static void cache_put(struct fcr_shared_cache *sc)
{
	if (sc && __atomic_sub_fetch(&sc->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		fcr_cache_free(sc->cache);
		free(sc);
	}
}

struct fcr_snapshot *fcr_snapshot_new(struct fcr_config *conf, const struct fcr_snapshot *prev,
                                      char *err, size_t errlen)
{
	struct fcr_snapshot *s = calloc(1, sizeof(*s));
	if (s)
		s->cache = cache_for(conf, prev);
	if (!s || !s->cache) {
		snprintf(err, errlen, "out of memory");
		free(s);
		fcr_config_free(conf);
		return NULL;
	}
	s->conf = conf;
	s->refs = 1;
	s->svc = fcr_service_new_shared(conf, NULL, s->cache->cache, err, errlen);
	if (!s->svc) {
		cache_put(s->cache);
		fcr_config_free(conf);
		free(s);
		return NULL;
	}
	/* Refreshes of entries about to expire run on the check-job pool. */
	fcr_service_set_prefetch(s->svc, fcr_jobs_prefetch, NULL);
	return s;
}

void fcr_snapshot_install(struct fcr_snapshot *s)
{
	pthread_rwlock_wrlock(&current_lock);
	struct fcr_snapshot *old = current;
	current = s;
	pthread_rwlock_unlock(&current_lock);
	fcr_snapshot_put(old);
}

struct fcr_snapshot *fcr_snapshot_get(void)
{
	pthread_rwlock_rdlock(&current_lock);
	struct fcr_snapshot *s = current;
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&current_lock);
	return s;
}

void fcr_snapshot_put(struct fcr_snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	fcr_service_free(s->svc);
	cache_put(s->cache);
	fcr_config_free(s->conf);
	free(s);
}
