/* Fuzz target: raw bytes as a DNS reply datagram, through the resolver's matcher (fcr_wire_match)
 * and reader (fcr_wire_fill), against fixed questions; what comes out must keep dns.h's promises.
 * ldns itself is the system's uninstrumented library: coverage guides only through our code. */
#include "fuzz.h"

#include "resolver/internal.h"

#include <netinet/in.h>

/* The questions a reply may answer: the seeds hold replies to each. */
static const struct {
	const char *name;
	uint16_t type;
} questions[] = {
	{ "4.3.2.1.in-addr.arpa.", FCR_T_PTR },
	{ "host.example.", FCR_T_A },
	{ "host.example.", FCR_T_AAAA },
};
#define NQ (sizeof(questions) / sizeof(questions[0]))

static ldns_rdf *qnames[NQ];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NQ; i++)
		if (ldns_str2rdf_dname(&qnames[i], questions[i].name) != LDNS_STATUS_OK)
			abort();
	return 0;
}

/* A name as dns.h promises it: lower-case, absolute, printable (ldns escapes the rest). */
static void check_name(const char *what, const char *s)
{
	FUZZ_ASSERT(s != NULL);
	size_t n = strlen(s);
	FUZZ_ASSERT(n > 0 && s[n - 1] == '.');
	fuzz_check_printable(what, s, n, NULL);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i] < 'A' || s[i] > 'Z');
}

/* size: the message's; every record in it takes at least 11 octets (owner, type, class, TTL,
 * RDATA length). TTLs with the top bit set come out as 0 (RFC 2181 §8). */
static void check_reply(const struct fcr_reply *r, size_t size)
{
	FUZZ_ASSERT(r->xfer == FCR_XFER_OK);
	FUZZ_ASSERT(r->rcode <= 15);
	FUZZ_ASSERT(r->nrr <= size / 11);
	FUZZ_ASSERT(r->nrr == 0 || r->rr != NULL);
	FUZZ_ASSERT(r->soa_ttl <= INT32_MAX && r->soa_minimum <= INT32_MAX);
	for (size_t i = 0; i < r->nrr; i++) {
		const struct fcr_rr *rr = &r->rr[i];
		check_name("owner", rr->owner);
		FUZZ_ASSERT(rr->ttl <= INT32_MAX);
		switch (rr->type) {
		case FCR_T_A:
			FUZZ_ASSERT(rr->addr.family == AF_INET && !rr->target);
			break;
		case FCR_T_AAAA:
			FUZZ_ASSERT(rr->addr.family == AF_INET6 && !rr->target);
			break;
		case FCR_T_CNAME:
		case FCR_T_PTR:
			check_name("target", rr->target);
			break;
		default:
			FUZZ_ASSERT(!"a record of a type dns.h does not allow");
		}
	}
}

/* One question against the datagram, whose first two bytes act as the ID so that parsing is
 * always reached (a mismatching ID must be ignored without parsing). */
static void try_question(const uint8_t *data, size_t size, size_t q)
{
	uint16_t id = (uint16_t)(data[0] << 8 | data[1]);
	ldns_pkt *pkt = NULL;

	FUZZ_ASSERT(fcr_wire_match(data, size, (uint16_t)(id ^ 0x8000), qnames[q], questions[q].type,
	                           &pkt) == FCR_MATCH_IGNORE && !pkt);
	enum fcr_match m = fcr_wire_match(data, size, id, qnames[q], questions[q].type, &pkt);
	FUZZ_ASSERT(m == FCR_MATCH_IGNORE || m == FCR_MATCH_BAD || m == FCR_MATCH_MALFORMED ||
	            m == FCR_MATCH_OK);
	FUZZ_ASSERT((m == FCR_MATCH_OK) == (pkt != NULL));
	if (!pkt)
		return;
	struct fcr_reply r;
	memset(&r, 0, sizeof(r));
	FUZZ_ASSERT(fcr_wire_fill(pkt, &r) == 0);
	check_reply(&r, size);
	fcr_reply_clear(&r);
	ldns_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2) {
		ldns_pkt *pkt = NULL;
		FUZZ_ASSERT(fcr_wire_match(data, size, 0, qnames[0], FCR_T_PTR, &pkt) ==
		            FCR_MATCH_IGNORE && !pkt);
		return 0;
	}
	for (size_t q = 0; q < NQ; q++)
		try_question(data, size, q);
	/* The reader must cope with whatever the transport lets ldns parse, question or not. */
	ldns_pkt *pkt = fcr_wire_parse(data, size);
	if (pkt) {
		struct fcr_reply r;
		memset(&r, 0, sizeof(r));
		FUZZ_ASSERT(fcr_wire_fill(pkt, &r) == 0);
		check_reply(&r, size);
		fcr_reply_clear(&r);
	}
	ldns_pkt_free(pkt);
	return 0;
}
