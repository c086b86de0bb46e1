/* The FCrDNS check (RFC 8601 "iprev", §2.7.3/§3): PTR names of the client address, then the
 * addresses of each name in the client's family, all forward queries of a check in flight at once.
 * A result is a plain record that its holder owns; the cache hands out copies of it. */
#ifndef FCR_CHECK_H
#define FCR_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dns.h"
#include "generic.h"
#include "lookup.h"

enum fcr_result {
	FCR_PASS = 0,
	FCR_FAIL,
	FCR_PERMERROR,
	FCR_TEMPERROR,
};
#define FCR_NRESULTS 4

/* "pass", "fail", "permerror", "temperror". */
const char *fcr_result_name(enum fcr_result r);

/* How long a result may be cached, by RFC 2308 / RFC 9520 class. */
enum fcr_ttl_kind {
	FCR_TTL_POSITIVE = 0,  /* data all along the path */
	FCR_TTL_NEGATIVE,      /* some step was NXDOMAIN/NODATA with an SOA */
	FCR_TTL_ERROR,         /* temporary failure */
	FCR_TTL_NONE,          /* not cacheable (negative without SOA; a temperror that says nothing
	                          about DNS: no socket, the resolver known to be down) */
};

/* One PTR name and what its forward lookup gave. */
struct fcr_name {
	char *name;                /* lower-case, trailing dot (as in DNS) */
	bool valid;                /* a syntactically valid host name; invalid names are not looked up */
	enum fcr_dns_status status;
	char *canonical;           /* end of the forward CNAME chain, or NULL */
	fcr_addr *addrs;
	size_t naddrs;
	uint32_t ttl;
	bool confirms;             /* its addresses include the client address */
	char detail[96];           /* what went wrong with a failed lookup (transport's words) */
	bool generic;
	struct fcr_generic_tag generic_why; /* the rule that decided generic (or not) */
	bool pattern_limit;        /* a GenericPatterns pattern hit a PCRE2 limit on it (no match) */
};

struct fcr_check_result {
	fcr_addr addr;
	enum fcr_result result;
	char reverse_name[FCR_REVNAME_LEN];
	enum fcr_dns_status ptr_status;
	uint32_t ptr_ttl;
	char *ptr_canonical;       /* RFC 2317: where the PTR CNAME chain ended, or NULL */
	size_t ptr_total;          /* PTR names in the answer, before MaxPTRNames */
	struct fcr_name *names;    /* at most MaxPTRNames */
	size_t nnames;
	int confirmed;             /* index of the first confirming name, -1 when none */
	bool generic;              /* the confirmed name (or, without one, the first valid name) is generic */
	struct fcr_generic_tag generic_why; /* that name's rule: 3 bytes, rendered when printed */
	char reason[128];          /* short printable explanation for the comment and the trace */
	char detail[96];           /* the PTR lookup's failure detail, for the trace */
	enum fcr_ttl_kind ttl_kind;
	uint32_t ttl;              /* raw lifetime before the cache's clamps (not for ERROR/NONE) */
	unsigned queries;          /* DNS questions sent */
	int64_t elapsed_ms;        /* wall time of the check (0 for a cached copy's own retrieval) */
};

struct fcr_check_params {
	unsigned max_ptr_names;        /* MaxPTRNames, >= 1 */
	unsigned timeout_ms;           /* CheckTimeout: hard budget for the whole check */
	const fcr_generic *generic;    /* may be NULL: nothing is generic */
};

/* Runs the check of address a through t. Always fills out (the caller zeroes it first), even on
 * local failure (then temperror). Returns 0, or -1 when memory ran out (out is still a valid
 * temperror result). Thread-safe if t is. */
int fcr_check_run(fcr_transport *t, const struct fcr_check_params *p, const fcr_addr *a,
                  struct fcr_check_result *out);

/* What a check heard from the resolver: one reading for the statistics (timeouts, no socket) and
 * for the resolver's health (health.h). A reply with any rcode, SERVFAIL and NXDOMAIN included, is
 * something heard; only lookups that went out count. */
enum fcr_heard {
	FCR_HEARD_REPLIES = 0,  /* every question that went out got a reply */
	FCR_HEARD_PARTLY,       /* the PTR reply came, some (not every) forward lookup timed out */
	FCR_HEARD_NOTHING,      /* the PTR lookup timed out, or every forward lookup that went out did */
	FCR_HEARD_NO_SOCKET,    /* nothing timed out, but a lookup found no socket to go out on */
	FCR_HEARD_UNASKED,      /* the PTR question never went out: out of memory, or failed fast */
};

/* Reads r's lookup statuses. Thread-safe (r is only read). */
enum fcr_heard fcr_check_heard(const struct fcr_check_result *r);

/* The confirmed name without trailing dot into buf, or "" when none. Returns buf. */
char *fcr_check_confirmed(const struct fcr_check_result *r, char *buf, size_t len);

/* Deep copy into dst (whose old contents are not freed). Returns 0, or -1 when out of memory
 * (dst is then zeroed). */
int fcr_check_result_copy(struct fcr_check_result *dst, const struct fcr_check_result *src);

/* Frees what r points to and zeroes it. */
void fcr_check_result_clear(struct fcr_check_result *r);

/* A temperror for a when no DNS was asked (the resolver is down, the check did not start or did
 * not finish in time), with reason; never cached. r must hold nothing (zeroed or cleared). */
void fcr_check_result_unasked(struct fcr_check_result *r, const fcr_addr *a, const char *reason);

#endif
