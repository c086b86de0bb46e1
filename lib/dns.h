/* The transport interface: send DNS questions, get back what the server said.
 * The real transport (resolver.h) speaks UDP/TCP to recursive resolvers through ldns; unit tests
 * plug in a fake. What a reply means for FCrDNS (CNAME chains, NXDOMAIN vs NODATA) is decided by
 * the lookup layer (lookup.h), never here. */
#ifndef FCR_DNS_H
#define FCR_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum {
	FCR_T_A = 1,
	FCR_T_CNAME = 5,
	FCR_T_SOA = 6,
	FCR_T_PTR = 12,
	FCR_T_AAAA = 28,
};

enum {
	FCR_RCODE_NOERROR = 0,
	FCR_RCODE_FORMERR = 1,
	FCR_RCODE_SERVFAIL = 2,
	FCR_RCODE_NXDOMAIN = 3,
	FCR_RCODE_NOTIMP = 4,
	FCR_RCODE_REFUSED = 5,
};

/* How the exchange went, apart from what DNS said (the rcode). */
enum fcr_xfer {
	FCR_XFER_OK = 0,      /* a reply matching the question arrived; rcode and records are valid */
	FCR_XFER_TIMEOUT,     /* no matching reply before the attempts or the deadline ran out */
	FCR_XFER_BADREPLY,    /* a reply with the right ID and question could not be parsed, or a
	                         record in it has RDATA of the wrong length for its type */
	FCR_XFER_NETERR,      /* local failure: send, out of memory, no nameserver */
	FCR_XFER_NOSOCKET,    /* never sent: no socket to be had (EMFILE, ENFILE, ENOBUFS, ENOMEM) */
};

/* One answer-section record of class IN, of type A, AAAA, CNAME or PTR. */
struct fcr_rr {
	char *owner;      /* lower-case, absolute, with trailing dot; escaped as ldns prints it */
	uint16_t type;
	uint32_t ttl;     /* below 2^31: larger values arrive as 0 (RFC 2181 §8) */
	char *target;     /* CNAME and PTR: lower-case absolute name; NULL otherwise */
	fcr_addr addr;    /* A and AAAA */
};

/* What came back for one question. The caller zeroes it before the exchange and frees it with
 * fcr_reply_clear; it owns everything it points to. */
struct fcr_reply {
	enum fcr_xfer xfer;
	uint8_t rcode;
	bool tcp;              /* the answer came over TCP after a truncated UDP reply */
	struct fcr_rr *rr;     /* the answer section, other classes and types left out */
	size_t nrr;
	size_t cap;            /* room in rr (fcr_reply_add's business) */
	bool has_soa;          /* an SOA was in the authority section (negative answers) */
	uint32_t soa_ttl;      /* both below 2^31, like rr[].ttl */
	uint32_t soa_minimum;
	char detail[96];       /* printable reason when xfer != OK (for traces and logs) */
};

struct fcr_question {
	const char *name;      /* absolute, trailing dot */
	uint16_t type;
};

/* A transport. Implementations embed it as their first member.
 * exchange() sends all n questions at once and returns when each has a reply or when the monotonic
 * deadline (fcr_now_ms() scale) has passed; out[i] belongs to q[i]. It must be safe to call from
 * many threads at once on one transport. free() releases the transport. */
typedef struct fcr_transport {
	void (*exchange)(struct fcr_transport *self, const struct fcr_question *q,
	                 struct fcr_reply *out, size_t n, int64_t deadline_ms);
	void (*free)(struct fcr_transport *self);
} fcr_transport;

/* Frees what r points to and zeroes it. */
void fcr_reply_clear(struct fcr_reply *r);

/* Appends a record; owner and target are copied and lower-cased. target is for CNAME/PTR,
 * addr for A/AAAA (either may be NULL otherwise). Returns 0, or -1 when out of memory. */
int fcr_reply_add(struct fcr_reply *r, const char *owner, uint16_t type, uint32_t ttl,
                  const char *target, const fcr_addr *addr);

/* Case-insensitive comparison of two absolute names (trailing dots optional on either). */
bool fcr_name_equal(const char *a, const char *b);

/* fcr_transport_free(NULL) is a no-op. */
static inline void fcr_transport_free(fcr_transport *t)
{
	if (t)
		t->free(t);
}

#endif
