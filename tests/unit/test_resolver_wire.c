/* Unit tests of the resolver's message checks (lib/resolver/internal.h): which received messages reach
 * ldns and count as our answer, with hand-built replies to host.example. A. */
#include <criterion/criterion.h>

#include <ldns/ldns.h>
#include <stdint.h>
#include <string.h>

#include "resolver/internal.h"

#define ID 0x1234

/* A reply under construction: header counts are patched as records are added. */
struct msg {
	uint8_t b[512];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t len)
{
	cr_assert_leq(m->n + len, sizeof(m->b));
	if (len > 0)
		memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

/* Header (QR, RD, RA, NOERROR) and the question host.example. A IN. */
static void start(struct msg *m)
{
	static const uint8_t q[] = "\4host\7example";
	m->n = 0;
	put16(m, ID);
	put16(m, 0x8180);
	put16(m, 1);
	for (int i = 0; i < 3; i++)
		put16(m, 0);
	put(m, q, sizeof(q));
	put16(m, LDNS_RR_TYPE_A);
	put16(m, LDNS_RR_CLASS_IN);
}

/* One record in section sec (1 answer, 2 authority, 3 additional); owner "" is the root, "q"
 * points at the question's name. */
static void add(struct msg *m, int sec, const char *owner, unsigned type, unsigned class,
                const void *rdata, size_t rdlen)
{
	size_t at = 4 + 2 * (size_t)sec;
	unsigned count = (unsigned)(m->b[at] << 8 | m->b[at + 1]) + 1;

	m->b[at] = (uint8_t)(count >> 8);
	m->b[at + 1] = (uint8_t)count;
	if (strcmp(owner, "q") == 0)
		put16(m, 0xc00c);
	else
		put(m, "\0", 1);
	put16(m, type);
	put16(m, class);
	put16(m, 0);
	put16(m, 300);
	put16(m, (unsigned)rdlen);
	put(m, rdata, rdlen);
}

static void add_a(struct msg *m)
{
	add(m, 1, "q", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, "\300\0\2\1", 4);
}

/* The OPT record a server answers an EDNS query with: UDP size 1232, no options. */
static void add_opt(struct msg *m, int sec, const char *owner)
{
	add(m, sec, owner, LDNS_RR_TYPE_OPT, 1232, NULL, 0);
}

static void add_tsig(struct msg *m)
{
	add(m, 3, "", LDNS_RR_TYPE_TSIG, LDNS_RR_CLASS_ANY, NULL, 0);
}

static enum fcr_match match(const struct msg *m, struct fcr_reply *r)
{
	ldns_rdf *qname = NULL;
	ldns_pkt *pkt = NULL;

	cr_assert_eq(ldns_str2rdf_dname(&qname, "host.example."), LDNS_STATUS_OK);
	enum fcr_match v = fcr_wire_match(m->b, m->n, ID, qname, LDNS_RR_TYPE_A, &pkt);
	cr_assert_eq(v == FCR_MATCH_OK, pkt != NULL);
	memset(r, 0, sizeof(*r));
	if (pkt)
		cr_assert_eq(fcr_wire_fill(pkt, r), 0);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	return v;
}

Test(resolver_wire, reply_with_one_opt_in_additional_is_read)
{
	struct msg m;
	struct fcr_reply r;

	start(&m);
	add_a(&m);
	add_opt(&m, 3, "");
	cr_assert_eq(match(&m, &r), FCR_MATCH_OK);
	cr_assert_eq(r.nrr, 1);
	cr_assert_eq(r.rr[0].type, FCR_T_A);
	cr_assert_eq(memcmp(r.rr[0].addr.bytes, "\300\0\2\1", 4), 0);
	fcr_reply_clear(&r);
}

/* RFC 6891 §6.1.1: more than one OPT is FORMERR. */
Test(resolver_wire, two_opt_records_are_refused)
{
	struct msg m;
	struct fcr_reply r;

	start(&m);
	add_a(&m);
	add_opt(&m, 3, "");
	add_opt(&m, 3, "");
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD);
}

Test(resolver_wire, opt_outside_additional_or_with_an_owner_is_refused)
{
	struct msg m;
	struct fcr_reply r;

	start(&m);
	add_a(&m);
	add_opt(&m, 1, "");
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD, "OPT in the answer section");
	start(&m);
	add_a(&m);
	add_opt(&m, 2, "");
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD, "OPT in the authority section");
	start(&m);
	add_a(&m);
	add_opt(&m, 3, "q");
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD, "OPT owned by host.example.");
}

/* The shape that made ldns 1.8.3 lose a record per message: two TSIGs in the additional section,
 * another record between them (ldns reads one record fewer after each TSIG). */
Test(resolver_wire, tsig_that_is_not_the_last_record_is_refused)
{
	struct msg m;
	struct fcr_reply r;

	start(&m);
	add_a(&m);
	add_tsig(&m);
	add_opt(&m, 3, "");
	add_tsig(&m);
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD, "two TSIG records");
	start(&m);
	add_a(&m);
	add_tsig(&m);
	add_opt(&m, 3, "");
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD, "TSIG before OPT");
	start(&m);
	add_a(&m);
	add(&m, 1, "q", LDNS_RR_TYPE_TSIG, LDNS_RR_CLASS_ANY, NULL, 0);
	cr_assert_eq(match(&m, &r), FCR_MATCH_BAD, "TSIG in the answer section");
}

/* A TSIG where RFC 8945 puts it, after the OPT, does not stop the answer from being read. */
Test(resolver_wire, tsig_as_the_last_record_is_allowed)
{
	struct msg m;
	struct fcr_reply r;

	start(&m);
	add_a(&m);
	add_opt(&m, 3, "");
	add_tsig(&m);
	cr_assert_eq(match(&m, &r), FCR_MATCH_OK);
	cr_assert_eq(r.nrr, 1);
	fcr_reply_clear(&r);
}

/* fcr_wire_parse, the only way the transport and the fuzz target hand messages to ldns. */
Test(resolver_wire, parse_refuses_what_match_refuses)
{
	struct msg m;

	start(&m);
	add_a(&m);
	add_opt(&m, 3, "");
	ldns_pkt *p = fcr_wire_parse(m.b, m.n);
	cr_assert_not_null(p);
	cr_assert_eq(ldns_pkt_edns_udp_size(p), 1232);
	ldns_pkt_free(p);
	add_opt(&m, 3, "");
	cr_assert_null(fcr_wire_parse(m.b, m.n));
	cr_assert_null(fcr_wire_parse(m.b, 11), "a header cut short");
}
