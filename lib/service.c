/* Wiring of the core: the one object a caller needs to check addresses. */
#include "service.h"

#include "cidr.h"
#include "clock.h"
#include "resolver.h"

#include <stdio.h>
#include <stdlib.h>

struct fcr_service {
	const struct fcr_config *conf;
	fcr_transport *transport;
	fcr_generic *generic;
	fcr_cache *cache;
	bool own_cache;
	struct fcr_check_params params;
};

static fcr_transport *real_transport(const struct fcr_config *conf, char *err, size_t errlen)
{
	struct fcr_resolver_conf rc = {
		.timeout_ms = conf->dns_timeout_ms,
		.retries = conf->dns_retries,
	};
	if (conf->nns) {
		for (size_t i = 0; i < conf->nns; i++)
			rc.ns[i] = conf->ns[i];
		rc.nns = conf->nns;
	} else {
		int n = fcr_resolv_conf_load("/etc/resolv.conf", rc.ns, FCR_MAX_NS, err, errlen);
		if (n < 0)
			return NULL;
		rc.nns = (size_t)n;
	}
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
	s->transport = transport ? transport : real_transport(conf, err, errlen);
	if (!s->transport)
		goto fail;
	s->generic = fcr_generic_new(conf->generic_patterns, err, errlen);
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

static int fill(void *arg, const fcr_addr *a, struct fcr_check_result *out)
{
	fcr_service *s = arg;
	return fcr_check_run(s->transport, &s->params, a, out);
}

int fcr_service_check(fcr_service *s, const fcr_addr *a, struct fcr_check_result *out, bool *cached)
{
	bool hit = false;
	int64_t start = fcr_now_ms();
	int rc = fcr_cache_get(s->cache, a, fill, s, out, &hit);
	/* A copy's elapsed time is what this caller waited, not what the original lookup took. */
	if (hit)
		out->elapsed_ms = fcr_now_ms() - start;
	if (cached)
		*cached = hit;
	return rc;
}

int fcr_service_peek(fcr_service *s, const fcr_addr *a, struct fcr_check_result *out)
{
	return fcr_cache_peek(s->cache, a, out);
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

void fcr_service_free(fcr_service *s)
{
	if (!s)
		return;
	if (s->own_cache)
		fcr_cache_free(s->cache);
	fcr_generic_free(s->generic);
	fcr_transport_free(s->transport);
	free(s);
}
