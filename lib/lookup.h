/* Lookups: questions answered through a transport, with CNAME chains followed (RFC 2317 on the
 * reverse side, aliases on the forward side) and the answer classified the way FCrDNS needs it:
 * data, NXDOMAIN, NODATA, or a temporary or permanent error, with the TTL that may be cached. */
#ifndef FCR_LOOKUP_H
#define FCR_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dns.h"

#define FCR_MAX_CNAME_LINKS 8

enum fcr_dns_status {
	FCR_DNS_OK = 0,       /* records of the asked type (after CNAMEs) */
	FCR_DNS_NXDOMAIN,     /* the name (or the end of its CNAME chain) does not exist */
	FCR_DNS_NODATA,       /* the name exists, no records of the type */
	FCR_DNS_SERVFAIL,
	FCR_DNS_REFUSED,
	FCR_DNS_TIMEOUT,
	FCR_DNS_BADREPLY,     /* unparsable reply, or an rcode that makes no sense here */
	FCR_DNS_CNAME_LOOP,   /* permanent: the CNAME chain loops */
	FCR_DNS_CNAME_LONG,   /* permanent: more than FCR_MAX_CNAME_LINKS links */
	FCR_DNS_LOCAL,        /* local failure (memory, send) */
	FCR_DNS_NOSOCKET,     /* not asked: no socket to be had (too many open files and the like) */
	FCR_DNS_UNAVAILABLE,  /* not asked: the resolver is down (health.h), the check failed fast */
};

/* "ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "bad reply", "cname loop",
 * "cname chain too long", "local error", "no socket", "resolver unavailable". */
const char *fcr_dns_status_name(enum fcr_dns_status s);

/* True for SERVFAIL, REFUSED, TIMEOUT, BADREPLY, LOCAL, NOSOCKET and UNAVAILABLE: the answer
 * could not be had. */
bool fcr_dns_status_temporary(enum fcr_dns_status s);

/* One lookup. The caller sets name and type (name is borrowed for the call) and zeroes the rest;
 * the lookup fills the results, which fcr_lookup_clear frees. */
struct fcr_lookup {
	const char *name;
	uint16_t type;             /* FCR_T_PTR, FCR_T_A or FCR_T_AAAA */

	enum fcr_dns_status status;
	uint8_t rcode;             /* of the last reply */
	char *canonical;           /* end of the CNAME chain, NULL when no CNAME was followed */
	unsigned links;            /* CNAME links followed */
	char **names;              /* PTR targets, in answer order, lower-case, trailing dot */
	fcr_addr *addrs;           /* A/AAAA addresses */
	size_t n;                  /* entries in names or addrs */
	uint32_t ttl;              /* OK: smallest TTL along the chain and the data; NXDOMAIN/NODATA:
	                              min(SOA TTL, SOA MINIMUM) and the chain TTLs, if has_ttl */
	bool has_ttl;              /* false for a negative answer without SOA: not cacheable */
	unsigned queries;          /* questions sent for this lookup */
	bool tcp;                  /* some reply came over TCP */
	char detail[96];           /* printable reason for error statuses */
};

/* Runs the n lookups concurrently through t: their first questions go out together, and so do the
 * follow-up questions for CNAME chains whose target data was not in the answer. Returns when all
 * are done or the deadline passes (then the unfinished ones are FCR_DNS_TIMEOUT).
 * Thread-safe if t is (the real transport is). */
void fcr_lookup_run(fcr_transport *t, struct fcr_lookup *l, size_t n, int64_t deadline_ms);

/* Frees the results and zeroes them; name and type stay. */
void fcr_lookup_clear(struct fcr_lookup *l);

#endif
