/* Writes the fuzz_reply seed corpus: real DNS replies built with ldns for the questions the target
 * asks. Not part of the build; rerun by hand after changing the questions:
 *   cc -std=c11 -D_GNU_SOURCE -Ilib tests/fuzz/mkseeds.c -o /tmp/mkseeds -lldns &&
 *   /tmp/mkseeds tests/fuzz/corpus/fuzz_reply */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>

struct seed {
	const char *file;
	const char *qname;
	ldns_rr_type qtype;
	ldns_pkt_rcode rcode;
	bool tc;
	const char *answer[4];
	const char *authority[2];
};

static const struct seed seeds[] = {
	{ "ptr", "4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR, false,
	  { "4.3.2.1.in-addr.arpa. 3600 IN PTR host.example." }, { NULL } },
	{ "ptr-two", "4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR, false,
	  { "4.3.2.1.in-addr.arpa. 60 IN PTR a.example.", "4.3.2.1.in-addr.arpa. 60 IN PTR B.Example." },
	  { NULL } },
	{ "ptr-rfc2317", "4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR, false,
	  { "4.3.2.1.in-addr.arpa. 300 IN CNAME 4.0/26.3.2.1.in-addr.arpa.",
	    "4.0/26.3.2.1.in-addr.arpa. 300 IN PTR mail.example." }, { NULL } },
	{ "ptr-escaped", "4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR, false,
	  { "4.3.2.1.in-addr.arpa. 60 IN PTR we\\.ird\\000\\(x\\).example." }, { NULL } },
	{ "ptr-nxdomain", "4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NXDOMAIN, false,
	  { NULL },
	  { "3.2.1.in-addr.arpa. 600 IN SOA ns.example. admin.example. 1 3600 900 604800 120" } },
	{ "ptr-servfail", "4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, LDNS_RCODE_SERVFAIL, false,
	  { NULL }, { NULL } },
	{ "a-cname", "host.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	  { "host.example. 120 IN CNAME real.example.", "real.example. 60 IN A 1.2.3.4",
	    "real.example. 60 IN A 192.0.2.7", "real.example. 60 IN TXT \"not an address\"" },
	  { NULL } },
	{ "a-nodata", "host.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, { NULL },
	  { "example. 300 IN SOA ns.example. admin.example. 7 3600 900 604800 60" } },
	{ "a-truncated", "host.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, { NULL },
	  { NULL } },
	{ "aaaa", "host.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, false,
	  { "host.example. 3600 IN AAAA 2001:db8::1", "host.example. 3600 IN AAAA ::ffff:1.2.3.4" },
	  { NULL } },
};

static ldns_rr_list *rr_list(const char *const *text, size_t n)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; i < n && text[i]; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, text[i], 0, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "bad record: %s\n", text[i]);
			exit(1);
		}
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

static void write_seed(const char *dir, const struct seed *s)
{
	ldns_rdf *qname = NULL;
	ldns_str2rdf_dname(&qname, s->qname);
	ldns_pkt *p = ldns_pkt_query_new(qname, s->qtype, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_tc(p, s->tc);
	ldns_pkt_set_rcode(p, (uint8_t)s->rcode);
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_rr_list *ans = rr_list(s->answer, 4), *auth = rr_list(s->authority, 2);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, ans);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_AUTHORITY, auth);
	ldns_rr_list_free(ans);
	ldns_rr_list_free(auth);

	uint8_t *wire = NULL;
	size_t len = 0;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, s->file);
	FILE *f = fopen(path, "wb");
	if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK || !f || fwrite(wire, 1, len, f) != len) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
	free(wire);
	ldns_pkt_free(p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 64;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		write_seed(argv[1], &seeds[i]);
	return 0;
}
