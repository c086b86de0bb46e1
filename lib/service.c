/* Wiring of the core: the one object a caller needs to check addresses. */
#include "service.h"

#include "cidr.h"
#include "clock.h"
#include "health.h"
#include "resolver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fcr_service {
	const struct fcr_config *conf;
	fcr_transport *transport;
	fcr_generic *generic;
	fcr_cache *cache;
	bool own_cache;
	struct fcr_check_params params;
	fcr_health *health;              /* maybe shared with the service of an earlier reload */
	struct fcr_ns ns[FCR_MAX_NS];    /* the servers asked (from conf or resolv.conf) */
	size_t nns;
	fcr_prefetch_fn prefetch;        /* who runs refreshes; NULL: nobody, no prefetch */
	void *prefetch_arg;
};

/* The servers: from conf, or from /etc/resolv.conf when conf names none (the real transport only;
 * a test's fake transport asks nobody). Returns 0, or -1 with a reason. */
static int servers(fcr_service *s, bool real, char *err, size_t errlen)
{
	const struct fcr_config *conf = s->conf;
	if (conf->nns || !real) {
		for (size_t i = 0; i < conf->nns; i++)
			s->ns[i] = conf->ns[i];
		s->nns = conf->nns;
		return 0;
	}
	int n = fcr_resolv_conf_load("/etc/resolv.conf", s->ns, FCR_MAX_NS, err, errlen);
	if (n < 0)
		return -1;
	s->nns = (size_t)n;
	return 0;
}

static fcr_transport *real_transport(const fcr_service *s, char *err, size_t errlen)
{
	struct fcr_resolver_conf rc = {
		.timeout_ms = s->conf->dns_timeout_ms,
		.retries = s->conf->dns_retries,
		.nns = s->nns,
	};
	memcpy(rc.ns, s->ns, sizeof(rc.ns));
	return fcr_resolver_new(&rc, err, errlen);
}

struct fcr_cache_conf fcr_service_cache_conf(const struct fcr_config *conf)
{
	struct fcr_cache_conf cc = {
		.capacity = conf->cache_size,
		.max_ttl = conf->cache_max_ttl,
		.neg_max_ttl = conf->neg_cache_max_ttl,
		.error_ttl = conf->error_cache_ttl,
	};
	return cc;
}

fcr_service *fcr_service_new_shared(const struct fcr_config *conf, fcr_transport *transport,
                                    fcr_cache *cache, char *err, size_t errlen)
{
	fcr_service *s = calloc(1, sizeof(*s));
	if (!s) {
		fcr_transport_free(transport);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = conf;
	s->transport = transport;
	if (servers(s, !transport, err, errlen) != 0)
		goto fail;
	if (!transport && !(s->transport = real_transport(s, err, errlen)))
		goto fail;
	if (!(s->health = fcr_health_new(NULL, NULL))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->generic = fcr_generic_new(conf->generic_patterns, fcr_config_generic_names(conf), err,
	                            errlen);
	if (!s->generic)
		goto fail;
	s->cache = cache;
	if (!cache) {
		struct fcr_cache_conf cc = fcr_service_cache_conf(conf);
		s->own_cache = true;
		s->cache = fcr_cache_new(&cc);
		if (!s->cache) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	s->params.max_ptr_names = conf->max_ptr_names;
	s->params.timeout_ms = conf->check_timeout_ms;
	s->params.generic = s->generic;
	return s;
fail:
	fcr_service_free(s);
	return NULL;
}

fcr_service *fcr_service_new(const struct fcr_config *conf, fcr_transport *transport, char *err,
                             size_t errlen)
{
	return fcr_service_new_shared(conf, transport, NULL, err, errlen);
}

/* The check, and what it heard told to the breaker. A check that heard nothing while the resolver
 * is down says nothing about the address: it is not cached, or the address would keep its
 * temperror for ErrorCacheTTL after the resolver is back. */
static int fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	fcr_service *s = arg;
	int rc = fcr_check_run(s->transport, &s->params, a, out);
	enum fcr_heard heard = fcr_check_heard(out);
	if (fcr_health_report(s->health, heard) && heard == FCR_HEARD_NOTHING &&
	    out->result == FCR_TEMPERROR)
		out->ttl_kind = FCR_TTL_NONE;
	return rc;
}

/* The answer while the resolver is down: no DNS asked, nothing cached. Allocates nothing. */
static void fail_fast(const fcr_addr *a, struct fcr_check_result *out)
{
	char reason[64];
	snprintf(reason, sizeof(reason), "resolver unavailable: failing fast after %d timeouts",
	         FCR_HEALTH_THRESHOLD);
	fcr_check_result_unasked(out, a, reason);
	out->ptr_status = FCR_DNS_UNAVAILABLE;
	snprintf(out->detail, sizeof(out->detail),
	         "not asked: %d checks in a row had no reply", FCR_HEALTH_THRESHOLD);
}

enum route {
	ROUTE_RUN,       /* through the cache, DNS asked on a miss */
	ROUTE_CACHED,    /* served by the cache already */
	ROUTE_FAST,      /* failed fast */
};

/* One lookup's what and where: the summary always, the whole result when this call ran the check
 * and the caller wants it (full may be NULL). */
struct lookup {
	struct fcr_cache_summary *out;
	struct fcr_check_result *full;
	bool hit, refresh;
};

/* While the resolver is down a fresh cached result still serves; otherwise the check is the
 * interval's probe or fails fast. The cache's single flight is entered only once the breaker has
 * agreed, so nobody waits behind a probe. */
static enum route while_down(fcr_service *s, const fcr_addr *a, struct lookup *l)
{
	if (fcr_cache_peek(s->cache, a, l->out, s->prefetch ? &l->refresh : NULL))
		return ROUTE_CACHED;
	if (fcr_health_admit(s->health))
		return ROUTE_RUN;
	struct fcr_check_result r;
	fail_fast(a, &r);
	fcr_cache_summarize(&r, l->out);
	if (l->full)
		*l->full = r;  /* holds no pointers */
	return ROUTE_FAST;
}

/* A hit in the last tenth of an entry's life: its refresh goes to the hook's thread, or back. */
static void hand_off_refresh(fcr_service *s, const fcr_addr *a)
{
	if (!s->prefetch(s->prefetch_arg, a))
		fcr_cache_refresh_abandon(s->cache, a);
}

static int lookup(fcr_service *s, const fcr_addr *a, struct lookup *l)
{
	int64_t start = fcr_now_ms();
	int rc = 0;
	enum route how = fcr_health_down(s->health) ? while_down(s, a, l) : ROUTE_RUN;
	if (how == ROUTE_RUN)
		rc = fcr_cache_get(s->cache, a, fill, s, l->out, l->full, &l->hit,
		                   s->prefetch ? &l->refresh : NULL);
	l->hit |= how == ROUTE_CACHED;
	/* A copy's elapsed time is what this caller waited, not what the original lookup took. */
	if (how != ROUTE_RUN || l->hit)
		l->out->elapsed_ms = fcr_now_ms() - start;
	if (l->refresh)
		hand_off_refresh(s, a);
	return rc;
}

int fcr_service_verdict(fcr_service *s, const fcr_addr *a, struct fcr_cache_summary *out,
                        bool *cached)
{
	struct lookup l = { .out = out };
	int rc = lookup(s, a, &l);
	if (cached)
		*cached = l.hit;
	return rc;
}

int fcr_service_check(fcr_service *s, const fcr_addr *a, struct fcr_check_result *out, bool *cached)
{
	struct fcr_cache_summary sm;
	struct lookup l = { .out = &sm, .full = out };
	int rc = lookup(s, a, &l);
	if (l.hit) {
		struct fcr_check_result view;
		struct fcr_name names[2];
		fcr_cache_summary_view(&sm, &view, names);
		if (fcr_check_result_copy(out, &view) != 0) {
			fcr_check_result_unasked(out, a, "out of memory");
			rc = -1;
		}
	}
	if (cached)
		*cached = l.hit;
	return rc;
}

int fcr_service_trace(fcr_service *s, const fcr_addr *a, struct fcr_check_result *out)
{
	if (fcr_health_down(s->health) && !fcr_health_admit(s->health)) {
		fail_fast(a, out);
		return 0;
	}
	return fill(s, a, out);
}

int fcr_service_peek(fcr_service *s, const fcr_addr *a, struct fcr_cache_summary *out)
{
	bool refresh = false;
	int hit = fcr_cache_peek(s->cache, a, out, s->prefetch ? &refresh : NULL);
	if (refresh)
		hand_off_refresh(s, a);
	return hit;
}

void fcr_service_set_prefetch(fcr_service *s, fcr_prefetch_fn fn, void *arg)
{
	s->prefetch = fn;
	s->prefetch_arg = arg;
}

/* While the resolver is down a refresh would only hear nothing: the entry keeps serving until it
 * expires, and a later hit may try again. */
void fcr_service_refresh(fcr_service *s, const fcr_addr *a)
{
	if (fcr_health_down(s->health))
		fcr_cache_refresh_abandon(s->cache, a);
	else
		fcr_cache_refresh(s->cache, a, fill, s);
}

bool fcr_service_exempt(const fcr_service *s, const fcr_addr *a)
{
	return fcr_cidrs_match(s->conf->exempt_hosts, a);
}

fcr_cache *fcr_service_cache(fcr_service *s)
{
	return s->cache;
}

void fcr_service_set_pattern_hook(fcr_service *s, fcr_pattern_limit_fn fn, void *arg)
{
	fcr_generic_set_hook(s->generic, fn, arg);
}

void fcr_service_set_health_hook(fcr_service *s, fcr_health_hook_fn fn, void *arg)
{
	fcr_health_set_hook(s->health, fn, arg);
}

void fcr_service_health(fcr_service *s, struct fcr_health_stats *st)
{
	fcr_health_stats(s->health, st);
}

bool fcr_service_resolver_down(const fcr_service *s)
{
	return fcr_health_down(s->health);
}

bool fcr_service_share_health(fcr_service *s, const fcr_service *prev)
{
	if (s->nns != prev->nns)
		return false;
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].port != prev->ns[i].port || !fcr_addr_equal(&s->ns[i].addr, &prev->ns[i].addr))
			return false;
	fcr_health_free(s->health);
	s->health = fcr_health_ref(prev->health);
	return true;
}

bool fcr_service_same_rules(const fcr_service *a, const fcr_service *b)
{
	return fcr_generic_same_rules(a->generic, b->generic);
}

void fcr_service_free(fcr_service *s)
{
	if (!s)
		return;
	fcr_health_free(s->health);
	if (s->own_cache)
		fcr_cache_free(s->cache);
	fcr_generic_free(s->generic);
	fcr_transport_free(s->transport);
	free(s);
}
