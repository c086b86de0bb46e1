/* Lookups: CNAME chains, negative answers and their TTLs, follow-up questions. */
#include <criterion/criterion.h>
#include <string.h>

#include "clock.h"
#include "fake_dns.h"
#include "lookup.h"

static const struct fake_answer zone[] = {
	/* the resolver chased the chain and found NODATA at its end */
	{ "a.t.", FCR_T_A, 0, 0, "a.t. CNAME 100 b.t.", 200, 30 },
	/* NXDOMAIN at the end of a chain (RFC 6604: the rcode is about the last name) */
	{ "c.t.", FCR_T_A, 0, FCR_RCODE_NXDOMAIN, "c.t. CNAME 100 d.t.", 10, 90 },
	/* a server that stops at the CNAME: asked again about the target */
	{ "e.t.", FCR_T_A, 0, 0, "e.t. CNAME 100 f.t.", -1, 0 },
	{ "f.t.", FCR_T_A, 0, 0, "f.t. A 50 192.0.2.1;f.t. A 70 192.0.2.2;other.t. A 1 192.0.2.9", -1, 0 },
	/* unexpected rcode */
	{ "g.t.", FCR_T_A, 0, FCR_RCODE_NOTIMP, NULL, -1, 0 },
	/* a chain that ends without data and without SOA twice: NODATA, not cacheable */
	{ "h.t.", FCR_T_A, 0, 0, NULL, -1, 0 },
	/* NXDOMAIN that carries the asked record anyway, directly and at the end of a chain */
	{ "nx.t.", FCR_T_A, 0, FCR_RCODE_NXDOMAIN, "nx.t. A 300 192.0.2.7", 100, 50 },
	{ "nxc.t.", FCR_T_A, 0, FCR_RCODE_NXDOMAIN, "nxc.t. CNAME 100 nxd.t.;nxd.t. A 300 192.0.2.8",
	  200, 40 },
};

static struct fake_dns fake;

static void setup(void)
{
	fake_dns_init(&fake, zone, sizeof(zone) / sizeof(zone[0]));
}

TestSuite(lookup, .init = setup);

static void run(struct fcr_lookup *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->type = FCR_T_A;
	fcr_lookup_run(&fake.base, l, 1, fcr_now_ms() + 5000);
}

Test(lookup, nodata_after_chain)
{
	struct fcr_lookup l;
	run(&l, "a.t.");
	cr_assert_eq(l.status, FCR_DNS_NODATA);
	cr_assert_str_eq(l.canonical, "b.t.");
	cr_assert(l.has_ttl);
	cr_assert_eq(l.ttl, 30, "min(CNAME 100, SOA 200, MINIMUM 30)");
	cr_assert_eq(l.queries, 1);
	fcr_lookup_clear(&l);
}

Test(lookup, nxdomain_after_chain)
{
	struct fcr_lookup l;
	run(&l, "c.t.");
	cr_assert_eq(l.status, FCR_DNS_NXDOMAIN);
	cr_assert_eq(l.ttl, 10);
	fcr_lookup_clear(&l);
}

Test(lookup, follow_up_question_and_only_owner_records)
{
	struct fcr_lookup l;
	run(&l, "e.t.");
	cr_assert_eq(l.status, FCR_DNS_OK);
	cr_assert_eq(l.n, 2, "records of other owners are not data for this name");
	cr_assert_eq(l.queries, 2);
	cr_assert_eq(l.links, 1);
	cr_assert_eq(l.ttl, 50);
	fcr_lookup_clear(&l);
}

/* The rcode decides: the records of an NXDOMAIN reply are no data (for the end of the chain,
 * RFC 6604). */
Test(lookup, nxdomain_records_are_not_data)
{
	struct fcr_lookup l;
	run(&l, "nx.t.");
	cr_assert_eq(l.status, FCR_DNS_NXDOMAIN, "status %s", fcr_dns_status_name(l.status));
	cr_assert_eq(l.n, 0);
	cr_assert_eq(l.ttl, 50);
	fcr_lookup_clear(&l);
	run(&l, "nxc.t.");
	cr_assert_eq(l.status, FCR_DNS_NXDOMAIN, "status %s", fcr_dns_status_name(l.status));
	cr_assert_eq(l.n, 0);
	cr_assert_str_eq(l.canonical, "nxd.t.");
	cr_assert_eq(l.queries, 1);
	cr_assert_eq(l.ttl, 40);
	fcr_lookup_clear(&l);
}

Test(lookup, odd_rcode_is_bad_reply)
{
	struct fcr_lookup l;
	run(&l, "g.t.");
	cr_assert_eq(l.status, FCR_DNS_BADREPLY);
	cr_assert(fcr_dns_status_temporary(l.status));
	cr_assert_neq(strstr(l.detail, "rcode 4"), NULL, "detail: %s", l.detail);
	fcr_lookup_clear(&l);
}

Test(lookup, nodata_without_soa_is_not_cacheable)
{
	struct fcr_lookup l;
	run(&l, "h.t.");
	cr_assert_eq(l.status, FCR_DNS_NODATA);
	cr_assert_not(l.has_ttl);
	fcr_lookup_clear(&l);
}

Test(lookup, expired_deadline_times_out_without_asking)
{
	struct fcr_lookup l = { .name = "f.t.", .type = FCR_T_A };
	fcr_lookup_run(&fake.base, &l, 1, fcr_now_ms() - 1);
	cr_assert_eq(l.status, FCR_DNS_TIMEOUT);
	cr_assert_eq(fake.exchanges, 0);
	fcr_lookup_clear(&l);
}

Test(lookup, status_names)
{
	cr_assert_str_eq(fcr_dns_status_name(FCR_DNS_NXDOMAIN), "nxdomain");
	cr_assert_str_eq(fcr_dns_status_name((enum fcr_dns_status)99), "local error");
	cr_assert_not(fcr_dns_status_temporary(FCR_DNS_CNAME_LOOP));
}
