/* DNS messages for the real transport: building queries, deciding whether a received message
 * answers our question (ldns parses, but checks neither ID nor question), reading replies. */
#include "internal.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int fcr_wire_query(const char *name, uint16_t type, ldns_rdf **qname, uint8_t **wire, size_t *len,
                   bool *oom)
{
	ldns_rdf *dname = NULL, *copy = NULL;
	ldns_pkt *pkt = NULL;

	*qname = NULL;
	*wire = NULL;
	*oom = false;
	/* ldns_dname_new_frm_str cannot tell bad syntax from no memory: both come out as -1 */
	if (!name || ldns_str2rdf_dname(&dname, name) != LDNS_STATUS_OK)
		return -1;
	*oom = true;
	copy = ldns_rdf_clone(dname);
	if (!copy)
		goto fail;
	pkt = ldns_pkt_query_new(copy, (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (!pkt) {
		ldns_rdf_deep_free(copy);
		goto fail;
	}
	ldns_pkt_set_id(pkt, 0);
	ldns_pkt_set_edns_udp_size(pkt, FCR_RESOLVER_EDNS_SIZE);
	if (ldns_pkt2wire(wire, pkt, len) != LDNS_STATUS_OK || *len < LDNS_HEADER_SIZE)
		goto fail;
	ldns_pkt_free(pkt);
	*qname = dname;
	*oom = false;
	return 0;
fail:
	free(*wire);
	*wire = NULL;
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(dname);
	return -1;
}

void fcr_wire_set_id(uint8_t *wire, uint16_t id)
{
	wire[0] = (uint8_t)(id >> 8);
	wire[1] = (uint8_t)(id & 0xff);
}

static bool question_matches(const ldns_pkt *pkt, const ldns_rdf *qname, uint16_t type)
{
	const ldns_rr_list *qs = ldns_pkt_question(pkt);

	if (ldns_pkt_qdcount(pkt) != 1 || !qs || ldns_rr_list_rr_count(qs) != 1)
		return false;
	const ldns_rr *q = ldns_rr_list_rr(qs, 0);
	const ldns_rdf *owner = ldns_rr_owner(q);
	return owner && ldns_rdf_get_type(owner) == LDNS_RDF_TYPE_DNAME &&
	       ldns_dname_compare(owner, qname) == 0 && ldns_rr_get_type(q) == type &&
	       ldns_rr_get_class(q) == LDNS_RR_CLASS_IN;
}

/* Moves *pos past the domain name there (labels up to a zero octet or a compression pointer);
 * false when it runs past end. */
static bool skip_name(const uint8_t *buf, size_t end, size_t *pos)
{
	while (*pos < end) {
		uint8_t c = buf[*pos];
		if (c == 0) {
			*pos += 1;
			return true;
		}
		if ((c & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= end;
		}
		if (c & 0xc0)
			return false;
		*pos += 1 + (size_t)c;
	}
	return false;
}

/* Whether RDATA of rdlen octets at buf[pos] is exactly what the type holds. ldns reads the fields
 * it expects and skips the rest, so an A with 8 octets would pass as the first 4 of them. */
static bool rdata_exact(const uint8_t *buf, size_t pos, uint16_t type, size_t rdlen)
{
	size_t end = pos + rdlen;

	switch (type) {
	case FCR_T_A:
		return rdlen == 4;
	case FCR_T_AAAA:
		return rdlen == 16;
	case FCR_T_CNAME:
	case FCR_T_PTR:
		return skip_name(buf, end, &pos) && pos == end;
	case FCR_T_SOA:
		return skip_name(buf, end, &pos) && skip_name(buf, end, &pos) && pos + 20 == end;
	default:
		return true;
	}
}

/* Walks every record of a message that ldns parsed and checks the RDATA length of the class-IN
 * types this transport reads. */
static bool records_well_formed(const uint8_t *buf, size_t len)
{
	size_t pos = LDNS_HEADER_SIZE;
	size_t nq = (size_t)buf[4] << 8 | buf[5];
	size_t nrr = ((size_t)buf[6] << 8 | buf[7]) + ((size_t)buf[8] << 8 | buf[9]) +
	             ((size_t)buf[10] << 8 | buf[11]);

	for (size_t i = 0; i < nq; i++)
		if (!skip_name(buf, len, &pos) || (pos += 4) > len)
			return false;
	for (size_t i = 0; i < nrr; i++) {
		if (!skip_name(buf, len, &pos) || pos + 10 > len)
			return false;
		uint16_t type = (uint16_t)(buf[pos] << 8 | buf[pos + 1]);
		uint16_t class = (uint16_t)(buf[pos + 2] << 8 | buf[pos + 3]);
		size_t rdlen = (size_t)buf[pos + 8] << 8 | buf[pos + 9];
		pos += 10;
		if (pos + rdlen > len ||
		    (class == LDNS_RR_CLASS_IN && !rdata_exact(buf, pos, type, rdlen)))
			return false;
		pos += rdlen;
	}
	return true;
}

/* RFC 6891 §6.1.1 and RFC 8945 §5.1: one OPT at most, owned by the root, and one TSIG at most, as
 * the last record; both only in the additional section. Other shapes are FORMERR to a server. */
static bool meta_record_ok(const ldns_rr *rr, ldns_pkt_section sec, bool last, size_t *nopt)
{
	ldns_rr_type t = ldns_rr_get_type(rr);

	if (t != LDNS_RR_TYPE_OPT && t != LDNS_RR_TYPE_TSIG)
		return true;
	if (sec != LDNS_SECTION_ADDITIONAL)
		return false;
	if (t == LDNS_RR_TYPE_TSIG)
		return last;
	const ldns_rdf *owner = ldns_rr_owner(rr);
	return ++*nopt == 1 && owner && ldns_rdf_size(owner) == 1;
}

/* ldns 1.8 keeps only the last TSIG record ldns_wire2pkt reads in the additional section and loses
 * the ones before it (a leak per message), so such messages must not reach it. The records are read
 * with ldns_wire2rr, as ldns_wire2pkt reads them: where a record ends is ldns's choice, not the
 * RDATA length (a name in RDATA may run past it), so a walk by RDATA lengths could be shown other
 * records than ldns sees. */
static bool meta_records_ok(const uint8_t *buf, size_t len)
{
	static const ldns_pkt_section secs[] = { LDNS_SECTION_QUESTION, LDNS_SECTION_ANSWER,
		                                 LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL };
	size_t pos = LDNS_HEADER_SIZE, nopt = 0;

	if (len < LDNS_HEADER_SIZE)
		return false;
	for (size_t s = 0; s < 4; s++) {
		size_t n = (size_t)buf[4 + 2 * s] << 8 | buf[5 + 2 * s];
		for (size_t i = 0; i < n; i++) {
			ldns_rr *rr = NULL;
			if (ldns_wire2rr(&rr, buf, len, &pos, secs[s]) != LDNS_STATUS_OK)
				return false;
			bool ok = s == 0 || meta_record_ok(rr, secs[s], i + 1 == n, &nopt);
			ldns_rr_free(rr);
			if (!ok)
				return false;
		}
	}
	return true;
}

ldns_pkt *fcr_wire_parse(const uint8_t *buf, size_t len)
{
	ldns_pkt *p = NULL;

	if (!meta_records_ok(buf, len) || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

enum fcr_match fcr_wire_match(const uint8_t *buf, size_t len, uint16_t id, const ldns_rdf *qname,
                              uint16_t type, ldns_pkt **pkt)
{
	ldns_pkt *p = NULL;

	*pkt = NULL;
	/* Messages for other IDs are dropped unparsed: spoofing attempts cost no parsing. */
	if (len < 2 || buf[0] != (uint8_t)(id >> 8) || buf[1] != (uint8_t)(id & 0xff))
		return FCR_MATCH_IGNORE;
	if (!(p = fcr_wire_parse(buf, len)))
		return FCR_MATCH_BAD;
	if (!ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY ||
	    !question_matches(p, qname, type)) {
		ldns_pkt_free(p);
		return FCR_MATCH_IGNORE;
	}
	/* ldns parsed it, so the header is all there */
	if (len < LDNS_HEADER_SIZE || !records_well_formed(buf, len)) {
		ldns_pkt_free(p);
		return FCR_MATCH_MALFORMED;
	}
	*pkt = p;
	return FCR_MATCH_OK;
}

/* Text of a domain-name rdf: absolute, with \DDD escapes for odd bytes (ldns_rdf2str). */
static char *dname_text(const ldns_rdf *rdf)
{
	if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	return ldns_rdf2str(rdf);
}

/* RFC 2181 §8: a TTL with the most significant bit set is to be taken as zero. */
static uint32_t ttl_value(uint32_t ttl)
{
	return ttl > INT32_MAX ? 0 : ttl;
}

/* Returns 0 when the record was added or left out, -1 when memory ran out. */
static int add_answer(const ldns_rr *rr, struct fcr_reply *out)
{
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	const ldns_rdf *rd = ldns_rr_rd_count(rr) >= 1 ? ldns_rr_rdf(rr, 0) : NULL;
	char *owner = NULL, *target = NULL;
	fcr_addr addr, *ap = NULL;
	int rc = 0;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || !rd)
		return 0;
	memset(&addr, 0, sizeof(addr));
	if ((type == FCR_T_A && ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_A && ldns_rdf_size(rd) == 4) ||
	    (type == FCR_T_AAAA && ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_AAAA &&
	     ldns_rdf_size(rd) == 16)) {
		addr.family = type == FCR_T_A ? AF_INET : AF_INET6;
		memcpy(addr.bytes, ldns_rdf_data(rd), ldns_rdf_size(rd));
		ap = &addr;
	} else if (type == FCR_T_CNAME || type == FCR_T_PTR) {
		if (ldns_rdf_get_type(rd) != LDNS_RDF_TYPE_DNAME)
			return 0;
		if (!(target = dname_text(rd)))
			return -1;
	} else {
		return 0;
	}
	owner = dname_text(ldns_rr_owner(rr));
	if (!owner || fcr_reply_add(out, owner, type, ttl_value(ldns_rr_ttl(rr)), target, ap) != 0)
		rc = -1;
	free(owner);
	free(target);
	return rc;
}

static void read_soa(const ldns_pkt *pkt, struct fcr_reply *out)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);

	for (size_t i = 0; auth && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) < 7)
			continue;
		const ldns_rdf *min = ldns_rr_rdf(rr, 6);
		if (!min || ldns_rdf_size(min) != 4)
			continue;
		out->has_soa = true;
		out->soa_ttl = ttl_value(ldns_rr_ttl(rr));
		out->soa_minimum = ttl_value(ldns_rdf2native_int32(min));
		return;
	}
}

int fcr_wire_fill(const ldns_pkt *pkt, struct fcr_reply *out)
{
	const ldns_rr_list *ans = ldns_pkt_answer(pkt);

	out->xfer = FCR_XFER_OK;
	out->rcode = (uint8_t)ldns_pkt_get_rcode(pkt);
	out->detail[0] = '\0';
	/* Every record counts: the message (at most 65,535 octets) bounds how many there are. */
	for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		if (add_answer(ldns_rr_list_rr(ans, i), out) != 0) {
			fcr_reply_clear(out);
			return -1;
		}
	}
	read_soa(pkt, out);
	return 0;
}
