/* Lookups over a transport: CNAME chains followed inside each answer and, when a resolver stops
 * at a CNAME, by a follow-up question; every round sends the questions of all open lookups at once. */
#include "lookup.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	[FCR_DNS_OK] = "ok",
	[FCR_DNS_NXDOMAIN] = "nxdomain",
	[FCR_DNS_NODATA] = "nodata",
	[FCR_DNS_SERVFAIL] = "servfail",
	[FCR_DNS_REFUSED] = "refused",
	[FCR_DNS_TIMEOUT] = "timeout",
	[FCR_DNS_BADREPLY] = "bad reply",
	[FCR_DNS_CNAME_LOOP] = "cname loop",
	[FCR_DNS_CNAME_LONG] = "cname chain too long",
	[FCR_DNS_LOCAL] = "local error",
	[FCR_DNS_NOSOCKET] = "no socket",
	[FCR_DNS_UNAVAILABLE] = "resolver unavailable",
};

const char *fcr_dns_status_name(enum fcr_dns_status s)
{
	return (unsigned)s <= FCR_DNS_UNAVAILABLE ? status_names[s] : "local error";
}

bool fcr_dns_status_temporary(enum fcr_dns_status s)
{
	switch (s) {
	case FCR_DNS_SERVFAIL:
	case FCR_DNS_REFUSED:
	case FCR_DNS_TIMEOUT:
	case FCR_DNS_BADREPLY:
	case FCR_DNS_LOCAL:
	case FCR_DNS_NOSOCKET:
	case FCR_DNS_UNAVAILABLE:
		return true;
	default:
		return false;
	}
}

/* Where one lookup stands between rounds. */
struct chase {
	char *visited[FCR_MAX_CNAME_LINKS + 1]; /* visited[links] is the name to ask next */
	bool done;
};

static void lookup_finish(struct fcr_lookup *l, struct chase *c, enum fcr_dns_status st,
                          const char *detail)
{
	l->status = st;
	if (detail)
		snprintf(l->detail, sizeof(l->detail), "%s", detail);
	c->done = true;
}

static void ttl_min(struct fcr_lookup *l, uint32_t ttl)
{
	if (!l->has_ttl || ttl < l->ttl)
		l->ttl = ttl;
	l->has_ttl = true;
}

static bool seen(const struct chase *c, unsigned upto, const char *name)
{
	for (unsigned i = 0; i <= upto; i++)
		if (c->visited[i] && fcr_name_equal(c->visited[i], name))
			return true;
	return false;
}

/* Follows one CNAME link: false when the lookup ended (loop, too long, memory). */
static bool follow(struct fcr_lookup *l, struct chase *c, const struct fcr_rr *rr)
{
	if (seen(c, l->links, rr->target)) {
		lookup_finish(l, c, FCR_DNS_CNAME_LOOP, NULL);
		snprintf(l->detail, sizeof(l->detail), "CNAME loop at %.60s", rr->target);
		return false;
	}
	if (l->links >= FCR_MAX_CNAME_LINKS) {
		lookup_finish(l, c, FCR_DNS_CNAME_LONG, "more than 8 CNAME links");
		return false;
	}
	c->visited[++l->links] = strdup(rr->target);
	if (!c->visited[l->links]) {
		lookup_finish(l, c, FCR_DNS_LOCAL, "out of memory");
		return false;
	}
	ttl_min(l, rr->ttl);
	return true;
}

static const struct fcr_rr *find_rr(const struct fcr_reply *r, const char *owner, uint16_t type)
{
	for (size_t i = 0; i < r->nrr; i++)
		if (r->rr[i].type == type && fcr_name_equal(r->rr[i].owner, owner))
			return &r->rr[i];
	return NULL;
}

/* Collects the records of the asked type owned by 'owner'. */
static void take_data(struct fcr_lookup *l, struct chase *c, const struct fcr_reply *r,
                      const char *owner)
{
	size_t cap = r->nrr;
	if (l->type == FCR_T_PTR)
		l->names = calloc(cap, sizeof(*l->names));
	else
		l->addrs = calloc(cap, sizeof(*l->addrs));
	if (!l->names && !l->addrs) {
		lookup_finish(l, c, FCR_DNS_LOCAL, "out of memory");
		return;
	}
	for (size_t i = 0; i < r->nrr; i++) {
		const struct fcr_rr *rr = &r->rr[i];
		if (rr->type != l->type || !fcr_name_equal(rr->owner, owner))
			continue;
		if (l->type == FCR_T_PTR) {
			if (!(l->names[l->n] = strdup(rr->target))) {
				lookup_finish(l, c, FCR_DNS_LOCAL, "out of memory");
				return;
			}
		} else {
			l->addrs[l->n] = rr->addr;
		}
		l->n++;
		ttl_min(l, rr->ttl);
	}
	lookup_finish(l, c, FCR_DNS_OK, NULL);
}

/* NXDOMAIN or NODATA for the end of the chain: cacheable only with an SOA (RFC 2308 §5). */
static void take_negative(struct fcr_lookup *l, struct chase *c, const struct fcr_reply *r)
{
	if (r->has_soa) {
		ttl_min(l, r->soa_ttl < r->soa_minimum ? r->soa_ttl : r->soa_minimum);
	} else {
		l->has_ttl = false;
		l->ttl = 0;
	}
	lookup_finish(l, c, r->rcode == FCR_RCODE_NXDOMAIN ? FCR_DNS_NXDOMAIN : FCR_DNS_NODATA, NULL);
}

static bool transport_failed(struct fcr_lookup *l, struct chase *c, const struct fcr_reply *r)
{
	static const enum fcr_dns_status by_xfer[] = {
		[FCR_XFER_TIMEOUT] = FCR_DNS_TIMEOUT,
		[FCR_XFER_BADREPLY] = FCR_DNS_BADREPLY,
		[FCR_XFER_NETERR] = FCR_DNS_LOCAL,
		[FCR_XFER_NOSOCKET] = FCR_DNS_NOSOCKET,
	};
	char why[48];

	if (r->xfer != FCR_XFER_OK) {
		lookup_finish(l, c, r->xfer <= FCR_XFER_NOSOCKET ? by_xfer[r->xfer] : FCR_DNS_LOCAL,
		              r->detail[0] ? r->detail : NULL);
		return true;
	}
	switch (r->rcode) {
	case FCR_RCODE_NOERROR:
	case FCR_RCODE_NXDOMAIN:
		return false;
	case FCR_RCODE_SERVFAIL:
		lookup_finish(l, c, FCR_DNS_SERVFAIL, "SERVFAIL");
		return true;
	case FCR_RCODE_REFUSED:
		lookup_finish(l, c, FCR_DNS_REFUSED, "REFUSED");
		return true;
	default:
		snprintf(why, sizeof(why), "unexpected rcode %u", r->rcode);
		lookup_finish(l, c, FCR_DNS_BADREPLY, why);
		return true;
	}
}

/* Reads one reply: data, a negative answer, or a CNAME chain to chase in the next round. */
static void absorb(struct fcr_lookup *l, struct chase *c, const struct fcr_reply *r)
{
	l->rcode = r->rcode;
	l->tcp |= r->tcp;
	if (transport_failed(l, c, r))
		return;
	unsigned asked = l->links;
	/* NXDOMAIN says the end of the chain does not exist (RFC 6604): whatever records of the
	 * asked type the reply carries, they are no data. The rcode decides. */
	bool nx = r->rcode == FCR_RCODE_NXDOMAIN;
	for (;;) {
		const char *name = c->visited[l->links];
		if (!nx && find_rr(r, name, l->type)) {
			take_data(l, c, r, name);
			return;
		}
		const struct fcr_rr *cn = find_rr(r, name, FCR_T_CNAME);
		if (!cn)
			break;
		if (!follow(l, c, cn))
			return;
	}
	/* The chain ends without data. A resolver that chased it says so with NXDOMAIN or an SOA;
	 * one that stopped at a CNAME gets asked about the target. */
	if (l->links == asked || nx || r->has_soa)
		take_negative(l, c, r);
}

static void set_canonical(struct fcr_lookup *l, struct chase *c)
{
	if (l->links > 0) {
		l->canonical = c->visited[l->links];
		c->visited[l->links] = NULL;
	}
	for (unsigned i = 0; i <= FCR_MAX_CNAME_LINKS; i++)
		free(c->visited[i]);
}

/* One round: the next question of every open lookup, sent together. */
static void round_trip(fcr_transport *t, struct fcr_lookup *l, struct chase *c, size_t n,
                       int64_t deadline_ms)
{
	struct fcr_question q[n];
	struct fcr_reply r[n];
	size_t idx[n], m = 0;

	for (size_t i = 0; i < n; i++) {
		if (c[i].done)
			continue;
		q[m].name = c[i].visited[l[i].links];
		q[m].type = l[i].type;
		idx[m++] = i;
	}
	memset(r, 0, m * sizeof(r[0]));
	t->exchange(t, q, r, m, deadline_ms);
	for (size_t j = 0; j < m; j++) {
		l[idx[j]].queries++;
		absorb(&l[idx[j]], &c[idx[j]], &r[j]);
		fcr_reply_clear(&r[j]);
	}
}

static size_t open_lookups(const struct chase *c, size_t n)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += !c[i].done;
	return m;
}

void fcr_lookup_run(fcr_transport *t, struct fcr_lookup *l, size_t n, int64_t deadline_ms)
{
	if (n == 0)
		return;
	struct chase *c = calloc(n, sizeof(*c));
	for (size_t i = 0; i < n; i++) {
		fcr_lookup_clear(&l[i]);
		if (!c || !(c[i].visited[0] = strdup(l[i].name))) {
			l[i].status = FCR_DNS_LOCAL;
			snprintf(l[i].detail, sizeof(l[i].detail), "out of memory");
			if (c)
				c[i].done = true;
		}
	}
	if (!c)
		return;
	/* Each round either ends a lookup or adds a CNAME link, so this ends within 9 rounds. */
	while (open_lookups(c, n) > 0) {
		if (fcr_now_ms() >= deadline_ms) {
			for (size_t i = 0; i < n; i++)
				if (!c[i].done)
					lookup_finish(&l[i], &c[i], FCR_DNS_TIMEOUT, "check time budget used up");
			break;
		}
		round_trip(t, l, c, n, deadline_ms);
	}
	for (size_t i = 0; i < n; i++)
		set_canonical(&l[i], &c[i]);
	free(c);
}

void fcr_lookup_clear(struct fcr_lookup *l)
{
	const char *name = l->name;
	uint16_t type = l->type;
	for (size_t i = 0; l->names && i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->addrs);
	free(l->canonical);
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->type = type;
}
